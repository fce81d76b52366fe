/* dataset_checks.c — helpers of the dataset API tests (see
 * dataset_checks.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_checks.h"

api_response ds_post_csv(api_server *s, const char *query, const char *csv)
{
    char path[512];
    snprintf(path, sizeof path, "/v1/datasets%s%s", *query ? "?" : "", query);
    return api_call(s, "POST", path, "text/csv", csv, strlen(csv));
}

/* Asserts r is a 201 with the dataset and its Location; returns it. */
static json_t *created(api_response *r)
{
    cr_assert_eq(r->status, 201, "expected 201, got %ld: %s", r->status,
                 r->body);
    const char *id = api_str(r, "id");
    cr_assert(strncmp(id, "ds_", 3) == 0, "id %s", id);
    char want[128];
    snprintf(want, sizeof want, "/v1/datasets/%s", id);
    cr_assert_str_eq(r->location, want);
    json_t *ds = json_incref(r->json);
    api_free(r);
    return ds;
}

json_t *ds_create(api_server *s, const char *json_text)
{
    api_response r = api_json(s, "POST", "/v1/datasets", json_text);
    return created(&r);
}

json_t *ds_create_csv(api_server *s, const char *query, const char *csv)
{
    api_response r = ds_post_csv(s, query, csv);
    return created(&r);
}

json_t *ds_rows(api_server *s, const char *id, size_t offset, size_t limit)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/datasets/%s/rows?offset=%zu&limit=%zu",
             id, offset, limit);
    api_response r = api_call(s, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
    json_t *page = json_incref(r.json);
    api_free(&r);
    return page;
}

void ds_assert_strings(json_t *arr, const char *const *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    cr_assert(json_is_array(arr), "not an array");
    cr_assert_eq(json_array_size(arr), n, "%zu strings, expected %zu",
                 json_array_size(arr), n);
    for (size_t i = 0; i < n; i++) {
        const char *got = json_string_value(json_array_get(arr, i));
        cr_assert_not_null(got, "item %zu is not a string", i);
        cr_assert_str_eq(got, want[i], "item %zu", i);
    }
}

/* Whether a and b agree within rel relative (absolute near 0). */
static bool near(double a, double b, double rel)
{
    double d = a > b ? a - b : b - a, m = 1;
    if (a > m || -a > m)
        m = a > 0 ? a : -a;
    if (b > m || -b > m)
        m = b > 0 ? b : -b;
    return d <= rel * m;
}

void ds_assert_numbers(json_t *arr, const double *want, size_t n)
{
    cr_assert(json_is_array(arr), "not an array");
    cr_assert_eq(json_array_size(arr), n, "%zu numbers, expected %zu",
                 json_array_size(arr), n);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        cr_assert(json_is_number(v), "item %zu is not a number", i);
        cr_assert(near(json_number_value(v), want[i], 1e-6),
                  "item %zu: %.9g, expected %.9g", i, json_number_value(v),
                  want[i]);
    }
}

void ds_assert_stats(json_t *ds, size_t j, const char *name, double min,
                     double max, double mean, double std)
{
    json_t *st = json_array_get(json_object_get(ds, "stats"), j);
    cr_assert_not_null(st, "no stats for column %zu", j);
    cr_assert_str_eq(json_string_value(json_object_get(st, "name")), name);
    const char *keys[] = {"min", "max", "mean", "std"};
    double want[] = {min, max, mean, std};
    for (size_t k = 0; k < 4; k++)
        cr_assert(near(api_num(st, keys[k]), want[k], 1e-5),
                  "%s of %s: %.9g, expected %.9g", keys[k], name,
                  api_num(st, keys[k]), want[k]);
}

double ds_sqrt(double x)
{
    if (x <= 0)
        return 0;
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 100; i++) /* Newton's method, from above */
        r = 0.5 * (r + x / r);
    return r;
}

char *ds_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    cr_assert_not_null(text);
    cr_assert_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    text[size] = '\0';
    *len = (size_t)size;
    return text;
}
