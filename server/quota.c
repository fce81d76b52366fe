/* quota.c — per-user model, queued-job and byte quotas (see quota.h). The
 * count and the insert are two statements: two requests of one user at
 * the same moment may both pass at the quota's edge (one over), which a
 * quota for a class tolerates. */
#include <stdio.h>
#include <string.h>

#include "quota.h"
#include "router.h"
#include "server.h"
#include "store.h"

/* The caller's count by sql (one ? for the owner), or −1. */
static long long count(const char *sql, const char *user)
{
    nd_stmt *st = nd_prepare(sql);
    if (!st)
        return -1;
    nd_bind_text(st, 1, user);
    long long n = nd_step(st) == ND_ROW ? nd_col_int64(st, 0)
                                                 : -1;
    nd_finalize(st);
    return n;
}

/* Whether the caller has fewer than quota of what sql counts (0: no
 * quota); else replies 429 (or 503) naming flag and returns false. */
static bool under(nd_request *req, unsigned quota, const char *sql,
                  const char *flag, const char *what)
{
    if (!quota)
        return true;
    long long n = count(sql, req->user_id);
    if (n < 0) {
        nd_reply_problem(req, 503, "the store cannot count your %s; retry",
                         what);
        return false;
    }
    if (n < quota)
        return true;
    nd_reply_problem(req, 429, "quota %s: you have %lld %s of %u; delete "
                               "some first", flag, n, what, quota);
    return false;
}

bool nd_quota_allows(nd_request *req)
{
    const nd_route *route = req->route;
    const nd_config *cfg = &req->srv->cfg;
    if (req->admin || !route || strcmp(route->method, "POST") != 0)
        return true;
    if (strcmp(route->pattern, "/v1/models") == 0 ||
        strcmp(route->pattern, "/v1/models/import") == 0)
        return under(req, cfg->quota_models,
                     "SELECT count(*) FROM models WHERE owner = ?",
                     "--quota-models", "models");
    if (strcmp(route->pattern, "/v1/jobs") == 0)
        return under(req, cfg->quota_queued_jobs,
                     "SELECT count(*) FROM jobs WHERE owner = ? AND status "
                     "= 'queued'",
                     "--quota-queued-jobs", "queued jobs");
    return true;
}

long long nd_quota_bytes_used(const char *user)
{
    return count("SELECT (SELECT coalesce(sum(length(c.x) + length(c.y)), 0) "
                 "FROM dataset_chunks c JOIN datasets d ON d.id = "
                 "c.dataset_id WHERE d.owner = ?1) + (SELECT "
                 "coalesce(sum(length(blob)), 0) FROM models WHERE owner = "
                 "?1) + (SELECT coalesce(sum(length(checkpoint)), 0) FROM "
                 "jobs WHERE owner = ?1)",
                 user);
}

bool nd_quota_bytes_left(nd_request *req, uint64_t *left)
{
    uint64_t quota = req->srv->cfg.quota_bytes;
    *left = 0;
    if (req->admin || !quota)
        return true;
    long long used = nd_quota_bytes_used(req->user_id);
    if (used < 0) {
        nd_reply_problem(req, 503, "the store cannot count your bytes; "
                                   "retry");
        return false;
    }
    if ((uint64_t)used < quota) {
        *left = quota - (uint64_t)used;
        return true;
    }
    nd_reply_problem(req, 413, "quota --quota-bytes: you store %lld bytes "
                     "of %llu; delete datasets or models first", used,
                     (unsigned long long)quota);
    return false;
}

void nd_quota_bytes_detail(char *out, size_t cap, const char *what,
                           uint64_t left)
{
    snprintf(out, cap, "quota --quota-bytes: %s would store more than the "
             "%llu bytes your quota has left; nothing of it was kept", what,
             (unsigned long long)left);
}
