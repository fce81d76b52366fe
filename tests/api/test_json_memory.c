/* test_json_memory.c — JSON bodies cost about their float32 size, not a
 * tree of their values: a predict or dataset body past a row limit is
 * refused with bounded peak memory (VmHWM), a large dataset is stored with
 * bounded peak memory, and a body sent in small chunks (tokens split
 * across them) is read exactly as a whole one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(json_memory, .fini = teardown, .timeout = 180);

/* Generous bounds: the 64 MiB bodies below cost 2.2 GB as a parsed tree,
 * and under 1 MB as the float32 rows kept up to the route's row limit;
 * the 14 MB dataset cost 240 MB as a tree, and 11 MB as floats. */
#define REFUSED_GROWTH_KB (48L * 1024)
#define STORED_GROWTH_KB (64L * 1024)

/* A body `head` + rows of `row` joined by commas + `tail`, as long as the
 * budget of bytes allows (at least one row); *len receives its length. */
static char *repeated_body(const char *head, const char *row, const char *tail,
                           size_t budget, size_t *rows, size_t *len)
{
    size_t h = strlen(head), r = strlen(row), t = strlen(tail);
    size_t n = (budget - h - t) / (r + 1);
    char *body = malloc(h + n * (r + 1) + t + 1);
    cr_assert_not_null(body);
    char *p = memcpy(body, head, h);
    p += h;
    for (size_t i = 0; i < n; i++) {
        memcpy(p, row, r);
        p += r;
        *p++ = ',';
    }
    p--; /* the last comma */
    memcpy(p, tail, t + 1);
    *rows = n;
    *len = (size_t)(p - body) + t;
    return body;
}

static void make_model(char id[64])
{
    api_response r = api_json(
        &srv, "POST", "/v1/models",
        "{\"name\":\"lin\",\"inputs\":2,\"layers\":[{\"units\":1,"
        "\"activation\":\"linear\"}]}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(id, 64, "%s", api_str(&r, "id"));
    api_free(&r);
}

/* Sends body to path and asserts a problem of status at pointer, with the
 * server's peak memory growing by at most REFUSED_GROWTH_KB. */
static void assert_refused_in_bounded_memory(const char *path,
                                             const char *body, size_t len,
                                             long status, const char *pointer)
{
    long before = api_peak_rss_kb(&srv);
    api_response r = api_call(&srv, "POST", path, "application/json", body,
                              len);
    long after = api_peak_rss_kb(&srv);
    cr_log_info("%s: %zu bytes, peak RSS %ld KiB before, %ld KiB after", path,
                len, before, after);
    api_assert_problem(&r, status, pointer);
    api_free(&r);
    cr_assert_leq(after - before, REFUSED_GROWTH_KB,
                  "peak RSS grew from %ld KiB to %ld KiB for %zu bytes", before,
                  after, len);
}

Test(json_memory, a_predict_body_past_the_row_limit_is_422_in_bounded_memory)
{
    api_asan_small_quarantine();
    api_start(&srv, NULL);
    char md[64], path[128];
    make_model(md);
    snprintf(path, sizeof path, "/v1/models/%s/predict", md);
    size_t rows, len;
    char *body = repeated_body("{\"inputs\":[", "[0,0]", "]}", 64u << 20,
                               &rows, &len);
    cr_assert_gt(rows, 10000000); /* past every row limit */
    assert_refused_in_bounded_memory(path, body, len, 422, "/inputs");
    free(body);
}

Test(json_memory, a_dataset_past_max_rows_is_422_in_bounded_memory)
{
    const char *args[] = {"--max-rows", "1000", NULL};
    api_asan_small_quarantine();
    api_start(&srv, args);
    size_t rows, len;
    char *body = repeated_body("{\"name\":\"big\",\"inputs\":[", "[0,0]",
                               "],\"targets\":[1]}", 64u << 20, &rows, &len);
    assert_refused_in_bounded_memory("/v1/datasets", body, len, 422,
                                     "/inputs");
    free(body);
}

Test(json_memory, a_large_dataset_is_stored_in_bounded_memory)
{
    api_asan_small_quarantine();
    api_start(&srv, NULL);
    size_t rows, len, labels, llen;
    char *inputs = repeated_body("{\"name\":\"big\",\"inputs\":[",
                                 "[0.25,-1.5e2]", "]", 12u << 20, &rows, &len);
    /* as many labels as rows: 2 bytes each, "0," */
    char *tail = repeated_body(",\"labels\":[", "1", "]}", 13 + 2 * rows,
                               &labels, &llen);
    cr_assert_eq(labels, rows);
    char *body = malloc(len + llen + 1);
    cr_assert_not_null(body);
    memcpy(body, inputs, len);
    memcpy(body + len, tail, llen + 1);
    long before = api_peak_rss_kb(&srv);
    api_response r = api_call(&srv, "POST", "/v1/datasets",
                              "application/json", body, len + llen);
    long after = api_peak_rss_kb(&srv);
    cr_log_info("%zu rows in %zu bytes: peak RSS %ld KiB before, %ld KiB "
                "after", rows, len + llen, before, after);
    cr_assert_eq(r.status, 201, "%.300s", r.body);
    cr_assert_eq(api_int(r.json, "rows"), (json_int_t)rows);
    cr_assert_eq(api_int(r.json, "input_dim"), 2);
    api_free(&r);
    cr_assert_leq(after - before, STORED_GROWTH_KB,
                  "peak RSS grew from %ld KiB to %ld KiB", before, after);
    free(body);
    free(inputs);
    free(tail);
}

/* The values of GET /v1/datasets/{id}/rows, row i's inputs and targets. */
static void assert_row(json_t *items, size_t i, double x0, double x1, double y)
{
    json_t *row = json_array_get(items, i);
    json_t *x = json_object_get(row, "inputs"), *t = json_object_get(row,
                                                                    "targets");
    cr_assert_float_eq(json_number_value(json_array_get(x, 0)), x0, 1e-6);
    cr_assert_float_eq(json_number_value(json_array_get(x, 1)), x1, 1e-6);
    cr_assert_float_eq(json_number_value(json_array_get(t, 0)), y, 1e-6);
}

Test(json_memory, a_body_in_small_chunks_reads_as_a_whole_one)
{
    api_start(&srv, NULL);
    static const char body[] =
        "{ \"inputs\" : [ [0.125, -2.5e1], [ 1E2,3 ],[-0,1e-2] ] ,\n"
        "  \"name\": \"chunks \\\"q\\\" \\u00e9\",\n"
        "  \"targets\": [[1.5], [-2], [3e0]] }";
    for (size_t piece = 1; piece <= 7; piece += 3) {
        api_response r = api_call_chunked(&srv, "POST", "/v1/datasets",
                                          "application/json", body,
                                          sizeof body - 1, piece);
        cr_assert_eq(r.status, 201, "piece %zu: %s", piece, r.body);
        cr_assert_str_eq(api_str(&r, "name"), "chunks \"q\" \xc3\xa9");
        char path[128];
        snprintf(path, sizeof path, "/v1/datasets/%s/rows", api_str(&r, "id"));
        api_free(&r);
        r = api_call(&srv, "GET", path, NULL, NULL, 0);
        cr_assert_eq(r.status, 200, "%s", r.body);
        json_t *items = json_object_get(r.json, "items");
        cr_assert_eq(json_array_size(items), 3, "%s", r.body);
        assert_row(items, 0, 0.125, -25, 1.5);
        assert_row(items, 1, 100, 3, -2);
        assert_row(items, 2, 0, 0.01, 3);
        api_free(&r);
    }
}
