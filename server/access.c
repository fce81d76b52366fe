/* access.c — bearer-token auth and CORS (see access.h). */
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "server.h"

#define CORS_METHODS "GET, POST, DELETE, OPTIONS"
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

bool nd_access_authorized(nd_request *req)
{
    const char *want = req->srv->cfg.api_token;
    if (!want[0])
        return true;
    const char *auth = nd_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    bool ok = false;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *given = auth + 7;
        while (*given == ' ')
            given++;
        ok = token_equal(given, strlen(given), want);
    }
    if (ok)
        return true;
    nd_reply_problem(req, 401, auth ? "the bearer token is not valid"
                                    : "send the API token as "
                                      "'Authorization: Bearer <token>'");
    nd_reply_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                    "Bearer realm=\"neurond\"");
    return false;
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
