/* owner.c — the owner check and the owner of new objects (see owner.h). */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "owner.h"
#include "router.h"
#include "store.h"

/* One kind of object: its path prefix, id prefix, table and name. */
typedef struct {
    const char *path, *prefix, *table, *name;
} kind;

static const kind kinds[] = {
    {"/v1/datasets/{id}", "ds_", "datasets", "dataset"},
    {"/v1/models/{id}", "md_", "models", "model"},
    {"/v1/jobs/{id}", "jb_", "jobs", "job"},
};
#define N_KINDS (sizeof kinds / sizeof *kinds)

/* The kind whose id prefix starts id, or NULL. */
static const kind *kind_of_id(const char *id)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (strncmp(id, kinds[i].prefix, 3) == 0)
            return &kinds[i];
    return NULL;
}

/* 1 when object id of k is the user's, 0 when it is not (or is none), −1
 * when the store cannot say. */
static int owned(const kind *k, const char *id, const char *user)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = ? AND owner = ?",
             k->table);
    sqlite3_stmt *st = nd_prepare(sql);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The {id} of the path is the user's, or it is not an id of k at all (the
 * handler answers those); else replies as the handler does for an
 * unknown id. */
static bool path_ok(nd_request *req, const kind *k)
{
    const char *id = req->params[0];
    if (!nd_id_valid(id, k->prefix))
        return true;
    int rc = owned(k, id, req->user_id);
    if (rc < 0)
        nd_reply_problem(req, 503, "the store cannot say whose %s this is; "
                                   "retry", k->name);
    else if (rc == 0)
        nd_reply_problem(req, 404, "no %s %s", k->name, id);
    return rc == 1;
}

/* The body's member field (an id of k) is the user's or absent or not an
 * id (the handler answers those); else replies status at /field with the
 * handler's message for an unknown one. */
static bool body_ok(nd_request *req, const char *field, const kind *k,
                    unsigned status)
{
    const char *id = json_string_value(json_object_get(req->json, field));
    if (!id || !nd_id_valid(id, k->prefix))
        return true;
    int rc = owned(k, id, req->user_id);
    char ptr[64];
    snprintf(ptr, sizeof ptr, "/%s", field);
    if (rc < 0)
        nd_reply_problem(req, 503, "the store cannot say whose %s this is; "
                                   "retry", k->name);
    else if (rc == 0)
        nd_reply_invalid(req, status, ptr, "no %s has this id", k->name);
    return rc == 1;
}

bool nd_owner_gate(nd_request *req)
{
    const nd_route *route = req->route;
    if (req->admin || !route)
        return true;
    for (size_t i = 0; i < N_KINDS; i++)
        if (strncmp(route->pattern, kinds[i].path, strlen(kinds[i].path)) ==
                0 &&
            !path_ok(req, &kinds[i]))
            return false;
    if (strcmp(route->pattern, "/v1/jobs") == 0 &&
        strcmp(route->method, "POST") == 0)
        return body_ok(req, "model_id", &kinds[1], 422) &&
               body_ok(req, "dataset_id", &kinds[0], 422);
    if (strcmp(route->pattern, "/v1/models/{id}/evaluate") == 0)
        return body_ok(req, "dataset_id", &kinds[0], 404);
    return true;
}

/* The id at the end of the reply's Location header, or NULL. */
static const char *location_id(const nd_request *req)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcmp(req->headers[i][0], "Location") == 0) {
            const char *slash = strrchr(req->headers[i][1], '/');
            return slash ? slash + 1 : NULL;
        }
    return NULL;
}

void nd_owner_claim(nd_request *req)
{
    const char *id = location_id(req);
    const kind *k = id ? kind_of_id(id) : NULL;
    if (!req->user_id[0] || !k || (req->status != 201 && req->status != 202))
        return;
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE %s SET owner = ? WHERE id = ?",
             k->table);
    sqlite3_stmt *st = nd_prepare(sql);
    int rc = SQLITE_ERROR;
    if (st) {
        sqlite3_bind_text(st, 1, req->user_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (rc == SQLITE_DONE) {
        nd_log(ND_LOG_INFO, "audit.created", NULL, ND_LS("id", id),
               ND_LS("user", req->user_id),
               ND_LS("request_id", req->request_id));
        return;
    }
    nd_log(ND_LOG_ERROR, "owner.claim_failed", "the new object stays the "
           "administrator's", ND_LS("id", id), ND_LS("user", req->user_id));
    nd_reply_problem(req, 500, "%s %s was made but could not be given to "
                               "you; ask an administrator", k->name, id);
}
