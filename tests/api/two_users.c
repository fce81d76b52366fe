/* two_users.c — users, calls as them, and the owner's objects for the
 * authorization tests (see two_users.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "two_users.h"

void tu_make_user(api_server *s, const char *admin_auth, const char *name,
                  char auth[128])
{
    const char *h[] = {admin_auth, NULL};
    char body[128];
    snprintf(body, sizeof body, "{\"name\": \"%s\"}", name);
    api_response r = api_call_with(s, "POST", "/v1/admin/users", h,
                                   "application/json", body, strlen(body));
    cr_assert_eq(r.status, 201, "%s", r.body);
    api_free(&r);
    snprintf(body, sizeof body, "{\"user\": \"%s\"}", name);
    r = api_call_with(s, "POST", "/v1/admin/tokens", h, "application/json",
                      body, strlen(body));
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(auth, 128, "Authorization: Bearer %s", api_str(&r, "token"));
    api_free(&r);
}

void tu_post_id(api_server *s, const char *auth, const char *path,
                const char *body, char id[64])
{
    const char *headers[] = {auth, NULL};
    api_response r = api_call_with(s, "POST", path, headers,
                                   "application/json", body, strlen(body));
    cr_assert(r.status == 201 || r.status == 202, "%s: %s", path, r.body);
    snprintf(id, 64, "%s", api_str(&r, "id"));
    api_free(&r);
}

api_response tu_send(api_server *s, const char *auth, const sw_call *c,
                     const char *url, const char *body)
{
    const char *headers[SW_MAX_HEADERS + 2];
    size_t n = 0;
    headers[n++] = auth;
    for (size_t i = 0; i < c->n_headers; i++)
        headers[n++] = c->headers[i];
    headers[n] = NULL;
    return api_call_with(s, c->method, url ? url : c->url, headers,
                         c->content_type, body ? body : c->body,
                         body ? strlen(body) : c->body_len);
}

/* The owner's server and header while tu_walk_create_as walks. */
static api_server *owner_srv;
static const char *owner_auth;

/* The owner's call c: a success, whose ids are kept. */
static void as_owner(sw_walk *w, const sw_call *c)
{
    if (strncmp(c->path, "/v1/admin/", 10) == 0)
        return;
    api_response r = tu_send(owner_srv, owner_auth, c, NULL, NULL);
    cr_assert(r.status >= 200 && r.status < 300, "the owner's %s %s: %ld "
              "%.300s", c->method, c->url, r.status, r.body);
    sw_remember_ids(w, &r);
    api_free(&r);
}

void tu_walk_create_as(api_server *s, sw_walk *w, const char *auth)
{
    sw_load(w);
    /* The admin routes are not the users' (403, test_accounts.c); their
     * calls are built, then skipped. */
    snprintf(w->ids[SW_TOKEN], sizeof w->ids[SW_TOKEN],
             "tk_aaaaaaaaaaaaaaaaaaaaaaaaaa");
    owner_srv = s;
    owner_auth = auth;
    sw_each_call(w, SW_CREATE, as_owner);
    cr_assert(w->ids[SW_DATASET][0] && w->ids[SW_MODEL][0] &&
                  w->ids[SW_JOB][0],
              "the owner's examples made no dataset, model or job");
    sw_wait_job(s, auth, w->ids[SW_JOB]);
}

void tu_start_a_and_b(api_server *s, const char *admin_token, sw_walk *w,
                      char auth_a[128], char auth_b[128])
{
    const char *args[] = {"--api-token", admin_token, NULL};
    char admin[128];
    snprintf(admin, sizeof admin, "Authorization: Bearer %s", admin_token);
    api_start(s, args);
    tu_make_user(s, admin, "alice", auth_a);
    tu_make_user(s, admin, "bob", auth_b);
    tu_walk_create_as(s, w, auth_a);
}

void tu_each_call(sw_walk *w, void (*fn)(sw_walk *w, const sw_call *c))
{
    sw_each_call(w, SW_CREATE, fn);
    sw_each_call(w, SW_READ, fn);
    sw_each_call(w, SW_DELETE, fn);
}
