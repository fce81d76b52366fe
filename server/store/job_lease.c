/* job_lease.c — claims, leases and the take-back of jobs whose lease ran
 * out (see job_lease.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "job_lease.h"

static char node_name[64] = "node";

void nd_lease_set_node(const char *name)
{
    snprintf(node_name, sizeof node_name, "%s", name);
}

const char *nd_lease_node(void)
{
    return node_name;
}

int64_t nd_lease_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The oldest queued job, its attempts and token, locked for this
 * transaction; 1, 0 when none, −1. */
static int oldest_queued(nd_claim *c)
{
    nd_stmt *st = nd_prepare(nd_sql(
        "SELECT id, attempts, lease_token FROM jobs WHERE status = 'queued' "
        "ORDER BY seq LIMIT 1",
        "SELECT id, attempts, lease_token FROM jobs WHERE status = 'queued' "
        "ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED"));
    if (!st)
        return -1;
    int rc = nd_step(st);
    if (rc == ND_ROW) {
        snprintf(c->id, sizeof c->id, "%s", nd_col_text(st, 0));
        c->attempts = nd_col_int(st, 1);
        c->token = nd_col_int64(st, 2) + 1;
    }
    nd_finalize(st);
    return rc == ND_ROW ? 1 : rc == ND_DONE ? 0 : -1;
}

/* Marks the job running for this node with c's token, and records the
 * claim; 0 or −1. */
static int take(const nd_claim *c, unsigned lease_ms)
{
    char now[ND_TIME_MAX];
    nd_now(now);
    nd_stmt *up = nd_prepare(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, "
        "started_at = COALESCE(started_at, ?), node = ?, lease_token = ?, "
        "lease_until = ? WHERE id = ? AND status = 'queued'");
    nd_stmt *ins = up ? nd_prepare("INSERT INTO claims (job_id, token, node, "
                                   "claimed_at) VALUES (?, ?, ?, ?)")
                      : NULL;
    int rc = -1;
    if (up && ins) {
        nd_bind_text(up, 1, now);
        nd_bind_text(up, 2, node_name);
        nd_bind_int64(up, 3, c->token);
        nd_bind_int64(up, 4, nd_lease_now_ms() + lease_ms);
        nd_bind_text(up, 5, c->id);
        nd_bind_text(ins, 1, c->id);
        nd_bind_int64(ins, 2, c->token);
        nd_bind_text(ins, 3, node_name);
        nd_bind_text(ins, 4, now);
        if (nd_step(up) == ND_DONE && nd_changes() == 1 &&
            nd_step(ins) == ND_DONE)
            rc = 0;
    }
    nd_finalize(up);
    nd_finalize(ins);
    return rc;
}

int nd_job_claim(nd_claim *c, unsigned lease_ms)
{
    if (nd_tx_begin())
        return -1;
    int found = oldest_queued(c);
    if (found <= 0) {
        nd_tx_rollback();
        return found;
    }
    if (take(c, lease_ms) || nd_tx_commit()) {
        nd_tx_rollback();
        return -1;
    }
    return 1;
}

int nd_job_renew(const char *id, int64_t token, unsigned lease_ms,
                 bool *cancel, bool *pause)
{
    *cancel = *pause = false;
    /* A lease that ran out is not renewed: another node may be taking
     * the job back already. */
    nd_stmt *st = nd_prepare(
        "UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_token = ? "
        "AND status = 'running' AND lease_until >= ?");
    if (!st)
        return -1;
    int64_t now = nd_lease_now_ms();
    nd_bind_int64(st, 1, now + lease_ms);
    nd_bind_text(st, 2, id);
    nd_bind_int64(st, 3, token);
    nd_bind_int64(st, 4, now);
    int rc = nd_step(st);
    nd_finalize(st);
    if (rc != ND_DONE)
        return -1;
    if (nd_changes() == 0)
        return 1;
    st = nd_prepare("SELECT cancel_requested, pause_requested FROM jobs "
                    "WHERE id = ?");
    if (!st)
        return -1;
    nd_bind_text(st, 1, id);
    if ((rc = nd_step(st)) == ND_ROW) {
        *cancel = nd_col_int(st, 0) != 0;
        *pause = nd_col_int(st, 1) != 0;
    }
    nd_finalize(st);
    return rc == ND_ROW ? 0 : -1;
}

/* Which running jobs are taken back: ?1 all, ?2 now in ms. */
#define EXPIRED                                                               \
    "status = 'running' AND (?1 = 1 OR lease_until IS NULL OR "            \
    "lease_until < ?2)"

/* The ids of the jobs to take back into ids (up to cap); their count. */
static int expired_ids(bool all, int64_t now_ms, char (*ids)[ND_ID_MAX],
                       int cap)
{
    nd_stmt *st = nd_prepare(
        !ids ? "SELECT id FROM jobs WHERE " EXPIRED
             : nd_sql("SELECT id FROM jobs WHERE " EXPIRED,
                      "SELECT id FROM jobs WHERE " EXPIRED
                      " FOR UPDATE SKIP LOCKED"));
    if (!st)
        return -1;
    nd_bind_int(st, 1, all);
    nd_bind_int64(st, 2, now_ms);
    int n = 0, rc;
    while ((rc = nd_step(st)) == ND_ROW) {
        if (ids && n < cap)
            snprintf(ids[n], ND_ID_MAX, "%s", nd_col_text(st, 0));
        n++;
    }
    nd_finalize(st);
    return rc == ND_DONE ? n : -1;
}

/* Ends or queues every job EXPIRED names; 0 or −1. */
static int take_back(bool all, int64_t now_ms, int max_attempts)
{
    char now[ND_TIME_MAX];
    nd_now(now);
    nd_stmt *st = nd_prepare(
        "UPDATE jobs SET lease_until = NULL, status = CASE WHEN "
        "cancel_requested = 1 THEN 'cancelled' WHEN attempts >= ?3 THEN "
        "'failed' ELSE 'queued' END, error = CASE WHEN cancel_requested = 1 "
        "THEN 'cancelled' WHEN attempts >= ?3 THEN 'interrupted ' || "
        "attempts || ' times by a crash, a restart or a lost lease; giving "
        "up' ELSE error END, finished_at = CASE WHEN cancel_requested = 1 OR "
        "attempts >= ?3 THEN CAST(?4 AS TEXT) ELSE finished_at END, "
        "checkpoint = CASE WHEN cancel_requested = 1 OR attempts >= ?3 THEN "
        "NULL ELSE checkpoint END WHERE " EXPIRED);
    if (!st)
        return -1;
    nd_bind_int(st, 1, all);
    nd_bind_int64(st, 2, now_ms);
    nd_bind_int(st, 3, max_attempts);
    nd_bind_text(st, 4, now);
    int rc = nd_step(st);
    nd_finalize(st);
    return rc == ND_DONE ? 0 : -1;
}

int nd_job_reclaim(int max_attempts, bool all, char (*ids)[ND_ID_MAX],
                   int cap)
{
    int64_t now_ms = nd_lease_now_ms();
    /* A look first, outside a transaction: most rounds find nothing, and
     * need not wait for the writer lock. */
    int n = expired_ids(all, now_ms, NULL, 0);
    if (n <= 0)
        return n;
    if (nd_tx_begin())
        return -1;
    n = expired_ids(all, now_ms, ids, cap);
    if (n <= 0) {
        nd_tx_rollback();
        return n;
    }
    if (take_back(all, now_ms, max_attempts) || nd_tx_commit()) {
        nd_tx_rollback();
        return -1;
    }
    return n;
}

int nd_lease_notify(char kind, const char *id)
{
    if (!nd_db_shared())
        return 0;
    char payload[ND_NOTE_MAX];
    snprintf(payload, sizeof payload, "%c %s %s", kind, id, node_name);
    return nd_notify(ND_LEASE_CHANNEL, payload);
}

bool nd_lease_parse(const char *payload, char *kind, char id[ND_ID_MAX],
                    char node[64])
{
    char k[2];
    return sscanf(payload, "%1s %39s %63s", k, id, node) == 3 &&
           strchr("esqcp", k[0]) && (*kind = k[0]) != 0;
}
