/* spec_errors.c — bad calls made from the walk's documented ones (see
 * spec_errors.h). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec_errors.h"

typedef struct {
    sw_walk *w;
    const sw_call *good;
    void (*fn)(sw_walk *w, const sw_bad_call *b);
} maker;

/* Runs m->fn with b once b's body (owned, or NULL) and expectations are
 * set; frees the body. */
static void send_bad(maker *m, sw_bad_call *b, char *body, long e1, long e2)
{
    b->call.body = body;
    b->call.body_len = body ? strlen(body) : 0;
    b->expect[0] = e1;
    b->expect[1] = e2;
    b->expect[2] = 0;
    m->fn(m->w, b);
    free(body);
}

/* A copy of the good call, described by a printf format; its body is
 * not copied (send_bad sets one). */
static sw_bad_call bad_from(const maker *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static sw_bad_call bad_from(const maker *m, const char *fmt, ...)
{
    sw_bad_call b = {.call = *m->good};
    b.call.body = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b.what, sizeof b.what, fmt, ap);
    va_end(ap);
    return b;
}

static char *dup_or_null(const char *s)
{
    char *d = s ? strdup(s) : NULL;
    cr_assert(!s || d);
    return d;
}

/* url without query argument name, then with name=value at the end. */
static void set_query(char *url, size_t cap, const char *name,
                      const char *value)
{
    char *q = strchr(url, '?'), kept[1024] = "";
    if (q) {
        *q++ = '\0';
        size_t n = strlen(name);
        for (char *arg = strtok(q, "&"); arg; arg = strtok(NULL, "&"))
            if (strncmp(arg, name, n) != 0 || arg[n] != '=')
                snprintf(kept + strlen(kept), sizeof kept - strlen(kept),
                         "%s&", arg);
    }
    size_t used = strlen(url);
    snprintf(url + used, cap - used, "?%s%s=%s", kept, name, value);
}

/* The bad calls that break the query: an unknown argument, and each
 * documented argument given a value its schema refuses. */
static void bad_queries(maker *m)
{
    sw_bad_call b = bad_from(m, "an unknown query parameter");
    set_query(b.call.url, sizeof b.call.url, "zz_unknown", "1");
    send_bad(m, &b, dup_or_null(m->good->body), 400, 0);
    size_t i;
    json_t *p;
    json_array_foreach(m->good->params, i, p) {
        const char *in = json_string_value(json_object_get(p, "in"));
        const char *name = json_string_value(json_object_get(p, "name"));
        if (strcmp(in, "query") != 0)
            continue;
        json_t *s = sw_deref(m->w, json_object_get(p, "schema"));
        const char *type = json_string_value(json_object_get(s, "type"));
        json_t *min = json_object_get(s, "minimum");
        char text[64];
        struct {
            const char *value, *why;
            long e1, e2;
            bool applies;
        } cases[] = {
            {"abc", "not a number", 400, 0,
             type && strcmp(type, "integer") == 0},
            {text, "below its minimum", 400, 422, json_is_integer(min)},
            {"1000000000", "far above any limit",
             json_object_get(s, "maximum") ? 422 : 0, 0,
             type && strcmp(type, "integer") == 0},
            {"maybe", "not a boolean", 400, 422,
             type && strcmp(type, "boolean") == 0},
            {"zz-not-a-member", "outside its enum", 400, 422,
             json_object_get(s, "enum") != NULL},
        };
        snprintf(text, sizeof text, "%lld",
                 (long long)json_integer_value(min) - 1);
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
            if (!cases[k].applies)
                continue;
            b = bad_from(m, "?%s=%s (%s)", name, cases[k].value, cases[k].why);
            set_query(b.call.url, sizeof b.call.url, name, cases[k].value);
            send_bad(m, &b, dup_or_null(m->good->body), cases[k].e1,
                     cases[k].e2);
        }
    }
}

/* The good call's headers, with the one named name (a "Name: value"
 * line) holding value instead. */
static void set_header(sw_call *c, const char *name, const char *value)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < c->n_headers; i++)
        if (strncasecmp(c->headers[i], name, n) == 0 &&
            c->headers[i][n] == ':')
            snprintf(c->headers[i], sizeof c->headers[i], "%s: %s", name,
                     value);
}

/* Each integer header parameter (sent by the good call) as text. */
static void bad_headers(maker *m)
{
    size_t i;
    json_t *p;
    json_array_foreach(m->good->params, i, p) {
        const char *in = json_string_value(json_object_get(p, "in"));
        const char *name = json_string_value(json_object_get(p, "name"));
        json_t *s = sw_deref(m->w, json_object_get(p, "schema"));
        const char *type = json_string_value(json_object_get(s, "type"));
        if (strcmp(in, "header") != 0 || !type || strcmp(type, "integer"))
            continue;
        sw_bad_call b = bad_from(m, "header %s: abc (not a number)", name);
        set_header(&b.call, name, "abc");
        send_bad(m, &b, dup_or_null(m->good->body), 400, 0);
    }
}

/* The good call's URL with every {…} of its path template as value and
 * its query kept. */
static void fill_path(const maker *m, sw_call *c, const char *value)
{
    char url[1024];
    size_t n = 0;
    for (const char *s = m->good->path; *s && n + 1 < sizeof url;) {
        if (*s != '{') {
            url[n++] = *s++;
            continue;
        }
        n += (size_t)snprintf(url + n, sizeof url - n, "%s", value);
        s += strcspn(s, "}") + 1;
    }
    url[n < sizeof url ? n : sizeof url - 1] = '\0';
    const char *q = strchr(m->good->url, '?');
    snprintf(c->url, sizeof c->url, "%s%s", url, q ? q : "");
}

/* Unknown values of the path's parameter: for {id}, an id of the right
 * kind that was never given out and a malformed one. */
static void bad_paths(maker *m)
{
    if (!strchr(m->good->path, '{'))
        return;
    char unknown[64] = "zz-missing";
    for (int k = 0; k < SW_KINDS; k++)
        if (m->w->ids[k][0] && strstr(m->good->url, m->w->ids[k]))
            snprintf(unknown, sizeof unknown, "%.3saaaaaaaaaaaaaaaaaaaaaaaaaa",
                     m->w->ids[k]);
    const char *values[] = {unknown, "nope"};
    for (size_t i = 0; i < 2; i++) {
        sw_bad_call b = bad_from(m, "the path parameter as %s", values[i]);
        fill_path(m, &b.call, values[i]);
        send_bad(m, &b, dup_or_null(m->good->body), 404, 0);
    }
}

/* The good JSON body with an unknown member added. */
static char *with_unknown_field(const char *body)
{
    json_t *j = json_loads(body, 0, NULL);
    cr_assert(json_is_object(j), "a JSON example that is no object: %s", body);
    json_object_set_new(j, "zz_unknown", json_integer(1));
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    cr_assert_not_null(text);
    return text;
}

/* A JSON object one byte over SW_JSON_LIMIT, all of it one string (Prism
 * forwards a JSON body re-serialised: white space would not survive). */
static char *too_large(void)
{
    char *s = malloc(SW_JSON_LIMIT + 2);
    cr_assert_not_null(s);
    memset(s, 'x', SW_JSON_LIMIT + 1);
    memcpy(s, "{\"name\":\"", 9);
    memcpy(s + SW_JSON_LIMIT - 1, "\"}", 2);
    s[SW_JSON_LIMIT + 1] = '\0';
    return s;
}

/* The bad bodies: one where none is taken, or broken JSON ones. */
static void bad_bodies(maker *m)
{
    sw_bad_call b;
    if (!json_object_get(m->good->op, "requestBody")) {
        b = bad_from(m, "a body on an operation that takes none");
        b.call.content_type = "application/json";
        b.unjudged = strcmp(m->good->method, "GET") == 0;
        send_bad(m, &b, strdup("{}"), 400, 0);
        return;
    }
    if (!m->good->content_type || !strstr(m->good->content_type, "json"))
        return;
    b = bad_from(m, "malformed JSON");
    b.unjudged = true;
    send_bad(m, &b, strdup("{\"name\":"), 400, 0);
    b = bad_from(m, "a JSON array for a body");
    send_bad(m, &b, strdup("[]"), 400, 0);
    /* A body the document marks optional may be left out. */
    json_t *rb = json_object_get(m->good->op, "requestBody");
    if (json_is_true(json_object_get(rb, "required"))) {
        b = bad_from(m, "no body");
        send_bad(m, &b, NULL, 400, 0);
    }
    b = bad_from(m, "an unknown field");
    send_bad(m, &b, with_unknown_field(m->good->body), 400, 0);
    b = bad_from(m, "the body as text/xml");
    b.call.content_type = "text/xml";
    send_bad(m, &b, strdup(m->good->body), 415, 0);
    b = bad_from(m, "a body over --max-json-bytes");
    send_bad(m, &b, too_large(), 413, 0);
}

void sw_each_bad_call(sw_walk *w, const sw_call *good,
                      void (*fn)(sw_walk *w, const sw_bad_call *b))
{
    maker m = {w, good, fn};
    bad_queries(&m);
    bad_headers(&m);
    bad_paths(&m);
    bad_bodies(&m);
}
