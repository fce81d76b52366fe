/* test_crash.c — SIGKILL while two workers train and a third job waits:
 * after a restart on the same database the store passes its integrity
 * check, every dataset, model and acknowledged job is there, the
 * interrupted jobs resume from their checkpoints and every job finishes
 * with each epoch 1..N in its history exactly once. */
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

TestSuite(crash, .fini = teardown, .timeout = 120);

#define JOBS 3
#define NET                                                                   \
    "{\"name\":\"n\",\"inputs\":2,\"layers\":[{\"units\":8,\"activation\":"    \
    "\"tanh\"},{\"units\":1,\"activation\":\"sigmoid\"}]}"
/* Seconds each job should train: long enough to be cut by the kill, short
 * enough that the test stays quick. */
#define JOB_SECONDS 1.5
#define MAX_EPOCHS 1000000u /* --max-epochs' default */

static const char *const args[] = {"--workers", "2", "--checkpoint-ms", "50",
                                   NULL};

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static json_int_t epoch_of(const char *id)
{
    json_t *j = job_get(&srv, id);
    json_int_t e = json_integer_value(json_object_get(j, "epoch"));
    json_decref(j);
    return e;
}

/* Epochs this machine (and this build: sanitizers are slower) trains in
 * JOB_SECONDS, from a job cancelled after half a second. */
static unsigned calibrate(const char *ds)
{
    char md[64], job[64], path[128];
    make_model(&srv, NET, md);
    start_job(&srv, md, ds, "\"epochs\":%u,\"batch_size\":1", job, MAX_EPOCHS);
    sleep_s(0.5);
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", job);
    api_response r = api_call(&srv, "POST", path, NULL, NULL, 0);
    api_free(&r);
    json_t *j = api_wait_job(&srv, job, 30);
    double rate = (double)json_integer_value(json_object_get(j, "epoch")) / 0.5;
    json_decref(j);
    double want = rate * JOB_SECONDS;
    return want < 1000 ? 1000 : want > MAX_EPOCHS ? MAX_EPOCHS : (unsigned)want;
}

static void assert_sql(const char *sql)
{
    long v = 0;
    if (!api_sql(&srv, sql, &v))
        cr_skip_test("the sqlite3 tool is not installed");
    cr_assert_eq(v, 1, "false after the crash: %s", sql);
}

/* The store is sound, and holds everything that was acknowledged: read
 * with the sqlite3 tool, so that it can be checked as the crash left it. */
static void assert_store(char ds[2][64], char md[JOBS][64], char job[JOBS][64])
{
    /* SQLite's own check of its file; PostgreSQL's crash safety is its
     * own (the rows below are checked on both). */
    if (!api_on_postgres())
        assert_sql("SELECT (SELECT group_concat(integrity_check) FROM "
                   "pragma_integrity_check) = 'ok';");
    char sql[512];
    for (int i = 0; i < JOBS; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM jobs j JOIN models m ON m.id = "
                 "j.model_id WHERE j.id = '%s' AND m.id = '%s';",
                 job[i], md[i]);
        assert_sql(sql);
    }
    for (int i = 0; i < 2; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM datasets WHERE id = '%s';", ds[i]);
        assert_sql(sql);
    }
}

/* The same through the API, once the server is back. */
static void assert_served(char ds[2][64], char md[JOBS][64])
{
    char path[128];
    for (int i = 0; i < 2 + JOBS; i++) {
        snprintf(path, sizeof path, i < 2 ? "/v1/datasets/%s"
                                          : "/v1/models/%s",
                 i < 2 ? ds[i] : md[i - 2]);
        api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
        cr_assert_eq(r.status, 200, "%s lost: %s", path, r.body);
        api_free(&r);
    }
}

/* History holds epochs 1..n, each once. */
static void assert_history(const char *job, json_int_t n)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT count(*) = %lld AND count(DISTINCT epoch) = %lld AND "
             "min(epoch) = 1 AND max(epoch) = %lld FROM history WHERE "
             "job_id = '%s';",
             (long long)n, (long long)n, (long long)n, job);
    assert_sql(sql);
}

static bool resumed(const char *job)
{
    FILE *f = fopen(srv.log, "r");
    char line[512];
    bool found = false;
    while (f && fgets(line, sizeof line, f))
        found |= strstr(line, job) && strstr(line, "resumes from its "
                                                   "checkpoint at epoch ");
    if (f)
        fclose(f);
    return found;
}

Test(crash, sigkill_while_two_jobs_train)
{
    api_start(&srv, args);
    char ds[2][64], md[JOBS][64], job[JOBS][64];
    make_generated(&srv, "xor", ds[0]);
    make_generated(&srv, "circle", ds[1]);
    unsigned epochs = calibrate(ds[0]);
    for (int i = 0; i < JOBS; i++) {
        make_model(&srv, NET, md[i]);
        start_job(&srv, md[i], ds[0], "\"epochs\":%u,\"batch_size\":1", job[i],
                  epochs);
    }
    /* Two train (past a few checkpoints), the third waits. */
    while (epoch_of(job[0]) < epochs / 4 || epoch_of(job[1]) < epochs / 4)
        sleep_s(0.02);
    bool was_running[JOBS];
    for (int i = 0; i < JOBS; i++) {
        json_t *j = job_get(&srv, job[i]);
        const char *st = json_string_value(json_object_get(j, "status"));
        was_running[i] = strcmp(st, "running") == 0;
        json_decref(j);
    }
    api_kill(&srv);
    assert_store(ds, md, job); /* the store as the crash left it */
    api_restart(&srv, args);
    assert_served(ds, md);
    for (int i = 0; i < JOBS; i++) {
        json_t *j = api_wait_job(&srv, job[i], 60);
        const char *st = json_string_value(json_object_get(j, "status"));
        if (strcmp(st, "failed") == 0) /* allowed, but never silently */
            cr_assert(json_is_string(json_object_get(j, "error")),
                      "failed without a reason");
        else
            cr_assert_str_eq(st, "succeeded");
        json_int_t last = json_integer_value(json_object_get(j, "epoch"));
        if (strcmp(st, "succeeded") == 0)
            cr_assert_eq(last, epochs);
        json_decref(j);
        assert_history(job[i], last);
        if (was_running[i])
            cr_assert(resumed(job[i]), "job %s did not resume from its "
                                       "checkpoint", job[i]);
    }
}
