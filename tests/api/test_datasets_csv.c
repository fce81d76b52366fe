/* test_datasets_csv.c — CSV uploads: the shared iris and wine files,
 * quoting, CRLF and a byte-order mark, choosing targets and the task, a
 * chunked upload of a few MB, the size limit, and every error (status,
 * pointer "/rows/N/COLUMN", the line in the message), after which nothing
 * may be left in the database. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
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

TestSuite(datasets_csv, .init = setup, .fini = teardown, .timeout = 120);

/* Asserts the database holds no dataset and no chunk (when the sqlite3
 * tool is there to look), and that the list is empty. */
static void assert_nothing_stored(api_server *s)
{
    long n = -1;
    if (api_sql(s, "SELECT (SELECT count(*) FROM datasets) + (SELECT "
                   "count(*) FROM dataset_chunks);", &n))
        cr_assert_eq(n, 0, "rows were left behind");
    api_response r = api_call(s, "GET", "/v1/datasets", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0, "%s",
                 r.body);
    api_free(&r);
}

Test(datasets_csv, iris_has_string_labels)
{
    size_t len;
    char *csv = ds_read_file(api_shared_data("iris.csv"), &len);
    json_t *ds = ds_create_csv(&srv, "name=iris", csv);
    cr_assert_eq(api_int(ds, "rows"), 150);
    cr_assert_eq(api_int(ds, "input_dim"), 4);
    cr_assert_eq(api_int(ds, "output_dim"), 3);
    cr_assert_str_eq(json_string_value(json_object_get(ds, "task")),
                     "classification");
    ds_assert_strings(json_object_get(ds, "classes"),
                      (const char *[]){"setosa", "versicolor", "virginica",
                                       NULL});
    ds_assert_strings(json_object_get(ds, "feature_names"),
                      (const char *[]){"sepal_length_cm", "sepal_width_cm",
                                       "petal_length_cm", "petal_width_cm",
                                       NULL});
    ds_assert_strings(json_object_get(ds, "target_names"),
                      (const char *[]){"species", NULL});
    /* computed over the float32 values with Python's statistics module */
    ds_assert_stats(ds, 0, "sepal_length_cm", 4.3, 7.9, 5.8433333,
                    0.82530128);
    ds_assert_stats(ds, 3, "petal_width_cm", 0.1, 2.5, 1.1993333, 0.75969262);
    json_t *page = ds_rows(&srv, json_string_value(json_object_get(ds, "id")),
                           0, 1);
    json_t *row = json_array_get(json_object_get(page, "items"), 0);
    ds_assert_numbers(json_object_get(row, "inputs"),
                      (double[]){5.1, 3.5, 1.4, 0.2}, 4);
    cr_assert_str_eq(json_string_value(json_object_get(row, "label")),
                     "setosa");
    json_decref(page);
    json_decref(ds);
    free(csv);
}

Test(datasets_csv, wine_column_with_a_slash)
{
    size_t len;
    char *csv = ds_read_file(api_shared_data("wine.csv"), &len);
    json_t *ds = ds_create_csv(&srv, "name=wine&target=cultivar", csv);
    cr_assert_eq(api_int(ds, "rows"), 178);
    cr_assert_eq(api_int(ds, "input_dim"), 13);
    ds_assert_strings(json_object_get(ds, "classes"),
                      (const char *[]){"class_0", "class_1", "class_2", NULL});
    json_t *names = json_object_get(ds, "feature_names");
    cr_assert_str_eq(json_string_value(json_array_get(names, 11)),
                     "od280/od315_of_diluted_wines");
    json_decref(ds);

    /* the header and two rows, the second with a bad value in that column */
    char *eol = strchr(csv, '\n');
    char *bad = malloc((size_t)(eol - csv) + 256);
    snprintf(bad, (size_t)(eol - csv) + 256,
             "%.*s\n14.23,1.71,2.43,15.6,127,2.8,3.06,0.28,2.29,5.64,1.04,"
             "3.92,1065,class_0\n13.2,1.78,2.14,11.2,100,2.65,2.76,0.26,1.28,"
             "4.38,1.05,abc,1050,class_0\n",
             (int)(eol - csv), csv);
    api_response r = ds_post_csv(&srv, "name=wine", bad);
    api_assert_problem(&r, 422, "/rows/2/od280~1od315_of_diluted_wines");
    cr_assert(strstr(r.body, "line 3"), "%s", r.body);
    api_free(&r);
    free(bad);
    free(csv);
}

Test(datasets_csv, quotes_crlf_and_bom)
{
    const char *csv = "\xef\xbb\xbf\"first, name\",\"say \"\"hi\"\"\",label\r\n"
                      "1,\"2.5\",yes\r\n"
                      "3,4,\"no\"\r\n"
                      "\"5\",  6 ,yes"; /* no final newline */
    json_t *ds = ds_create_csv(&srv, "name=quoted", csv);
    ds_assert_strings(json_object_get(ds, "feature_names"),
                      (const char *[]){"first, name", "say \"hi\"", NULL});
    ds_assert_strings(json_object_get(ds, "classes"),
                      (const char *[]){"yes", "no", NULL});
    cr_assert_eq(api_int(ds, "rows"), 3);
    ds_assert_stats(ds, 0, "first, name", 1, 5, 3, ds_sqrt(8.0 / 3));
    ds_assert_stats(ds, 1, "say \"hi\"", 2.5, 6, 12.5 / 3,
                    ds_sqrt((sq(2.5 - 12.5 / 3) + sq(4 - 12.5 / 3) +
                          sq(6 - 12.5 / 3)) / 3));
    json_t *page = ds_rows(&srv, json_string_value(json_object_get(ds, "id")),
                           2, 1);
    json_t *row = json_array_get(json_object_get(page, "items"), 0);
    ds_assert_numbers(json_object_get(row, "inputs"), (double[]){5, 6}, 2);
    cr_assert_str_eq(json_string_value(json_object_get(row, "label")), "yes");
    json_decref(page);
    json_decref(ds);
}

Test(datasets_csv, several_targets_make_a_regression)
{
    json_t *ds = ds_create_csv(&srv, "name=multi&target=c,a",
                               "a,b,c,d\n1,2,3,4\n5,6,7,8\n");
    cr_assert_str_eq(json_string_value(json_object_get(ds, "task")),
                     "regression");
    cr_assert_eq(api_int(ds, "input_dim"), 2);
    cr_assert_eq(api_int(ds, "output_dim"), 2);
    ds_assert_strings(json_object_get(ds, "feature_names"),
                      (const char *[]){"b", "d", NULL});
    ds_assert_strings(json_object_get(ds, "target_names"),
                      (const char *[]){"c", "a", NULL});
    json_t *page = ds_rows(&srv, json_string_value(json_object_get(ds, "id")),
                           1, 1);
    json_t *row = json_array_get(json_object_get(page, "items"), 0);
    ds_assert_numbers(json_object_get(row, "inputs"), (double[]){6, 8}, 2);
    ds_assert_numbers(json_object_get(row, "targets"), (double[]){7, 5}, 2);
    json_decref(page);
    json_decref(ds);
}

Test(datasets_csv, task_classification_takes_numbers_as_classes)
{
    const char *csv = "x,digit\n0.5,2\n1.5,0\n2.5,1\n3.5,0\n4.5,2.0\n";
    json_t *ds = ds_create_csv(&srv, "name=digits&task=classification", csv);
    ds_assert_strings(json_object_get(ds, "classes"),
                      (const char *[]){"0", "1", "2", NULL});
    cr_assert_eq(api_int(ds, "output_dim"), 3);
    json_t *page = ds_rows(&srv, json_string_value(json_object_get(ds, "id")),
                           0, 10);
    const char *want[] = {"2", "0", "1", "0", "2"};
    for (size_t i = 0; i < 5; i++)
        cr_assert_str_eq(json_string_value(json_object_get(
                             json_array_get(json_object_get(page, "items"), i),
                             "label")),
                         want[i], "row %zu", i);
    json_decref(page);
    json_decref(ds);
    /* without task=classification the same column is a regression */
    ds = ds_create_csv(&srv, "name=digits", csv);
    cr_assert_str_eq(json_string_value(json_object_get(ds, "task")),
                     "regression");
    cr_assert_eq(api_int(ds, "output_dim"), 1);
    json_decref(ds);
}

/* A CSV of rows × 12 columns (11 inputs, target last), about 2 MB: more
 * than one 1 MiB chunk of float32. */
static char *big_csv(size_t rows, size_t *len)
{
    size_t cap = 64 + rows * 12 * 8, n = 0;
    char *csv = malloc(cap);
    cr_assert_not_null(csv);
    n += (size_t)snprintf(csv, cap, "c0,c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,t\n");
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < 11; j++)
            n += (size_t)snprintf(csv + n, cap - n, "%g,",
                                  (double)((i * (j + 3)) % 1000) / 10);
        n += (size_t)snprintf(csv + n, cap - n, "%zu\n", i % 7);
    }
    *len = n;
    return csv;
}

Test(datasets_csv, chunked_upload_of_a_few_mb)
{
    const size_t rows = 40000;
    size_t len;
    char *csv = big_csv(rows, &len);
    api_response r = api_call_chunked(&srv, "POST", "/v1/datasets?name=big",
                                      "text/csv", csv, len, 16384);
    cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
    json_t *ds = json_incref(r.json);
    api_free(&r);
    cr_assert_eq(api_int(ds, "rows"), (long long)rows);
    cr_assert_eq(api_int(ds, "input_dim"), 11);
    double sum = 0, sumsq = 0;
    for (size_t i = 0; i < rows; i++) {
        double v = (double)(float)((double)((i * 3) % 1000) / 10);
        sum += v;
        sumsq += v * v;
    }
    double mean = sum / rows;
    ds_assert_stats(ds, 0, "c0", 0, 99.9, mean, ds_sqrt(sumsq / rows - mean * mean));
    /* rows on both sides of the first chunk's end (1 MiB / 48 bytes) */
    json_t *page = ds_rows(&srv, json_string_value(json_object_get(ds, "id")),
                           21844, 3);
    for (size_t k = 0; k < 3; k++) {
        size_t i = 21844 + k;
        json_t *row = json_array_get(json_object_get(page, "items"), k);
        double first = (double)((i * 3) % 1000) / 10;
        double last = (double)((i * 13) % 1000) / 10;
        json_t *in = json_object_get(row, "inputs");
        cr_assert_float_eq(json_number_value(json_array_get(in, 0)), first,
                           1e-4, "row %zu", i);
        cr_assert_float_eq(json_number_value(json_array_get(in, 10)), last,
                           1e-4, "row %zu", i);
        ds_assert_numbers(json_object_get(row, "targets"),
                          (double[]){(double)(i % 7)}, 1);
    }
    json_decref(page);
    /* the same file with a Content-Length is the same dataset */
    json_t *again = ds_create_csv(&srv, "name=big", csv);
    cr_assert_str_eq(json_string_value(json_object_get(ds, "sha256")),
                     json_string_value(json_object_get(again, "sha256")));
    json_decref(again);
    json_decref(ds);
    free(csv);
}

Test(datasets_csv, upload_over_the_size_limit_is_413)
{
    api_server small;
    api_start(&small, (const char *[]){"--max-csv-bytes", "2048", NULL});
    size_t len;
    char *csv = big_csv(100, &len);
    cr_assert_gt(len, 2048);
    api_response r = api_call(&small, "POST", "/v1/datasets?name=big",
                              "text/csv", csv, len);
    api_assert_problem(&r, 413, NULL);
    api_free(&r);
    /* without a Content-Length the limit is found part-way through */
    r = api_call_chunked(&small, "POST", "/v1/datasets?name=big", "text/csv",
                         csv, len, 512);
    api_assert_problem(&r, 413, NULL);
    api_free(&r);
    assert_nothing_stored(&small);
    /* a file within the limit still goes in */
    json_decref(ds_create_csv(&small, "name=ok", "a,b\n1,2\n"));
    api_cleanup(&small);
    free(csv);
}

Test(datasets_csv, row_limit)
{
    api_server small;
    api_start(&small, (const char *[]){"--max-rows", "3", NULL});
    api_response r = ds_post_csv(&small, "name=e", "a,b\n1,2\n1,2\n1,2\n1,2\n");
    api_assert_problem(&r, 422, "/rows/4");
    cr_assert(strstr(r.body, "line 5"), "%s", r.body);
    api_free(&r);
    assert_nothing_stored(&small);
    api_cleanup(&small);
}

typedef struct {
    const char *query, *csv;
    long status;
    const char *pointer, *line; /* line: text the message must hold */
} bad_csv;

static const bad_csv bad[] = {
    {"name=e", "a,b\n1,2\n3\n", 422, "/rows/2/b", "line 3"},
    {"name=e", "a,b\n1,2\n3,4,5\n", 422, "/rows/2", "line 3"},
    {"name=e&target=a", "a,b\n1,x\n", 422, "/rows/1/b", "line 2"},
    {"name=e&target=a", "a,b\n1,nan\n", 422, "/rows/1/b", "line 2"},
    {"name=e&target=a", "a,b\n1,-inf\n", 422, "/rows/1/b", "line 2"},
    {"name=e&target=a", "a,b\r\n1,2\r\n1,1e999\r\n", 422, "/rows/2/b",
     "line 3"},
    {"name=e&target=a", "a,b\n1,\n", 422, "/rows/1/b", "line 2"},
    {"name=e", "x,y,label\n1,2,\n", 422, "/rows/1/label", "line 2"},
    {"name=e&target=a", "a,b\n1,\"2\n", 422, "/rows/1", "line 2"},
    {"name=e&target=a", "a,b\n1,2\"3\n", 422, "/rows/1", "line 2"},
    {"name=e", "", 422, "/rows", "empty"},
    {"name=e", "\xef\xbb\xbf\n\n", 422, "/rows", "empty"},
    {"name=e", "a,b\n", 422, "/rows", "no data rows"},
    {"name=e", "1,2\n3,4\n", 422, "/rows/0", "header"},
    {"name=e", "a,a\n1,2\n", 422, "/rows/0/a", "twice"},
    {"name=e", "a,,c\n1,2,3\n", 422, "/rows/0", "column 2"},
    {"name=e", "a\n1\n", 422, "?target", "input"},
    {"name=e&target=zz", "a,b\n1,2\n", 422, "?target", "zz"},
    {"name=e&target=a,a", "a,b,c\n1,2,3\n", 422, "?target", "twice"},
    {"name=e&target=", "a,b\n1,2\n", 422, "?target", NULL},
    {"name=e&target=a,b", "a,b,c\n1,x,3\n", 422, "?target", "exactly one"},
    {"name=e&target=a,b&task=classification", "a,b,c\n1,2,3\n", 422,
     "?target", "exactly one"},
    {"name=e&task=maybe", "a,b\n1,2\n", 422, "?task", NULL},
    {"name=e&color=red", "a,b\n1,2\n", 400, "?color", NULL},
    {"", "a,b\n1,2\n", 422, "?name", NULL},
    {"name=", "a,b\n1,2\n", 422, "?name", NULL},
    {"name=%01", "a,b\n1,2\n", 422, "?name", NULL},
};

Test(datasets_csv, errors_name_row_column_and_line)
{
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        api_response r = ds_post_csv(&srv, bad[i].query, bad[i].csv);
        cr_log_info("case %zu: %s", i, r.body);
        api_assert_problem(&r, bad[i].status, bad[i].pointer);
        if (bad[i].line)
            cr_assert(strstr(r.body, bad[i].line), "case %zu wants '%s': %s",
                      i, bad[i].line, r.body);
        api_free(&r);
    }
    assert_nothing_stored(&srv);
}

/* A number in a CSV cell is decimal: C's other forms (hex, hex floats,
 * inf, nan), which strtod reads, are refused, naming the cell. */
Test(datasets_csv, numbers_are_decimal_only)
{
    static const char *const refused[] = {
        "0x10", "0X1p3", "inf", "-Infinity", "nan", "NAN(1)", "1e", "e5",
        "1.2.3", "--1", "1_000", "+", ".", "0b101"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char csv[64];
        snprintf(csv, sizeof csv, "a,b\n1,2\n%s,3\n", refused[i]);
        api_response r = ds_post_csv(&srv, "name=e&target=b", csv);
        api_assert_problem(&r, 422, "/rows/2/a");
        cr_assert(strstr(r.body, "line 3"), "%s: %s", refused[i], r.body);
        api_free(&r);
    }
    assert_nothing_stored(&srv);
    api_response r = ds_post_csv(&srv, "name=ok&target=b",
                                 "a,b\n 1.5 ,0\n-.5,1\n+2,0\n5.,1\n1e3,0\n"
                                 "1E-3,1\n");
    cr_assert_eq(r.status, 201, "%s", r.body);
    json_t *a = json_array_get(json_object_get(r.json, "stats"), 0);
    cr_assert_float_eq(api_num(a, "min"), -0.5, 1e-6);
    cr_assert_float_eq(api_num(a, "max"), 1000, 1e-3);
    api_free(&r);
}

Test(datasets_csv, a_huge_value_is_refused_not_buffered)
{
    size_t n = 100000;
    char *csv = malloc(n + 32);
    cr_assert_not_null(csv);
    int head = snprintf(csv, n + 32, "a,b\n1,2\n3,");
    memset(csv + head, '7', n);
    strcpy(csv + head + n, "\n");
    api_response r = ds_post_csv(&srv, "name=e&target=a", csv);
    api_assert_problem(&r, 422, "/rows/2");
    cr_assert(strstr(r.body, "longer than") && strstr(r.body, "line 3"), "%s",
              r.body);
    api_free(&r);
    r = ds_post_csv(&srv, "name=e", "a,\xff\n1,2\n");
    api_assert_problem(&r, 422, "/rows/0");
    api_free(&r);
    assert_nothing_stored(&srv);
    free(csv);
}

Test(datasets_csv, errors_part_way_through_a_chunked_upload)
{
    size_t len;
    char *csv = big_csv(30000, &len);
    /* spoil a value in row 25000, well after the first chunk was stored */
    char *at = csv;
    for (int line = 0; line < 25001; line++)
        at = strchr(at, '\n') + 1;
    at[0] = 'x';
    api_response r = api_call_chunked(&srv, "POST", "/v1/datasets?name=big",
                                      "text/csv", csv, len, 65536);
    api_assert_problem(&r, 422, "/rows/25001/c0");
    cr_assert(strstr(r.body, "line 25002"), "%s", r.body);
    api_free(&r);
    assert_nothing_stored(&srv);
    free(csv);
}

Test(datasets_csv, wrong_content_type_is_415)
{
    api_response r = api_call(&srv, "POST", "/v1/datasets?name=e",
                              "application/xml", "a,b\n1,2\n", 8);
    api_assert_problem(&r, 415, NULL);
    api_free(&r);
}
