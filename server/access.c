/* access.c — bearer-token auth and CORS (see access.h). */
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "access.h"
#include "log.h"
#include "router.h"
#include "server.h"
#include "users.h"

#define CORS_METHODS "GET, POST, PATCH, DELETE, OPTIONS"
#define CORS_HEADERS "Authorization, Content-Type, Last-Event-ID"
#define CORS_EXPOSE "Location, Retry-After, X-Request-Id"
#define CORS_MAX_AGE "600"

/* Compares digests rather than the strings themselves, so that neither the
 * token's content nor its length shows in the time taken. */
static bool token_equal(const char *given, size_t len, const char *want)
{
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)given, len, a);
    SHA256((const unsigned char *)want, strlen(want), b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

/* The token of an "Authorization: Bearer <token>" header, or NULL. */
static const char *bearer_token(const char *auth)
{
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return NULL;
    const char *given = auth + 7;
    while (*given == ' ')
        given++;
    return given;
}

/* Whether given is the --api-token, the administrator's. */
static bool is_admin_token(const nd_request *req, const char *given)
{
    const char *want = req->srv->cfg.api_token;
    return want[0] && given && token_equal(given, strlen(given), want);
}

/* Sets who calls from a user's live token given. false when it is none
 * (or the store cannot say, with the reason logged). */
static bool identify_user(nd_request *req, const char *given)
{
    nd_user_ref who;
    char err[256];
    if (!given)
        return false;
    int rc = nd_token_lookup(given, strlen(given), time(NULL), &who, err,
                             sizeof err);
    if (rc == ND_USERS_ERROR)
        nd_log(ND_LOG_ERROR, "auth.store_failed", err,
               ND_LS("request_id", req->request_id));
    if (rc != ND_USERS_OK)
        return false;
    snprintf(req->user_id, sizeof req->user_id, "%s", who.id);
    snprintf(req->token_id, sizeof req->token_id, "%s", who.token_id);
    req->admin = who.admin;
    return true;
}

void nd_access_log_refused(const nd_request *req, const char *why)
{
    nd_log(ND_LOG_WARN, "auth.refused", why, ND_LS("user", req->user_id),
           ND_LS("method", req->method), ND_LS("path", req->url),
           ND_LS("request_id", req->request_id));
}

/* Whether the route is an administrator's (/v1/admin/...). */
static bool admin_route(const nd_request *req)
{
    const nd_route *route = req->route;
    return route && strncmp(route->pattern, "/v1/admin/", 10) == 0;
}

bool nd_access_authorized(nd_request *req)
{
    const char *auth = nd_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *given = bearer_token(auth);
    bool users = false;
    if (is_admin_token(req, given)) {
        req->admin = true;
        return true;
    }
    if (nd_users_exist(&users) != ND_USERS_OK) {
        nd_reply_problem(req, 503, "the store cannot say who may call; "
                                   "retry");
        return false;
    }
    if (!req->srv->cfg.api_token[0] && !users) {
        req->admin = true; /* an open server: no token, no users */
        return true;
    }
    if (!identify_user(req, given)) {
        nd_access_log_refused(req, auth ? "the bearer token is not valid"
                              : "no bearer token");
        nd_reply_problem(req, 401, auth ? "the bearer token is not valid "
                                          "(unknown, revoked or expired)"
                                        : "send the API token as "
                                          "'Authorization: Bearer <token>'");
        nd_reply_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                        "Bearer realm=\"neurond\"");
        return false;
    }
    if (admin_route(req) && !req->admin) {
        nd_access_log_refused(req, "an administrator's route");
        nd_reply_problem(req, 403, "%s %s is for administrators only",
                         req->method, req->url);
        return false;
    }
    return true;
}

/* The request's Origin when it is on the allowlist, else NULL. */
static const char *allowed_origin(const nd_request *req)
{
    const char *list = req->srv->cfg.cors_origin;
    const char *origin = nd_header(req, "Origin");
    if (!list[0] || !origin || !origin[0])
        return NULL;
    size_t n = strlen(origin);
    for (const char *p = list; *p;) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, " ,");
        if (len == n && strncmp(p, origin, n) == 0)
            return origin;
        p += len;
    }
    return NULL;
}

void nd_access_preflight(nd_request *req)
{
    nd_reply_empty(req, 204);
    nd_reply_header(req, MHD_HTTP_HEADER_ALLOW, CORS_METHODS);
    if (!allowed_origin(req))
        return;
    nd_reply_header(req, "Access-Control-Allow-Methods", CORS_METHODS);
    nd_reply_header(req, "Access-Control-Allow-Headers", CORS_HEADERS);
    nd_reply_header(req, "Access-Control-Max-Age", CORS_MAX_AGE);
}

void nd_access_cors_headers(const nd_request *req, nd_header_sink add,
                            void *cls)
{
    if (!req->srv->cfg.cors_origin[0])
        return;
    add(cls, MHD_HTTP_HEADER_VARY, "Origin");
    const char *origin = allowed_origin(req);
    if (!origin)
        return;
    add(cls, "Access-Control-Allow-Origin", origin);
    add(cls, "Access-Control-Expose-Headers", CORS_EXPOSE);
}
