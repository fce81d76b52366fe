/* test_spec_walk.c — api-docs/openapi.yaml walked against a real neurond
 * that requires a token: every documented operation (path × method) is
 * called with the document's own examples, and each reply must have a
 * status the document lists for that operation, with a documented content
 * type. Secured operations must answer 401 without the token, public ones
 * (security: []) must not. The router's table against the document is
 * tools/check-openapi.py's, which the walk runs first.
 *
 * Order: POSTs to collections first, in the document's order (datasets,
 * then models, then jobs), so that the first dataset, model and job they
 * create fill every {id} and replace the example ids (ds_…, md_…, jb_…)
 * in bodies and parameters; then, once that job has ended, every other
 * call but DELETE; DELETEs last. The document is read as JSON converted
 * at build time ($NEUROND_OPENAPI_JSON, build/gen/openapi.json). */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "spec_walk.h"

#define TOKEN "spec-walk-token"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(spec_walk, .fini = teardown, .timeout = 120);

/* The walk's job has ended before cancel, pause and resume are called
 * (history and events are then complete and deterministic), so they
 * answer 409 — which the document lists for them. Every other example
 * must succeed. */
static bool may_fail(const char *operation_id, long status)
{
    return status == 409 && (strcmp(operation_id, "cancelJob") == 0 ||
                             strcmp(operation_id, "pauseJob") == 0 ||
                             strcmp(operation_id, "resumeJob") == 0);
}

/* Asserts that reply r of op is documented: its status, and its content
 * type among that response's (an empty body when none is listed). */
static void check_reply(sw_walk *w, const sw_call *c, const api_response *r)
{
    json_t *resp = sw_response(w, c->op, r->status);
    cr_assert_not_null(resp, "%s %s: %ld is not documented: %s", c->method,
                       c->url, r->status, r->body);
    json_t *content = json_object_get(resp, "content");
    if (!content) {
        cr_assert_eq(r->len, 0, "%s %s: %ld has a body the document does "
                     "not list: %s", c->method, c->url, r->status, r->body);
        return;
    }
    /* A media type is listed whole (`text/plain; version=0.0.4; …`) or
     * by its type alone (`application/json`). */
    char type[128];
    snprintf(type, sizeof type, "%.*s", (int)strcspn(r->content_type, ";"),
             r->content_type);
    cr_assert(json_object_get(content, r->content_type) ||
                  json_object_get(content, type),
                       "%s %s: %ld as %s, not a documented content type",
                       c->method, c->url, r->status, type);
    if (strstr(type, "json"))
        cr_assert_not_null(r->json, "%s %s: not JSON: %s", c->method, c->url,
                           r->body);
}

/* Makes call c (with the token unless public) and checks the reply. */
static void run_call(sw_walk *w, const sw_call *c)
{
    const char *headers[SW_MAX_HEADERS + 2];
    size_t n = 0;
    if (!c->public_op)
        headers[n++] = "Authorization: Bearer " TOKEN;
    for (size_t i = 0; i < c->n_headers; i++)
        headers[n++] = c->headers[i];
    headers[n] = NULL;
    api_response r = api_call_with(&srv, c->method, c->url, headers,
                                   c->content_type, c->body, c->body_len);
    check_reply(w, c, &r);
    const char *id = json_string_value(json_object_get(c->op, "operationId"));
    cr_assert((r.status >= 200 && r.status < 300) || may_fail(id, r.status),
              "%s %s (%s): %ld %s", c->method, c->url, id, r.status, r.body);
    sw_remember_ids(w, &r);
    w->calls++;
    api_free(&r);
}

/* A secured operation called without the token: 401, as documented. */
static void run_unauthorized(sw_walk *w, const sw_call *c)
{
    api_response r = api_call(&srv, c->method, c->url, c->content_type,
                              c->body, c->body_len);
    cr_assert_eq(r.status, 401, "%s %s without the token: %ld", c->method,
                 c->url, r.status);
    check_reply(w, c, &r);
    api_free(&r);
}

/* Both calls of c: without the token when it is secured, then with. */
static void run_both(sw_walk *w, const sw_call *c)
{
    if (!c->public_op)
        run_unauthorized(w, c);
    run_call(w, c);
}

/* Waits until job id has left queued and running. */
static void wait_job(const char *id)
{
    const char *auth[] = {"Authorization: Bearer " TOKEN, NULL};
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", id);
    for (int i = 0; i < 3000; i++) {
        api_response r = api_call_with(&srv, "GET", path, auth, NULL, NULL, 0);
        cr_assert_eq(r.status, 200, "%s", r.body);
        const char *st = api_jstr(r.json, "status");
        bool done = strcmp(st, "queued") && strcmp(st, "running");
        api_free(&r);
        if (done)
            return;
        usleep(20000);
    }
    cr_assert_fail("job %s did not end", id);
}

Test(spec_walk, every_documented_operation_answers_as_documented)
{
    cr_assert_eq(system("/usr/bin/python3 tools/check-openapi.py > /dev/null"),
                 0, "the route table and the document differ: run "
                    "tools/check-openapi.py");
    const char *args[] = {"--api-token", TOKEN, NULL};
    api_start(&srv, args);
    sw_walk w;
    sw_load(&w);
    sw_each_call(&w, SW_CREATE, run_both);
    cr_assert(w.ids[SW_DATASET][0] && w.ids[SW_MODEL][0] && w.ids[SW_JOB][0],
              "the examples created no dataset, model or job");
    wait_job(w.ids[SW_JOB]);
    sw_each_call(&w, SW_READ, run_both);
    sw_each_call(&w, SW_DELETE, run_both);
    cr_assert_geq(w.calls, w.operations, "%u calls for %u operations",
                  w.calls, w.operations);
    cr_assert_gt(w.operations, 20);
    sw_free(&w);
}
