/* test_pause.c — POST /v1/jobs/{id}/pause and /resume: a running job
 * pauses after its epoch with its history and checkpoint, frees its worker
 * and keeps its model busy; a step (pause_after: 1) trains exactly one
 * epoch; resumed to the end it trains as if never paused; the event
 * stream stays open through it all; and the refusals. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "jobs_helpers.h"
#include "model_calls.h"
#include "sse_client.h"

static api_server srv;
static char xor_ds[64], circle_ds[64];

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    api_start(&srv, (const char *[]){"--workers", "1", NULL});
    make_generated(&srv, "xor", xor_ds);
    make_generated(&srv, "circle", circle_ds);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(pause, .init = setup, .fini = teardown, .timeout = 120);

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* POST /v1/jobs/{job}/<action> with body (NULL: none); asserts status and
 * returns the reply's JSON (caller decrefs). */
static json_t *control(const char *job, const char *action, const char *body,
                       long status)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s/%s", job, action);
    api_response r = body ? api_json(&srv, "POST", path, body)
                          : api_call(&srv, "POST", path, NULL, NULL, 0);
    cr_assert_eq(r.status, status, "%s %s: %ld %s", action, job, r.status,
                 r.body);
    json_t *j = json_incref(r.json);
    api_free(&r);
    return j;
}

static json_t *get_job(const char *job)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", job);
    return mt_get(&srv, path);
}

/* Polls until the job has trained at least n epochs. */
static void wait_epoch(const char *job, json_int_t n)
{
    for (int i = 0; i < 1500; i++) {
        json_t *j = get_job(job);
        json_int_t e = api_int(j, "epoch");
        json_decref(j);
        if (e >= n)
            return;
        sleep_ms(20);
    }
    cr_assert_fail("job %s never reached epoch %lld", job, (long long)n);
}

/* Waits for the job to stop being queued or running; asserts its status. */
static json_t *wait_status(const char *job, const char *status)
{
    json_t *j = api_wait_job(&srv, job, 60);
    cr_assert_str_eq(api_jstr(j, "status"), status);
    return j;
}

/* Asserts the stored history is exactly epochs 1..n. */
static void assert_history(const char *job, json_int_t n)
{
    char path[160];
    json_int_t seen = 0, after = 0;
    for (;;) {
        snprintf(path, sizeof path, "/v1/jobs/%s/history?limit=1000"
                 "&after_epoch=%lld", job, (long long)after);
        json_t *page = mt_get(&srv, path);
        json_t *items = json_object_get(page, "items"), *p;
        size_t i;
        json_array_foreach(items, i, p)
            cr_assert_eq(api_int(p, "epoch"), ++seen, "history in order");
        after = seen;
        bool more = !json_is_null(json_object_get(page, "next_after_epoch"));
        json_decref(page);
        if (!more)
            break;
    }
    cr_assert_eq(seen, n, "history has %lld epochs, want %lld",
                 (long long)seen, (long long)n);
}

Test(pause, pause_frees_the_worker_and_step_trains_one_epoch)
{
    char md[64], job[64], other_md[64], other[64], path[128];
    make_model(&srv, "{\"name\":\"c\",\"inputs\":2,\"layers\":[{\"units\":8,"
                     "\"activation\":\"tanh\"},{\"units\":2,\"activation\":"
                     "\"softmax\"}],\"loss\":\"cross_entropy\",\"seed\":1}",
               md);
    start_job(&srv, md, circle_ds, "\"epochs\":%u,\"batch_size\":4", job,
              1000000u);
    wait_epoch(job, 3);
    json_t *j = control(job, "pause", NULL, 202);
    cr_assert(json_is_true(json_object_get(j, "pause_requested")) ||
                  strcmp(api_jstr(j, "status"), "paused") == 0,
              "%s", api_jstr(j, "status"));
    json_decref(j);
    j = wait_status(job, "paused");
    json_int_t e = api_int(j, "epoch");
    cr_assert(json_is_false(json_object_get(j, "pause_requested")));
    json_decref(j);
    sleep_ms(300);
    j = get_job(job);
    cr_assert_eq(api_int(j, "epoch"), e, "a paused job does not train");
    json_decref(j);
    assert_history(job, e);

    /* The worker is free: another model's job runs to its end. */
    make_xor_net(&srv, other_md);
    start_job(&srv, other_md, xor_ds, "\"epochs\":%u", other, 20u);
    json_decref(wait_status(other, "succeeded"));

    /* The paused job still holds its model. */
    char body[256];
    snprintf(body, sizeof body, "{\"model_id\":\"%s\",\"dataset_id\":\"%s\"}",
             md, circle_ds);
    api_response r = api_json(&srv, "POST", "/v1/jobs", body);
    api_assert_problem(&r, 409, NULL);
    api_free(&r);
    snprintf(path, sizeof path, "/v1/models/%s", md);
    mt_refused(&srv, "DELETE", path, NULL, 409, NULL);
    snprintf(path, sizeof path, "/v1/models/%s/reset", md);
    mt_refused(&srv, "POST", path, "{}", 409, NULL);

    /* A step is one epoch; three steps at once are three. */
    json_decref(control(job, "resume", "{\"pause_after\": 1}", 202));
    json_decref(wait_status(job, "paused"));
    j = get_job(job);
    cr_assert_eq(api_int(j, "epoch"), e + 1, "a step trains one epoch");
    json_decref(j);
    j = control(job, "resume", "{\"pause_after\": 3}", 202);
    cr_assert_eq(api_int(j, "pause_at"), e + 4);
    json_decref(j);
    json_decref(wait_status(job, "paused"));
    j = get_job(job);
    cr_assert_eq(api_int(j, "epoch"), e + 4);
    json_decref(j);
    assert_history(job, e + 4);
    j = control(job, "cancel", NULL, 202);
    cr_assert_str_eq(api_jstr(j, "status"), "cancelled", "a paused job "
                                                         "cancels at once");
    json_decref(j);
}

/* Pauses a queued job, steps it through in pieces with a watcher on its
 * stream, and compares the result with the same job never paused. */
Test(pause, resumed_to_the_end_it_trains_as_if_never_paused)
{
    char blocker_md[64], blocker[64], md[64], job[64], straight_md[64],
        straight[64];
    make_xor_net(&srv, blocker_md);
    start_job(&srv, blocker_md, xor_ds, "\"epochs\":%u", blocker, 1000000u);
    make_xor_net(&srv, md);
    const char *fields = "\"epochs\":%u,\"batch_size\":2,\"seed\":5,"
                         "\"optimizer\":{\"learning_rate\":0.2,"
                         "\"momentum\":0.9}";
    start_job(&srv, md, xor_ds, fields, job, 300u);
    json_t *j = control(job, "pause", NULL, 202);
    cr_assert_str_eq(api_jstr(j, "status"), "paused", "queued: at once");
    cr_assert_eq(api_int(j, "epoch"), 0);
    json_decref(j);

    sse_client watch;
    pthread_t t;
    sse_init(&watch, &srv, job);
    pthread_create(&t, NULL, sse_watch, &watch);
    sse_wait_connected(&watch, 1); /* to see the first pause's status */
    cancel_job(&srv, blocker);
    json_decref(api_wait_job(&srv, blocker, 60));
    json_decref(control(job, "resume", "{\"pause_after\": 100}", 202));
    json_decref(wait_status(job, "paused"));
    j = get_job(job);
    cr_assert_eq(api_int(j, "epoch"), 100);
    json_decref(j);
    json_decref(control(job, "resume", NULL, 202)); /* no body: to the end */
    j = wait_status(job, "succeeded");
    cr_assert_eq(api_int(j, "epoch"), 300);
    json_decref(j);
    assert_history(job, 300);
    pthread_join(t, NULL);

    size_t paused = 0, last = 0;
    for (size_t i = 0; i < watch.n_events; i++) {
        const sse_event *e = &watch.events[i];
        if (strcmp(e->name, "status") == 0)
            paused += strcmp(api_jstr(e->data, "status"), "paused") == 0;
        if (strcmp(e->name, "epoch") == 0) {
            cr_assert_gt((size_t)e->id, last, "epochs only go forward");
            last = (size_t)e->id;
        }
    }
    cr_assert_geq(paused, 2, "the stream saw the pauses");
    cr_assert_eq(last, 300);
    cr_assert_str_eq(watch.events[watch.n_events - 1].name, "end");
    sse_free(&watch);

    make_xor_net(&srv, straight_md);
    start_job(&srv, straight_md, xor_ds, fields, straight, 300u);
    json_decref(wait_status(straight, "succeeded"));
    float a[4], b[4];
    predict4(&srv, md, a);
    predict4(&srv, straight_md, b);
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(a[i], b[i], 1e-6, "row %d: %g paused, %g straight",
                           i, (double)a[i], (double)b[i]);
}

Test(pause, refusals)
{
    char md[64], job[64];
    make_xor_net(&srv, md);
    start_job(&srv, md, xor_ds, "\"epochs\":%u", job, 5u);
    json_decref(wait_status(job, "succeeded"));
    json_decref(control(job, "pause", NULL, 409));
    json_decref(control(job, "resume", NULL, 409));
    json_decref(control(job, "resume", "{\"pause_after\": 0}", 422));
    json_decref(control(job, "resume", "{\"pause_after\": \"1\"}", 400));
    json_decref(control(job, "resume", "{\"steps\": 1}", 400));
    json_decref(control(job, "pause", "{}", 400));
    json_decref(control("jb_aaaaaaaaaaaaaaaaaaaaaaaaaa", "pause", NULL, 404));
    json_decref(control("jb_aaaaaaaaaaaaaaaaaaaaaaaaaa", "resume", NULL, 404));
    start_job(&srv, md, xor_ds, "\"epochs\":%u",
              job, 1000000u);
    json_decref(control(job, "resume", NULL, 409));
    cancel_job(&srv, job);
    json_decref(api_wait_job(&srv, job, 60));
}
