/* dataset_checks.h — what the dataset API tests share: uploading,
 * fetching rows, and asserting on dataset objects. */
#ifndef API_DATASET_CHECKS_H
#define API_DATASET_CHECKS_H

#include <jansson.h>
#include <stddef.h>

#include "harness.h"

/* POST /v1/datasets?query with a text/csv body (query may be ""). */
api_response ds_post_csv(api_server *s, const char *query, const char *csv);

/* POST /v1/datasets with a JSON body; asserts 201 with a Location that
 * names the dataset, and returns the dataset (the caller decrefs). */
json_t *ds_create(api_server *s, const char *json_text);

/* As ds_create for a CSV upload. */
json_t *ds_create_csv(api_server *s, const char *query, const char *csv);

/* GET /v1/datasets/{id}/rows?offset&limit; asserts 200 and returns the
 * page (the caller decrefs). */
json_t *ds_rows(api_server *s, const char *id, size_t offset, size_t limit);

/* Asserts that arr is a JSON array of exactly the strings of want (a
 * NULL-terminated list). */
void ds_assert_strings(json_t *arr, const char *const *want);

/* Asserts that arr is a JSON array of numbers equal to want[0..n), each
 * within 1e-6 relative. */
void ds_assert_numbers(json_t *arr, const double *want, size_t n);

/* Asserts the stats of input column j of dataset ds: its name, min, max,
 * mean and population std, within 1e-5 relative. */
void ds_assert_stats(json_t *ds, size_t j, const char *name, double min,
                     double max, double mean, double std);

/* The square root of x ≥ 0 (test-api is not linked with libm). */
double ds_sqrt(double x);

/* A whole file, NUL-terminated (asserted readable); *len its size. */
char *ds_read_file(const char *path, size_t *len);

#endif
