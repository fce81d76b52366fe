/* test_security.c — the bearer token (flag, environment, file; refused
 * when missing, wrong or in the query string; never logged), the routes
 * left open, CORS (exact echo of an allowed origin, preflight, nothing for
 * others) and the security headers on every reply, errors included. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TOKEN "s3cret-Token-0123456789"
#define BEARER "Authorization: Bearer " TOKEN

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(security, .fini = teardown, .timeout = 60);

static void assert_header(const api_response *r, const char *name,
                          const char *value)
{
    char got[512];
    cr_assert(api_header(r, name, got, sizeof got), "no %s header in:\n%s",
              name, r->headers);
    cr_assert_str_eq(got, value, "%s: %s", name, got);
}

static void assert_no_header(const api_response *r, const char *name)
{
    char got[512];
    cr_assert(!api_header(r, name, got, sizeof got), "unexpected %s: %s",
              name, got);
}

static long status_with(const char *method, const char *path,
                        const char *const *headers)
{
    api_response r = api_call_with(&srv, method, path, headers, NULL, NULL, 0);
    long st = r.status;
    if (st == 401) {
        api_assert_problem(&r, 401, NULL);
        char got[128];
        cr_assert(api_header(&r, "WWW-Authenticate", got, sizeof got));
        cr_assert(strncmp(got, "Bearer", 6) == 0, "WWW-Authenticate: %s", got);
    }
    api_free(&r);
    return st;
}

/* The token guards every API route, whatever the method or path. */
static void assert_token_required(void)
{
    const char *good[] = {BEARER, NULL};
    const char *wrong[] = {"Authorization: Bearer " TOKEN "x", NULL};
    const char *prefix[] = {"Authorization: Bearer s3cret", NULL};
    const char *basic[] = {"Authorization: Basic " TOKEN, NULL};
    cr_assert_eq(status_with("GET", "/v1/models", NULL), 401);
    cr_assert_eq(status_with("GET", "/v1/models", wrong), 401);
    cr_assert_eq(status_with("GET", "/v1/models", prefix), 401);
    cr_assert_eq(status_with("GET", "/v1/models", basic), 401);
    cr_assert_eq(status_with("GET", "/v1/version", NULL), 401);
    cr_assert_eq(status_with("GET", "/v1/no-such-route", NULL), 401);
    cr_assert_eq(status_with("GET", "/v1/models?access_token=" TOKEN, NULL),
                 401);
    cr_assert_eq(status_with("GET", "/v1/models", good), 200);
    cr_assert_eq(status_with("GET", "/v1/version", good), 200);
    /* Health and the API document stay open. */
    cr_assert_eq(status_with("GET", "/healthz", NULL), 200);
    cr_assert_eq(status_with("GET", "/readyz", NULL), 200);
    cr_assert_eq(status_with("GET", "/openapi.yaml", NULL), 200);
}

Test(security, a_token_from_the_flag_guards_the_api)
{
    const char *args[] = {"--api-token", TOKEN, NULL};
    api_start(&srv, args);
    assert_token_required();
    /* A body sent without the token is refused before it is read. */
    const char *json = "{\"name\":\"x\",\"generator\":\"xor\"}";
    api_response r = api_json(&srv, "POST", "/v1/datasets", json);
    api_assert_problem(&r, 401, NULL);
    api_free(&r);
    const char *good[] = {BEARER, NULL};
    r = api_call_with(&srv, "POST", "/v1/datasets", good, "application/json",
                      json, strlen(json));
    cr_assert_eq(r.status, 201, "%s", r.body);
    api_free(&r);
    api_stop(&srv);
    FILE *f = fopen(srv.log, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f))
        cr_assert(!strstr(line, "s3cret"), "the log shows the token: %s",
                  line);
    if (f)
        fclose(f);
}

Test(security, a_token_from_the_environment_or_a_file)
{
    setenv("NEUROND_API_TOKEN", TOKEN, 1);
    api_start(&srv, NULL);
    unsetenv("NEUROND_API_TOKEN");
    assert_token_required();
    api_stop(&srv);
    char path[400];
    snprintf(path, sizeof path, "%s/token", srv.dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(TOKEN "\n", f);
    fclose(f);
    const char *args[] = {"--api-token-file", path, NULL};
    api_restart(&srv, args);
    assert_token_required();
}

Test(security, every_reply_carries_the_security_headers)
{
    api_start(&srv, NULL);
    api_response rs[4] = {
        api_call(&srv, "GET", "/healthz", NULL, NULL, 0),
        api_call(&srv, "GET", "/v1/nope", NULL, NULL, 0),
        api_json(&srv, "POST", "/v1/models", "{bad"),
        api_call(&srv, "PUT", "/v1/models", NULL, NULL, 0),
    };
    long want[4] = {200, 404, 400, 405};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(rs[i].status, want[i], "%s", rs[i].body);
        assert_header(&rs[i], "X-Content-Type-Options", "nosniff");
        assert_header(&rs[i], "Cache-Control", "no-store");
        assert_header(&rs[i], "X-Frame-Options", "DENY");
        assert_header(&rs[i], "Content-Security-Policy",
                      "frame-ancestors 'none'");
        assert_no_header(&rs[i], "Access-Control-Allow-Origin");
        api_free(&rs[i]);
    }
}

Test(security, cors_echoes_an_allowed_origin_only)
{
    const char *args[] = {"--cors-origin",
                          "https://app.example, http://localhost:3000",
                          "--api-token", TOKEN, NULL};
    api_start(&srv, args);
    const char *ok[] = {"Origin: http://localhost:3000", BEARER, NULL};
    api_response r =
        api_call_with(&srv, "GET", "/v1/models", ok, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    assert_header(&r, "Access-Control-Allow-Origin", "http://localhost:3000");
    assert_header(&r, "Vary", "Origin");
    assert_no_header(&r, "Access-Control-Allow-Credentials");
    api_free(&r);
    /* Errors carry them too, so the page can read the problem. */
    const char *no_token[] = {"Origin: https://app.example", NULL};
    r = api_call_with(&srv, "GET", "/v1/models", no_token, NULL, NULL, 0);
    api_assert_problem(&r, 401, NULL);
    assert_header(&r, "Access-Control-Allow-Origin", "https://app.example");
    api_free(&r);
    const char *evil[] = {"Origin: https://app.example.evil", BEARER, NULL};
    const char *prefix[] = {"Origin: https://app", BEARER, NULL};
    for (int i = 0; i < 2; i++) {
        r = api_call_with(&srv, "GET", "/v1/models", i ? prefix : evil, NULL,
                          NULL, 0);
        cr_assert_eq(r.status, 200);
        assert_no_header(&r, "Access-Control-Allow-Origin");
        assert_header(&r, "Vary", "Origin");
        api_free(&r);
    }
}

Test(security, preflight_is_answered_without_the_token)
{
    const char *args[] = {"--cors-origin", "https://app.example",
                          "--api-token", TOKEN, NULL};
    api_start(&srv, args);
    const char *pre[] = {"Origin: https://app.example",
                         "Access-Control-Request-Method: POST",
                         "Access-Control-Request-Headers: authorization, "
                         "content-type",
                         NULL};
    api_response r = api_call_with(&srv, "OPTIONS", "/v1/models/md_x/predict",
                                   pre, NULL, NULL, 0);
    cr_assert_eq(r.status, 204, "%s", r.body);
    assert_header(&r, "Access-Control-Allow-Origin", "https://app.example");
    char v[256];
    cr_assert(api_header(&r, "Access-Control-Allow-Methods", v, sizeof v));
    cr_assert(strstr(v, "POST") && strstr(v, "DELETE"), "%s", v);
    cr_assert(api_header(&r, "Access-Control-Allow-Headers", v, sizeof v));
    cr_assert(strstr(v, "Authorization") && strstr(v, "Content-Type"), "%s", v);
    assert_header(&r, "Access-Control-Max-Age", "600");
    assert_header(&r, "X-Frame-Options", "DENY");
    assert_no_header(&r, "Content-Type"); /* a 204 has none */
    api_free(&r);
    const char *evil[] = {"Origin: https://evil.example",
                          "Access-Control-Request-Method: DELETE", NULL};
    r = api_call_with(&srv, "OPTIONS", "/v1/models", evil, NULL, NULL, 0);
    cr_assert_eq(r.status, 204);
    assert_no_header(&r, "Access-Control-Allow-Origin");
    assert_no_header(&r, "Access-Control-Allow-Methods");
    api_free(&r);
}

Test(security, a_wildcard_origin_is_refused_at_start)
{
    const char *bin = getenv("NEUROND_BIN");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --cors-origin '*' --port 0 > /dev/null "
                              "2>&1", bin ? bin : "build/neurond");
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "status %d", rc);
}
