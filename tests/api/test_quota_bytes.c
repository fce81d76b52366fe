/* test_quota_bytes.c — --quota-bytes: a user's datasets' rows, models'
 * weights and jobs' checkpoints may take at most so many bytes. Each
 * kind of upload past it — JSON rows, a generator, CSV and text streamed
 * in chunks, IDX as multipart — is a 413 naming the quota, after the
 * store has written whole chunks of it (so the refusal removes written
 * rows, not only a buffer), and nothing of it is left in the database;
 * so is a model past it. A delete frees its bytes again; administrators
 * have no quota. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "idx_parts.h"
#include "two_users.h"

#define ADMIN_TOKEN "quota-bytes-admin-token-01"
#define ADMIN "Authorization: Bearer " ADMIN_TOKEN

static api_server srv;
static char alice[128];

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(quota_bytes, .fini = teardown, .timeout = 240);

/* Starts the server with a quota of 3 MiB (three of the store's 1 MiB
 * chunks) and user alice. */
static void start(void)
{
    const char *args[] = {"--api-token", ADMIN_TOKEN, "--quota-bytes",
                          "3145728", NULL};
    api_start(&srv, args);
    tu_make_user(&srv, ADMIN, "alice", alice);
}

/* method path as alice, with a body of content_type (NULL: none). */
static api_response as_alice(const char *method, const char *path,
                             const char *content_type, const char *body,
                             size_t len)
{
    const char *h[] = {alice, NULL};
    return api_call_with(&srv, method, path, h, content_type, body, len);
}

/* A 413 problem that names --quota-bytes. */
static void assert_quota_refusal(api_response *r, const char *what)
{
    cr_assert_eq(r->status, 413, "%s: %ld %.300s", what, r->status, r->body);
    api_assert_problem(r, 413, NULL);
    cr_assert(strstr(r->body, "--quota-bytes"), "%s: %s", what, r->body);
}

/* The datasets and dataset chunks in the database. */
static long stored_rows(void)
{
    long n = 0;
    cr_assert(api_sql(&srv, "SELECT (SELECT count(*) FROM datasets) + "
                            "(SELECT count(*) FROM dataset_chunks);", &n),
              "the sqlite3 tool is needed");
    return n;
}

/* A CSV of rows lines "i,i%2" under a header: 8 stored bytes a row. */
static char *csv_rows(size_t rows, size_t *len)
{
    char *csv = malloc(rows * 12 + 16);
    size_t n = (size_t)sprintf(csv, "x,y\n");
    for (size_t i = 0; i < rows; i++)
        n += (size_t)sprintf(csv + n, "%zu,%zu\n", i % 1000, i % 2);
    *len = n;
    return csv;
}

Test(quota_bytes, each_upload_past_the_quota_is_refused_and_leaves_nothing)
{
    start();
    /* 300000 rows × (2 inputs + 1 target) × 4 bytes = 3.6 MB. */
    const char *gen = "{\"name\":\"g\",\"generator\":\"gauss\",\"n\":300000}";
    api_response r = as_alice("POST", "/v1/datasets", "application/json",
                              gen, strlen(gen));
    assert_quota_refusal(&r, "a generator");
    api_free(&r);
    cr_assert_eq(stored_rows(), 0, "the generator's chunks were removed");

    size_t len;
    char *csv = csv_rows(400000, &len); /* 3.2 MB stored */
    r = as_alice("POST", "/v1/datasets?name=c&target=y", "text/csv", csv,
                 len);
    free(csv);
    assert_quota_refusal(&r, "a CSV");
    api_free(&r);
    cr_assert_eq(stored_rows(), 0, "the CSV's chunks were removed");

    char *text = malloc(400001); /* 400000 tokens × 8 bytes */
    for (size_t i = 0; i < 400000; i++)
        text[i] = (char)('a' + i % 26);
    r = as_alice("POST", "/v1/datasets?name=t", "text/plain; charset=utf-8",
                 text, 400000);
    free(text);
    assert_quota_refusal(&r, "a text");
    api_free(&r);
    cr_assert_eq(stored_rows(), 0, "the text's chunks were removed");

    /* 1100 images of 28 × 28: (784 + 1) × 4 bytes each, 3.45 MB. */
    size_t il, ll;
    unsigned char *images =
        idx_file(0x08, (unsigned[]){1100, 28, 28}, 3, 1100 * 784, 0, &il);
    unsigned char *labels = idx_file(0x08, (unsigned[]){1100}, 1, 1100, 10,
                                     &ll);
    idx_part parts[] = {{"images", images, il}, {"labels", labels, ll}};
    r = idx_post_parts(&srv, alice, "name=i", parts, 2);
    free(images);
    free(labels);
    assert_quota_refusal(&r, "an IDX upload");
    api_free(&r);
    cr_assert_eq(stored_rows(), 0, "the IDX rows were removed");

    char *rows = malloc(64 + 300000 * 8);
    size_t n = (size_t)sprintf(rows, "{\"name\":\"j\",\"inputs\":[");
    for (int i = 0; i < 100000; i++) /* 100000 × (2 + 1) × 4 = 1.2 MB */
        n += (size_t)sprintf(rows + n, "%s[1,2]", i ? "," : "");
    n += (size_t)sprintf(rows + n, "],\"targets\":[");
    for (int i = 0; i < 100000; i++)
        n += (size_t)sprintf(rows + n, "%s3", i ? "," : "");
    n += (size_t)sprintf(rows + n, "]}");
    r = as_alice("POST", "/v1/datasets", "application/json", rows, n);
    cr_assert_eq(r.status, 201, "1.2 MB fits: %s", r.body);
    char first[64];
    snprintf(first, sizeof first, "%s", api_str(&r, "id"));
    api_free(&r);
    r = as_alice("POST", "/v1/datasets", "application/json", rows, n);
    cr_assert_eq(r.status, 201, "2.4 MB fits: %s", r.body);
    api_free(&r);
    r = as_alice("POST", "/v1/datasets", "application/json", rows, n);
    assert_quota_refusal(&r, "JSON rows past the quota");
    api_free(&r);
    long kept = 0;
    api_sql(&srv, "SELECT count(*) FROM datasets;", &kept);
    cr_assert_eq(kept, 2, "the refused JSON rows left no dataset");

    char path[96];
    snprintf(path, sizeof path, "/v1/datasets/%s", first);
    r = as_alice("DELETE", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 204, "%s", r.body);
    api_free(&r);
    r = as_alice("POST", "/v1/datasets", "application/json", rows, n);
    cr_assert_eq(r.status, 201, "the delete freed its bytes: %s", r.body);
    api_free(&r);
    free(rows);

    const char *h[] = {ADMIN, NULL};
    r = api_call_with(&srv, "POST", "/v1/datasets", h, "application/json",
                      gen, strlen(gen));
    cr_assert_eq(r.status, 201, "administrators have no quota: %s", r.body);
    api_free(&r);
}

/* A network of `inputs` inputs and one sigmoid output. */
static char *wide_net(unsigned inputs)
{
    char *def = malloc(256);
    snprintf(def, 256, "{\"name\":\"w\",\"inputs\":%u,\"layers\":[{\"units\":"
             "1,\"activation\":\"sigmoid\"}],\"seed\":1}", inputs);
    return def;
}

Test(quota_bytes, a_model_past_the_quota_is_refused_and_one_at_it_is_first)
{
    start();
    char *big = wide_net(1000000); /* 1000001 parameters: 4 MB of weights */
    api_response r = as_alice("POST", "/v1/models", "application/json", big,
                              strlen(big));
    free(big);
    assert_quota_refusal(&r, "a model");
    api_free(&r);
    long models = -1;
    api_sql(&srv, "SELECT count(*) FROM models;", &models);
    cr_assert_eq(models, 0, "the refused model is not stored");

    const char *gen = "{\"name\":\"g\",\"generator\":\"gauss\",\"n\":262144}";
    r = as_alice("POST", "/v1/datasets", "application/json", gen,
                 strlen(gen)); /* 262144 × 12 bytes: the whole quota */
    cr_assert_eq(r.status, 201, "exactly the quota fits: %s", r.body);
    api_free(&r);
    char *small = wide_net(2);
    r = as_alice("POST", "/v1/models", "application/json", small,
                 strlen(small));
    free(small);
    assert_quota_refusal(&r, "a model once at the quota");
    cr_assert(strstr(r.body, "you store 3145728 bytes"), "%s", r.body);
    api_free(&r);
    r = as_alice("POST", "/v1/datasets?name=c", "text/csv", "x,y\n1,2\n", 8);
    assert_quota_refusal(&r, "a CSV once at the quota");
    api_free(&r);
}
