/* test_live_weights.c — GET /v1/jobs/{id}/events?weights=true: live epoch
 * events carry the weights being trained (and the same stream without the
 * flag does not), the last one equals the stored model, a perceptron's
 * line moves epoch by epoch; the size limit and a bad flag are refused. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "jobs_helpers.h"
#include "model_calls.h"
#include "sse_client.h"

static api_server srv;
static char blocker_job[64];

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    api_start(&srv, (const char *[]){"--workers", "1", NULL});
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(live_weights, .init = setup, .fini = teardown, .timeout = 90);

/* Occupies the one worker, so that the next job waits queued while its
 * watchers connect and then trains with them watching from epoch 1. */
static void block_worker(const char *ds)
{
    char md[64];
    make_xor_net(&srv, md);
    start_job(&srv, md, ds, "\"epochs\":%u,\"batch_size\":4", blocker_job,
              1000000u);
}

static void wait_bytes(sse_client *c)
{
    for (int i = 0; i < 3000 && !__atomic_load_n(&c->len, __ATOMIC_ACQUIRE);
         i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    cr_assert_gt(c->len, 0, "the watcher never connected");
}

/* Watches job with and without ?weights=true at once, after releasing the
 * blocked worker; both streams run to their end. */
static void watch_both(const char *job, sse_client *with, sse_client *plain)
{
    pthread_t t[2];
    sse_init(with, &srv, job);
    with->query = "?weights=true";
    sse_init(plain, &srv, job);
    pthread_create(&t[0], NULL, sse_watch, with);
    pthread_create(&t[1], NULL, sse_watch, plain);
    wait_bytes(with);
    wait_bytes(plain);
    cancel_job(&srv, blocker_job);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    cr_assert_eq(with->status, 200);
    cr_assert_eq(plain->status, 200);
}

static const sse_event *last_epoch(const sse_client *c)
{
    for (size_t i = c->n_events; i-- > 0;)
        if (strcmp(c->events[i].name, "epoch") == 0)
            return &c->events[i];
    cr_assert_fail("no epoch event");
    return NULL;
}

Test(live_weights, epochs_carry_the_weights_being_trained)
{
    char ds[64], md[64], job[64];
    make_generated(&srv, "xor", ds);
    block_worker(ds);
    make_xor_net(&srv, md);
    start_job(&srv, md, ds, "\"epochs\":%u,\"batch_size\":4", job, 3000u);
    sse_client with, plain;
    watch_both(job, &with, &plain);
    size_t epochs = 0, changed = 0;
    json_t *prev = NULL;
    for (size_t i = 0; i < with.n_events; i++) {
        const sse_event *e = &with.events[i];
        if (strcmp(e->name, "epoch") != 0)
            continue;
        json_t *w = json_object_get(e->data, "weights");
        cr_assert(json_is_array(w) && json_array_size(w) == 2,
                  "epoch %ld has no weights", e->id);
        json_t *W0 = json_object_get(json_array_get(w, 0), "W");
        cr_assert_eq(json_array_size(W0), 2, "W[0] is inputs × units");
        cr_assert_eq(json_array_size(json_array_get(W0, 0)), 4);
        cr_assert_eq(json_array_size(json_object_get(json_array_get(w, 1), "b")),
                     1);
        cr_assert_str_eq(api_jstr(json_object_get(e->data, "normalization"),
                                  "kind"),
                         "standard", "the weights act on normalised inputs");
        changed += prev && !json_equal(prev, w);
        prev = w;
        epochs++;
    }
    cr_assert_geq(epochs, 2, "live epochs: %zu", epochs);
    cr_assert_eq(changed, epochs - 1, "the weights move from event to event");
    for (size_t i = 0; i < plain.n_events; i++)
        cr_assert_null(json_object_get(plain.events[i].data, "weights"),
                       "a stream without ?weights gets none");
    cr_assert_eq(sse_count(&plain, "epoch"), epochs, "the same epochs");
    json_t *model = mt_get_model(&srv, md, true);
    const sse_event *last = last_epoch(&with);
    cr_assert_eq(last->id, 3000);
    cr_assert(json_equal(json_object_get(last->data, "weights"),
                         json_object_get(model, "weights")),
              "the last epoch's weights are the ones stored");
    json_decref(model);
    sse_free(&with);
    sse_free(&plain);
}

/* A perceptron on AND: the line w·x + b = 0 of the last event separates
 * the truth table; the first epoch's differs from it. */
Test(live_weights, a_perceptrons_line_moves)
{
    char ds[64], md[64], job[64];
    make_generated(&srv, "and", ds);
    block_worker(ds);
    make_model(&srv, "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":2}",
               md);
    start_job(&srv, md, ds, "\"epochs\":%u,\"shuffle\":false", job, 100u);
    sse_client with, plain;
    watch_both(job, &with, &plain);
    const sse_event *last = last_epoch(&with);
    json_t *l = json_array_get(json_object_get(last->data, "weights"), 0);
    json_t *W = json_object_get(l, "W");
    double w1 = json_number_value(json_array_get(json_array_get(W, 0), 0));
    double w2 = json_number_value(json_array_get(json_array_get(W, 1), 0));
    double b = json_number_value(json_array_get(json_object_get(l, "b"), 0));
    cr_assert_eq(json_integer_value(json_object_get(last->data, "mistakes")),
                 0, "converged");
    cr_assert_leq(b, 0, "(0,0) is on the negative side");
    cr_assert_leq(w1 + b, 0);
    cr_assert_leq(w2 + b, 0);
    cr_assert_gt(w1 + w2 + b, 0, "(1,1) alone on the positive side");
    sse_free(&with);
    sse_free(&plain);
}

Test(live_weights, refusals)
{
    char ds[64], small[64], big[64], job[64], path[160];
    make_generated(&srv, "xor", ds);
    make_xor_net(&srv, small);
    /* 2·64 + 64 + 64·64 + 64 + 64 + 1 = 4417 parameters, past 2048. */
    make_model(&srv,
               "{\"name\":\"big\",\"inputs\":2,\"layers\":[{\"units\":64,"
               "\"activation\":\"tanh\"},{\"units\":64,\"activation\":"
               "\"tanh\"},{\"units\":1,\"activation\":\"sigmoid\"}]}",
               big);
    start_job(&srv, big, ds, "\"epochs\":%u", job, 1u);
    snprintf(path, sizeof path, "/v1/jobs/%s/events?weights=true", job);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    api_assert_problem(&r, 422, "?weights");
    api_free(&r);
    snprintf(path, sizeof path, "/v1/jobs/%s/events?weights=yes", job);
    r = api_call(&srv, "GET", path, NULL, NULL, 0);
    api_assert_problem(&r, 400, "?weights");
    api_free(&r);
    json_decref(api_wait_job(&srv, job, 30));
    snprintf(path, sizeof path, "/v1/jobs/%s/events?weights=false", job);
    r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "event: end"), "an ended job's stream ends");
    api_free(&r);
}
