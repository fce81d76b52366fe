/* dataset_json.c — datasets from a JSON body: rows given as arrays, or
 * made by a generator (see dataset_json.h). Everything is validated
 * before the first row is written; the rows then go through the same
 * chunked writer as a CSV upload. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_json.h"
#include "dataset_shape.h"
#include "dataset_store.h"
#include "generators.h"
#include "nn_limits.h"
#include "quota.h"
#include "server.h"

/* The rows of a JSON upload once read. */
typedef struct {
    float *X;              /* rows × input_dim */
    float *Y;              /* rows × target_dim: targets or class indexes */
    size_t rows, input_dim, target_dim;
    nd_class_table *classes; /* NULL for regression */
    json_t *feature_names, *target_names;
    json_t *input_shape;     /* [C, H, W], or NULL */
} json_rows;

static void json_rows_free(json_rows *d)
{
    free(d->X);
    free(d->Y);
    nd_class_table_free(d->classes);
    json_decref(d->feature_names);
    json_decref(d->target_names);
    json_decref(d->input_shape);
}

/* ["x1", …, "xn"], or [prefix] alone when n is 1 and single is set. */
static json_t *numbered_names(const char *prefix, size_t n, bool single)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        char name[32];
        if (n == 1 && single)
            snprintf(name, sizeof name, "%s", prefix);
        else
            snprintf(name, sizeof name, "%s%zu", prefix, i + 1);
        if (json_array_append_new(arr, json_string(name))) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

static bool read_inputs(nd_request *req, json_rows *d)
{
    if (!json_object_get(req->json, "inputs")) {
        nd_reply_invalid(req, 422, "/inputs", "is required");
        return false;
    }
    if (!nd_body_matrix(req, "inputs", 0, NN_MAX_ELEMENTS, &d->X, &d->rows,
                        &d->input_dim))
        return false;
    if (d->rows > req->srv->cfg.max_rows) {
        nd_reply_invalid(req, 422, "/inputs", "has %zu rows; the limit is %zu",
                         d->rows, req->srv->cfg.max_rows);
        return false;
    }
    if (d->input_dim > NN_MAX_UNITS) {
        nd_reply_invalid(req, 422, "/inputs/0", "has %zu columns; the limit "
                         "is %u", d->input_dim, NN_MAX_UNITS);
        return false;
    }
    return true;
}

/* "targets": rows of numbers, or one number per row. */
static bool read_targets(nd_request *req, json_rows *d)
{
    size_t rows;
    if (nd_body_rows_of_arrays(req, "targets")) {
        if (!nd_body_matrix(req, "targets", 0, NN_MAX_ELEMENTS, &d->Y, &rows,
                            &d->target_dim))
            return false;
        if (rows != d->rows) {
            nd_reply_invalid(req, 422, "/targets", "has %zu rows; inputs has "
                             "%zu", rows, d->rows);
            return false;
        }
    } else {
        if (!nd_body_vector(req, "targets", d->rows, NN_MAX_ELEMENTS, &d->Y,
                            &rows))
            return false;
        d->target_dim = 1;
    }
    d->target_names = numbered_names("y", d->target_dim, true);
    return true;
}

/* Class k (or the reason there is none) of label i into d->Y[i]. */
static bool keep_class(nd_request *req, long k, const char *p, size_t i,
                       json_rows *d)
{
    if (k < 0) {
        if (k == -1)
            nd_reply_invalid(req, 422, p, "is a class past the limit of %d",
                             ND_DS_MAX_CLASSES);
        else
            nd_reply_problem(req, 503, "out of memory");
        return false;
    }
    d->Y[i] = (float)k;
    return true;
}

/* Label i, an integer, into d->Y[i]. */
static bool read_label_number(nd_request *req, long long v, size_t i,
                              json_rows *d)
{
    char p[ND_PTR_MAX];
    nd_ptr_index(p, "/labels", i);
    if (v > (1ll << 53) || v < -(1ll << 53)) {
        nd_reply_invalid(req, 422, p, "must be within ±2^53");
        return false;
    }
    return keep_class(req, nd_class_table_index_number(d->classes, (double)v),
                      p, i, d);
}

/* Label i, a class name, into d->Y[i]. */
static bool read_label_text(nd_request *req, const char *name, size_t i,
                            json_rows *d)
{
    char p[ND_PTR_MAX];
    nd_ds_error e;
    nd_ptr_index(p, "/labels", i);
    if (!nd_ds_name_check(name, p, &e)) {
        nd_ds_reply_error(req, &e);
        return false;
    }
    return keep_class(req, nd_class_table_index(d->classes, name, NULL), p, i,
                      d);
}

/* "labels": one integer or string per row, all of one kind (packed as the
 * body arrived: json_body.h). */
static bool read_labels(nd_request *req, json_rows *d)
{
    nd_jarray *a = nd_json_body_array(req->jbody, "labels");
    if (!a) {
        nd_reply_invalid(req, 400, "/labels", "must be an array of integers "
                                              "or of strings");
        return false;
    }
    if (a->n != d->rows || a->dropped) { /* dropped: past the row limit */
        nd_reply_invalid(req, 422, "/labels", "has %zu labels; inputs has %zu "
                         "rows", a->n, d->rows);
        return false;
    }
    bool numeric = a->kind0 == ND_JKIND_INTEGER;
    d->target_dim = 1;
    d->Y = malloc(d->rows * sizeof *d->Y);
    d->classes = nd_class_table_new(ND_DS_MAX_CLASSES);
    d->target_names = json_pack("[s]", "label");
    if (!d->Y || !d->classes) {
        nd_reply_problem(req, 503, "out of memory");
        return false;
    }
    const char *name = a->strings;
    for (size_t i = 0; i < d->rows; i++) {
        if (a->bad.at.n && i == a->bad.at.at[0]) {
            char p[ND_PTR_MAX];
            nd_ptr_index(p, "/labels", i);
            nd_reply_invalid(req, 400, p, "must be %s, like the first label",
                             numeric ? "an integer" : "a string");
            return false;
        }
        if (numeric ? !read_label_number(req, a->ints[i], i, d)
                    : !read_label_text(req, name, i, d))
            return false;
        if (!numeric)
            name += strlen(name) + 1;
    }
    return true;
}

/* Exactly one of "targets" and "labels". */
static bool read_outputs(nd_request *req, json_t *body, json_rows *d)
{
    json_t *targets = json_object_get(body, "targets");
    json_t *labels = json_object_get(body, "labels");
    if (targets && labels) {
        nd_reply_invalid(req, 422, "/labels", "give targets or labels, not "
                                              "both");
        return false;
    }
    if (!targets && !labels) {
        nd_reply_invalid(req, 422, "/targets", "is required (or labels, for "
                                               "classification)");
        return false;
    }
    return targets ? read_targets(req, d) : read_labels(req, d);
}

/* "feature_names": one name per input column; "x1", "x2", … if absent. */
static bool read_feature_names(nd_request *req, json_t *body, json_rows *d)
{
    json_t *names = json_object_get(body, "feature_names");
    if (!names) {
        d->feature_names = numbered_names("x", d->input_dim, false);
        return true;
    }
    if (!json_is_array(names)) {
        nd_reply_invalid(req, 400, "/feature_names", "must be an array of "
                                                     "strings");
        return false;
    }
    if (json_array_size(names) != d->input_dim) {
        nd_reply_invalid(req, 422, "/feature_names", "has %zu names; inputs "
                         "has %zu columns", json_array_size(names),
                         d->input_dim);
        return false;
    }
    for (size_t j = 0; j < d->input_dim; j++) {
        char p[ND_PTR_MAX];
        nd_ds_error e;
        nd_ptr_index(p, "/feature_names", j);
        json_t *name = json_array_get(names, j);
        if (!json_is_string(name)) {
            nd_reply_invalid(req, 400, p, "must be a string");
            return false;
        }
        if (!nd_ds_name_check(json_string_value(name), p, &e)) {
            nd_ds_reply_error(req, &e);
            return false;
        }
    }
    d->feature_names = json_incref(names);
    return true;
}

/* "input_shape": [C, H, W] whose product is the row length, if given. */
static bool read_input_shape(nd_request *req, json_t *body, json_rows *d)
{
    json_t *given = json_object_get(body, "input_shape");
    nd_shape shape;
    nd_ds_error e;
    if (!given)
        return true;
    if (!nd_shape_from_json(given, "/input_shape", &shape, &e) ||
        !nd_shape_matches(&shape, d->input_dim, "/input_shape", &e)) {
        nd_ds_reply_error(req, &e);
        return false;
    }
    d->input_shape = nd_shape_json(&shape);
    if (!d->input_shape)
        nd_reply_problem(req, 503, "out of memory");
    return d->input_shape != NULL;
}

/* Writes the rows through a writer and replies. */
static void store_rows(nd_request *req, const char *name, json_rows *d)
{
    nd_ds_error e;
    uint64_t left;
    if (!d->feature_names || !d->target_names) {
        nd_reply_problem(req, 503, "out of memory");
        return;
    }
    if (!nd_quota_bytes_left(req, &left))
        return;
    nd_ds_spec spec = {name,          "json",           d->input_dim,
                       d->target_dim, d->feature_names, d->target_names,
                       d->input_shape, left};
    nd_ds_writer *w = nd_ds_writer_begin(&spec, &e);
    for (size_t r = 0; w && r < d->rows; r++)
        if (nd_ds_writer_add(w, d->X + r * d->input_dim,
                             d->Y + r * d->target_dim, &e)) {
            nd_ds_writer_abort(w);
            w = NULL;
        }
    char id[ND_ID_MAX];
    if (!w || nd_ds_writer_finish(w, d->classes, id, &e))
        nd_ds_reply_error(req, &e);
    else
        nd_ds_reply_created(req, id);
}

/* The "name" field, checked; NULL once it has replied. */
static const char *read_name(nd_request *req, json_t *body)
{
    const char *name = NULL;
    nd_ds_error e;
    if (!nd_field_string(req, body, "", "name", true, &name))
        return NULL;
    if (!nd_ds_name_check(name, "/name", &e)) {
        nd_ds_reply_error(req, &e);
        return NULL;
    }
    return name;
}

void nd_ds_create_from_json(nd_request *req)
{
    static const char *const fields[] = {"name", "inputs", "targets",
                                         "labels", "feature_names",
                                         "input_shape", NULL};
    json_rows d = {0};
    const char *name;
    if (nd_json_allow(req, req->json, "", fields) &&
        (name = read_name(req, req->json)) && read_inputs(req, &d) &&
        read_outputs(req, req->json, &d) &&
        read_feature_names(req, req->json, &d) &&
        read_input_shape(req, req->json, &d))
        store_rows(req, name, &d);
    json_rows_free(&d);
}

/* The input columns a shape's rows get ("features"); n 0: its own. */
typedef struct {
    int kinds[ND_FEATURES];
    size_t n;
} feature_set;

/* The generator's column names: its inputs (or the chosen features), and
 * its one target. */
static bool generator_names(const nd_generator *g, const feature_set *fs,
                            json_t **features, json_t **targets)
{
    size_t n = fs->n ? fs->n : nd_generator_inputs(g);
    *features = json_array();
    for (size_t j = 0; *features && j < n; j++)
        if (json_array_append_new(
                *features, json_string(fs->n ? nd_feature_name(fs->kinds[j])
                                             : nd_generator_feature(g, j)))) {
            json_decref(*features);
            *features = NULL;
        }
    *targets = json_pack("[s]", nd_generator_target(g));
    return *features && *targets;
}

/* Makes the rows of g into a new dataset and replies. */
static void generate(nd_request *req, const char *name, const nd_generator *g,
                     const feature_set *fs, size_t n, double noise,
                     uint64_t seed)
{
    nd_ds_error e;
    json_t *features, *targets;
    nd_class_table *classes = NULL;
    uint64_t left;
    if (!nd_quota_bytes_left(req, &left))
        return;
    bool ok = generator_names(g, fs, &features, &targets);
    if (ok && !nd_generator_is_gate(g)) /* both classes, even if n is 1 */
        ok = (classes = nd_class_table_new(2)) &&
             nd_class_table_index_number(classes, 0) == 0 &&
             nd_class_table_index_number(classes, 1) == 1;
    nd_ds_spec spec = {name, "generator",
                       fs->n ? fs->n : nd_generator_inputs(g), 1, features,
                       targets, NULL, left};
    nd_ds_writer *w = ok ? nd_ds_writer_begin(&spec, &e) : NULL;
    if (!ok)
        nd_ds_fail(&e, 503, NULL, "out of memory");
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    for (size_t i = 0; w && i < nd_generator_rows(g, n); i++) {
        float x[ND_FEATURES], y;
        nd_generator_row(g, i, noise, &rng, x, &y);
        float px = x[0], py = x[1];
        for (size_t j = 0; j < fs->n; j++)
            x[j] = nd_feature_value(fs->kinds[j], px, py);
        if (nd_ds_writer_add(w, x, &y, &e)) {
            nd_ds_writer_abort(w);
            w = NULL;
        }
    }
    char id[ND_ID_MAX];
    if (!w || nd_ds_writer_finish(w, classes, id, &e))
        nd_ds_reply_error(req, &e);
    else
        nd_ds_reply_created(req, id);
    nd_class_table_free(classes);
    json_decref(features);
    json_decref(targets);
}

/* "features": distinct names of nd_feature_find, shapes only; false
 * after replying. */
static bool read_features(nd_request *req, const nd_generator *g,
                          feature_set *fs)
{
    json_t *a = json_object_get(req->json, "features"), *v;
    size_t i;
    fs->n = 0;
    if (!a)
        return true;
    if (!json_is_array(a)) {
        nd_reply_invalid(req, 400, "/features", "must be an array of names");
        return false;
    }
    if (nd_generator_is_gate(g) || json_array_size(a) == 0 ||
        json_array_size(a) > ND_FEATURES) {
        nd_reply_invalid(req, 422, "/features",
                         nd_generator_is_gate(g)
                             ? "a logic gate's truth table takes no features; "
                               "the 2-D shapes do"
                             : "must name 1 to %d features",
                         ND_FEATURES);
        return false;
    }
    json_array_foreach(a, i, v) {
        char ptr[32];
        snprintf(ptr, sizeof ptr, "/features/%zu", i);
        int k = nd_feature_find(json_string_value(v));
        if (!json_is_string(v)) {
            nd_reply_invalid(req, 400, ptr, "must be a string");
            return false;
        }
        for (size_t j = 0; k >= 0 && j < fs->n; j++)
            if (fs->kinds[j] == k) {
                nd_reply_invalid(req, 422, ptr, "is named twice");
                return false;
            }
        if (k < 0) {
            nd_reply_invalid(req, 422, ptr, "must be one of x, y, x^2, y^2, "
                                            "x*y, sin(x), sin(y)");
            return false;
        }
        fs->kinds[fs->n++] = k;
    }
    return true;
}

/* A truth table has its rows and no noise: an `n` other than its row
 * count, or noise, would be silently ignored, so they are refused. */
static bool gate_fits(nd_request *req, const nd_generator *g, uint64_t n,
                      double noise)
{
    size_t rows = nd_generator_rows(g, 0);
    if (json_object_get(req->json, "n") && n != rows) {
        nd_reply_invalid(req, 422, "/n", "the truth table of %s has %zu "
                                         "rows; leave n out",
                         json_string_value(json_object_get(req->json,
                                                           "generator")),
                         rows);
        return false;
    }
    if (noise > 0) {
        nd_reply_invalid(req, 422, "/noise", "a truth table takes no noise");
        return false;
    }
    return true;
}

void nd_ds_create_generated(nd_request *req)
{
    static const char *const fields[] = {"name", "generator", "n", "noise",
                                         "seed", "features", NULL};
    const char *name, *kind = NULL;
    uint64_t n = 200, seed = 1;
    double noise = 0;
    if (!nd_json_allow(req, req->json, "", fields) ||
        !(name = read_name(req, req->json)) ||
        !nd_field_string(req, req->json, "", "generator", true, &kind) ||
        !nd_field_uint(req, req->json, "", "n", false, 1,
                       req->srv->cfg.max_rows, &n) ||
        !nd_field_number(req, req->json, "", "noise", false, 0, 10, &noise) ||
        !nd_field_uint(req, req->json, "", "seed", false, 0, INT64_MAX, &seed))
        return;
    const nd_generator *g = nd_generator_find(kind);
    if (!g) {
        nd_reply_invalid(req, 422, "/generator", "must be one of %s",
                         nd_generator_names());
        return;
    }
    feature_set fs;
    if ((nd_generator_is_gate(g) && !gate_fits(req, g, n, noise)) ||
        !read_features(req, g, &fs))
        return;
    generate(req, name, g, &fs, (size_t)n, noise, seed);
}
