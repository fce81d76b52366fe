/* router.c — every route of the HTTP API, and matching a request to one. */
#include <string.h>

#include "accounts_api.h"
#include "admin.h"
#include "datasets.h"
#include "generate.h"
#include "jobs.h"
#include "models.h"
#include "ops.h"
#include "sharing.h"
#include "router.h"
#include "web.h"

/* POST /v1/datasets streams CSV, multipart IDX and text uploads. */
static const nd_stream *const dataset_uploads[] = {&datasets_csv,
                                                   &datasets_idx,
                                                   &datasets_text, NULL};

static const nd_route routes[] = {
    {"GET", "/healthz", ops_healthz, ND_BODY_NONE, NULL, true, NULL},
    {"GET", "/readyz", ops_readyz, ND_BODY_NONE, NULL, true, NULL},
    {"GET", "/metrics", ops_metrics, ND_BODY_NONE, NULL, false, NULL},
    {"GET", "/v1/version", ops_version, ND_BODY_NONE, NULL, false, NULL},
    {"GET", "/openapi.yaml", ops_openapi, ND_BODY_NONE, NULL, true, NULL},
    {"GET", "/", web_index, ND_BODY_NONE, NULL, true, NULL},
    {"GET", "/web/{file}", web_file, ND_BODY_NONE, NULL, true, NULL},
    {"GET", "/docs", web_docs_index, ND_BODY_NONE, NULL, true, NULL},
    {"GET", "/docs/{file}", web_docs_file, ND_BODY_NONE, NULL, true, NULL},

    {"POST", "/v1/datasets", datasets_create, ND_BODY_JSON, dataset_uploads,
     false, "name,target,task,shape,classes,tokenizer"},
    {"GET", "/v1/datasets", datasets_list, ND_BODY_NONE, NULL,
     false, "limit,cursor"},
    {"GET", "/v1/datasets/{id}", datasets_get, ND_BODY_NONE, NULL, false, NULL},
    {"GET", "/v1/datasets/{id}/rows", datasets_rows, ND_BODY_NONE, NULL,
     false, "offset,limit"},
    {"PATCH", "/v1/datasets/{id}", datasets_share, ND_BODY_JSON, NULL,
     false, NULL},
    {"DELETE", "/v1/datasets/{id}", datasets_delete, ND_BODY_NONE, NULL,
     false, NULL},

    {"POST", "/v1/models", models_create, ND_BODY_JSON, NULL, false, NULL},
    {"GET", "/v1/models", models_list, ND_BODY_NONE, NULL,
     false, "limit,cursor"},
    {"POST", "/v1/models/import", models_import, ND_BODY_JSON, NULL,
     false, NULL},
    {"GET", "/v1/models/{id}", models_get, ND_BODY_NONE, NULL,
     false, "weights"},
    {"PATCH", "/v1/models/{id}", models_share, ND_BODY_JSON, NULL,
     false, NULL},
    {"DELETE", "/v1/models/{id}", models_delete, ND_BODY_NONE, NULL,
     false, NULL},
    {"GET", "/v1/models/{id}/export", models_export, ND_BODY_NONE, NULL,
     false, "format"},
    {"POST", "/v1/models/{id}/predict", models_predict, ND_BODY_JSON, NULL,
     false, NULL},
    {"POST", "/v1/models/{id}/evaluate", models_evaluate, ND_BODY_JSON, NULL,
     false, NULL},
    {"POST", "/v1/models/{id}/reset", models_reset, ND_BODY_JSON, NULL,
     false, NULL},
    {"POST", "/v1/models/{id}/generate", models_generate, ND_BODY_JSON, NULL,
     false, NULL},

    {"POST", "/v1/jobs", jobs_create, ND_BODY_JSON, NULL, false, NULL},
    {"GET", "/v1/jobs", jobs_list, ND_BODY_NONE, NULL,
     false, "status,model_id,limit,cursor"},
    {"GET", "/v1/jobs/{id}", jobs_get, ND_BODY_NONE, NULL, false, NULL},
    {"GET", "/v1/jobs/{id}/history", jobs_history, ND_BODY_NONE, NULL,
     false, "after_epoch,limit,max_points"},
    {"GET", "/v1/jobs/{id}/events", jobs_events, ND_BODY_NONE, NULL,
     false, "weights"},
    {"POST", "/v1/jobs/{id}/cancel", jobs_cancel, ND_BODY_NONE, NULL,
     false, NULL},
    {"POST", "/v1/jobs/{id}/pause", jobs_pause, ND_BODY_NONE, NULL,
     false, NULL},
    {"POST", "/v1/jobs/{id}/resume", jobs_resume, ND_BODY_JSON_OPTIONAL, NULL,
     false, NULL},

    {"POST", "/v1/admin/backup", admin_backup, ND_BODY_NONE, NULL, false, NULL},
    {"GET", "/v1/me", accounts_me, ND_BODY_NONE, NULL, false, NULL},
    {"POST", "/v1/admin/users", accounts_user_create, ND_BODY_JSON, NULL,
     false, NULL},
    {"GET", "/v1/admin/users", accounts_user_list, ND_BODY_NONE, NULL,
     false, NULL},
    {"POST", "/v1/admin/tokens", accounts_token_create, ND_BODY_JSON, NULL,
     false, NULL},
    {"DELETE", "/v1/admin/tokens/{id}", accounts_token_revoke, ND_BODY_NONE,
     NULL, false, NULL},
};
#define N_ROUTES (sizeof routes / sizeof *routes)

const nd_route *nd_routes(unsigned *n)
{
    *n = N_ROUTES;
    return routes;
}

bool nd_route_raw_path_ok(const char *raw)
{
    for (const char *p = strchr(raw, '%'); p; p = strchr(p + 1, '%'))
        if ((p[1] == '2' && (p[2] == 'f' || p[2] == 'F')) ||
            (p[1] == '0' && p[2] == '0'))
            return false;
    return true;
}

size_t nd_route_packed_rows(const nd_route *route, const nd_config *cfg)
{
    if (route->handle == models_predict)
        return ND_PREDICT_MAX_ROWS;
    if (route->handle == datasets_create)
        return cfg->max_rows;
    return 0; /* no other route reads inputs, targets or labels arrays */
}

/* Matches path against pattern segment by segment, copying {…} segments
 * into req->param_buf. */
static bool match(const char *pattern, const char *path, nd_request *req)
{
    size_t used = 0;
    req->n_params = 0;
    while (*pattern && *path) {
        if (*pattern != '/' || *path != '/')
            return false;
        pattern++;
        path++;
        size_t plen = strcspn(pattern, "/"), slen = strcspn(path, "/");
        if (pattern[0] == '{') {
            if (slen == 0 || req->n_params == ND_MAX_PATH_PARAMS ||
                used + slen + 1 > sizeof req->param_buf)
                return false;
            memcpy(req->param_buf + used, path, slen);
            req->param_buf[used + slen] = '\0';
            req->params[req->n_params++] = req->param_buf + used;
            used += slen + 1;
        } else if (plen != slen || strncmp(pattern, path, plen) != 0) {
            return false;
        }
        pattern += plen;
        path += slen;
    }
    return *pattern == '\0' && *path == '\0';
}

const nd_route *nd_route_match(const char *method, const char *path,
                               nd_request *req, bool *path_known)
{
    *path_known = false;
    const nd_route *found = NULL;
    for (size_t i = 0; i < N_ROUTES && !found; i++) {
        if (!match(routes[i].pattern, path, req))
            continue;
        *path_known = true;
        if (strcmp(routes[i].method, method) == 0)
            found = &routes[i];
    }
    /* A literal segment wins over {id}: "/v1/models/import" is listed
     * before "/v1/models/{id}", and only POST is routed there. */
    if (found)
        match(found->pattern, path, req);
    return found;
}
