/* test_cluster.c — three neurond nodes on one PostgreSQL database (run
 * with NEUROND_TEST_DB=postgres; skipped on SQLite): jobs spread over the
 * nodes; fifty jobs sent at once to different nodes each run exactly once
 * (the recorded claims); a node killed with SIGKILL or stopped with
 * SIGSTOP past its lease loses its job to another, which resumes it from
 * its checkpoint, and the stopped node writes nothing for it once it runs
 * again; an upload to one node trains on another and predicts on a
 * third; a watcher on one node sees the epochs of a job on another, and
 * Last-Event-ID replays there; connections cut by the database mid-
 * training are made again and every job ends; /readyz fails while the
 * database refuses connections. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster_nodes.h"
#include "harness.h"
#include "jobs_helpers.h"
#include "sse_client.h"

static api_server node[NODES];

static void setup(void)
{
    if (!api_on_postgres())
        cr_skip_test("a cluster needs PostgreSQL (NEUROND_TEST_DB=postgres)");
    curl_global_init(CURL_GLOBAL_ALL);
}

static void teardown(void)
{
    cluster_stop(node);
}

TestSuite(cluster, .init = setup, .fini = teardown, .timeout = 240);

/* Leases short enough for a quick failover, long enough that a loaded
 * machine (2 cores, three nodes and PostgreSQL) still renews them. */
static const char *const fast_lease[] = {"--lease-ms", "2000",
                                         "--checkpoint-ms", "50", NULL};

Test(cluster, jobs_spread_over_the_nodes)
{
    cluster_start(node, 1, NULL);
    char job[NODES][64];
    for (int i = 0; i < NODES; i++)
        start_long_job(&node[0], job[i]);
    bool seen[NODES] = {false};
    for (int i = 0; i < NODES; i++) {
        int on = cluster_wait_running(&node[0], job[i]);
        cr_assert(!seen[on], "two jobs on node %d, one idle", on);
        seen[on] = true;
    }
    for (int i = 0; i < NODES; i++)
        cancel_job(&node[i], job[i]);
}

Test(cluster, fifty_jobs_sent_at_once_each_run_exactly_once)
{
    cluster_start(node, 2, NULL);
    enum { JOBS = 50 };
    static char ds[64], md[JOBS][64], job[JOBS][64];
    make_generated(&node[0], "and", ds);
    for (int i = 0; i < JOBS; i++)
        make_model(&node[i % NODES],
                   "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":2}",
                   md[i]);
    cluster_start_jobs(node, JOBS, md, ds, "\"epochs\":%u", 30u, job);
    for (int i = 0; i < JOBS; i++) {
        json_t *j = api_wait_job(&node[(i + 1) % NODES], job[i], 120);
        cr_assert_str_eq(api_jstr(j, "status"), "succeeded", "%s", job[i]);
        /* A perceptron stops once it has converged. */
        assert_history_complete(&node[i % NODES], job[i],
                                (long)api_int(j, "epoch"));
        json_decref(j);
    }
    long claims = 0, jobs = 0, used = 0;
    cr_assert(api_sql(&node[0], "SELECT count(*) FROM claims;", &claims));
    cr_assert(api_sql(&node[0], "SELECT count(DISTINCT job_id) FROM claims;",
                      &jobs));
    cr_assert(api_sql(&node[0], "SELECT count(DISTINCT node) FROM claims;",
                      &used));
    cr_assert_eq(claims, JOBS, "%ld claims for %d jobs", claims, JOBS);
    cr_assert_eq(jobs, JOBS);
    cr_assert_gt(used, 1, "the jobs ran on %ld node(s)", used);
}

/* The job's node loses it (sigkill: SIGKILL; else SIGSTOP until another
 * node has claimed it, then SIGCONT); the job resumes on another node
 * from its checkpoint, and ends with every epoch in its history once. */
static void lose_the_node(bool sigkill)
{
    cluster_start(node, 1, fast_lease);
    char job[64];
    start_long_job(&node[0], job);
    int on = cluster_wait_running(&node[0], job);
    wait_epochs(&node[on], job, 20);
    if (sigkill)
        api_kill(&node[on]);
    else
        cr_assert_eq(kill(node[on].pid, SIGSTOP), 0);
    int other = (on + 1) % NODES;
    cluster_wait_claims(&node[other], job, 2);
    long at = job_epoch(&node[other], job);
    int now_on = cluster_wait_running(&node[other], job);
    cr_assert_neq(now_on, on, "the job moved off the lost node");
    if (!sigkill)
        cr_assert_eq(kill(node[on].pid, SIGCONT), 0);
    wait_epochs(&node[now_on], job, at + 20);
    assert_resumed_from_checkpoint(&node[now_on], job, at + 20);
    if (!sigkill)
        cluster_assert_fenced(&node[on], &node[now_on], job);
    cancel_job(&node[now_on], job);
    json_t *j = api_wait_job(&node[now_on], job, 60);
    cr_assert_str_eq(api_jstr(j, "status"), "cancelled");
    assert_history_complete(&node[now_on], job, (long)api_int(j, "epoch"));
    json_decref(j);
}

Test(cluster, a_killed_node_s_job_resumes_on_another_node)
{
    lose_the_node(true);
}

Test(cluster, a_node_stopped_past_its_lease_loses_the_job_and_writes_nothing)
{
    lose_the_node(false);
}

Test(cluster, an_upload_to_one_node_trains_on_another_and_predicts_on_a_third)
{
    cluster_start(node, 1, NULL);
    char blocker[64], ds[64], md[64], job[64], name[16];
    /* The only worker of the node that claims this is then busy: a job
     * sent to that node must train on another. */
    start_long_job(&node[0], blocker);
    int on = cluster_wait_running(&node[0], blocker);
    snprintf(name, sizeof name, "node-%d", on);
    api_server *up = &node[on], *third = &node[(on + 2) % NODES];
    make_generated(up, "xor", ds);
    make_xor_net(up, md);
    float before[4], after_up[4], after_third[4];
    predict4(third, md, before);
    start_job(up, md, ds, "\"epochs\":%u,\"batch_size\":4", job, 3000u);
    json_t *j = api_wait_job(up, job, 120);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded");
    cr_assert_str_neq(api_jstr(j, "node"), name, "trained elsewhere");
    json_decref(j);
    predict4(up, md, after_up);
    predict4(third, md, after_third);
    for (int i = 0; i < 4; i++) {
        cr_assert_float_eq(after_up[i], after_third[i], 1e-6,
                           "every node predicts with the new weights");
        cr_assert(before[i] != after_third[i], "a node kept the old weights");
    }
    cr_assert(after_third[0] < 0.5f && after_third[1] > 0.5f &&
                  after_third[2] > 0.5f && after_third[3] < 0.5f,
              "the trained network computes XOR");
    cancel_job(up, blocker);
}

/* Epoch events of c after `after`, in order; how many. */
static size_t epochs_after(const sse_client *c, long after)
{
    size_t n = 0;
    long last = after;
    for (size_t i = 0; i < c->n_events; i++) {
        if (strcmp(c->events[i].name, "epoch") != 0)
            continue;
        cr_assert_gt(c->events[i].id, last, "epochs in order, after %ld",
                     after);
        last = c->events[i].id;
        n++;
    }
    return n;
}

Test(cluster, a_watcher_on_one_node_sees_the_epochs_of_a_job_on_another)
{
    cluster_start(node, 1, NULL);
    char job[64];
    start_long_job(&node[0], job);
    int on = cluster_wait_running(&node[0], job);
    api_server *away = &node[(on + 1) % NODES];
    wait_epochs(away, job, 3);
    long at = job_epoch(away, job);
    /* Live: nothing stored after `at` yet to replay, so what comes is
     * what node `on` stores from now on, told through the database. */
    sse_client live;
    sse_init(&live, away, job);
    live.last_event_id = at;
    live.abort_after = 1500;
    sse_watch(&live);
    cr_assert_eq(live.status, 200);
    cr_assert_geq(epochs_after(&live, at), 3, "live epochs from node %d", on);
    sse_free(&live);
    /* Replay on the third node: from the store, after Last-Event-ID. */
    sse_client replay;
    sse_init(&replay, &node[(on + 2) % NODES], job);
    replay.last_event_id = 1;
    replay.abort_after = 600;
    sse_watch(&replay);
    cr_assert_geq(epochs_after(&replay, 1), 1);
    size_t first = 0;
    while (first < replay.n_events &&
           strcmp(replay.events[first].name, "epoch") != 0)
        first++;
    cr_assert_eq(replay.events[first].id, 2, "replay starts after 1");
    sse_free(&replay);
    /* The end reaches a watcher on another node. */
    sse_client end;
    sse_init(&end, away, job);
    end.last_event_id = job_epoch(away, job) + 1000000;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, sse_watch, &end), 0);
    sse_wait_connected(&end, 1);
    cancel_job(&node[on], job);
    pthread_join(t, NULL);
    cr_assert_eq(sse_count(&end, "end"), 1, "the end event crossed nodes");
    sse_free(&end);
}

Test(cluster, every_job_ends_when_the_database_cuts_every_connection)
{
    cluster_start(node, 1, fast_lease);
    char job[NODES][64];
    for (int i = 0; i < NODES; i++) {
        char ds[64], md[64];
        make_generated(&node[i], "xor", ds);
        make_xor_net(&node[i], md);
        start_job(&node[i], md, ds, "\"epochs\":%u,\"batch_size\":1", job[i],
                  30000u);
    }
    for (int i = 0; i < NODES; i++)
        wait_epochs(&node[i], job[i], 100);
    cluster_cut_connections(&node[0]);
    cluster_settle(node);
    for (int i = 0; i < NODES; i++) {
        json_t *j = cluster_wait_job(&node[(i + 1) % NODES], job[i], 180);
        cr_assert_str_eq(api_jstr(j, "status"), "succeeded", "%s: %s", job[i],
                         json_dumps(j, 0));
        json_decref(j);
        assert_history_complete(&node[i], job[i], 30000);
    }
}

Test(cluster, readyz_fails_while_the_database_refuses_and_then_recovers)
{
    cluster_start(node, 1, NULL);
    cr_assert_eq(cluster_readyz(&node[1]), 200);
    cluster_refuse_connections(&node[0], true);
    for (int i = 0; i < 100 && cluster_readyz(&node[1]) == 200; i++)
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    cr_assert_eq(cluster_readyz(&node[1]), 503);
    cluster_refuse_connections(&node[0], false);
    for (int i = 0; i < 100 && cluster_readyz(&node[1]) != 200; i++)
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    cr_assert_eq(cluster_readyz(&node[1]), 200, "ready again");
}
