/* test_leases.c — one node on SQLite is a cluster of one: a job names the
 * node that claimed it, every claim is recorded with its lease token, a
 * node renews the lease of a job that trains longer than the lease, and a
 * job whose lease is forced to run out is taken back and resumed from its
 * checkpoint by a new claim (the old run stops and writes nothing more),
 * or fails once it has been interrupted three times; a database that
 * cannot be opened is a configuration error (exit 2). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "jobs_helpers.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(leases, .fini = teardown, .timeout = 120);

/* One value the SQL prints (the test skips without the sqlite3 tool). */
static long sql_value(const char *fmt, const char *id)
{
    char sql[512];
    long v = 0;
    snprintf(sql, sizeof sql, fmt, id);
    if (!api_sql(&srv, sql, &v))
        cr_skip_test("the sqlite3 tool is not installed");
    return v;
}

static long claims_of(const char *job)
{
    return sql_value("SELECT count(*) FROM claims WHERE job_id = '%s';", job);
}

/* Waits up to 30 s for the job to have n claims recorded. */
static void wait_claims(const char *job, long n)
{
    for (int i = 0; i < 3000 && claims_of(job) < n; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    cr_assert_eq(claims_of(job), n, "job %s has %ld claims, expected %ld",
                 job, claims_of(job), n);
}

/* Makes the job's lease run out now, as if its node had died. */
static void expire_lease(const char *job)
{
    sql_value("UPDATE jobs SET lease_until = 0 WHERE id = '%s';", job);
}

static void cancel_and_wait(const char *job, const char *want)
{
    cancel_job(&srv, job);
    json_t *j = api_wait_job(&srv, job, 60);
    cr_assert_str_eq(api_jstr(j, "status"), want);
    json_decref(j);
}

static bool log_has(const char *text)
{
    char *log = api_log(&srv);
    bool has = strstr(log, text) != NULL;
    free(log);
    return has;
}

Test(leases, a_job_names_its_node_and_records_one_claim)
{
    api_start(&srv, (const char *[]){"--workers", "1", "--node-name",
                                     "trainer-7", NULL});
    char blocker[64], ds[64], md[64], job[64];
    start_long_job(&srv, blocker);
    wait_epochs(&srv, blocker, 1);
    make_generated(&srv, "xor", ds);
    make_model(&srv, "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":2}",
               md);
    start_job(&srv, md, ds, "\"epochs\":%u", job, 10u);
    json_t *queued = job_get(&srv, job);
    cr_assert_str_eq(api_jstr(queued, "status"), "queued");
    cr_assert(json_is_null(json_object_get(queued, "node")),
              "a queued job has no node yet");
    json_decref(queued);
    json_t *running = job_get(&srv, blocker);
    cr_assert_str_eq(api_jstr(running, "node"), "trainer-7");
    json_decref(running);
    cancel_and_wait(blocker, "cancelled");
    json_t *done = api_wait_job(&srv, job, 30);
    cr_assert_str_eq(api_jstr(done, "status"), "succeeded");
    cr_assert_str_eq(api_jstr(done, "node"), "trainer-7",
                     "the node is kept once the job ends");
    json_decref(done);
    cr_assert_eq(claims_of(job), 1);
    cr_assert_eq(sql_value("SELECT count(*) FROM claims WHERE job_id = '%s' "
                           "AND token = 1 AND node = 'trainer-7';", job),
                 1, "the claim records its node and token 1");
    cr_assert_eq(sql_value("SELECT count(*) FROM jobs WHERE id = '%s' AND "
                           "lease_until IS NULL;", job),
                 1, "an ended job holds no lease");
}

Test(leases, the_default_node_name_is_the_host_and_pid)
{
    api_start(&srv, NULL);
    char ds[64], md[64], job[64], host[64] = "", want[160];
    gethostname(host, sizeof host - 1);
    make_generated(&srv, "and", ds);
    make_model(&srv, "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":2}",
               md);
    start_job(&srv, md, ds, "\"epochs\":%u", job, 5u);
    json_t *done = api_wait_job(&srv, job, 30);
    snprintf(want, sizeof want, "%.31s-%ld", host, (long)srv.pid);
    cr_assert_str_eq(api_jstr(done, "node"), want);
    json_decref(done);
}

Test(leases, renewal_keeps_a_job_that_trains_past_its_lease)
{
    api_start(&srv, (const char *[]){"--lease-ms", "1000", NULL});
    char job[64];
    start_long_job(&srv, job);
    wait_epochs(&srv, job, 1);
    /* Three and a half leases: without renewal it would be taken back. */
    for (int i = 0; i < 35; i++) {
        json_t *j = job_get(&srv, job);
        cr_assert_str_eq(api_jstr(j, "status"), "running");
        json_decref(j);
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    cr_assert_eq(claims_of(job), 1, "claimed once");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE id = '%%s' "
             "AND lease_until > %lld;",
             (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    cr_assert_eq(sql_value(sql, job), 1, "its lease runs into the future");
    cancel_and_wait(job, "cancelled");
    cr_assert(!log_has("lease_lost") && !log_has("lease_expired"));
}

Test(leases, a_job_whose_lease_ran_out_resumes_from_its_checkpoint)
{
    /* Two workers: the second claims the job while the first still
     * trains it, which must then stop without writing. */
    api_start(&srv, (const char *[]){"--lease-ms", "1000", "--workers", "2",
                                     "--checkpoint-ms", "50", NULL});
    char job[64];
    start_long_job(&srv, job);
    wait_epochs(&srv, job, 20);
    expire_lease(job);
    wait_claims(job, 2);
    cr_assert_eq(sql_value("SELECT count(*) FROM claims WHERE job_id = '%s' "
                           "AND token IN (1, 2);", job), 2);
    char *log = api_log_with(&srv, "event=job.lease_lost");
    free(log);
    cr_assert(log_has("event=job.lease_lost"), "the first run stopped");
    long at = job_epoch(&srv, job);
    wait_epochs(&srv, job, at + 5);
    assert_resumed_from_checkpoint(&srv, job, at + 5);
    cancel_and_wait(job, "cancelled");
    json_t *j = job_get(&srv, job);
    assert_history_complete(&srv, job, (long)api_int(j, "epoch"));
    json_decref(j);
    cr_assert_eq(sql_value("SELECT attempts FROM jobs WHERE id = '%s';", job),
                 2, "one interruption counted");
}

Test(leases, three_lost_leases_fail_the_job_with_the_reason)
{
    api_start(&srv, (const char *[]){"--lease-ms", "1000", "--workers", "1",
                                     "--checkpoint-ms", "50", NULL});
    char job[64];
    start_long_job(&srv, job);
    for (long n = 1; n <= 3; n++) {
        wait_claims(job, n);
        wait_epochs(&srv, job, job_epoch(&srv, job) + 1);
        expire_lease(job);
    }
    json_t *j = api_wait_job(&srv, job, 60);
    cr_assert_str_eq(api_jstr(j, "status"), "failed");
    cr_assert(strstr(api_jstr(j, "error"), "interrupted 3 times"), "%s",
              api_jstr(j, "error"));
    json_decref(j);
    cr_assert_eq(claims_of(job), 3, "no fourth claim");
}

Test(leases, bad_lease_and_node_settings_fail_at_start)
{
    static char out[32768];
    cr_assert_eq(api_cli("--lease-ms 10", out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "--lease-ms"), "%s", out);
    cr_assert_eq(api_cli("--node-name 'a b'", out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "--node-name"), "%s", out);
    cr_assert_eq(api_cli("--help", out, sizeof out), 0);
    cr_assert(strstr(out, "--node-name") && strstr(out, "NEUROND_LEASE_MS"),
              "%s", out);
}

Test(leases, a_database_that_cannot_be_opened_fails_at_start_with_exit_2)
{
    static char out[8192];
    cr_assert_eq(api_cli("--port 0 --db postgresql://nobody@127.0.0.1:1/x",
                         out, sizeof out),
                 2, "%s", out);
    cr_assert(strstr(out, "cannot connect to PostgreSQL") &&
                  strstr(out, "Connection refused"),
              "%s", out);
    cr_assert_eq(api_cli("--port 0 --db 'postgresql://%zz'", out, sizeof out),
                 2, "%s", out);
    cr_assert(strstr(out, "invalid percent-encoded token"), "%s", out);
    if (api_on_postgres()) {
        char args[700];
        snprintf(args, sizeof args, "--port 0 --db '%s/no_such_database'",
                 getenv("NEUROND_TEST_PG_URI"));
        cr_assert_eq(api_cli(args, out, sizeof out), 2, "%s", out);
        cr_assert(strstr(out, "no_such_database") &&
                      strstr(out, "does not exist"), "%s",
                  out);
    }
}
