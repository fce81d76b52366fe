/* test_restart_cnn.c — a convolutional job killed mid-training (SIGKILL,
 * after a few checkpoints) and resumed after a restart ends with exactly
 * the weights of the same job run without interruption: the checkpoint
 * carries the conv and dense weights, Adam's moments, batchnorm's running
 * statistics and the RNG behind shuffling and dropout. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "jobs_helpers.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(restart_cnn, .fini = teardown, .timeout = 240);

enum { ROWS = 96, SIDE = 8, EPOCHS = 6000 };

/* A JSON image dataset of ROWS [1, SIDE, SIDE] images, two classes: a
 * bright row ("h") or a bright column ("v") at a varying place, on a
 * noisy background (a fixed LCG, so every run has the same data). */
static void make_bars(char id[64])
{
    size_t cap = (size_t)ROWS * SIDE * SIDE * 8 + 4096, n = 0;
    char *b = malloc(cap);
    cr_assert_not_null(b);
    unsigned lcg = 12345;
    n += (size_t)snprintf(b + n, cap - n, "{\"name\":\"bars\",\"input_shape\":"
                          "[1,%d,%d],\"inputs\":[", SIDE, SIDE);
    for (int r = 0; r < ROWS; r++) {
        int at = r % SIDE, vertical = (r / SIDE) % 2;
        for (int p = 0; p < SIDE * SIDE; p++) {
            lcg = lcg * 1103515245u + 12345u;
            int on = vertical ? p % SIDE == at : p / SIDE == at;
            double v = (on ? 0.8 : 0.0) + (double)(lcg >> 16 & 255) / 1280.0;
            n += (size_t)snprintf(b + n, cap - n, "%s%.3f",
                                  p ? "," : (r ? "],[" : "["), v);
        }
    }
    n += (size_t)snprintf(b + n, cap - n, "]],\"labels\":[");
    for (int r = 0; r < ROWS; r++)
        n += (size_t)snprintf(b + n, cap - n, "%s\"%s\"", r ? "," : "",
                              (r / SIDE) % 2 ? "v" : "h");
    snprintf(b + n, cap - n, "]}");
    make_dataset(&srv, b, id);
    free(b);
}

/* conv2d → batchnorm → maxpool → flatten → dropout → dense: every layer
 * kind with state a checkpoint must carry. */
static void make_cnn(char id[64])
{
    make_model(&srv,
               "{\"name\":\"cnn\",\"input_shape\":[1,8,8],\"layers\":["
               "{\"type\":\"conv2d\",\"filters\":4,\"kernel\":3,"
               "\"padding\":\"same\",\"activation\":\"relu\"},"
               "{\"type\":\"batchnorm\"},{\"type\":\"maxpool2d\",\"size\":2},"
               "{\"type\":\"flatten\"},{\"type\":\"dropout\",\"rate\":0.25},"
               "{\"units\":2,\"activation\":\"softmax\"}],"
               "\"loss\":\"cross_entropy\",\"seed\":5}",
               id);
}

static void start_cnn_job(const char *md, const char *ds, char job[64])
{
    start_job(&srv, md, ds,
              "\"epochs\":%u,\"batch_size\":8,\"optimizer\":{\"name\":"
              "\"adam\",\"learning_rate\":0.002},\"validation_split\":0.25,"
              "\"seed\":9",
              job, (unsigned)EPOCHS);
}

static json_t *get_json(const char *fmt, const char *id)
{
    char path[160];
    snprintf(path, sizeof path, fmt, id);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
    json_t *j = json_incref(r.json);
    api_free(&r);
    return j;
}

/* A succeeded job's model's weights (a new reference). */
static json_t *final_weights(const char *job, const char *md)
{
    json_t *j = api_wait_job(&srv, job, 200);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded", "job %s", job);
    cr_assert_eq(api_int(j, "epoch"), EPOCHS);
    json_decref(j);
    json_t *m = get_json("/v1/models/%s?weights=true", md);
    json_t *w = json_incref(json_object_get(m, "weights"));
    json_decref(m);
    cr_assert(json_array_size(w) == 6, "one weights entry per layer");
    return w;
}

Test(restart_cnn, killed_job_resumes_to_the_uninterrupted_weights)
{
    const char *fast[] = {"--checkpoint-ms", "50", "--workers", "1", NULL};
    api_start(&srv, fast);
    char ds[64], md[64], job[64], ref_md[64], ref_job[64];
    make_bars(ds);
    make_cnn(md);
    make_cnn(ref_md);
    start_cnn_job(md, ds, job);
    long at = kill_mid_job(&srv, job, 100, EPOCHS, fast);
    json_t *resumed = final_weights(job, md);
    assert_resumed_from_checkpoint(&srv, job, at);

    start_cnn_job(ref_md, ds, ref_job);
    json_t *straight = final_weights(ref_job, ref_md);
    char *a = json_dumps(resumed, JSON_COMPACT | JSON_REAL_PRECISION(9));
    char *b = json_dumps(straight, JSON_COMPACT | JSON_REAL_PRECISION(9));
    cr_assert(a && b);
    cr_assert(strcmp(a, b) == 0, "resumed weights differ from the "
              "uninterrupted run's:\n%.300s\n%.300s", a, b);
    json_t *w0 = json_array_get(resumed, 0), *bn = json_array_get(resumed, 1);
    cr_assert_eq(json_array_size(json_object_get(w0, "W")), 4,
                 "the conv layer's 4 filters are compared");
    cr_assert_eq(json_array_size(json_object_get(bn, "running_mean")), 4,
                 "batchnorm's running statistics are compared");
    free(a);
    free(b);
    json_decref(resumed);
    json_decref(straight);
}
