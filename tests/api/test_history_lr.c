/* test_history_lr.c — every history point and epoch event says the
 * learning rate its epoch's last step trained with ("lr"), on a real
 * neurond: the stored history (paged and downsampled) and the replayed
 * events work it out from the job's params, the live events carry what
 * the trainer used, and both follow the schedule as worked out here
 * (nanoGPT's get_lr): warm-up rising, cosine falling to min_learning_rate
 * at the last step; a per-epoch decay; null for a perceptron. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "jobs_helpers.h"
#include "sse_client.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, (const char *[]){"--workers", "1", NULL});
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(history_lr, .init = setup, .fini = teardown, .timeout = 90);

/* XOR's 4 rows in batches of 1: 4 steps an epoch, 30 epochs, 120 steps. */
#define EPOCHS 30
#define STEPS 4
#define WARMUP 20
static const char schedule_job[] =
    "\"epochs\":%u,\"batch_size\":1,\"seed\":3,\"optimizer\":{\"name\":"
    "\"adam\",\"learning_rate\":0.05},\"lr_schedule\":{\"warmup_steps\":20,"
    "\"decay\":\"cosine\",\"min_learning_rate\":0.001}";

/* The rate of step s (from 0) of the run, in double. */
static double get_lr(long s)
{
    const double lr = 0.05, lo = 0.001;
    const long last = EPOCHS * STEPS - 1;
    if (s < WARMUP)
        return lr * (double)(s + 1) / (WARMUP + 1);
    double r = (double)(s - WARMUP) / (double)(last - WARMUP);
    return lo + 0.5 * (1.0 + cos(M_PI * r)) * (lr - lo);
}

static double lr_of(json_t *point)
{
    json_t *lr = json_object_get(point, "lr");
    cr_assert(json_is_number(lr), "epoch %lld has no lr",
              (long long)api_int(point, "epoch"));
    return json_number_value(lr);
}

/* GET path; asserts 200 and returns its items (caller decrefs). */
static json_t *items_of(const char *path)
{
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
    json_t *items = json_incref(json_object_get(r.json, "items"));
    api_free(&r);
    return items;
}

static json_t *history(const char *job, const char *query)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/jobs/%s/history%s", job, query);
    return items_of(path);
}

/* Occupies the one worker with a long job (its id into blocker), so that
 * the next job stays queued until the blocker is cancelled. */
static void block_worker(const char *ds, char blocker[64])
{
    char md[64];
    make_xor_net(&srv, md);
    start_job(&srv, md, ds, "\"epochs\":%u,\"batch_size\":4", blocker,
              1000000u);
}

/* Watches job from before its first epoch to its end: connected while it
 * is still queued behind blocker, then the blocker cancelled. */
static void watch_live(const char *job, const char *blocker, sse_client *c)
{
    pthread_t t;
    sse_init(c, &srv, job);
    pthread_create(&t, NULL, sse_watch, c);
    sse_wait_connected(c, 1);
    cancel_job(&srv, blocker);
    pthread_join(t, NULL);
    cr_assert_eq(c->status, 200);
}

/* Asserts each epoch event of c has the lr of that epoch in h; returns
 * how many epoch events there were. */
static size_t assert_events_match(const sse_client *c, json_t *h)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_events; i++) {
        const sse_event *e = &c->events[i];
        if (strcmp(e->name, "epoch") != 0)
            continue;
        json_t *p = json_array_get(h, (size_t)e->id - 1);
        cr_assert_eq(api_int(p, "epoch"), e->id);
        cr_assert(json_equal(json_object_get(e->data, "lr"),
                             json_object_get(p, "lr")),
                  "epoch %ld: event lr %g, history lr %g", e->id,
                  lr_of(e->data), lr_of(p));
        n++;
    }
    return n;
}

Test(history_lr, points_follow_warmup_then_cosine)
{
    char ds[64], md[64], job[64], blocker[64];
    make_generated(&srv, "xor", ds);
    block_worker(ds, blocker);
    make_xor_net(&srv, md);
    start_job(&srv, md, ds, schedule_job, job, EPOCHS);
    sse_client live;
    watch_live(job, blocker, &live);
    json_t *j = api_wait_job(&srv, job, 30);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded");
    cr_assert_eq(api_int(json_object_get(j, "params"), "steps_per_epoch"),
                 STEPS);
    json_decref(j);

    json_t *h = history(job, "?limit=1000");
    cr_assert_eq(json_array_size(h), EPOCHS);
    double prev = 0;
    for (long e = 1; e <= EPOCHS; e++) {
        double lr = lr_of(json_array_get(h, (size_t)e - 1));
        double want = get_lr(e * STEPS - 1);
        cr_assert_float_eq(lr, want, 1e-6 * want, "epoch %ld: %.9g, want %.9g",
                           e, lr, want);
        if (e * STEPS <= WARMUP)
            cr_assert_gt(lr, prev, "warm-up rises at epoch %ld", e);
        else if (e > WARMUP / STEPS + 1)
            cr_assert_lt(lr, prev, "cosine falls at epoch %ld", e);
        prev = lr;
    }
    cr_assert_eq(prev, 0.001, "the last step trains with the minimum");

    /* Connected before epoch 1: every epoch event here came live. */
    size_t live_epochs = assert_events_match(&live, h);
    cr_assert_geq(live_epochs, 1, "live epochs: %zu", live_epochs);
    long last = 0;
    for (size_t k = 0; k < live.n_events; k++)
        if (strcmp(live.events[k].name, "epoch") == 0)
            last = live.events[k].id;
    cr_assert_eq(last, EPOCHS, "the last epoch comes live before end");
    sse_free(&live);

    sse_client replay; /* after the end: every epoch from the store */
    sse_init(&replay, &srv, job);
    sse_watch(&replay);
    cr_assert_eq(assert_events_match(&replay, h), EPOCHS);
    sse_free(&replay);

    json_t *sampled = history(job, "?max_points=4");
    cr_assert_leq(json_array_size(sampled), 4);
    size_t i;
    json_t *p;
    json_array_foreach(sampled, i, p) {
        json_int_t e = api_int(p, "epoch");
        cr_assert(json_equal(json_object_get(p, "lr"),
                             json_object_get(json_array_get(h, (size_t)e - 1),
                                             "lr")),
                  "sampled epoch %lld", (long long)e);
    }
    json_decref(sampled);
    json_decref(h);
}

/* Without a schedule an sgd job's per-epoch decay shows, epoch by epoch;
 * a perceptron, which has no learning rate, reports null. */
Test(history_lr, per_epoch_decay_and_perceptrons)
{
    char ds[64], md[64], job[64];
    make_generated(&srv, "and", ds);
    make_xor_net(&srv, md);
    start_job(&srv, md, ds,
              "\"epochs\":%u,\"batch_size\":4,\"optimizer\":{\"name\":\"sgd\","
              "\"learning_rate\":0.8,\"lr_decay\":0.5}",
              job, 4u);
    json_decref(api_wait_job(&srv, job, 30));
    json_t *h = history(job, "");
    cr_assert_eq(json_array_size(h), 4);
    for (size_t e = 1; e <= 4; e++)
        cr_assert_float_eq(lr_of(json_array_get(h, e - 1)),
                           0.8 * pow(0.5, (double)e - 1), 1e-7, "epoch %zu",
                           e);
    json_decref(h);

    char pc[64];
    make_model(&srv, "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":2}", pc);
    start_job(&srv, pc, ds, "\"epochs\":%u", job, 3u);
    json_t *j = api_wait_job(&srv, job, 30);
    cr_assert_null(json_object_get(json_object_get(j, "params"),
                                   "steps_per_epoch"));
    json_decref(j);
    h = history(job, "");
    cr_assert_gt(json_array_size(h), 0);
    size_t i;
    json_t *p;
    json_array_foreach(h, i, p)
        cr_assert(json_is_null(json_object_get(p, "lr")), "epoch %zu", i + 1);
    json_decref(h);
}

/* A text job's steps per epoch: its windows before the held-out block,
 * batch_size a step, or epoch_steps when given. */
Test(history_lr, text_jobs_count_their_steps)
{
    char text[2001], ds[64], md[64], job[64];
    for (int k = 0; k < 2000; k++)
        text[k] = "abcd\n"[(k * 7 + k / 3) % 5];
    text[2000] = '\0';
    api_response r = api_call(&srv, "POST", "/v1/datasets?name=t",
                              "text/plain; charset=utf-8", text, 2000);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(ds, sizeof ds, "%s", api_str(&r, "id"));
    api_free(&r);
    make_model(&srv,
               "{\"name\":\"lm\",\"vocab_size\":5,\"context\":16,\"layers\":"
               "[{\"type\":\"embedding\",\"dim\":8},{\"units\":5,"
               "\"activation\":\"softmax\"}]}",
               md);
    const struct {
        const char *fields;
        long steps;
    } cases[] = {
        /* 2000 − 200 held out − 16 = 1784 windows, 56 batches of 32 */
        {"\"epochs\":%u,\"batch_size\":32,\"validation_split\":0.1", 56},
        {"\"epochs\":%u,\"batch_size\":32,\"epoch_steps\":3", 3},
    };
    for (size_t c = 0; c < 2; c++) {
        start_job(&srv, md, ds, cases[c].fields, job, 1u);
        json_t *j = api_wait_job(&srv, job, 30);
        cr_assert_str_eq(api_jstr(j, "status"), "succeeded", "%s",
                         api_jstr(j, "error"));
        cr_assert_eq(api_int(json_object_get(j, "params"), "steps_per_epoch"),
                     cases[c].steps, "case %zu", c);
        json_decref(j);
    }
}
