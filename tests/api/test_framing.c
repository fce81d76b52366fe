/* test_framing.c — what a proxy in front could read otherwise than
 * neurond: encoded path separators (%2F, %00) do not route, and requests
 * framed ambiguously (HTTP/1.1 without Host, two Content-Lengths, a
 * Transfer-Encoding other than chunked, both framings at once) are refused
 * with a problem+json 400 that carries the security headers and closes the
 * connection. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "raw_http.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(framing, .fini = teardown, .timeout = 60);

Test(framing, encoded_separators_do_not_route)
{
    api_start(&srv, NULL);
    const char *paths[] = {"/v1%2fadmin%2fbackup", "/v1%2Fadmin%2Fbackup",
                           "/v1/admin%2fbackup", NULL};
    for (size_t i = 0; paths[i]; i++) {
        api_response r = api_call(&srv, "POST", paths[i], NULL, NULL, 0);
        api_assert_problem(&r, 404, NULL);
        cr_assert(strstr(api_str(&r, "detail"), paths[i]), "%s", r.body);
        api_free(&r);
    }
    api_response r = api_call(&srv, "GET", "/v1%2fmodels", NULL, NULL, 0);
    api_assert_problem(&r, 404, NULL);
    api_free(&r);
    r = api_call(&srv, "GET", "/healthz%00.json", NULL, NULL, 0);
    api_assert_problem(&r, 404, NULL);
    api_free(&r);
    /* Other escapes still decode: %76 is "v". */
    r = api_call(&srv, "GET", "/%761/models", NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    api_free(&r);
    /* Each request's line is written when it completes, in any order
     * (under ASan a line may come well after its reply): wait for each. */
    free(api_log_with(&srv, "path=/%761/models "));
    free(api_log_with(&srv, "path=/v1%2fadmin%2fbackup status=404"));
    char *log = api_log_with(&srv, "path=/healthz%00.json status=404");
    cr_assert(strstr(log, "path=/healthz%00.json status=404"),
              "the path is not logged as sent:\n%s", log);
    cr_assert(strstr(log, "path=/v1%2fadmin%2fbackup status=404"), "%s", log);
    cr_assert(!strstr(log, "event=backup.sent"), "a backup went out:\n%s",
              log);
    free(log);
}

/* The raw reply to req: a problem+json 400 naming pointer, with the
 * security headers and Connection: close. */
static void assert_refused(const char *req, const char *pointer)
{
    char *reply = raw_exchange(srv.port, req, strlen(req), 2000);
    cr_assert(strncmp(reply, "HTTP/1.1 400 ", 13) == 0, "to %s: %s", req,
              reply);
    cr_assert(strstr(reply, "Content-Type: application/problem+json"), "%s",
              reply);
    cr_assert(strstr(reply, "X-Content-Type-Options: nosniff"), "%s", reply);
    cr_assert(strstr(reply, "Connection: close"), "%s", reply);
    char want[128];
    snprintf(want, sizeof want, "\"pointer\":\"%s\"", pointer);
    cr_assert(strstr(reply, want), "no %s in %s", want, reply);
    free(reply);
}

Test(framing, ambiguous_framing_is_refused_with_a_problem)
{
    api_start(&srv, NULL);
    assert_refused("GET /healthz HTTP/1.1\r\n\r\n", "/headers/Host");
    assert_refused("POST /v1/models HTTP/1.1\r\nHost: x\r\n"
                   "Content-Type: application/json\r\nContent-Length: 2\r\n"
                   "Content-Length: 30\r\n\r\n{}",
                   "/headers/Content-Length");
    assert_refused("POST /v1/models HTTP/1.1\r\nHost: x\r\n"
                   "Content-Type: application/json\r\n"
                   "Transfer-Encoding: gzip\r\n\r\n{}",
                   "/headers/Transfer-Encoding");
    assert_refused("POST /v1/models HTTP/1.1\r\nHost: x\r\n"
                   "Content-Type: application/json\r\n"
                   "Transfer-Encoding: chunked\r\nContent-Length: 7\r\n\r\n"
                   "2\r\n{}\r\n0\r\n\r\n",
                   "/headers/Content-Length");
    /* HTTP/1.0 needs no Host; a plain chunked body is fine. */
    char *reply = raw_exchange(srv.port, "GET /healthz HTTP/1.0\r\n\r\n", 25,
                               2000);
    cr_assert(strncmp(reply, "HTTP/1.1 200 ", 13) == 0, "%s", reply);
    free(reply);
    const char chunked[] = "POST /v1/datasets HTTP/1.1\r\nHost: x\r\n"
                           "Content-Type: application/json\r\n"
                           "Transfer-Encoding: chunked\r\n"
                           "Connection: close\r\n\r\n"
                           "1f\r\n{\"name\":\"g\",\"generator\":\"xor\"} \r\n"
                           "0\r\n\r\n";
    reply = raw_exchange(srv.port, chunked, sizeof chunked - 1, 2000);
    cr_assert(strncmp(reply, "HTTP/1.1 201 ", 13) == 0, "%s", reply);
    free(reply);
}
