/* accounts_api.c — /v1/admin/users and /v1/admin/tokens (see
 * accounts_api.h). */
#include <stdio.h>
#include <time.h>

#include "accounts_api.h"
#include "jsonv.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "users.h"

void accounts_me(nd_request *req)
{
    json_t *user = NULL;
    char err[256];
    const char *via = req->user_id[0]              ? "user"
                      : req->srv->cfg.api_token[0] ? "api_token"
                                                   : "open";
    if (req->user_id[0] &&
        nd_user_get(req->user_id, &user, err, sizeof err) != ND_USERS_OK) {
        nd_reply_problem(req, 500, "%s", err);
        return;
    }
    nd_reply_json(req, 200, json_pack("{s:s, s:o, s:b}", "via", via, "user",
                                      user ? user : json_null(), "admin",
                                      req->admin));
}

void accounts_user_create(nd_request *req)
{
    static const char *const fields[] = {"name", "admin", NULL};
    const char *name = NULL;
    bool admin = false;
    char why[256], err[256];
    if (!nd_json_allow(req, req->json, "", fields) ||
        !nd_field_string(req, req->json, "", "name", true, &name) ||
        !nd_field_bool(req, req->json, "", "admin", false, &admin))
        return;
    if (!nd_name_check(name, ND_USER_NAME_MAX, why, sizeof why)) {
        nd_reply_invalid(req, 422, "/name", "%s", why);
        return;
    }
    json_t *user = NULL;
    int rc = nd_user_add(name, admin, &user, err, sizeof err);
    if (rc == ND_USERS_TAKEN) {
        nd_reply_invalid(req, 409, "/name", "%s", err);
        return;
    }
    if (rc != ND_USERS_OK) {
        nd_reply_store_failed(req, nd_store_full(), "adding the user");
        return;
    }
    const char *id = json_string_value(json_object_get(user, "id"));
    nd_log(ND_LOG_INFO, "audit.user_created", NULL, ND_LS("user", id),
           ND_LB("admin", admin), ND_LS("by", req->user_id),
           ND_LS("request_id", req->request_id));
    nd_reply_json(req, 201, user);
}

void accounts_user_list(nd_request *req)
{
    json_t *items = NULL;
    char err[256];
    if (nd_user_list(time(NULL), &items, err, sizeof err) != ND_USERS_OK) {
        nd_reply_problem(req, 500, "%s", err);
        return;
    }
    nd_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

void accounts_token_create(nd_request *req)
{
    static const char *const fields[] = {"user", "expires", NULL};
    const char *user = NULL, *expires = "";
    char why[256], err[256];
    time_t at = 0;
    if (!nd_json_allow(req, req->json, "", fields) ||
        !nd_field_string(req, req->json, "", "user", true, &user) ||
        !nd_field_string(req, req->json, "", "expires", false, &expires))
        return;
    if (!nd_token_expiry_parse(expires, time(NULL), &at, why, sizeof why)) {
        nd_reply_invalid(req, 422, "/expires", "%s", why);
        return;
    }
    json_t *token = NULL;
    int rc = nd_token_create(user, at, &token, err, sizeof err);
    if (rc == ND_USERS_NOT_FOUND) {
        nd_reply_invalid(req, 422, "/user", "%s", err);
        return;
    }
    if (rc != ND_USERS_OK) {
        nd_reply_store_failed(req, nd_store_full(), "storing the token");
        return;
    }
    nd_log(ND_LOG_INFO, "audit.token_created", NULL,
           ND_LS("token_id", json_string_value(json_object_get(token, "id"))),
           ND_LS("user_name", user), ND_LS("by", req->user_id),
           ND_LS("request_id", req->request_id));
    nd_reply_json(req, 201, token);
}

void accounts_token_revoke(nd_request *req)
{
    const char *id = req->params[0];
    char err[256];
    int rc = nd_id_valid(id, ND_TOKEN_ID_PREFIX)
                 ? nd_token_revoke(id, err, sizeof err)
                 : ND_USERS_NOT_FOUND;
    if (rc == ND_USERS_NOT_FOUND) {
        nd_reply_problem(req, 404, "no token %s", id);
        return;
    }
    if (rc != ND_USERS_OK) {
        nd_reply_store_failed(req, nd_store_full(), "revoking the token");
        return;
    }
    nd_log(ND_LOG_INFO, "audit.token_revoked", NULL, ND_LS("token_id", id),
           ND_LS("by", req->user_id), ND_LS("request_id", req->request_id));
    nd_reply_empty(req, 204);
}
