/* owner.c — the owner check and the owner of new objects (see owner.h). */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "log.h"
#include "owner.h"
#include "router.h"
#include "store.h"
#include "users.h"

/* One kind of object: its path prefix, id prefix, table, name, and the
 * column that marks it public ("0" for jobs, which are never shared). */
typedef struct {
    const char *path, *prefix, *table, *name, *public_col;
} kind;

static const kind kinds[] = {
    {"/v1/datasets/{id}", "ds_", "datasets", "dataset", "public"},
    {"/v1/models/{id}", "md_", "models", "model", "public"},
    {"/v1/jobs/{id}", "jb_", "jobs", "job", "0"},
};
#define N_KINDS (sizeof kinds / sizeof *kinds)

/* The operations every user may call on another's public object: reads
 * and uses that change nothing of it. The others (PATCH, DELETE, reset)
 * are its owner's and the administrators'. */
static const char *const public_ops[][2] = {
    {"GET", "/v1/datasets/{id}"},          {"GET", "/v1/datasets/{id}/rows"},
    {"GET", "/v1/models/{id}"},            {"GET", "/v1/models/{id}/export"},
    {"POST", "/v1/models/{id}/predict"},   {"POST", "/v1/models/{id}/evaluate"},
    {"POST", "/v1/models/{id}/generate"},
};

/* How a user reaches an object. */
typedef enum {
    REACH_UNKNOWN = -1, /* the store cannot say */
    REACH_NONE,         /* another's private object, or none */
    REACH_OWN,
    REACH_PUBLIC        /* another's public object */
} reach;

/* The kind whose id prefix starts id, or NULL. */
static const kind *kind_of_id(const char *id)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (strncmp(id, kinds[i].prefix, 3) == 0)
            return &kinds[i];
    return NULL;
}

/* How user reaches object id of k. */
static reach reach_of(const kind *k, const char *id, const char *user)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT CASE WHEN owner = ?2 THEN 1 ELSE 0 "
             "END, %s FROM %s WHERE id = ?1", k->public_col, k->table);
    nd_stmt *st = nd_prepare(sql);
    if (!st)
        return REACH_UNKNOWN;
    nd_bind_text(st, 1, id);
    nd_bind_text(st, 2, user);
    int rc = nd_step(st);
    reach r = rc == ND_DONE ? REACH_NONE : REACH_UNKNOWN;
    if (rc == ND_ROW)
        r = nd_col_int(st, 0)   ? REACH_OWN
            : nd_col_int(st, 1) ? REACH_PUBLIC
                                        : REACH_NONE;
    nd_finalize(st);
    return r;
}

/* Whether route may be called on another user's public object. */
static bool public_op(const nd_route *route)
{
    for (size_t i = 0; i < sizeof public_ops / sizeof *public_ops; i++)
        if (strcmp(route->method, public_ops[i][0]) == 0 &&
            strcmp(route->pattern, public_ops[i][1]) == 0)
            return true;
    return false;
}

/* Logs a refusal by the gate (auth.refused) unless the store could not
 * say: the object named, whether another's or none at all. */
static void refused(const nd_request *req, const kind *k, const char *id,
                    reach r)
{
    char why[128];
    snprintf(why, sizeof why, "%s %s is %s", k->name, id,
             r == REACH_PUBLIC ? "another user's (public): not to change"
                               : "not theirs, or none");
    if (r != REACH_UNKNOWN)
        nd_access_log_refused(req, why);
}

/* The {id} of the path is the user's, or public and the route only reads
 * it, or it is not an id of k at all (the handler answers those). Else
 * replies: as the handler does for an unknown id when the object is
 * private (no existence oracle), 403 when it is public (its existence is
 * no secret; changing it is its owner's). */
static bool path_ok(nd_request *req, const kind *k)
{
    const char *id = req->params[0];
    if (!nd_id_valid(id, k->prefix))
        return true;
    reach r = reach_of(k, id, req->user_id);
    if (r == REACH_OWN || (r == REACH_PUBLIC && public_op(req->route)))
        return true;
    refused(req, k, id, r);
    if (r == REACH_UNKNOWN)
        nd_reply_problem(req, 503, "the store cannot say whose %s this is; "
                                   "retry", k->name);
    else if (r == REACH_PUBLIC)
        nd_reply_problem(req, 403, "%s %s is public, but another user's: "
                         "only its owner may change it", k->name, id);
    else
        nd_reply_problem(req, 404, "no %s %s", k->name, id);
    return false;
}

/* The body's member field (an id of k) is the user's, or public when
 * public_ok, or absent or not an id (the handler answers those); else
 * replies status at /field with the handler's message for an unknown
 * one, or 403 for another's public object. */
static bool body_ok(nd_request *req, const char *field, const kind *k,
                    unsigned status, bool public_ok)
{
    const char *id = json_string_value(json_object_get(req->json, field));
    if (!id || !nd_id_valid(id, k->prefix))
        return true;
    reach r = reach_of(k, id, req->user_id);
    if (r == REACH_OWN || (r == REACH_PUBLIC && public_ok))
        return true;
    char ptr[64];
    snprintf(ptr, sizeof ptr, "/%s", field);
    refused(req, k, id, r);
    if (r == REACH_UNKNOWN)
        nd_reply_problem(req, 503, "the store cannot say whose %s this is; "
                                   "retry", k->name);
    else if (r == REACH_PUBLIC)
        nd_reply_invalid(req, 403, ptr, "%s %s is public, but another "
                         "user's: a job would change it; train a copy (GET "
                         "/v1/models/%s/export, then POST /v1/models/import)",
                         k->name, id, id);
    else
        nd_reply_invalid(req, status, ptr, "no %s has this id", k->name);
    return false;
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
        return body_ok(req, "model_id", &kinds[1], 422, false) &&
               body_ok(req, "dataset_id", &kinds[0], 422, true);
    if (strcmp(route->pattern, "/v1/models/{id}/evaluate") == 0)
        return body_ok(req, "dataset_id", &kinds[0], 404, true);
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

/* The reply of a create was made before the object was the caller's: its
 * "owner" (datasets and models have one) becomes the caller's name. When
 * that cannot be read the reply keeps null (the object is theirs all
 * the same: GET shows it). */
static void reply_owner(nd_request *req)
{
    json_t *body = req->reply && req->content_type &&
                           strcmp(req->content_type, "application/json") == 0
                       ? json_loadb(req->reply, req->reply_len, 0, NULL)
                       : NULL;
    json_t *user = NULL;
    char err[256];
    if (json_object_get(body, "owner") &&
        nd_user_get(req->user_id, &user, err, sizeof err) == ND_USERS_OK &&
        json_object_set(body, "owner", json_object_get(user, "name")) == 0)
        nd_reply_json(req, req->status, json_incref(body));
    json_decref(user);
    json_decref(body);
}

/* An object deleted (204 to DELETE /v1/datasets/{id} or
 * /v1/models/{id}), for the audit. */
static void audit_deleted(const nd_request *req)
{
    const char *id = req->n_params ? req->params[0] : NULL;
    if (req->status == 204 && strcmp(req->method, "DELETE") == 0 && id &&
        kind_of_id(id))
        nd_log(ND_LOG_INFO, "audit.deleted", NULL, ND_LS("id", id),
               ND_LS("user", req->user_id), ND_LB("admin", req->admin),
               ND_LS("request_id", req->request_id));
}

void nd_owner_claim(nd_request *req)
{
    audit_deleted(req);
    const char *id = location_id(req);
    const kind *k = id ? kind_of_id(id) : NULL;
    if (!req->user_id[0] || !k || (req->status != 201 && req->status != 202))
        return;
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE %s SET owner = ? WHERE id = ?",
             k->table);
    nd_stmt *st = nd_prepare(sql);
    int rc = ND_ERR;
    if (st) {
        nd_bind_text(st, 1, req->user_id);
        nd_bind_text(st, 2, id);
        rc = nd_step(st);
        nd_finalize(st);
    }
    if (rc == ND_DONE) {
        nd_log(ND_LOG_INFO, "audit.created", NULL, ND_LS("id", id),
               ND_LS("user", req->user_id),
               ND_LS("request_id", req->request_id));
        reply_owner(req);
        return;
    }
    nd_log(ND_LOG_ERROR, "owner.claim_failed", "the new object stays the "
           "administrator's", ND_LS("id", id), ND_LS("user", req->user_id));
    nd_reply_problem(req, 500, "%s %s was made but could not be given to "
                               "you; ask an administrator", k->name, id);
}
