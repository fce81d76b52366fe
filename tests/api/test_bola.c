/* test_bola.c — broken object-level authorization, tried on every
 * operation of api-docs/openapi.yaml (the spec walk's calls, so that a
 * new route is covered without editing this test): user A makes a
 * dataset, a model and a job with the document's examples; then every
 * call of the walk that names one of A's objects (in its path or its
 * body) is made by user B, and must answer as the same call on an id
 * never given out does (same status, same problem but for the id); B's
 * lists hold none of A's ids; A's objects are unchanged afterwards; the
 * administrator's same calls succeed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "spec_walk.h"
#include "two_users.h"

#define ADMIN_TOKEN "bola-admin-token-0123"

static api_server srv;
static char auth_a[128], auth_b[128];
static const char *auth_admin = "Authorization: Bearer " ADMIN_TOKEN;
static unsigned checked; /* calls of B compared with an unknown id */

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(bola, .fini = teardown, .timeout = 300);

/* text with every occurrence of from replaced by to (malloc'd). */
static char *replace_all(const char *text, const char *from, const char *to)
{
    size_t n = 0, fl = strlen(from), tl = strlen(to);
    for (const char *p = strstr(text, from); p; p = strstr(p + fl, from))
        n++;
    char *out = malloc(strlen(text) + n * (tl > fl ? tl - fl : 0) + 1), *o = out;
    for (const char *p = text, *q; (q = strstr(p, from)) || *p; p = q + fl) {
        if (!q) {
            strcpy(o, p);
            return out;
        }
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, to, tl);
        o += tl;
    }
    *o = '\0';
    return out;
}

/* An id of the same kind as id, never given out. */
static void unknown_like(const char *id, char out[64])
{
    snprintf(out, 64, "%.3saaaaaaaaaaaaaaaaaaaaaaaaaa", id);
}

/* The problem of r with its request_id dropped and id as "ID". */
static char *normalized(const api_response *r, const char *id)
{
    json_t *copy = json_deep_copy(r->json);
    cr_assert_not_null(copy, "%ld: not JSON: %.300s", r->status, r->body);
    json_object_del(copy, "request_id");
    char *text = json_dumps(copy, JSON_SORT_KEYS);
    json_decref(copy);
    char *out = replace_all(text, id, "ID");
    free(text);
    return out;
}

/* Which of A's ids c names (in its URL or body), or NULL. */
static const char *names_a(sw_walk *w, const sw_call *c)
{
    for (int k = 0; k < SW_KINDS; k++)
        if (w->ids[k][0] && (strstr(c->url, w->ids[k]) ||
                             (c->body && strstr(c->body, w->ids[k]))))
            return w->ids[k];
    for (size_t i = 0; i < w->n_named; i++) /* what an x-id names */
        if (strstr(c->url, w->named[i].id))
            return w->named[i].id;
    return NULL;
}

/* B's call c, compared with the same call on an unknown id; or, for a
 * call naming none of A's objects, a reply without any of A's ids. */
static void as_b(sw_walk *w, const sw_call *c)
{
    if (strncmp(c->path, "/v1/admin/", 10) == 0 || c->public_op)
        return;
    const char *id = names_a(w, c);
    if (!id) {
        api_response r = tu_send(&srv, auth_b, c, NULL, NULL);
        for (int k = 0; k < SW_KINDS; k++)
            cr_assert(!w->ids[k][0] || !strstr(r.body, w->ids[k]),
                      "B's %s %s shows A's %s: %.300s", c->method, c->url,
                      w->ids[k], r.body);
        api_free(&r);
        return;
    }
    char other[64];
    unknown_like(id, other);
    char *url = replace_all(c->url, id, other);
    char *body = c->body ? replace_all(c->body, id, other) : NULL;
    api_response mine = tu_send(&srv, auth_b, c, NULL, NULL);
    api_response none = tu_send(&srv, auth_b, c, url, body);
    cr_assert_eq(mine.status, none.status, "%s %s: B on A's %s got %ld, on "
                 "an unknown id %ld: %.300s", c->method, c->url, id,
                 mine.status, none.status, mine.body);
    cr_assert(!strchr(c->path, '{') || mine.status == 404,
              "%s %s: %ld %.200s", c->method, c->url, mine.status, mine.body);
    char *a = normalized(&mine, id), *b = normalized(&none, other);
    cr_assert_str_eq(a, b, "%s %s: the replies differ", c->method, c->url);
    checked++;
    free(a);
    free(b);
    free(url);
    free(body);
    api_free(&mine);
    api_free(&none);
}

/* The administrator's call c: a success, or 409 for the job controls of
 * the walk's job, which has ended. */
static void as_admin(sw_walk *w, const sw_call *c)
{
    (void)w;
    if (strncmp(c->path, "/v1/admin/", 10) == 0)
        return;
    api_response r = tu_send(&srv, auth_admin, c, NULL, NULL);
    cr_assert((r.status >= 200 && r.status < 300) || r.status == 409,
              "the administrator's %s %s: %ld %.300s", c->method, c->url,
              r.status, r.body);
    api_free(&r);
}

/* A's view of each of A's objects, as one text. */
static char *a_objects(sw_walk *w)
{
    static const char *const paths[] = {"/v1/datasets/", "/v1/models/",
                                        "/v1/jobs/"};
    const char *h[] = {auth_a, NULL};
    char *all = strdup("");
    for (int k = 0; k < 3; k++) {
        char path[128];
        snprintf(path, sizeof path, "%s%s", paths[k], w->ids[k]);
        api_response r = api_call_with(&srv, "GET", path, h, NULL, NULL, 0);
        cr_assert_eq(r.status, 200, "A's %s: %s", path, r.body);
        char *next = malloc(strlen(all) + r.len + 1);
        strcpy(next, all);
        strcat(next, r.body);
        free(all);
        all = next;
        api_free(&r);
    }
    return all;
}

/* The operations on one object (a {id} path outside /v1/admin/). */
static unsigned object_operations(sw_walk *w)
{
    const char *path, *method;
    json_t *item, *op;
    unsigned n = 0;
    json_object_foreach(json_object_get(w->spec, "paths"), path, item) {
        if (!strstr(path, "{id}") || strncmp(path, "/v1/admin/", 10) == 0)
            continue;
        json_object_foreach(item, method, op) n += strcmp(method,
                                                          "parameters") != 0;
    }
    return n;
}

Test(bola, another_users_objects_answer_as_unknown_ids_on_every_operation)
{
    sw_walk w;
    tu_start_a_and_b(&srv, ADMIN_TOKEN, &w, auth_a, auth_b);
    char *before = a_objects(&w);
    tu_each_call(&w, as_b);
    char *after = a_objects(&w);
    cr_assert_str_eq(after, before, "B changed A's objects");
    fprintf(stderr, "bola: %u calls of B on A's objects answered as unknown "
            "ids\n", checked);
    unsigned id_ops = object_operations(&w);
    cr_assert_geq(checked, id_ops, "%u calls named A's objects, of %u "
                  "operations on an object", checked, id_ops);
    cr_assert_gt(id_ops, 10);
    sw_each_call(&w, SW_READ, as_admin);
    sw_each_call(&w, SW_DELETE, as_admin);
    free(before);
    free(after);
    sw_free(&w);
}
