/* test_spec_walk.c — api-docs/openapi.yaml walked against a real neurond
 * that requires a token, every call sent through Stoplight Prism's
 * validation proxy (prism.h), which judges each reply — status, documented
 * headers, content type, body — against the document; any violation it
 * reports fails the walk. The calls: every documented operation (path ×
 * method) with the document's own examples, which must succeed; each
 * secured one without the token, which must answer 401 (public ones,
 * security: [], must not); and before each operation's first documented
 * call, the bad calls spec_errors.c makes of it (unknown query parameters,
 * bodies where none is taken, unknown ids, broken bodies, values their
 * schemas refuse), which must get the statuses it names. The walk's own
 * checks add what Prism does not judge: a reply with no documented
 * content has no body and no Content-Type. The router's table against the
 * document is tools/check-openapi.py's, which the walk runs first.
 *
 * Prism judges the status, headers and media type of the event stream
 * (getJobEvents) and the backup (application/vnd.sqlite3) but not their
 * bodies (a string for it): test_events.c and test_backup.c check those.
 *
 * Order: POSTs to collections first, in the document's order (datasets,
 * then models, then jobs), so that the first dataset, model and job they
 * create fill every {id} and replace the example ids (ds_…, md_…, jb_…)
 * in bodies and parameters; then, once that job has ended, every other
 * call but DELETE; DELETEs last. The document is read as JSON converted
 * at build time ($NEUROND_OPENAPI_JSON, build/gen/openapi.json). The walk
 * prints how many calls it made and how many were found wrong. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "prism.h"
#include "spec_errors.h"
#include "spec_walk.h"

#define TOKEN "spec-walk-token"
#define AUTH "Authorization: Bearer " TOKEN

static api_server srv;
static prism_proxy prism;

static void teardown(void)
{
    if (prism.pid)
        prism_stop(&prism);
    api_cleanup(&srv);
}

TestSuite(spec_walk, .fini = teardown, .timeout = 300);

/* Counts and logs a reply the walk's own checks find wrong: the walk goes
 * on, so that one run shows every mismatch. */
static void wrong(sw_walk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void wrong(sw_walk *w, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cr_log_error("spec walk: %s", text);
    w->wrong++;
}

/* Whether content (a response's, from the document) lists the media type
 * of the reply: whole (`text/plain; version=0.0.4; …`) or by its type
 * alone (`application/json`). */
static bool type_listed(json_t *content, const char *type)
{
    char bare[128];
    snprintf(bare, sizeof bare, "%.*s", (int)strcspn(type, ";"), type);
    return json_object_get(content, type) || json_object_get(content, bare);
}

/* Judges reply r to c: Prism's verdict (when it went through Prism),
 * then the walk's own checks — its status is documented, its media type
 * too, and a response documented without content has no body and no
 * Content-Type. */
static void judge(sw_walk *w, const sw_call *c, const api_response *r,
                  bool via_prism)
{
    w->calls++;
    w->unjudged += !via_prism;
    char found[2048];
    if (via_prism && prism_violation(r, found, sizeof found)) {
        cr_log_error("prism: %s %s: %ld: %s", c->method, c->url, r->status,
                     found);
        w->violations++;
    }
    json_t *resp = sw_response(w, c->op, r->status);
    if (!resp) {
        wrong(w, "%s %s: %ld is not documented: %.300s", c->method, c->url,
              r->status, r->body);
        return;
    }
    char type[128];
    bool typed = api_header(r, "Content-Type", type, sizeof type);
    json_t *content = json_object_get(resp, "content");
    if (!content && (r->len || typed))
        wrong(w, "%s %s: %ld is documented without content but has %zu "
              "bytes%s%s", c->method, c->url, r->status, r->len,
              typed ? " as " : "", typed ? type : "");
    else if (content && !(typed && type_listed(content, type)))
        wrong(w, "%s %s: %ld as %s, not a documented media type", c->method,
              c->url, r->status, typed ? type : "no Content-Type");
}

/* Makes call c through Prism (or straight to neurond) with its headers
 * and, when auth, the token unless c is public; returns the reply. */
static api_response send_call(const sw_call *c, bool auth, bool via_prism)
{
    const char *headers[SW_MAX_HEADERS + 2];
    size_t n = 0;
    if (auth && !c->public_op)
        headers[n++] = AUTH;
    for (size_t i = 0; i < c->n_headers; i++)
        headers[n++] = c->headers[i];
    headers[n] = NULL;
    return api_call_with(via_prism ? &prism.via : &srv, c->method, c->url, headers,
                         c->content_type, c->body, c->body_len);
}

/* The walk's job has ended before cancel, pause and resume are called
 * (history and events are then complete and deterministic), so they
 * answer 409 — which the document lists for them; so does the backup on
 * PostgreSQL. Every other example must succeed. */
static bool may_fail(const char *operation_id, long status)
{
    bool pg_backup = api_on_postgres() && strcmp(operation_id, "backup") == 0;
    return status == 409 && (strcmp(operation_id, "cancelJob") == 0 ||
                             strcmp(operation_id, "pauseJob") == 0 ||
                             strcmp(operation_id, "resumeJob") == 0 ||
                             pg_backup);
}

/* A bad call: judged, and its status among those b expects. */
static void run_bad(sw_walk *w, const sw_bad_call *b)
{
    api_response r = send_call(&b->call, true, !b->unjudged);
    judge(w, &b->call, &r, !b->unjudged);
    bool ok = b->expect[0] == 0 && r.status >= 200 && r.status < 300;
    for (size_t i = 0; b->expect[i]; i++)
        ok = ok || r.status == b->expect[i];
    if (!ok)
        wrong(w, "%s %s with %s: %ld, expected %ld%s%.0ld: %.300s",
              b->call.method, b->call.url, b->what, r.status,
              b->expect[0] ? b->expect[0] : 200, b->expect[1] ? " or " : "",
              b->expect[1], r.body);
    api_free(&r);
}

/* Whether Prism forwards c's body as sent: it re-encodes a multipart
 * body's binary parts as text (an IDX file then grows past its header's
 * count), so those calls go straight to neurond and the walk's own checks
 * (and test_datasets_idx.c) judge them. */
static bool prism_forwards(const sw_call *c)
{
    return !c->content_type ||
           strncmp(c->content_type, "multipart/", 10) != 0;
}

/* A documented call: judged, and a success (or may_fail). */
static void run_call(sw_walk *w, const sw_call *c)
{
    bool via_prism = prism_forwards(c);
    api_response r = send_call(c, true, via_prism);
    judge(w, c, &r, via_prism);
    const char *id = json_string_value(json_object_get(c->op, "operationId"));
    if (!(r.status >= 200 && r.status < 300) && !may_fail(id, r.status))
        wrong(w, "%s %s (%s): %ld %.300s", c->method, c->url, id, r.status,
              r.body);
    sw_remember_ids(w, &r);
    api_free(&r);
}

/* A secured operation called without the token: 401, as documented. */
static void run_unauthorized(sw_walk *w, const sw_call *c)
{
    api_response r = send_call(c, false, true);
    judge(w, c, &r, true);
    if (r.status != 401)
        wrong(w, "%s %s without the token: %ld", c->method, c->url, r.status);
    api_free(&r);
}

/* Every call made of c: before the first documented call of an
 * operation, its bad calls; without the token when it is secured; then
 * c itself. */
static void run_all(sw_walk *w, const sw_call *c)
{
    static json_t *last_op;
    if (c->op != last_op)
        sw_each_bad_call(w, c, run_bad);
    last_op = c->op;
    if (!c->public_op)
        run_unauthorized(w, c);
    run_call(w, c);
}

Test(spec_walk, every_documented_operation_answers_as_documented)
{
    cr_assert_eq(system("/usr/bin/python3 tools/check-openapi.py > /dev/null"),
                 0, "the route table and the document differ: run "
                    "tools/check-openapi.py");
    char limit[32];
    snprintf(limit, sizeof limit, "%d", SW_JSON_LIMIT);
    const char *args[] = {"--api-token", TOKEN, "--max-json-bytes", limit,
                          NULL};
    api_start(&srv, args);
    prism_start(&prism, &srv);
    sw_walk w;
    sw_load(&w);
    sw_each_call(&w, SW_CREATE, run_all);
    cr_assert(w.ids[SW_DATASET][0] && w.ids[SW_MODEL][0] && w.ids[SW_JOB][0],
              "the examples created no dataset, model or job");
    sw_wait_job(&srv, AUTH, w.ids[SW_JOB]);
    sw_each_call(&w, SW_READ, run_all);
    sw_each_call(&w, SW_DELETE, run_all);
    unsigned logged = prism_stop(&prism);
    fprintf(stderr, "spec walk: %u operations, %u calls (%u through Prism): "
            "%u violations reported by Prism (%u in its log), %u wrong by "
            "the walk's own checks\n", w.operations, w.calls,
            w.calls - w.unjudged, w.violations, logged, w.wrong);
    cr_assert_eq(w.violations + logged + w.wrong, 0,
                 "%u violations, %u in Prism's log, %u wrong (see above)",
                 w.violations, logged, w.wrong);
    cr_assert_geq(w.calls, 3 * w.operations, "%u calls for %u operations",
                  w.calls, w.operations);
    cr_assert_gt(w.operations, 20);
    sw_free(&w);
}
