/* test_datasets.c — datasets from JSON rows and from the generators, the
 * dataset object (shape, classes, names, stats, sha256), paging rows,
 * listing with a cursor, get and delete, and every JSON error. CSV
 * uploads are in test_datasets_csv.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dataset_checks.h"

static double sq(double x)
{
    return x * x;
}

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(datasets, .init = setup, .fini = teardown, .timeout = 60);

Test(datasets, json_targets_2d)
{
    json_t *ds = ds_create(&srv, "{\"name\": \"pairs\", \"inputs\": [[1, 2], "
                                 "[3, 4], [5, 6]], \"targets\": [[1, 0], "
                                 "[0, 1], [1, 1]]}");
    cr_assert_str_eq(json_string_value(json_object_get(ds, "name")), "pairs");
    cr_assert_eq(api_int(ds, "rows"), 3);
    cr_assert_eq(api_int(ds, "input_dim"), 2);
    cr_assert_eq(api_int(ds, "output_dim"), 2);
    cr_assert_str_eq(json_string_value(json_object_get(ds, "task")),
                     "regression");
    ds_assert_strings(json_object_get(ds, "classes"), (const char *[]){NULL});
    ds_assert_strings(json_object_get(ds, "feature_names"),
                      (const char *[]){"x1", "x2", NULL});
    ds_assert_strings(json_object_get(ds, "target_names"),
                      (const char *[]){"y1", "y2", NULL});
    /* sha256 of float32 LE 1..6 then 1,0,0,1,1,1 (Python: hashlib.sha256(
     * struct.pack('<6f', *X) + struct.pack('<6f', *Y))) */
    cr_assert_str_eq(json_string_value(json_object_get(ds, "sha256")),
                     "b0b51085642e29bb63820cac4671c45f779611648027cd2da976087e"
                     "d1278229");
    const char *created = json_string_value(json_object_get(ds, "created_at"));
    /* RFC 3339 UTC with microseconds: 2026-01-31T12:00:00.000000Z */
    cr_assert(created && strlen(created) == 27 && created[26] == 'Z',
              "created_at %s", created ? created : "(none)");
    /* population std of {1, 3, 5} and of {2, 4, 6}: sqrt(8/3) */
    ds_assert_stats(ds, 0, "x1", 1, 5, 3, ds_sqrt(8.0 / 3));
    ds_assert_stats(ds, 1, "x2", 2, 6, 4, ds_sqrt(8.0 / 3));
    json_t *page = ds_rows(&srv, json_string_value(json_object_get(ds, "id")),
                           1, 10);
    json_t *row = json_array_get(json_object_get(page, "items"), 0);
    ds_assert_numbers(json_object_get(row, "inputs"), (double[]){3, 4}, 2);
    ds_assert_numbers(json_object_get(row, "targets"), (double[]){0, 1}, 2);
    cr_assert_null(json_object_get(row, "label"));
    json_decref(page);
    json_decref(ds);
}

Test(datasets, json_targets_1d_and_feature_names)
{
    json_t *ds = ds_create(&srv, "{\"name\": \"line\", \"inputs\": [[0.1], "
                                 "[0.2], [0.7]], \"targets\": [0.5, 1.5, "
                                 "-2.5], \"feature_names\": [\"dose/kg\"]}");
    cr_assert_eq(api_int(ds, "output_dim"), 1);
    ds_assert_strings(json_object_get(ds, "feature_names"),
                      (const char *[]){"dose/kg", NULL});
    ds_assert_strings(json_object_get(ds, "target_names"),
                      (const char *[]){"y", NULL});
    /* float32 values come back as their short decimals */
    double mean = (0.1 + 0.2 + 0.7) / 3;
    double var = (sq(0.1 - mean) + sq(0.2 - mean) +
                  sq(0.7 - mean)) / 3;
    ds_assert_stats(ds, 0, "dose/kg", 0.1, 0.7, mean, ds_sqrt(var));
    json_t *page = ds_rows(&srv, json_string_value(json_object_get(ds, "id")),
                           0, 100);
    json_t *items = json_object_get(page, "items");
    cr_assert_eq(json_array_size(items), 3);
    json_t *last = json_array_get(items, 2);
    ds_assert_numbers(json_object_get(last, "inputs"), (double[]){0.7}, 1);
    ds_assert_numbers(json_object_get(last, "targets"), (double[]){-2.5}, 1);
    cr_assert_eq(json_real_value(json_array_get(
                     json_object_get(json_array_get(items, 0), "inputs"), 0)),
                 0.1, "0.1f should come back as 0.1, not 0.100000001");
    json_decref(page);
    json_decref(ds);
}

/* The "label" of each row of dataset ds, in order. */
static void assert_labels(json_t *ds, const char *const *want, size_t n)
{
    json_t *page = ds_rows(&srv, json_string_value(json_object_get(ds, "id")),
                           0, 100);
    json_t *items = json_object_get(page, "items");
    cr_assert_eq(json_array_size(items), n);
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(items, i);
        cr_assert_str_eq(json_string_value(json_object_get(row, "label")),
                         want[i], "row %zu", i);
        cr_assert_null(json_object_get(row, "targets"));
    }
    json_decref(page);
}

Test(datasets, json_integer_labels_sort_their_classes)
{
    json_t *ds = ds_create(&srv, "{\"name\": \"ints\", \"inputs\": [[1], [2], "
                                 "[3], [4], [5]], \"labels\": [3, 1, 3, 0, "
                                 "10]}");
    cr_assert_str_eq(json_string_value(json_object_get(ds, "task")),
                     "classification");
    ds_assert_strings(json_object_get(ds, "classes"),
                      (const char *[]){"0", "1", "3", "10", NULL});
    cr_assert_eq(api_int(ds, "output_dim"), 4);
    ds_assert_strings(json_object_get(ds, "target_names"),
                      (const char *[]){"label", NULL});
    ds_assert_stats(ds, 0, "x1", 1, 5, 3, ds_sqrt(2.0));
    /* the stored indexes were renumbered: each row keeps its label */
    assert_labels(ds, (const char *[]){"3", "1", "3", "0", "10"}, 5);
    json_decref(ds);
}

Test(datasets, json_string_labels_keep_first_appearance)
{
    json_t *ds = ds_create(&srv, "{\"name\": \"pets\", \"inputs\": [[1, 0], "
                                 "[0, 1], [1, 1], [0, 0]], \"labels\": "
                                 "[\"cat\", \"dog\", \"cat\", \"bird\"], "
                                 "\"feature_names\": [\"fur\", \"bark\"]}");
    ds_assert_strings(json_object_get(ds, "classes"),
                      (const char *[]){"cat", "dog", "bird", NULL});
    cr_assert_eq(api_int(ds, "output_dim"), 3);
    ds_assert_stats(ds, 0, "fur", 0, 1, 0.5, 0.5);
    ds_assert_stats(ds, 1, "bark", 0, 1, 0.5, 0.5);
    assert_labels(ds, (const char *[]){"cat", "dog", "cat", "bird"}, 4);
    json_decref(ds);
}

/* POSTs json_text and asserts the problem it gets. */
static void assert_refused(const char *json_text, long status,
                           const char *pointer)
{
    api_response r = api_json(&srv, "POST", "/v1/datasets", json_text);
    api_assert_problem(&r, status, pointer);
    api_free(&r);
}

Test(datasets, json_errors_name_the_field)
{
    assert_refused("{\"name\": \"a\", \"inputs\": [[1]], \"targets\": [1], "
                   "\"color\": 1}", 400, "/color");
    assert_refused("{\"inputs\": [[1]], \"targets\": [1]}", 422, "/name");
    assert_refused("{\"name\": \"\", \"inputs\": [[1]], \"targets\": [1]}",
                   422, "/name");
    assert_refused("{\"name\": 5, \"inputs\": [[1]], \"targets\": [1]}", 400,
                   "/name");
    assert_refused("{\"name\": \"a\", \"targets\": [1]}", 422, "/inputs");
    assert_refused("{\"name\": \"a\", \"inputs\": 3, \"targets\": [1]}", 400,
                   "/inputs");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1, 2], [3]], "
                   "\"targets\": [1, 2]}", 422, "/inputs/1");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1, \"x\"]], "
                   "\"targets\": [1]}", 400, "/inputs/0/1");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1]]}", 422, "/targets");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1]], \"targets\": [1], "
                   "\"labels\": [1]}", 422, "/labels");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1], [2]], "
                   "\"targets\": [1]}", 422, "/targets");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1], [2]], "
                   "\"targets\": [[1]]}", 422, "/targets");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1], [2]], "
                   "\"labels\": [1]}", 422, "/labels");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1], [2]], "
                   "\"labels\": [1, \"b\"]}", 400, "/labels/1");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1], [2]], "
                   "\"labels\": [1.5, 2]}", 400, "/labels/0");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1], [2]], "
                   "\"labels\": [\"x\", \"\"]}", 422, "/labels/1");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1, 2]], \"targets\": [1], "
                   "\"feature_names\": [\"only one\"]}", 422, "/feature_names");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1]], \"targets\": [1], "
                   "\"feature_names\": [7]}", 400, "/feature_names/0");
    assert_refused("{\"name\": \"a\", \"inputs\": [[1]], \"targets\": [1e39]}",
                   422, "/targets/0");
}

Test(datasets, name_length_limit)
{
    char name[202], body[400];
    memset(name, 'n', 201);
    name[201] = '\0';
    snprintf(body, sizeof body, "{\"name\": \"%s\", \"inputs\": [[1]], "
             "\"targets\": [1]}", name);
    assert_refused(body, 422, "/name");
    name[200] = '\0'; /* 200 characters is fine */
    snprintf(body, sizeof body, "{\"name\": \"%s\", \"inputs\": [[1]], "
             "\"targets\": [1]}", name);
    json_decref(ds_create(&srv, body));
}

Test(datasets, row_limit_applies_to_json_and_generators)
{
    api_server small;
    api_start(&small, (const char *[]){"--max-rows", "3", NULL});
    api_response r = api_json(&small, "POST", "/v1/datasets",
                              "{\"name\": \"a\", \"inputs\": [[1], [2], [3], "
                              "[4]], \"targets\": [1, 2, 3, 4]}");
    api_assert_problem(&r, 422, "/inputs");
    api_free(&r);
    r = api_json(&small, "POST", "/v1/datasets",
                 "{\"name\": \"g\", \"generator\": \"moons\", \"n\": 4}");
    api_assert_problem(&r, 422, "/n");
    api_free(&r);
    json_decref(ds_create(&small, "{\"name\": \"g\", \"generator\": "
                                  "\"moons\", \"n\": 3}"));
    api_cleanup(&small);
}

/* A generated dataset; the caller decrefs. */
static json_t *generate(const char *kind, long n, double noise, long seed)
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\": \"%s\", \"generator\": \"%s\", "
             "\"n\": %ld, \"noise\": %g, \"seed\": %ld}", kind, kind, n,
             noise, seed);
    return ds_create(&srv, body);
}

static const char *sha(json_t *ds)
{
    return json_string_value(json_object_get(ds, "sha256"));
}

/* Asserts gate's truth table: rows of inputs and the one target. */
static void assert_gate(const char *gate, const double *table, size_t rows,
                        size_t inputs)
{
    json_t *ds = generate(gate, (long)rows, 0, 1); /* its own row count */
    cr_assert_eq(api_int(ds, "rows"), (long long)rows, "%s", gate);
    cr_assert_eq(api_int(ds, "input_dim"), (long long)inputs, "%s", gate);
    cr_assert_eq(api_int(ds, "output_dim"), 1, "%s", gate);
    cr_assert_str_eq(json_string_value(json_object_get(ds, "task")),
                     "regression");
    ds_assert_strings(json_object_get(ds, "target_names"),
                      (const char *[]){"y", NULL});
    json_t *page = ds_rows(&srv, json_string_value(json_object_get(ds, "id")),
                           0, 10);
    for (size_t i = 0; i < rows; i++) {
        json_t *row = json_array_get(json_object_get(page, "items"), i);
        const double *want = table + i * (inputs + 1);
        ds_assert_numbers(json_object_get(row, "inputs"), want, inputs);
        ds_assert_numbers(json_object_get(row, "targets"), want + inputs, 1);
    }
    json_decref(page);
    json_decref(ds);
}

Test(datasets, logic_gates_are_truth_tables)
{
    assert_gate("and", (double[]){0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1}, 4, 2);
    assert_gate("or", (double[]){0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1}, 4, 2);
    assert_gate("nand", (double[]){0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0}, 4, 2);
    assert_gate("nor", (double[]){0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0}, 4, 2);
    assert_gate("xor", (double[]){0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0}, 4, 2);
    assert_gate("not", (double[]){0, 1, 1, 0}, 2, 1);
}

/* Checks every row of a shape with check(x, y, class) and returns the
 * mean of x and y per class. */
typedef bool (*point_check)(double x, double y, int cls);

static void assert_shape(const char *kind, point_check check)
{
    json_t *ds = generate(kind, 60, 0, 7);
    cr_assert_eq(api_int(ds, "rows"), 60);
    cr_assert_eq(api_int(ds, "input_dim"), 2);
    cr_assert_eq(api_int(ds, "output_dim"), 2);
    cr_assert_str_eq(json_string_value(json_object_get(ds, "task")),
                     "classification");
    ds_assert_strings(json_object_get(ds, "classes"),
                      (const char *[]){"0", "1", NULL});
    ds_assert_strings(json_object_get(ds, "feature_names"),
                      (const char *[]){"x", "y", NULL});
    json_t *page = ds_rows(&srv, json_string_value(json_object_get(ds, "id")),
                           0, 100);
    json_t *items = json_object_get(page, "items");
    cr_assert_eq(json_array_size(items), 60);
    for (size_t i = 0; i < 60; i++) {
        json_t *row = json_array_get(items, i);
        json_t *in = json_object_get(row, "inputs");
        double x = json_number_value(json_array_get(in, 0));
        double y = json_number_value(json_array_get(in, 1));
        int cls = atoi(json_string_value(json_object_get(row, "label")));
        cr_assert_eq(cls, (int)(i % 2), "%s: the classes alternate", kind);
        cr_assert(check(x, y, cls), "%s row %zu: (%g, %g) class %d", kind, i,
                  x, y, cls);
    }
    json_decref(page);
    json_decref(ds);
}

/* Checks compare squared radii: test-api is not linked with libm. */
static bool circle_point(double x, double y, int cls)
{
    double r2 = sq(x) + sq(y);
    return cls ? r2 <= 0.25 + 1e-6 : r2 >= 0.49 - 1e-6 && r2 <= 1 + 1e-6;
}

static bool moons_point(double x, double y, int cls)
{
    double r2 = cls ? sq(x - 1) + sq(y - 0.5) : sq(x) + sq(y);
    return r2 > 1 - 1e-5 && r2 < 1 + 1e-5 &&
           (cls ? y <= 0.5 + 1e-6 : y >= -1e-6);
}

static bool spiral_point(double x, double y, int cls)
{
    (void)cls;
    return sq(x) + sq(y) <= 1 + 1e-6;
}

static bool gauss_point(double x, double y, int cls)
{
    /* 0.4 std around (±1, ±1): 2.5 std out is rare for 60 points but
     * possible, so only check the side of the diagonal it is on */
    return cls ? x + y > -1.5 : x + y < 1.5;
}

Test(datasets, shapes_have_their_geometry)
{
    assert_shape("circle", circle_point);
    assert_shape("moons", moons_point);
    assert_shape("spiral", spiral_point);
    assert_shape("gauss", gauss_point);
}

Test(datasets, generators_are_deterministic_per_seed)
{
    const char *kinds[] = {"circle", "spiral", "gauss", "moons"};
    for (size_t k = 0; k < 4; k++) {
        json_t *a = generate(kinds[k], 100, 0.1, 42);
        json_t *b = generate(kinds[k], 100, 0.1, 42);
        json_t *c = generate(kinds[k], 100, 0.1, 43);
        json_t *quiet = generate(kinds[k], 100, 0, 42);
        cr_assert_str_eq(sha(a), sha(b), "%s: same seed, same data",
                         kinds[k]);
        cr_assert_str_neq(sha(a), sha(c), "%s: another seed", kinds[k]);
        cr_assert_str_neq(sha(a), sha(quiet), "%s: noise moves points",
                          kinds[k]);
        json_decref(a);
        json_decref(b);
        json_decref(c);
        json_decref(quiet);
    }
}

Test(datasets, generator_defaults)
{
    json_t *ds = ds_create(&srv, "{\"name\": \"d\", \"generator\": "
                                 "\"circle\"}");
    cr_assert_eq(api_int(ds, "rows"), 200);
    json_t *again = ds_create(&srv, "{\"name\": \"d\", \"generator\": "
                                    "\"circle\", \"seed\": 1, \"noise\": 0}");
    cr_assert_str_eq(sha(ds), sha(again), "seed 1 and noise 0 are defaults");
    json_decref(ds);
    json_decref(again);
}

Test(datasets, generator_errors_name_the_field)
{
    assert_refused("{\"name\": \"g\", \"generator\": \"square\"}", 422,
                   "/generator");
    assert_refused("{\"name\": \"g\", \"generator\": 3}", 400, "/generator");
    assert_refused("{\"generator\": \"xor\"}", 422, "/name");
    assert_refused("{\"name\": \"g\", \"generator\": \"xor\", \"n\": 0}", 422,
                   "/n");
    assert_refused("{\"name\": \"g\", \"generator\": \"xor\", \"n\": \"5\"}",
                   400, "/n");
    assert_refused("{\"name\": \"g\", \"generator\": \"moons\", \"noise\": "
                   "10.5}", 422, "/noise");
    assert_refused("{\"name\": \"g\", \"generator\": \"moons\", \"noise\": "
                   "-1}", 422, "/noise");
    assert_refused("{\"name\": \"g\", \"generator\": \"moons\", \"seed\": "
                   "-1}", 422, "/seed");
    assert_refused("{\"name\": \"g\", \"generator\": \"moons\", \"inputs\": "
                   "[[1]]}", 400, "/inputs");
}

Test(datasets, rows_are_paged)
{
    json_t *ds = generate("moons", 250, 0, 3);
    const char *id = json_string_value(json_object_get(ds, "id"));
    json_t *page = ds_rows(&srv, id, 240, 20);
    cr_assert_eq(json_array_size(json_object_get(page, "items")), 10);
    cr_assert_eq(api_int(page, "offset"), 240);
    cr_assert_eq(api_int(page, "limit"), 20);
    cr_assert_eq(api_int(page, "total"), 250);
    /* row 241 is the second of the page, a class-1 point */
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(page, "items"), 1),
                         "label")),
                     "1");
    json_decref(page);
    page = ds_rows(&srv, id, 300, 5);
    cr_assert_eq(json_array_size(json_object_get(page, "items")), 0);
    cr_assert_eq(api_int(page, "total"), 250);
    json_decref(page);

    char path[256];
    snprintf(path, sizeof path, "/v1/datasets/%s/rows", id);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(api_int(r.json, "limit"), 100, "default limit");
    cr_assert_eq(api_int(r.json, "offset"), 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 100);
    api_free(&r);
    snprintf(path, sizeof path, "/v1/datasets/%s/rows?limit=5000", id);
    r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(api_int(r.json, "limit"), 1000, "clamped");
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 250);
    api_free(&r);

    const char *bad[][3] = {{"?limit=0", "?limit", "422"},
                            {"?limit=x", "?limit", "400"},
                            {"?offset=-1", "?offset", "400"},
                            {"?offset=1e3", "?offset", "400"},
                            {"?page=2", "?page", "400"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(path, sizeof path, "/v1/datasets/%s/rows%s", id, bad[i][0]);
        r = api_call(&srv, "GET", path, NULL, NULL, 0);
        api_assert_problem(&r, atol(bad[i][2]), bad[i][1]);
        api_free(&r);
    }
    json_decref(ds);
}

/* GET path and return the page's item ids into ids (up to *n), and its
 * next_cursor (copied, or "" for null). */
static void list_page(const char *path, char ids[][64], size_t *n,
                      char cursor[512])
{
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
    json_t *items = json_object_get(r.json, "items"), *it;
    size_t i;
    json_array_foreach(items, i, it) {
        snprintf(ids[*n], 64, "%s",
                 json_string_value(json_object_get(it, "id")));
        cr_assert_not_null(json_object_get(it, "stats"));
        (*n)++;
    }
    json_t *next = json_object_get(r.json, "next_cursor");
    cr_assert(json_is_string(next) || json_is_null(next), "%s", r.body);
    snprintf(cursor, 512, "%s", json_is_string(next) ? json_string_value(next)
                                                     : "");
    api_free(&r);
}

Test(datasets, list_is_newest_first_with_a_cursor)
{
    char made[5][64], seen[8][64], cursor[512], path[700];
    for (int i = 0; i < 5; i++) {
        json_t *ds = generate("xor", 4, 0, i);
        snprintf(made[i], 64, "%s",
                 json_string_value(json_object_get(ds, "id")));
        json_decref(ds);
    }
    size_t n = 0, pages = 0;
    list_page("/v1/datasets?limit=2", seen, &n, cursor);
    for (pages = 1; cursor[0]; pages++) {
        cr_assert_eq(n, 2 * pages, "full pages before the last");
        snprintf(path, sizeof path, "/v1/datasets?limit=2&cursor=%s", cursor);
        list_page(path, seen, &n, cursor);
    }
    cr_assert_eq(pages, 3);
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < 5; i++)
        cr_assert_str_eq(seen[i], made[4 - i], "newest first at %zu", i);
    n = 0;
    list_page("/v1/datasets?limit=500", seen, &n, cursor);
    cr_assert_eq(n, 5, "a large limit is clamped, not refused");
    cr_assert_str_eq(cursor, "");

    /* a cursor outlives the deletion of the item it points after */
    n = 0;
    list_page("/v1/datasets?limit=2", seen, &n, cursor);
    snprintf(path, sizeof path, "/v1/datasets/%s", seen[1]);
    api_response r = api_call(&srv, "DELETE", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 204);
    api_free(&r);
    snprintf(path, sizeof path, "/v1/datasets?limit=2&cursor=%s", cursor);
    list_page(path, seen, &n, cursor);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(seen[2], made[2]);
    cr_assert_str_eq(seen[3], made[1]);

    const char *bad[][3] = {{"?cursor=zz", "?cursor", "400"},
                            {"?cursor=6162", "?cursor", "400"},
                            {"?cursor=0000000000000000", "?cursor", "400"},
                            {"?cursor=ffffffffffffffff", "?cursor", "400"},
                            {"?limit=0", "?limit", "422"},
                            {"?limit=ten", "?limit", "400"},
                            {"?sort=name", "?sort", "400"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(path, sizeof path, "/v1/datasets%s", bad[i][0]);
        r = api_call(&srv, "GET", path, NULL, NULL, 0);
        api_assert_problem(&r, atol(bad[i][2]), bad[i][1]);
        api_free(&r);
    }
}

Test(datasets, get_delete_and_unknown_ids)
{
    json_t *ds = generate("and", 4, 0, 1);
    const char *id = json_string_value(json_object_get(ds, "id"));
    char path[128], rows[160];
    snprintf(path, sizeof path, "/v1/datasets/%s", id);
    snprintf(rows, sizeof rows, "/v1/datasets/%s/rows", id);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert(json_equal(r.json, ds), "GET gives what POST gave: %s", r.body);
    api_free(&r);

    r = api_call(&srv, "DELETE", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 204, "%s", r.body);
    cr_assert_eq(r.len, 0);
    cr_assert_eq(r.content_type[0], '\0', "a 204 has no Content-Type: %s",
                 r.content_type);
    api_free(&r);
    const char *gone[][2] = {{"GET", path}, {"DELETE", path}, {"GET", rows}};
    for (size_t i = 0; i < 3; i++) {
        r = api_call(&srv, gone[i][0], gone[i][1], NULL, NULL, 0);
        api_assert_problem(&r, 404, NULL);
        api_free(&r);
    }
    const char *malformed[] = {"/v1/datasets/nope", "/v1/datasets/ds_x",
                               "/v1/datasets/ds_aaaaaaaaaaaaaaaaaaaaaaaaaa1"
                               "/rows",
                               "/v1/datasets/md_aaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < 4; i++) {
        r = api_call(&srv, "GET", malformed[i], NULL, NULL, 0);
        api_assert_problem(&r, 404, NULL);
        api_free(&r);
    }
    long left = -1;
    if (api_sql(&srv, "SELECT count(*) FROM dataset_chunks;", &left))
        cr_assert_eq(left, 0, "the chunks went with the dataset");
    json_decref(ds);
}

Test(datasets, delete_refuses_a_dataset_a_job_is_using)
{
    json_t *ds = generate("xor", 4, 0, 1);
    const char *id = json_string_value(json_object_get(ds, "id"));
    char sql[800], path[128];
    /* No jobs API yet: the job is written straight into the database. */
    snprintf(sql, sizeof sql,
             "INSERT INTO models (id, name, type, definition, blob, "
             "parameters, created_at, updated_at) VALUES ('md_t', 'm', "
             "'mlp', '{}', %s, 1, '2024-01-01T00:00:00.000Z', "
             "'2024-01-01T00:00:00.000Z');"
             "INSERT INTO jobs (id, model_id, dataset_id, params, status, "
             "epochs, created_at, seq) VALUES ('jb_t', 'md_t', '%s', '{}', "
             "'running', 10, '2024-01-01T00:00:00.000Z', 1); SELECT count(*) "
             "FROM jobs WHERE id = 'jb_t';",
             api_on_postgres() ? "'\\x00'" : "x'00'", id);
    long changed;
    if (!api_sql(&srv, sql, &changed))
        cr_skip_test("the sqlite3 command-line tool is not installed");
    cr_assert_eq(changed, 1);
    snprintf(path, sizeof path, "/v1/datasets/%s", id);
    api_response r = api_call(&srv, "DELETE", path, NULL, NULL, 0);
    api_assert_problem(&r, 409, NULL);
    api_free(&r);
    api_sql(&srv, "UPDATE jobs SET status = 'succeeded'; SELECT count(*) "
            "FROM jobs;", &changed);
    r = api_call(&srv, "DELETE", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 204, "a finished job does not hold it: %s",
                 r.body);
    api_free(&r);
    json_decref(ds);
}
