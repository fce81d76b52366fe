/* cluster_nodes.c — the cluster tests' nodes (see cluster_nodes.h). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster_nodes.h"

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

void cluster_start(api_server n[NODES], unsigned workers,
                   const char *const *extra)
{
    char name[NODES][16], w[16];
    snprintf(w, sizeof w, "%u", workers);
    for (int i = 0; i < NODES; i++) {
        snprintf(name[i], sizeof name[i], "node-%d", i);
        const char *args[16] = {"--node-name", name[i], "--workers", w};
        size_t k = 4;
        for (size_t j = 0; extra && extra[j] && k < 15; j++)
            args[k++] = extra[j];
        args[k] = NULL;
        if (i == 0) {
            api_start(&n[0], args);
            continue;
        }
        api_prepare(&n[i]);
        snprintf(n[i].db, sizeof n[i].db, "%s", n[0].db);
        api_restart(&n[i], args);
    }
}

void cluster_stop(api_server n[NODES])
{
    for (int i = NODES - 1; i >= 0; i--) {
        if (n[i].pid)
            kill(n[i].pid, SIGCONT);
        if (n[i].dir[0])
            api_cleanup(&n[i]);
    }
}

int cluster_wait_running(api_server *ask, const char *job)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", job);
    for (int i = 0; i < 3000; i++, sleep_ms(10)) {
        api_response r = api_call(ask, "GET", path, NULL, NULL, 0);
        const char *status =
            json_string_value(json_object_get(r.json, "status"));
        const char *node = json_string_value(json_object_get(r.json, "node"));
        int on = -1;
        if (status && strcmp(status, "running") == 0 && node)
            sscanf(node, "node-%d", &on);
        api_free(&r);
        if (on >= 0 && on < NODES)
            return on;
    }
    cr_assert_fail("job %s is not running on any node after 30 s", job);
    return -1;
}

void cluster_settle(api_server n[NODES])
{
    for (int i = 0; i < NODES; i++) {
        int ok = 0;
        for (int tries = 0; tries < 600 && ok < 20; tries++) {
            ok = cluster_readyz(&n[i]) == 200 ? ok + 1 : 0;
            if (!ok)
                sleep_ms(50);
        }
        cr_assert_eq(ok, 20, "node %d is not ready again", i);
    }
}

static long claims_of(api_server *s, const char *job)
{
    char sql[200];
    long v = 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claims WHERE job_id = "
             "'%s';", job);
    cr_assert(api_sql(s, sql, &v), "psql is not installed");
    return v;
}

void cluster_wait_claims(api_server *s, const char *job, long n)
{
    for (int i = 0; i < 3000 && claims_of(s, job) < n; i++)
        sleep_ms(10);
    cr_assert_eq(claims_of(s, job), n, "job %s: %ld claims, expected %ld",
                 job, claims_of(s, job), n);
}

typedef struct {
    api_server *node;
    int first, step, count;
    char (*model)[64];
    const char *ds;
    char extra[256];
    char (*job)[64];
    long status[64];
} sender;

/* One node's share of cluster_start_jobs; assertions wait for the main
 * thread, so only statuses are kept. */
static void *send_jobs(void *arg)
{
    sender *s = arg;
    for (int i = s->first; i < s->count; i += s->step) {
        char body[512];
        snprintf(body, sizeof body, "{\"model_id\":\"%s\",\"dataset_id\":"
                 "\"%s\",%s}", s->model[i], s->ds, s->extra);
        api_response r = api_json(s->node, "POST", "/v1/jobs", body);
        s->status[i / s->step] = r.status;
        const char *id = json_string_value(json_object_get(r.json, "id"));
        snprintf(s->job[i], 64, "%s", id ? id : "");
        api_free(&r);
    }
    return NULL;
}

void cluster_start_jobs(api_server n[NODES], int count, char (*model)[64],
                        const char *ds, const char *extra_fmt, unsigned arg,
                        char (*job)[64])
{
    static sender s[NODES];
    pthread_t t[NODES];
    cr_assert_leq(count, 64 * NODES);
    for (int i = 0; i < NODES; i++) {
        s[i] = (sender){&n[i], i, NODES, count, model, ds, "", job, {0}};
        snprintf(s[i].extra, sizeof s[i].extra, extra_fmt, arg);
        cr_assert_eq(pthread_create(&t[i], NULL, send_jobs, &s[i]), 0);
    }
    for (int i = 0; i < NODES; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < count; i++)
        cr_assert_eq(s[i % NODES].status[i / NODES], 202,
                     "POST /v1/jobs %d to node %d", i, i % NODES);
}

void cluster_assert_fenced(api_server *old, api_server *now, const char *job)
{
    char *log = api_log_with(old, "event=job.lease_lost");
    bool lost = strstr(log, "event=job.lease_lost") && strstr(log, job);
    free(log);
    cr_assert(lost, "the stopped node says it lost the job's lease");
    long last = 0;
    for (int i = 0; i < 20; i++, sleep_ms(50)) {
        char path[128];
        snprintf(path, sizeof path, "/v1/jobs/%s", job);
        api_response r = api_call(now, "GET", path, NULL, NULL, 0);
        long epoch = (long)api_int(r.json, "epoch");
        cr_assert_geq(epoch, last, "the job's epoch went back: %ld < %ld",
                      epoch, last);
        cr_assert_str_eq(api_jstr(r.json, "status"), "running");
        last = epoch;
        api_free(&r);
    }
    cr_assert_eq(claims_of(now, job), 2, "no claim after the second");
}

/* Runs sql on the server's maintenance database (postgres), where the
 * test's database can be altered. */
static void admin_sql(api_server *s, const char *sql)
{
    api_server admin = *s;
    char *slash = strrchr(admin.db, '/');
    cr_assert_not_null(slash);
    snprintf(slash + 1, sizeof admin.db - (size_t)(slash + 1 - admin.db),
             "postgres");
    long ignored;
    cr_assert(api_sql(&admin, sql, &ignored), "psql is not installed");
}

void cluster_cut_connections(api_server *s)
{
    const char *name = strrchr(s->db, '/') + 1;
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(pg_terminate_backend(pid)) FROM "
             "pg_stat_activity WHERE datname = '%s';", name);
    admin_sql(s, sql);
}

void cluster_refuse_connections(api_server *s, bool refuse)
{
    const char *name = strrchr(s->db, '/') + 1;
    char sql[300];
    snprintf(sql, sizeof sql, "ALTER DATABASE \"%s\" ALLOW_CONNECTIONS %s;",
             name, refuse ? "false" : "true");
    admin_sql(s, sql);
    if (refuse)
        cluster_cut_connections(s);
}

long cluster_readyz(api_server *s)
{
    api_response r = api_call(s, "GET", "/readyz", NULL, NULL, 0);
    long status = r.status;
    api_free(&r);
    return status;
}

json_t *cluster_wait_job(api_server *s, const char *job, double timeout_s)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", job);
    for (double waited = 0; waited < timeout_s; waited += 0.05) {
        api_response r = api_call(s, "GET", path, NULL, NULL, 0);
        cr_assert(r.status == 200 || r.status == 503, "GET %s: %ld %s", path,
                  r.status, r.body);
        const char *st = json_string_value(json_object_get(r.json, "status"));
        if (r.status == 200 && strcmp(st, "queued") && strcmp(st, "running")) {
            json_t *j = json_incref(r.json);
            api_free(&r);
            return j;
        }
        api_free(&r);
        sleep_ms(50);
    }
    cr_assert_fail("job %s did not end within %.0f s", job, timeout_s);
    return NULL;
}
