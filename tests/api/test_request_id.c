/* test_request_id.c — X-Request-Id on every reply: made by the server when
 * the client sends none (rq_ and 26 base32 characters, a new one each
 * time), the client's echoed when it is sane, replaced when it is too
 * long or has characters outside the set; on errors too (401, 404, 405,
 * 413), where the problem's request_id matches the header. */
#include <criterion/criterion.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, (const char *[]){"--api-token", "t0ken", "--max-json-bytes",
                                     "2048", NULL});
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(request_id, .init = setup, .fini = teardown, .timeout = 60);

static const char *const auth[] = {"Authorization: Bearer t0ken", NULL};

/* The reply's X-Request-Id into out (asserted present, and equal to the
 * problem's request_id when the reply is a problem). */
static void id_of(const api_response *r, char out[128])
{
    cr_assert(api_header(r, "X-Request-Id", out, 128), "no X-Request-Id: %s",
              r->headers);
    if (strstr(r->content_type, "problem+json"))
        cr_assert_str_eq(api_jstr(r->json, "request_id"), out);
}

static void assert_made_by_server(const char *id)
{
    regex_t re;
    cr_assert_eq(regcomp(&re, "^rq_[a-z2-7]{26}$", REG_EXTENDED | REG_NOSUB),
                 0);
    cr_assert_eq(regexec(&re, id, 0, NULL, 0), 0, "request id '%s'", id);
    regfree(&re);
}

/* The id a GET of path gets when the client sends header (or none). */
static void id_for(const char *header, char out[128])
{
    api_response r = api_call_with(&srv, "GET", "/v1/datasets",
                                   (const char *[]){auth[0], header, NULL},
                                   NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    id_of(&r, out);
    api_free(&r);
}

Test(request_id, made_when_absent_and_new_each_time)
{
    char a[128], b[128];
    id_for(NULL, a);
    id_for(NULL, b);
    assert_made_by_server(a);
    assert_made_by_server(b);
    cr_assert_str_neq(a, b);
}

Test(request_id, echoed_when_sane)
{
    char id[128];
    id_for("X-Request-Id: 0f8fad5b-d9cb-469f-a165-70867728950e", id);
    cr_assert_str_eq(id, "0f8fad5b-d9cb-469f-a165-70867728950e");
    char longest[80] = "X-Request-Id: ";
    memset(longest + strlen(longest), 'a', 64);
    id_for(longest, id);
    cr_assert_eq(strlen(id), 64);
}

Test(request_id, replaced_when_too_long_or_odd)
{
    static const char *const bad[] = {
        "X-Request-Id: has space",       "X-Request-Id: <script>",
        "X-Request-Id: a\"b",            "X-Request-Id: %0d%0aSet-Cookie:x",
        "X-Request-Id: caf\xc3\xa9",     "X-Request-Id: a;b=c"};
    char id[128];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        id_for(bad[i], id);
        assert_made_by_server(id);
    }
    char too_long[100] = "X-Request-Id: ";
    memset(too_long + strlen(too_long), 'a', 65);
    id_for(too_long, id);
    assert_made_by_server(id);
}

Test(request_id, on_every_error_reply)
{
    char id[128];
    const char *const mine[] = {"X-Request-Id: err-1", NULL};
    api_response r = api_call_with(&srv, "GET", "/v1/models", mine, NULL,
                                   NULL, 0);
    api_assert_problem(&r, 401, NULL);
    id_of(&r, id);
    cr_assert_str_eq(id, "err-1");
    api_free(&r);
    r = api_call_with(&srv, "GET", "/nothing/here", auth, NULL, NULL, 0);
    api_assert_problem(&r, 404, NULL);
    id_of(&r, id);
    assert_made_by_server(id);
    api_free(&r);
    r = api_call_with(&srv, "PUT", "/v1/models", auth, NULL, NULL, 0);
    api_assert_problem(&r, 405, NULL);
    id_of(&r, id);
    api_free(&r);
    char big[4096];
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[sizeof big - 1] = '}';
    r = api_call_with(&srv, "POST", "/v1/models", auth, "application/json",
                      big, sizeof big);
    api_assert_problem(&r, 413, NULL);
    id_of(&r, id);
    assert_made_by_server(id);
    api_free(&r);
}
