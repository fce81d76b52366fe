/* jsonv.c — strict reading of request JSON (see jsonv.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"

void nd_ptr(char out[ND_PTR_MAX], const char *base, const char *key)
{
    size_t n = (size_t)snprintf(out, ND_PTR_MAX, "%s/", base);
    for (const char *c = key; *c && n + 3 < ND_PTR_MAX; c++) {
        if (*c == '~' || *c == '/') {
            out[n++] = '~';
            out[n++] = *c == '~' ? '0' : '1';
        } else {
            out[n++] = *c;
        }
    }
    out[n < ND_PTR_MAX ? n : ND_PTR_MAX - 1] = '\0';
}

void nd_ptr_index(char out[ND_PTR_MAX], const char *base, size_t i)
{
    if (snprintf(out, ND_PTR_MAX, "%s/%zu", base, i) >= ND_PTR_MAX)
        out[ND_PTR_MAX - 1] = '\0'; /* cut, as snprintf leaves it */
}

bool nd_json_allow(nd_request *req, json_t *obj, const char *base,
                   const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        (void)value;
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            char p[ND_PTR_MAX];
            nd_ptr(p, base, key);
            nd_reply_invalid(req, 400, p, "unknown field");
            return false;
        }
    }
    return true;
}

/* The member, or NULL after replying 422 if it is required and absent. */
static json_t *member(nd_request *req, json_t *obj, const char *base,
                      const char *key, bool required, char p[ND_PTR_MAX],
                      bool *absent)
{
    nd_ptr(p, base, key);
    json_t *v = json_object_get(obj, key);
    *absent = v == NULL;
    if (!v && required)
        nd_reply_invalid(req, 422, p, "is required");
    return v;
}

bool nd_field_string(nd_request *req, json_t *obj, const char *base,
                     const char *key, bool required, const char **out)
{
    char p[ND_PTR_MAX];
    bool absent;
    json_t *v = member(req, obj, base, key, required, p, &absent);
    if (absent)
        return !required;
    if (!json_is_string(v)) {
        nd_reply_invalid(req, 400, p, "must be a string");
        return false;
    }
    *out = json_string_value(v);
    return true;
}

bool nd_field_uint(nd_request *req, json_t *obj, const char *base,
                   const char *key, bool required, uint64_t min, uint64_t max,
                   uint64_t *out)
{
    char p[ND_PTR_MAX];
    bool absent;
    json_t *v = member(req, obj, base, key, required, p, &absent);
    if (absent)
        return !required;
    if (!json_is_integer(v)) {
        nd_reply_invalid(req, 400, p, "must be an integer");
        return false;
    }
    json_int_t i = json_integer_value(v);
    if (i < 0 || (uint64_t)i < min || (uint64_t)i > max) {
        nd_reply_invalid(req, 422, p, "must be between %llu and %llu",
                         (unsigned long long)min, (unsigned long long)max);
        return false;
    }
    *out = (uint64_t)i;
    return true;
}

bool nd_field_number(nd_request *req, json_t *obj, const char *base,
                     const char *key, bool required, double min, double max,
                     double *out)
{
    char p[ND_PTR_MAX];
    bool absent;
    json_t *v = member(req, obj, base, key, required, p, &absent);
    if (absent)
        return !required;
    if (!json_is_number(v)) {
        nd_reply_invalid(req, 400, p, "must be a number");
        return false;
    }
    double d = json_number_value(v);
    if (!isfinite(d) || d < min || d > max) {
        nd_reply_invalid(req, 422, p, "must be between %g and %g", min, max);
        return false;
    }
    *out = d;
    return true;
}

bool nd_field_bool(nd_request *req, json_t *obj, const char *base,
                   const char *key, bool required, bool *out)
{
    char p[ND_PTR_MAX];
    bool absent;
    json_t *v = member(req, obj, base, key, required, p, &absent);
    if (absent)
        return !required;
    if (!json_is_boolean(v)) {
        nd_reply_invalid(req, 400, p, "must be true or false");
        return false;
    }
    *out = json_is_true(v);
    return true;
}

/* Replies for value j of the array at ptr: not a number (400), or a
 * number d that does not fit a float32 (422). */
static void reply_bad_value(nd_request *req, const char *ptr, size_t j,
                            bool not_number, double d)
{
    char p[ND_PTR_MAX];
    nd_ptr_index(p, ptr, j);
    if (not_number)
        nd_reply_invalid(req, 400, p, "must be a number");
    else
        nd_reply_invalid(req, 422, p, "%g does not fit a float32", d);
}

/* Replies for row i of the matrix at ptr: not an array (400), or len
 * values where c were expected (422). */
static void reply_bad_row(nd_request *req, const char *ptr, size_t i,
                          bool is_array, size_t len, size_t c)
{
    char p[ND_PTR_MAX];
    nd_ptr_index(p, ptr, i);
    if (!is_array)
        nd_reply_invalid(req, 400, p, "must be an array of numbers");
    else
        nd_reply_invalid(req, 422, p, "has %zu values, expected %zu", len, c);
}

/* Whether a matrix of n rows of c values may be read; false after
 * replying 422. */
static bool matrix_size_ok(nd_request *req, const char *ptr, size_t n,
                           size_t c, size_t max_elements)
{
    if (n == 0 || c == 0) {
        nd_reply_invalid(req, 422, ptr, "must have at least one row and "
                                        "one column");
        return false;
    }
    if (c > max_elements / n) {
        nd_reply_invalid(req, 422, ptr, "has more than %zu values",
                         max_elements);
        return false;
    }
    return true;
}

/* Whether a vector of len values may be read; false after replying 422. */
static bool vector_size_ok(nd_request *req, const char *ptr, size_t len,
                           size_t n_expected, size_t max_elements)
{
    if (len == 0 || (n_expected && len != n_expected) || len > max_elements) {
        if (n_expected)
            nd_reply_invalid(req, 422, ptr, "must have %zu values, not %zu",
                             n_expected, len);
        else
            nd_reply_invalid(req, 422, ptr, "must have 1 to %zu values",
                             max_elements);
        return false;
    }
    return true;
}

/* Reads row (an array) into dst[0..n); false after replying. */
static bool read_row(nd_request *req, json_t *row, const char *ptr, float *dst,
                     size_t n)
{
    for (size_t j = 0; j < n; j++) {
        json_t *x = json_array_get(row, j);
        double d = json_number_value(x);
        if (!json_is_number(x) || !isfinite((float)d)) {
            reply_bad_value(req, ptr, j, !json_is_number(x), d);
            return false;
        }
        dst[j] = (float)d;
    }
    return true;
}

bool nd_json_vector(nd_request *req, json_t *arr, const char *ptr,
                    size_t n_expected, size_t max_elements, float **out,
                    size_t *n)
{
    if (!json_is_array(arr)) {
        nd_reply_invalid(req, 400, ptr, "must be an array of numbers");
        return false;
    }
    size_t len = json_array_size(arr);
    if (!vector_size_ok(req, ptr, len, n_expected, max_elements))
        return false;
    float *v = malloc(len * sizeof *v);
    if (!v) {
        nd_reply_problem(req, 503, "out of memory");
        return false;
    }
    if (!read_row(req, arr, ptr, v, len)) {
        free(v);
        return false;
    }
    *out = v;
    *n = len;
    return true;
}

/* Checks that every element of arr is an array of c values, before
 * anything is allocated for them; false after replying. */
static bool check_rows(nd_request *req, json_t *arr, const char *ptr,
                       size_t n, size_t c)
{
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(arr, i);
        if (!json_is_array(row) || json_array_size(row) != c) {
            reply_bad_row(req, ptr, i, json_is_array(row),
                          json_array_size(row), c);
            return false;
        }
    }
    return true;
}

bool nd_json_matrix(nd_request *req, json_t *arr, const char *ptr,
                    size_t cols_expected, size_t max_elements, float **out,
                    size_t *rows, size_t *cols)
{
    if (!json_is_array(arr)) {
        nd_reply_invalid(req, 400, ptr, "must be an array of rows");
        return false;
    }
    size_t n = json_array_size(arr);
    json_t *first = json_array_get(arr, 0);
    size_t c = cols_expected ? cols_expected : json_array_size(first);
    /* The shape first: n × c is only allocated once the body holds it. */
    if (!matrix_size_ok(req, ptr, n, c, max_elements) ||
        !check_rows(req, arr, ptr, n, c))
        return false;
    float *m = malloc(n * c * sizeof *m);
    if (!m) {
        nd_reply_problem(req, 503, "out of memory");
        return false;
    }
    char p[ND_PTR_MAX];
    for (size_t i = 0; i < n; i++) {
        nd_ptr_index(p, ptr, i);
        if (!read_row(req, json_array_get(arr, i), p, m + i * c, c)) {
            free(m);
            return false;
        }
    }
    *out = m;
    *rows = n;
    *cols = c;
    return true;
}

/* ptr + "/at[0]/…/at[n − 1]": the first n indices of a place. */
static void path_ptr(char p[ND_PTR_MAX], const char *ptr, const nd_jpath *at,
                     size_t n)
{
    size_t len = (size_t)snprintf(p, ND_PTR_MAX, "%s", ptr);
    for (size_t k = 0; k < n && len < ND_PTR_MAX; k++)
        len += (size_t)snprintf(p + len, ND_PTR_MAX - len, "/%zu", at->at[k]);
}

/* A packed array's first bad value, if any, replied; true when none. */
static bool packed_values_ok(nd_request *req, const nd_jarray *a,
                             const char *ptr)
{
    const nd_jfault *f = &a->bad;
    if (f->at.n == 0)
        return true;
    char p[ND_PTR_MAX];
    path_ptr(p, ptr, &f->at, f->at.n - 1);
    reply_bad_value(req, p, f->at.at[f->at.n - 1], f->wrong_kind, f->found);
    return false;
}

/* Takes a packed array's floats (n of them); false after replying when
 * they were dropped past the row limit. */
static bool take_values(nd_request *req, nd_jarray *a, const char *ptr,
                        float **out)
{
    if (!a->values) {
        nd_reply_invalid(req, 422, ptr, "has %zu rows; the limit is %zu",
                         a->n, a->max_rows);
        return false;
    }
    *out = a->values;
    a->values = NULL;
    return true;
}

/* Replies for the element at `at` (its first n indices), which is not the
 * array of dims[n − 1] elements the rows' nesting (ndims levels) puts
 * there (is_array false) or is one of len: 400 or 422. */
static void reply_misfit(nd_request *req, const char *ptr, const nd_jpath *at,
                         size_t n, const size_t *dims, size_t ndims,
                         bool is_array, size_t len)
{
    char p[ND_PTR_MAX];
    path_ptr(p, ptr, at, n);
    if (is_array)
        nd_reply_invalid(req, 422, p, "has %zu values, expected %zu", len,
                         dims[n - 1]);
    else if (ndims == 1)
        nd_reply_invalid(req, 400, p, "must be an array of numbers");
    else
        nd_reply_invalid(req, 400, p, "must be an array of %zu %s",
                         dims[n - 1], n < ndims ? "arrays" : "numbers");
}

/* Whether every row of a nests as dims[0…ndims) says (1 level: a row of
 * dims[0] values); false after replying for element 0's first path that
 * differs, or else the first row that breaks it. */
static bool nesting_ok(nd_request *req, const nd_jarray *a, const char *ptr,
                       const size_t *dims, size_t ndims)
{
    nd_jpath zeros = {.n = ND_JSON_NEST_MAX + 1}; /* element 0, its 0, … */
    for (size_t l = 0; l < ndims; l++) {
        bool is_array = l < a->depth0;
        if (!is_array || a->dims0[l] != dims[l]) {
            reply_misfit(req, ptr, &zeros, l + 1, dims, ndims, is_array,
                         a->dims0[l]);
            return false;
        }
    }
    if (a->depth0 > ndims) { /* an array where a value belongs */
        char p[ND_PTR_MAX];
        path_ptr(p, ptr, &zeros, ndims);
        reply_bad_value(req, p, 0, true, 0);
        return false;
    }
    const nd_jfault *f = &a->misfit;
    if (f->at.n) {
        reply_misfit(req, ptr, &f->at, f->at.n, dims, ndims, !f->wrong_kind,
                     (size_t)f->found);
        return false;
    }
    return true;
}

/* The rows of a, nested as dims[0…ndims) says, as a rows × Π dims matrix
 * of their values in order; false after replying. */
static bool packed_rows(nd_request *req, nd_jarray *a, const char *ptr,
                        const size_t *dims, size_t ndims, size_t max_elements,
                        float **out, size_t *rows, size_t *cols)
{
    size_t c = 1;
    for (size_t l = 0; l < ndims; l++)
        c *= dims[l];
    if (!matrix_size_ok(req, ptr, a->n, c, max_elements) ||
        !nesting_ok(req, a, ptr, dims, ndims) ||
        !packed_values_ok(req, a, ptr) || !take_values(req, a, ptr, out))
        return false;
    *rows = a->n;
    *cols = c;
    return true;
}

bool nd_jarray_matrix(nd_request *req, nd_jarray *a, const char *ptr,
                      size_t cols_expected, size_t max_elements, float **out,
                      size_t *rows, size_t *cols)
{
    size_t c = cols_expected ? cols_expected : a->dims0[0];
    return packed_rows(req, a, ptr, &c, 1, max_elements, out, rows, cols);
}

bool nd_jarray_vector(nd_request *req, nd_jarray *a, const char *ptr,
                      size_t n_expected, size_t max_elements, float **out,
                      size_t *n)
{
    if (!vector_size_ok(req, ptr, a->n, n_expected, max_elements) ||
        !packed_values_ok(req, a, ptr) || !take_values(req, a, ptr, out))
        return false;
    *n = a->n;
    return true;
}

bool nd_body_matrix(nd_request *req, const char *name, size_t cols_expected,
                    size_t max_elements, float **out, size_t *rows,
                    size_t *cols)
{
    char p[ND_PTR_MAX];
    nd_ptr(p, "", name);
    nd_jarray *a = nd_json_body_array(req->jbody, name);
    if (a)
        return nd_jarray_matrix(req, a, p, cols_expected, max_elements, out,
                                rows, cols);
    return nd_json_matrix(req, json_object_get(req->json, name), p,
                          cols_expected, max_elements, out, rows, cols);
}

bool nd_body_shaped_rows(nd_request *req, const char *name,
                         const size_t *dims, size_t rank, size_t max_elements,
                         float **out, size_t *rows)
{
    size_t c = 1, cols;
    for (size_t l = 0; l < rank; l++)
        c *= dims[l];
    nd_jarray *a = nd_json_body_array(req->jbody, name);
    if (!a || rank < 2 || rank > ND_JSON_NEST_MAX || a->depth0 < 2)
        return nd_body_matrix(req, name, c, max_elements, out, rows, &cols);
    char p[ND_PTR_MAX];
    nd_ptr(p, "", name);
    return packed_rows(req, a, p, dims, rank, max_elements, out, rows, &cols);
}

bool nd_body_vector(nd_request *req, const char *name, size_t n_expected,
                    size_t max_elements, float **out, size_t *n)
{
    char p[ND_PTR_MAX];
    nd_ptr(p, "", name);
    nd_jarray *a = nd_json_body_array(req->jbody, name);
    if (a)
        return nd_jarray_vector(req, a, p, n_expected, max_elements, out, n);
    return nd_json_vector(req, json_object_get(req->json, name), p,
                          n_expected, max_elements, out, n);
}

size_t nd_body_array_size(const nd_request *req, const char *name)
{
    nd_jarray *a = nd_json_body_array(req->jbody, name);
    return a ? a->n : json_array_size(json_object_get(req->json, name));
}

bool nd_body_rows_of_arrays(const nd_request *req, const char *name)
{
    nd_jarray *a = nd_json_body_array(req->jbody, name);
    json_t *v = json_object_get(req->json, name);
    return a ? a->kind0 == ND_JKIND_ARRAY
             : json_is_array(v) && json_is_array(json_array_get(v, 0));
}

double nd_float_shortest(float f)
{
    char buf[32];
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)f);
        if (strtof(buf, NULL) == f)
            return strtod(buf, NULL);
    }
    return (double)f;
}

json_t *nd_json_real(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

void nd_reply_nn_error(nd_request *req, const char *base, const nn_error *e)
{
    char p[ND_PTR_MAX];
    snprintf(p, sizeof p, "%s%s", base ? base : "", e->field);
    switch (e->code) {
    case NN_ERR_INVALID:
    case NN_ERR_TOO_LARGE:
    case NN_ERR_FORMAT:
        nd_reply_invalid(req, 422, p, "%s", e->message);
        return;
    case NN_ERR_NOMEM:
        nd_reply_problem(req, 503, "%s", e->message);
        return;
    default:
        nd_reply_problem(req, 500, "%s", e->message);
    }
}
