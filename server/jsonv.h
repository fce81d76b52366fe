/* jsonv.h — reading request JSON strictly: unknown fields refused, every
 * field type-checked and range-checked, each failure answered with a
 * problem naming the field's JSON pointer. 400 is for a wrong JSON type or
 * an unknown field; 422 for a missing field or a value out of range. Each
 * nd_field_* returns true when the field is valid (or absent and not
 * required, leaving *out as it was) and false once it has replied. */
#ifndef ND_JSONV_H
#define ND_JSONV_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "json_body.h"
#include "nn_error.h"

#define ND_PTR_MAX 128

/* out = base + "/" + key, with "~" and "/" in key escaped per RFC 6901. */
void nd_ptr(char out[ND_PTR_MAX], const char *base, const char *key);
/* out = base + "/" + i. */
void nd_ptr_index(char out[ND_PTR_MAX], const char *base, size_t i);

/* Refuses (400) the first member of obj whose name is not in allowed
 * (a NULL-terminated list). */
bool nd_json_allow(nd_request *req, json_t *obj, const char *base,
                   const char *const *allowed);

bool nd_field_string(nd_request *req, json_t *obj, const char *base,
                     const char *key, bool required, const char **out);
bool nd_field_uint(nd_request *req, json_t *obj, const char *base,
                   const char *key, bool required, uint64_t min, uint64_t max,
                   uint64_t *out);
bool nd_field_number(nd_request *req, json_t *obj, const char *base,
                     const char *key, bool required, double min, double max,
                     double *out);
bool nd_field_bool(nd_request *req, json_t *obj, const char *base,
                   const char *key, bool required, bool *out);

/* A 2-D array of numbers (rows of equal length ≥ 1) into a malloc'd
 * row-major float matrix. With cols_expected ≠ 0 every row must have that
 * many values. max_elements bounds rows × cols (422 past it). */
bool nd_json_matrix(nd_request *req, json_t *arr, const char *ptr,
                    size_t cols_expected, size_t max_elements, float **out,
                    size_t *rows, size_t *cols);

/* A 1-D array of n numbers (n_expected ≠ 0 fixes the length). */
bool nd_json_vector(nd_request *req, json_t *arr, const char *ptr,
                    size_t n_expected, size_t max_elements, float **out,
                    size_t *n);

/* nd_json_matrix and nd_json_vector for an array packed as the body
 * arrived (json_body.h), with the same checks, replies and pointers; the
 * floats are taken from a (which keeps the facts only). */
bool nd_jarray_matrix(nd_request *req, nd_jarray *a, const char *ptr,
                      size_t cols_expected, size_t max_elements, float **out,
                      size_t *rows, size_t *cols);
bool nd_jarray_vector(nd_request *req, nd_jarray *a, const char *ptr,
                      size_t n_expected, size_t max_elements, float **out,
                      size_t *n);

/* The body's top-level member name as a matrix or a vector (pointer
 * "/name"): packed as the body arrived when it was an array, else read
 * from req->json (which then refuses its type). */
bool nd_body_matrix(nd_request *req, const char *name, size_t cols_expected,
                    size_t max_elements, float **out, size_t *rows,
                    size_t *cols);
bool nd_body_vector(nd_request *req, const char *name, size_t n_expected,
                    size_t max_elements, float **out, size_t *n);

/* nd_body_matrix for rows of an input of shape dims[0…rank): flat rows
 * of Π dims values, or, for rank 2 or 3, rows nested as the shape says
 * ([C][H][W] arrays for an image), packed flat in that order. Every
 * level's length is checked: the first array of another length is a 422
 * naming it ("/inputs/0/2/5") and the length expected. */
bool nd_body_shaped_rows(nd_request *req, const char *name,
                         const size_t *dims, size_t rank, size_t max_elements,
                         float **out, size_t *rows);

/* The elements of the body's top-level array member name (0 when it is
 * absent or not an array). */
size_t nd_body_array_size(const nd_request *req, const char *name);

/* Whether the body's member name is an array whose first element is an
 * array (rows), as opposed to one of values. */
bool nd_body_rows_of_arrays(const nd_request *req, const char *name);

/* The double nearest the shortest decimal that reads back as f, so that a
 * float given as 0.1 shows as 0.1, not 0.100000001. */
double nd_float_shortest(float f);

/* A number for a JSON reply, or null when v is NaN or infinite. */
json_t *nd_json_real(double v);

/* Replies with the status an nn_error deserves (422 for invalid or too
 * large values, 503 for out of memory, 500 otherwise), naming its field
 * under base (the field is appended to base). */
void nd_reply_nn_error(nd_request *req, const char *base, const nn_error *e);

#endif
