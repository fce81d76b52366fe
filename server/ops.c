/* ops.c — liveness, readiness, version and the OpenAPI document. */
#include <stddef.h>

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
    int have = nd_store_schema_version(), want = nd_store_migrations();
    unsigned workers = nd_workers_alive(req->srv->workers);
    bool ready = have == want && workers > 0;
    nd_reply_json(req, ready ? 200 : 503,
                  json_pack("{s:s, s:{s:b, s:i, s:i}, s:{s:i, s:i}}", "status",
                            ready ? "ready" : "not ready", "database",
                            "open", have >= 0, "schema_version", have,
                            "migrations", want, "workers", "running",
                            (int)workers, "configured",
                            (int)req->srv->cfg.workers));
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
