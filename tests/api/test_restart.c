/* test_restart.c — what survives the process: datasets, models, jobs and
 * histories across a clean stop; a job stopped by SIGTERM or killed with
 * SIGKILL mid-training resumes from its checkpoint after a restart, and
 * its history has every epoch exactly once. */
#include <criterion/criterion.h>
#include <signal.h>
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

TestSuite(restart, .fini = teardown, .timeout = 180);

static long get_status(const char *path)
{
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    long st = r.status;
    api_free(&r);
    return st;
}

/* A job long enough to be interrupted: XOR, batch 1. */
static void long_job(char ds[64], char md[64], char job[64], unsigned epochs)
{
    make_generated(&srv, "xor", ds);
    make_model(&srv,
               "{\"name\":\"n\",\"inputs\":2,\"layers\":[{\"units\":8,"
               "\"activation\":\"tanh\"},{\"units\":1,\"activation\":"
               "\"sigmoid\"}],\"seed\":1}",
               md);
    start_job(&srv, md, ds, "\"epochs\":%u,\"batch_size\":1", job, epochs);
}

/* The epoch the server's log says the job resumed from, or −1. */
static long resumed_from(const char *job)
{
    FILE *f = fopen(srv.log, "r");
    char line[512];
    long epoch = -1;
    while (f && fgets(line, sizeof line, f)) {
        const char *at = strstr(line, "resumes from its checkpoint at epoch ");
        if (at && strstr(line, job))
            epoch = strtol(at + strlen("resumes from its checkpoint at epoch "),
                           NULL, 10);
    }
    if (f)
        fclose(f);
    return epoch;
}

Test(restart, everything_survives_a_clean_stop)
{
    api_start(&srv, NULL);
    char ds[64], md[64], job[64];
    make_generated(&srv, "xor", ds);
    make_model(&srv, "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":2}",
               md);
    start_job(&srv, md, ds, "\"epochs\":%u", job, 10u);
    json_decref(api_wait_job(&srv, job, 30));
    api_stop(&srv);
    api_restart(&srv, NULL);
    char path[128];
    snprintf(path, sizeof path, "/v1/datasets/%s", ds);
    cr_assert_eq(get_status(path), 200);
    snprintf(path, sizeof path, "/v1/models/%s", md);
    cr_assert_eq(get_status(path), 200);
    json_t *j = api_wait_job(&srv, job, 5);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")),
                     "succeeded");
    json_decref(j);
    assert_history_complete(&srv, job, 10);
}

/* Whether the server's log has a line holding both a and b. */
static bool log_has(const char *a, const char *b)
{
    char *log = api_log(&srv);
    bool found = false;
    for (char *line = log; line && *line && !found;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        found = strstr(line, a) && strstr(line, b);
        line = end ? end + 1 : NULL;
    }
    free(log);
    return found;
}

/* A long job, the server stopped by sig while it trains (exit 0 asserted),
 * started again: the job resumes from its last epoch and its history
 * holds every epoch once. */
static void stop_and_resume(int sig, const char *sig_name)
{
    api_start(&srv, NULL);
    char ds[64], md[64], job[64];
    long_job(ds, md, job, 1000000u);
    wait_epochs(&srv, job, 500);
    api_stop_by(&srv, sig); /* asserts exit status 0 */
    cr_assert(log_has("event=server.stopping", sig_name), "no stopping line "
              "naming %s", sig_name);
    cr_assert(log_has("event=job.requeued", job), "job %s not requeued", job);
    cr_assert(log_has("event=server.stopped", "stopped cleanly"));
    api_restart(&srv, NULL);
    /* The stop may come well past epoch 1000, so wait for the resume
     * itself rather than for an epoch count the job already had. */
    long from = -1;
    for (int i = 0; i < 3000 && (from = resumed_from(job)) < 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    cr_assert_geq(from, 500, "a clean stop checkpoints the last epoch, "
                             "resumed from %ld", from);
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", job);
    api_response r = api_call(&srv, "POST", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 202, "%s", r.body);
    api_free(&r);
    json_t *j = api_wait_job(&srv, job, 30);
    json_int_t last = json_integer_value(json_object_get(j, "epoch"));
    json_decref(j);
    assert_history_complete(&srv, job, last);
}

Test(restart, sigterm_requeues_and_the_job_resumes)
{
    stop_and_resume(SIGTERM, "signal=SIGTERM");
}

Test(restart, sigint_stops_as_cleanly_as_sigterm)
{
    stop_and_resume(SIGINT, "signal=SIGINT");
}

Test(restart, sigkill_resumes_from_the_checkpoint)
{
    const char *fast[] = {"--checkpoint-ms", "100", NULL};
    api_start(&srv, fast);
    char ds[64], md[64], job[64];
    long_job(ds, md, job, 1000000u);
    wait_epochs(&srv, job, 2000);
    struct timespec ts = {0, 300000000}; /* a few checkpoints */
    nanosleep(&ts, NULL);
    json_int_t before = job_epoch(&srv, job);
    api_kill(&srv);
    api_restart(&srv, fast);
    wait_epochs(&srv, job, before + 1000);
    long from = resumed_from(job);
    cr_assert_gt(from, 0, "the job did not resume from a checkpoint");
    cr_assert_leq(from, before, "resumed past the last recorded epoch");
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", job);
    api_response r = api_call(&srv, "POST", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 202, "%s", r.body);
    api_free(&r);
    json_t *j = api_wait_job(&srv, job, 30);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")),
                     "cancelled");
    json_int_t last = json_integer_value(json_object_get(j, "epoch"));
    json_decref(j);
    assert_history_complete(&srv, job, last);
}
