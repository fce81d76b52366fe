/* ops.c — liveness, readiness, metrics, version and the OpenAPI
 * document. */
#include <stddef.h>
#include <stdlib.h>

#include "events.h"
#include "job_store.h"
#include "metrics.h"
#include "ops.h"
#include "server.h"
#include "store.h"
#include "version.h"
#include "workers.h"

/* api-docs/openapi.yaml, embedded at build time by tools/embed.sh. */
extern const unsigned char nd_openapi[];
extern const size_t nd_openapi_len;

void ops_healthz(nd_request *req)
{
    nd_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

void ops_readyz(nd_request *req)
{
    bool reachable = nd_store_ping();
    int have = reachable ? nd_store_schema_version() : -1;
    int want = nd_store_migrations();
    unsigned workers = nd_workers_alive(req->srv->workers);
    bool ready = reachable && have == want && workers > 0;
    nd_reply_json(req, ready ? 200 : 503,
                  json_pack("{s:s, s:{s:b, s:i, s:i}, s:{s:i, s:i}}", "status",
                            ready ? "ready" : "not ready", "database",
                            "open", have >= 0, "schema_version", have,
                            "migrations", want, "workers", "running",
                            (int)workers, "configured",
                            (int)req->srv->cfg.workers));
}

void ops_metrics(nd_request *req)
{
    long long jobs[ND_JOB_STATES];
    if (nd_job_count_states(jobs)) {
        nd_reply_problem(req, 500, "cannot count the jobs");
        return;
    }
    nd_server *srv = req->srv;
    nd_metrics_gauges g = {nd_job_states, jobs, ND_JOB_STATES,
                           srv->cfg.max_queued_jobs, srv->cfg.workers,
                           nd_workers_busy(srv->workers),
                           nd_events_watchers(srv->events)};
    size_t len = 0;
    char *text = nd_metrics_render(&g, &len);
    if (!text) {
        nd_reply_problem(req, 503, "out of memory");
        return;
    }
    nd_reply_raw(req, 200, ND_METRICS_CONTENT_TYPE, text, len);
    free(text);
}

void ops_version(nd_request *req)
{
    nd_reply_json(req, 200,
                  json_pack("{s:s, s:s, s:i}", "version", ND_VERSION, "api",
                            ND_API_VERSION, "schema_version",
                            nd_store_migrations()));
}

void ops_openapi(nd_request *req)
{
    nd_reply_raw(req, 200, "application/yaml", (const char *)nd_openapi,
                 nd_openapi_len);
}
