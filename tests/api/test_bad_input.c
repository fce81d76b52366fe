/* test_bad_input.c — every row of bad_input_cases.h against one server:
 * each gets its 4xx problem+json (with the pointer where the table names
 * one), never a 5xx; afterwards the server still answers /healthz and its
 * resident memory is back near where it started. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bad_input_cases.h"
#include "harness.h"
#include "jobs_helpers.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(bad_input, .fini = teardown, .timeout = 120);

/* Passes of the whole table once memory is measured: enough that a leak
 * of a few hundred bytes per request would show. */
#define PASSES 3
/* RSS may settle this much above the baseline (allocator arenas of the
 * HTTP threads and SQLite's page cache, which a first pass fills). */
#define RSS_SLACK_KB (8 * 1024)

typedef struct {
    char md[64], ds[64], cls[64];
} ids;

/* text with {md}, {ds} and {cls} replaced (malloc'd, *len updated). */
static char *expand(const char *text, size_t *len, const ids *id)
{
    char *out = malloc(*len + 256);
    cr_assert_not_null(out);
    size_t n = 0;
    for (size_t i = 0; i < *len; i++) {
        const char *sub = NULL;
        size_t skip = 0;
        if (strncmp(text + i, "{md}", 4) == 0)
            sub = id->md, skip = 4;
        else if (strncmp(text + i, "{ds}", 4) == 0)
            sub = id->ds, skip = 4;
        else if (strncmp(text + i, "{cls}", 5) == 0)
            sub = id->cls, skip = 5;
        if (sub) {
            n += (size_t)sprintf(out + n, "%s", sub);
            i += skip - 1;
        } else {
            out[n++] = text[i];
        }
    }
    out[n] = '\0';
    *len = n;
    return out;
}

/* A model whose "seed" is 10^5 arrays deep. */
static char *deep_nesting(size_t *len)
{
    const size_t depth = 100000;
    const char head[] = "{\"name\":\"a\",\"inputs\":2,\"seed\":";
    char *s = malloc(sizeof head + 2 * depth + 2);
    cr_assert_not_null(s);
    size_t n = sizeof head - 1;
    memcpy(s, head, n);
    memset(s + n, '[', depth);
    memset(s + n + depth, ']', depth);
    n += 2 * depth;
    s[n++] = '}';
    s[n] = '\0';
    *len = n;
    return s;
}

static void run_case(const bad_case *c, const ids *id)
{
    size_t plen = strlen(c->path), blen = c->len;
    char *path = expand(c->path, &plen, id), *body = NULL;
    if (c->body && strcmp(c->body, DEEP_NESTING) == 0) {
        body = deep_nesting(&blen);
    } else if (c->body) {
        blen = blen ? blen : strlen(c->body);
        body = expand(c->body, &blen, id);
    }
    api_response r = api_call(&srv, c->method, path, c->content_type, body,
                              blen);
    cr_assert(r.status >= 400 && r.status < 500, "%s: %s %s gave %ld: %s",
              c->what, c->method, path, r.status, r.body);
    cr_assert_eq(r.status, c->status, "%s: expected %ld, got %ld: %s",
                 c->what, c->status, r.status, r.body);
    api_assert_problem(&r, c->status, c->pointer);
    api_free(&r);
    free(path);
    free(body);
}

static void run_table(const ids *id)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++)
        run_case(&bad_cases[i], id);
}

Test(bad_input, every_case_is_a_4xx_problem_and_memory_returns)
{
    api_small_asan_quarantine();
    api_start(&srv, NULL);
    ids id;
    make_generated(&srv, "xor", id.ds);
    make_generated(&srv, "circle", id.cls);
    make_model(&srv,
               "{\"name\":\"n\",\"inputs\":2,\"layers\":[{\"units\":2,"
               "\"activation\":\"tanh\"},{\"units\":1,\"activation\":"
               "\"sigmoid\"}]}",
               id.md);
    run_table(&id); /* warms caches and arenas */
    long baseline = api_rss_kb(&srv);
    for (int pass = 0; pass < PASSES; pass++)
        run_table(&id);
    long after = api_rss_kb(&srv);
    cr_log_info("RSS %ld KiB before %d passes of %zu cases, %ld KiB after",
                baseline, PASSES, sizeof bad_cases / sizeof *bad_cases, after);
    cr_assert_leq(after, baseline + RSS_SLACK_KB,
                  "RSS grew from %ld KiB to %ld KiB", baseline, after);
    api_response r = api_call(&srv, "GET", "/healthz", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    api_free(&r);
}
