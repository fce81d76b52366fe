/* test_datasets_shape.c — image datasets given as rows with a shape:
 * "input_shape" on a JSON upload and ?shape=C,H,W on a CSV one, kept with
 * the dataset and shown in its reply ([input_dim] for plain vectors); a
 * shape whose product is not the row length, or that is not three sizes,
 * is refused naming the field and leaves nothing stored. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dataset_checks.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(datasets_shape, .init = setup, .fini = teardown, .timeout = 60);

/* Asserts that arr is the JSON array of the n integers want. */
static void assert_shape(json_t *arr, const json_int_t *want, size_t n)
{
    cr_assert(json_is_array(arr));
    cr_assert_eq(json_array_size(arr), n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(json_integer_value(json_array_get(arr, i)), want[i],
                     "size %zu", i);
}

/* Two 2×2 "images" of two channels each: 8 values a row. */
#define TWO_IMAGES                                                          \
    "\"inputs\": [[0, 1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1, 0]], "     \
    "\"labels\": [\"up\", \"down\"]"

Test(datasets_shape, json_input_shape_is_kept)
{
    json_t *ds = ds_create(&srv, "{\"name\": \"tiny images\", " TWO_IMAGES
                                 ", \"input_shape\": [2, 2, 2]}");
    assert_shape(json_object_get(ds, "input_shape"),
                 (json_int_t[]){2, 2, 2}, 3);
    char path[128];
    snprintf(path, sizeof path, "/v1/datasets/%s", api_jstr(ds, "id"));
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    assert_shape(json_object_get(r.json, "input_shape"),
                 (json_int_t[]){2, 2, 2}, 3);
    api_free(&r);
    json_decref(ds);
}

Test(datasets_shape, plain_vectors_show_their_length)
{
    json_t *ds = ds_create(&srv, "{\"name\": \"flat\", " TWO_IMAGES "}");
    assert_shape(json_object_get(ds, "input_shape"), (json_int_t[]){8}, 1);
    json_decref(ds);
    api_response r = api_pack(&srv, "POST", "/v1/datasets",
                              "{s:s, s:s}", "name", "x", "generator", "xor");
    cr_assert_eq(r.status, 201, "%s", r.body);
    assert_shape(json_object_get(r.json, "input_shape"), (json_int_t[]){2},
                 1);
    api_free(&r);
}

static void assert_json_refused(const char *shape, long status)
{
    char body[512];
    snprintf(body, sizeof body, "{\"name\": \"bad\", " TWO_IMAGES
                                ", \"input_shape\": %s}", shape);
    api_response r = api_json(&srv, "POST", "/v1/datasets", body);
    api_assert_problem(&r, status, "/input_shape");
    api_free(&r);
}

Test(datasets_shape, json_bad_shapes_name_the_field)
{
    assert_json_refused("[1, 2, 2]", 422);     /* 4 values, rows have 8 */
    assert_json_refused("[2, 2, 2, 1]", 400);  /* four sizes */
    assert_json_refused("[8]", 400);           /* one */
    assert_json_refused("[2, 0, 4]", 422);     /* an empty side */
    assert_json_refused("[2, -2, -2]", 422);
    assert_json_refused("[2, 2, 2.0]", 400);
    assert_json_refused("\"2,2,2\"", 400);
    assert_json_refused("[4294967296, 1, 1]", 422);
    api_response r = api_call(&srv, "GET", "/v1/datasets", NULL, NULL, 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0);
    api_free(&r);
}

/* Three rows of 2×3 one-channel images, then a label. */
static const char csv_images[] = "p1,p2,p3,p4,p5,p6,label\n"
                                 "0,0,0,1,1,1,bottom\n"
                                 "1,1,1,0,0,0,top\n"
                                 "0,1,0,1,0,1,stripes\n";

Test(datasets_shape, csv_shape_is_kept)
{
    json_t *ds = ds_create_csv(&srv, "name=bars&shape=1,2,3", csv_images);
    assert_shape(json_object_get(ds, "input_shape"),
                 (json_int_t[]){1, 2, 3}, 3);
    cr_assert_eq(api_int(ds, "input_dim"), 6);
    cr_assert_eq(api_int(ds, "output_dim"), 3);
    json_decref(ds);
}

static void assert_csv_refused(const char *query, long status)
{
    api_response r = ds_post_csv(&srv, query, csv_images);
    api_assert_problem(&r, status, "?shape");
    cr_assert(strstr(r.body, "inputs") || strstr(r.body, "C,H,W") ||
                  strstr(r.body, "size"),
              "%s", r.body);
    api_free(&r);
}

Test(datasets_shape, csv_bad_shapes_name_the_field)
{
    assert_csv_refused("name=a&shape=1,3,3", 422); /* 9 ≠ 6 columns */
    assert_csv_refused("name=a&shape=6", 422);
    assert_csv_refused("name=a&shape=1,2,3,1", 422);
    assert_csv_refused("name=a&shape=1,2,", 422);
    assert_csv_refused("name=a&shape=1,x,3", 422);
    assert_csv_refused("name=a&shape=0,2,3", 422);
    assert_csv_refused("name=a&shape=", 422);
    assert_csv_refused("name=a&shape=1,2,99999999999999999999", 422);
    long n = -1;
    if (api_sql(&srv, "SELECT count(*) FROM datasets;", &n))
        cr_assert_eq(n, 0, "a refused upload was left behind");
}
