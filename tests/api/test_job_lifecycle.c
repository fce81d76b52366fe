/* test_job_lifecycle.c — a job's states: queued with a position, running,
 * a busy model's 409, cancel (queued, running, finished), history paging,
 * listing with filters, defaults reported, and divergence. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "jobs_helpers.h"

static api_server srv;
static char xor_ds[64];

static void setup(void)
{
    api_start(&srv, (const char *[]){"--workers", "1", NULL});
    make_generated(&srv, "xor", xor_ds);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(job_lifecycle, .init = setup, .fini = teardown, .timeout = 120);

static json_t *get_job(const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", id);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    json_t *j = json_incref(r.json);
    api_free(&r);
    return j;
}

static const char *status_of(json_t *job)
{
    return json_string_value(json_object_get(job, "status"));
}

/* Waits until the job is running and has done at least one epoch. */
static void wait_running(const char *id)
{
    for (int i = 0; i < 1000; i++) {
        json_t *j = get_job(id);
        bool going = strcmp(status_of(j), "running") == 0 &&
                     json_integer_value(json_object_get(j, "epoch")) > 0;
        json_decref(j);
        if (going)
            return;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("job %s never ran", id);
}

Test(job_lifecycle, defaults_are_reported_and_seed_is_filled)
{
    char md[64], job[64];
    make_xor_net(&srv, md);
    start_job(&srv, md, xor_ds, "\"epochs\":%u", job, 3u);
    json_t *j = api_wait_job(&srv, job, 30);
    json_t *p = json_object_get(j, "params");
    cr_assert_eq(json_integer_value(json_object_get(p, "batch_size")), 32);
    cr_assert_str_eq(json_string_value(json_object_get(p, "normalize")),
                     "standard");
    cr_assert(json_is_true(json_object_get(p, "shuffle")));
    cr_assert(json_is_integer(json_object_get(p, "seed")));
    json_t *o = json_object_get(p, "optimizer");
    cr_assert_str_eq(json_string_value(json_object_get(o, "name")), "sgd");
    cr_assert_float_eq(json_number_value(json_object_get(o, "learning_rate")),
                       0.01, 1e-12);
    cr_assert_eq(json_integer_value(json_object_get(j, "epoch")), 3);
    cr_assert_float_eq(json_number_value(json_object_get(j, "progress")), 1.0,
                       1e-12);
    cr_assert(json_is_string(json_object_get(j, "started_at")));
    cr_assert(json_is_string(json_object_get(j, "finished_at")));
    json_decref(j);
}

Test(job_lifecycle, busy_model_conflict_then_cancel_running)
{
    char md[64], job[64];
    make_xor_net(&srv, md);
    start_job(&srv, md, xor_ds, "\"epochs\":%u,\"batch_size\":1", job,
              1000000u);
    char body[256];
    snprintf(body, sizeof body, "{\"model_id\":\"%s\",\"dataset_id\":\"%s\"}",
             md, xor_ds);
    api_response r = api_json(&srv, "POST", "/v1/jobs", body);
    api_assert_problem(&r, 409, NULL);
    api_free(&r);
    wait_running(job);
    char path[128];
    /* In use: neither the model nor the dataset can go. */
    snprintf(path, sizeof path, "/v1/models/%s", md);
    r = api_call(&srv, "DELETE", path, NULL, NULL, 0);
    api_assert_problem(&r, 409, NULL);
    api_free(&r);
    snprintf(path, sizeof path, "/v1/datasets/%s", xor_ds);
    r = api_call(&srv, "DELETE", path, NULL, NULL, 0);
    api_assert_problem(&r, 409, NULL);
    api_free(&r);
    /* Training does not hold predictions up. */
    float out[4];
    predict4(&srv, md, out);
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", job);
    r = api_call(&srv, "POST", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 202, "%s", r.body);
    api_free(&r);
    json_t *j = api_wait_job(&srv, job, 10);
    cr_assert_str_eq(status_of(j), "cancelled");
    cr_assert_lt(json_integer_value(json_object_get(j, "epoch")), 1000000);
    json_decref(j);
    r = api_call(&srv, "POST", path, NULL, NULL, 0);
    api_assert_problem(&r, 409, NULL);
    api_free(&r);
    /* The model is free again. */
    r = api_json(&srv, "POST", "/v1/jobs", body);
    cr_assert_eq(r.status, 202, "%s", r.body);
    api_free(&r);
}

Test(job_lifecycle, queued_job_has_a_position_and_cancels_at_once)
{
    char a[64], b[64], ja[64], jb[64];
    make_xor_net(&srv, a);
    make_xor_net(&srv, b);
    /* One worker: the first job blocks the second in the queue. */
    start_job(&srv, a, xor_ds, "\"epochs\":%u,\"batch_size\":1", ja, 1000000u);
    wait_running(ja);
    start_job(&srv, b, xor_ds, "\"epochs\":%u", jb, 10u);
    json_t *j = get_job(jb);
    cr_assert_str_eq(status_of(j), "queued");
    cr_assert_eq(json_integer_value(json_object_get(j, "queue_position")), 1);
    json_decref(j);
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", jb);
    api_response r = api_call(&srv, "POST", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 202);
    cr_assert_str_eq(api_str(&r, "status"), "cancelled");
    api_free(&r);
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", ja);
    r = api_call(&srv, "POST", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 202);
    api_free(&r);
    j = api_wait_job(&srv, ja, 10);
    cr_assert_str_eq(status_of(j), "cancelled");
    json_decref(j);
}

Test(job_lifecycle, history_pages_and_clamps)
{
    char md[64], job[64];
    make_xor_net(&srv, md);
    start_job(&srv, md, xor_ds, "\"epochs\":%u", job, 1500u);
    json_decref(api_wait_job(&srv, job, 60));
    char path[160];
    snprintf(path, sizeof path, "/v1/jobs/%s/history", job);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 100);
    cr_assert_eq(json_integer_value(json_object_get(r.json,
                                                    "next_after_epoch")),
                 100);
    api_free(&r);
    snprintf(path, sizeof path, "/v1/jobs/%s/history?after_epoch=1490&limit=5",
             job);
    r = api_call(&srv, "GET", path, NULL, NULL, 0);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 5);
    cr_assert_eq(json_integer_value(
                     json_object_get(json_array_get(items, 0), "epoch")),
                 1491);
    json_t *p = json_array_get(items, 0);
    cr_assert(json_is_number(json_object_get(p, "loss")));
    cr_assert(json_is_null(json_object_get(p, "val_loss")));
    cr_assert(json_is_number(json_object_get(p, "elapsed_ms")));
    api_free(&r);
    snprintf(path, sizeof path, "/v1/jobs/%s/history?after_epoch=1495&limit=5",
             job);
    r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 5);
    cr_assert(json_is_null(json_object_get(r.json, "next_after_epoch")));
    api_free(&r);
    snprintf(path, sizeof path, "/v1/jobs/%s/history?limit=5000", job);
    r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1000,
                 "limit is clamped to 1000");
    api_free(&r);
    snprintf(path, sizeof path, "/v1/jobs/%s/history?limit=abc", job);
    r = api_call(&srv, "GET", path, NULL, NULL, 0);
    api_assert_problem(&r, 400, "?limit");
    api_free(&r);
}

Test(job_lifecycle, list_filters_and_pages)
{
    char m1[64], m2[64], j1[64], j2[64], j3[64];
    make_xor_net(&srv, m1);
    make_xor_net(&srv, m2);
    start_job(&srv, m1, xor_ds, "\"epochs\":%u", j1, 2u);
    json_decref(api_wait_job(&srv, j1, 30));
    start_job(&srv, m1, xor_ds, "\"epochs\":%u", j2, 2u);
    json_decref(api_wait_job(&srv, j2, 30));
    start_job(&srv, m2, xor_ds, "\"epochs\":%u", j3, 2u);
    json_decref(api_wait_job(&srv, j3, 30));
    char path[512];
    snprintf(path, sizeof path, "/v1/jobs?model_id=%s&limit=1", m1);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0),
                                                       "id")),
                     j2, "newest first");
    const char *cursor =
        json_string_value(json_object_get(r.json, "next_cursor"));
    cr_assert_not_null(cursor);
    snprintf(path, sizeof path, "/v1/jobs?model_id=%s&limit=1&cursor=%s", m1,
             cursor);
    api_response r2 = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r2.status, 200, "%s", r2.body);
    items = json_object_get(r2.json, "items");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0),
                                                       "id")),
                     j1);
    cr_assert(json_is_null(json_object_get(r2.json, "next_cursor")));
    api_free(&r);
    api_free(&r2);
    r = api_call(&srv, "GET", "/v1/jobs?status=succeeded", NULL, NULL, 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 3);
    api_free(&r);
    r = api_call(&srv, "GET", "/v1/jobs?status=done", NULL, NULL, 0);
    api_assert_problem(&r, 422, "?status");
    api_free(&r);
    r = api_call(&srv, "GET", "/v1/jobs?cursor=zz", NULL, NULL, 0);
    api_assert_problem(&r, 400, "?cursor");
    api_free(&r);
}

Test(job_lifecycle, diverging_job_fails_with_reason)
{
    char job[64];
    start_diverging_job(&srv, job);
    json_t *j = api_wait_job(&srv, job, 30);
    cr_assert_str_eq(status_of(j), "failed");
    cr_assert(strstr(json_string_value(json_object_get(j, "error")),
                     "diverged"),
              "%s", json_string_value(json_object_get(j, "error")));
    json_decref(j);
    char path[160];
    snprintf(path, sizeof path, "/v1/jobs/%s/history", job);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(r.json, "history stays valid JSON: %s", r.body);
    api_free(&r);
}
