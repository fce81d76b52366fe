/* test_accounts.c — users and tokens: made on the command line (`neurond
 * user add`, `neurond token create|revoke`) and through the
 * administrator's routes (/v1/admin/users, /v1/admin/tokens); a token
 * refused at once once revoked or expired (an open event stream at its
 * next event), never taken from a URL; only its hash in the
 * database, never its text in the database or the log; users kept out of
 * /v1/admin/...; a server with neither --api-token nor users left open. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sse_client.h"
#include "two_users.h"

#define ADMIN_TOKEN "admin-Token-0123456789"
#define ADMIN "Authorization: Bearer " ADMIN_TOKEN

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(accounts, .fini = teardown, .timeout = 60);

/* The status of method path with token (NULL: no Authorization). */
static long status_as(const char *token, const char *method, const char *path)
{
    char auth[256];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
    const char *headers[] = {auth, NULL};
    api_response r = api_call_with(&srv, method, path, token ? headers : NULL,
                                   NULL, NULL, 0);
    long st = r.status;
    if (st == 401 || st == 403)
        api_assert_problem(&r, st, NULL);
    api_free(&r);
    return st;
}

/* A JSON call as the administrator (--api-token). */
static api_response admin_json(const char *method, const char *path,
                               const char *body)
{
    const char *headers[] = {ADMIN, NULL};
    return api_call_with(&srv, method, path, headers,
                         body ? "application/json" : NULL, body,
                         body ? strlen(body) : 0);
}

/* Runs `neurond --db <db> args`; returns its exit status, its output in out. */
static int cli(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "--db '%s' %s", srv.db, args);
    return api_cli(cmd, out, cap);
}

/* The token line (ndt_…) of `token create`'s output, copied to tok. */
static void token_of(const char *out, char tok[64])
{
    const char *t = strstr(out, "\nndt_");
    t = t ? t + 1 : (strncmp(out, "ndt_", 4) == 0 ? out : NULL);
    cr_assert_not_null(t, "no token in:\n%s", out);
    snprintf(tok, 64, "%.*s", (int)strcspn(t, "\r\n"), t);
    cr_assert_eq(strlen(tok), 30, "token %s", tok);
}

/* The id (tk_…) in `token create`'s output, copied to id. */
static void token_id_of(const char *out, char id[64])
{
    const char *tk = strstr(out, "token tk_");
    cr_assert_not_null(tk, "%s", out);
    snprintf(id, 64, "%.29s", tk + 6);
}

/* Whether the file at path holds text. */
static bool file_holds(const char *path, const char *text)
{
    char *data = api_read_file(path);
    if (!data)
        return false;
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    bool found = memmem(data, (size_t)n, text, strlen(text)) != NULL;
    free(data);
    return found;
}

Test(accounts, cli_users_and_tokens_guard_the_api_and_a_revoke_holds_at_once)
{
    char out[4096], tok[64], id[64];
    api_prepare(&srv);
    cr_assert_eq(cli("user add alice", out, sizeof out), 0, "%s", out);
    cr_assert_neq(cli("user add alice", out, sizeof out), 0, "a second alice");
    cr_assert(strstr(out, "exists"), "%s", out);
    cr_assert_eq(cli("token create nobody", out, sizeof out), 1, "%s", out);
    cr_assert_eq(cli("token create alice --expires 2001-01-01T00:00:00Z",
                     out, sizeof out), 2, "%s", out);
    cr_assert_eq(cli("token create alice --expires 7d", out, sizeof out), 0,
                 "%s", out);
    token_of(out, tok);
    token_id_of(out, id);
    cr_assert_eq(cli("user list", out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "alice") && strstr(out, " 1 "), "%s", out);

    api_restart(&srv, NULL);
    cr_assert_eq(status_as(NULL, "GET", "/v1/datasets"), 401,
                 "a server with users asks for a token");
    cr_assert_eq(status_as("ndt_aaaaaaaaaaaaaaaaaaaaaaaaaa", "GET",
                           "/v1/datasets"), 401);
    cr_assert_eq(status_as(tok, "GET", "/v1/datasets"), 200);
    cr_assert_eq(status_as(tok, "GET", "/v1/admin/users"), 403,
                 "alice is no administrator");
    cr_assert_eq(status_as(tok, "POST", "/v1/admin/backup"), 403);

    char args[128];
    snprintf(args, sizeof args, "token revoke %s", id);
    cr_assert_eq(cli(args, out, sizeof out), 0, "%s", out);
    cr_assert_eq(status_as(tok, "GET", "/v1/datasets"), 401,
                 "revoked on the command line, refused at the next call");
    cr_assert_eq(cli("token revoke tk_aaaaaaaaaaaaaaaaaaaaaaaaaa", out,
                     sizeof out), 1, "%s", out);

    api_stop(&srv);
    char wal[400];
    snprintf(wal, sizeof wal, "%s-wal", srv.db);
    cr_assert(!file_holds(srv.db, tok) && !file_holds(wal, tok),
              "the token's text is in the database");
    cr_assert(!file_holds(srv.log, tok), "the token is in the log");
    char *log = api_log_with(&srv, "event=auth.refused");
    cr_assert(strstr(log, "event=auth.refused"), "no audit line:\n%s", log);
    free(log);
}

/* GET /v1/me with token (NULL: none): asserts its via, user name (NULL:
 * null) and admin. */
static void assert_me(const char *token, const char *via, const char *name,
                      bool admin)
{
    char auth[256];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
    const char *headers[] = {auth, NULL};
    api_response r = api_call_with(&srv, "GET", "/v1/me",
                                   token ? headers : NULL, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(api_str(&r, "via"), via);
    json_t *user = json_object_get(r.json, "user");
    if (name)
        cr_assert_str_eq(api_jstr(user, "name"), name, "%s", r.body);
    else
        cr_assert(json_is_null(user), "%s", r.body);
    cr_assert_eq(json_is_true(json_object_get(r.json, "admin")), admin, "%s",
                 r.body);
    api_free(&r);
}

/* POST /v1/admin/tokens for user with expires (NULL: none): the reply. */
static api_response make_token(const char *user, const char *expires)
{
    char body[256];
    if (expires)
        snprintf(body, sizeof body, "{\"user\": \"%s\", \"expires\": \"%s\"}",
                 user, expires);
    else
        snprintf(body, sizeof body, "{\"user\": \"%s\"}", user);
    return admin_json("POST", "/v1/admin/tokens", body);
}

Test(accounts, admin_routes_make_users_and_tokens_that_expire_and_revoke)
{
    const char *args[] = {"--api-token", ADMIN_TOKEN, NULL};
    api_start(&srv, args);
    api_response r = admin_json("POST", "/v1/admin/users",
                                "{\"name\": \"alice\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert(json_is_false(json_object_get(r.json, "admin")));
    cr_assert_eq(strncmp(api_str(&r, "id"), "us_", 3), 0);
    char alice_line[96];
    snprintf(alice_line, sizeof alice_line, "user=%s", api_str(&r, "id"));
    api_free(&r);
    r = admin_json("POST", "/v1/admin/users", "{\"name\": \"alice\"}");
    api_assert_problem(&r, 409, "/name");
    api_free(&r);
    r = admin_json("POST", "/v1/admin/users", "{\"name\": \"\"}");
    api_assert_problem(&r, 422, "/name");
    api_free(&r);
    r = admin_json("POST", "/v1/admin/users",
                   "{\"name\": \"t\", \"admin\": \"yes\"}");
    api_assert_problem(&r, 400, "/admin");
    api_free(&r);
    r = admin_json("POST", "/v1/admin/users",
                   "{\"name\": \"teacher\", \"admin\": true}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    api_free(&r);

    r = make_token("bob", NULL);
    api_assert_problem(&r, 422, "/user");
    api_free(&r);
    r = make_token("alice", "soon");
    api_assert_problem(&r, 422, "/expires");
    api_free(&r);
    /* Expiry counts whole seconds (live while now < expires_at): a "1s"
     * token made late in a second lives only to its end, so "2s" lives
     * at least a second, long enough to be listed as live below. */
    r = make_token("alice", "2s");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert(json_is_string(json_object_get(r.json, "expires_at")));
    char brief[64], lasting[64], teacher[64], id[64];
    snprintf(brief, sizeof brief, "%s", api_str(&r, "token"));
    api_free(&r);
    r = make_token("alice", NULL);
    cr_assert(json_is_null(json_object_get(r.json, "expires_at")));
    snprintf(lasting, sizeof lasting, "%s", api_str(&r, "token"));
    snprintf(id, sizeof id, "%s", api_str(&r, "id"));
    api_free(&r);
    r = make_token("teacher", "2099-01-01T00:00:00Z");
    cr_assert_str_eq(api_str(&r, "expires_at"), "2099-01-01T00:00:00Z");
    snprintf(teacher, sizeof teacher, "%s", api_str(&r, "token"));
    api_free(&r);

    cr_assert_eq(status_as(lasting, "GET", "/v1/models"), 200);
    assert_me(lasting, "user", "alice", false);
    assert_me(teacher, "user", "teacher", true);
    assert_me(ADMIN_TOKEN, "api_token", NULL, true);
    cr_assert_eq(status_as(NULL, "GET", "/v1/me"), 401);
    cr_assert_eq(status_as(lasting, "POST", "/v1/admin/users"), 403);
    cr_assert_eq(status_as(teacher, "GET", "/v1/admin/users"), 200,
                 "a user made with admin: true is an administrator");
    r = admin_json("GET", "/v1/admin/users", NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 2);
    cr_assert_str_eq(api_jstr(json_array_get(items, 0), "name"), "alice");
    cr_assert_eq(api_int(json_array_get(items, 0), "tokens"), 2);
    cr_assert(!strstr(r.body, brief) && !strstr(r.body, "hash"),
              "the list shows a token: %s", r.body);
    api_free(&r);

    sleep(3);
    cr_assert_eq(status_as(brief, "GET", "/v1/models"), 401,
                 "an expired token");
    char path[96];
    snprintf(path, sizeof path, "/v1/admin/tokens/%s", id);
    r = admin_json("DELETE", path, NULL);
    cr_assert_eq(r.status, 204, "%s", r.body);
    api_free(&r);
    cr_assert_eq(status_as(lasting, "GET", "/v1/models"), 401,
                 "a revoked token");
    r = admin_json("DELETE", path, NULL);
    cr_assert_eq(r.status, 204, "revoking twice: %s", r.body);
    api_free(&r);
    r = admin_json("DELETE", "/v1/admin/tokens/tk_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                   NULL);
    api_assert_problem(&r, 404, NULL);
    api_free(&r);
    cr_assert_eq(status_as(teacher, "GET", "/v1/admin/users"), 200);
    cr_assert_eq(status_as(ADMIN_TOKEN "x", "GET", "/v1/admin/users"), 401);
    char *log = api_log_with(&srv, alice_line);
    cr_assert(strstr(log, alice_line), "alice's calls are not logged as "
              "hers:\n%s", log);
    cr_assert(!strstr(log, lasting) && !strstr(log, teacher),
              "a token is in the log");
    free(log);
}

Test(accounts, a_server_without_token_or_users_is_open_until_a_user_is_added)
{
    api_start(&srv, NULL);
    cr_assert_eq(status_as(NULL, "GET", "/v1/datasets"), 200);
    assert_me(NULL, "open", NULL, true);
    cr_assert_eq(status_as(NULL, "GET", "/v1/admin/users"), 200,
                 "on an open server every caller is the administrator");
    api_response r = api_json(&srv, "POST", "/v1/admin/users",
                              "{\"name\": \"alice\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    api_free(&r);
    r = api_json(&srv, "POST", "/v1/admin/tokens", "{\"user\": \"alice\"}");
    cr_assert_eq(r.status, 401, "the first user closes the server: %s",
                 r.body);
    api_free(&r);
    cr_assert_eq(status_as(NULL, "GET", "/v1/datasets"), 401);
    cr_assert_eq(status_as(NULL, "GET", "/healthz"), 200);
}

/* POST path with body as the holder of token; the new id into id. */
static void make_as(const char *token, const char *path, const char *body,
                    char id[64])
{
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    tu_post_id(&srv, auth, path, body, id);
}

#define NET "{\"name\":\"n\",\"inputs\":2,\"layers\":[{\"units\":4," \
            "\"activation\":\"tanh\"},{\"units\":1,\"activation\":" \
            "\"sigmoid\"}],\"seed\":1}"

/* A dataset, a network and a job of a million epochs on them, made by the
 * holder of token (alice's); the job's id into job. */
static void start_long_job(const char *token, char job[64])
{
    char ds[64], md[64], body[256];
    make_as(token, "/v1/datasets", "{\"name\":\"x\",\"generator\":\"xor\"}",
            ds);
    make_as(token, "/v1/models", NET, md);
    snprintf(body, sizeof body, "{\"model_id\":\"%s\",\"dataset_id\":\"%s\","
             "\"epochs\":1000000,\"batch_size\":1}", md, ds);
    make_as(token, "/v1/jobs", body, job);
}

/* Watches job's events with token until the server closes the stream,
 * after running `neurond cli_args` once the stream is live (when
 * cli_args is not NULL); asserts the stream was live and ended before
 * the job, which runs on for other, whose token still holds, and which
 * cancels it. */
static void watch_until_cut(const char *token, const char *other,
                            const char *job, const char *cli_args)
{
    char auth[128], out[4096], path[96];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    sse_client watch;
    sse_init(&watch, &srv, job);
    watch.auth = auth;
    pthread_t t;
    pthread_create(&t, NULL, sse_watch, &watch);
    if (cli_args) {
        usleep(500000); /* the stream goes live: epochs arrive */
        cr_assert_eq(cli(cli_args, out, sizeof out), 0, "%s", out);
    }
    pthread_join(t, NULL); /* returns once the stream is closed */
    cr_assert_eq(watch.status, 200);
    cr_assert_geq(sse_count(&watch, "epoch"), 1, "the stream was live");
    cr_assert_eq(sse_count(&watch, "end"), 0, "it ended before the job");
    sse_free(&watch);
    snprintf(path, sizeof path, "/v1/jobs/%s", job);
    cr_assert_eq(status_as(token, "GET", path), 401);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", other);
    const char *headers[] = {auth, NULL};
    api_response r = api_call_with(&srv, "GET", path, headers, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(api_str(&r, "status"), "running",
                     "the job ran on: the stream ended for its token");
    api_free(&r);
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", job);
    r = api_call_with(&srv, "POST", path, headers, NULL, NULL, 0);
    cr_assert_eq(r.status, 202, "%s", r.body);
    api_free(&r);
}

Test(accounts, an_open_event_stream_ends_once_its_token_is_revoked)
{
    char job[64], out[4096], tok[64], id[64], other[64], args[128];
    api_start(&srv, NULL);
    cr_assert_eq(cli("user add alice", out, sizeof out), 0, "%s", out);
    cr_assert_eq(cli("token create alice", out, sizeof out), 0, "%s", out);
    token_of(out, other);
    cr_assert_eq(cli("token create alice", out, sizeof out), 0, "%s", out);
    token_of(out, tok);
    token_id_of(out, id);
    start_long_job(other, job);
    snprintf(args, sizeof args, "token revoke %s", id);
    watch_until_cut(tok, other, job, args);
}

/* The status of POST path with body as the holder of token (its reply
 * into *r when r is not NULL, else freed). */
static long post_as(const char *token, const char *path, const char *body,
                    api_response *r)
{
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = {auth, NULL};
    api_response got = api_call_with(&srv, "POST", path, headers,
                                     "application/json", body, strlen(body));
    long st = got.status;
    if (r)
        *r = got;
    else
        api_free(&got);
    return st;
}

/* How many items GET path lists for the holder of token. */
static size_t listed(const char *token, const char *path)
{
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = {auth, NULL};
    api_response r = api_call_with(&srv, "GET", path, headers, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    size_t n = json_array_size(json_object_get(r.json, "items"));
    api_free(&r);
    return n;
}

Test(accounts, quotas_refuse_the_model_and_the_queued_job_past_them)
{
    const char *args[] = {"--api-token", ADMIN_TOKEN, "--workers", "1",
                          "--quota-models", "3", "--quota-queued-jobs", "1",
                          NULL};
    char out[4096], tok[64], ds[64], md[3][64], job[64], body[512];
    api_start(&srv, args);
    cr_assert_eq(cli("user add alice", out, sizeof out), 0, "%s", out);
    cr_assert_eq(cli("token create alice", out, sizeof out), 0, "%s", out);
    token_of(out, tok);
    make_as(tok, "/v1/datasets", "{\"name\":\"x\",\"generator\":\"xor\"}", ds);
    for (int i = 0; i < 3; i++)
        make_as(tok, "/v1/models", NET, md[i]);
    api_response r;
    cr_assert_eq(post_as(tok, "/v1/models", NET, &r), 429, "%s", r.body);
    api_assert_problem(&r, 429, NULL);
    cr_assert(strstr(r.body, "--quota-models"), "%s", r.body);
    api_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/export", md[0]);
    const char *h[] = {ADMIN, NULL};
    r = api_call_with(&srv, "GET", path, h, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(post_as(tok, "/v1/models/import", r.body, NULL), 429);
    api_free(&r);
    cr_assert_eq(listed(tok, "/v1/models"), 3, "nothing of the refused "
                 "models is stored");
    r = admin_json("POST", "/v1/models", NET);
    cr_assert_eq(r.status, 201, "an administrator has no quota: %s", r.body);
    api_free(&r);

    for (int i = 0; i < 3; i++) {
        snprintf(body, sizeof body, "{\"model_id\":\"%s\",\"dataset_id\":"
                 "\"%s\",\"epochs\":1000000,\"batch_size\":1}", md[i], ds);
        if (i < 2) {
            make_as(tok, "/v1/jobs", body, job);
        } else {
            cr_assert_eq(post_as(tok, "/v1/jobs", body, &r), 429, "%s",
                         r.body);
            cr_assert(strstr(r.body, "--quota-queued-jobs"), "%s", r.body);
            api_free(&r);
        }
        for (int t = 0; i == 0 && t < 500; t++) { /* the first one runs */
            snprintf(path, sizeof path, "/v1/jobs/%s", job);
            r = admin_json("GET", path, NULL);
            bool running = strcmp(api_str(&r, "status"), "running") == 0;
            api_free(&r);
            if (running)
                break;
            usleep(10000);
        }
    }
    cr_assert_eq(listed(tok, "/v1/jobs"), 2, "the refused job is not stored");
}

Test(accounts, an_open_event_stream_ends_once_its_token_expires_and_tokens_in_urls_are_refused)
{
    char job[64], out[4096], tok[64], other[64], path[160];
    api_start(&srv, NULL);
    cr_assert_eq(cli("user add alice", out, sizeof out), 0, "%s", out);
    cr_assert_eq(cli("token create alice", out, sizeof out), 0, "%s", out);
    token_of(out, other);
    cr_assert_eq(cli("token create alice --expires 3s", out, sizeof out), 0,
                 "%s", out);
    token_of(out, tok);
    start_long_job(other, job);

    snprintf(path, sizeof path, "/v1/models?token=%s", tok);
    cr_assert_eq(status_as(NULL, "GET", path), 401, "a token in the URL "
                 "is no token");
    snprintf(path, sizeof path, "/v1/jobs/%s/events?token=%s", job, tok);
    cr_assert_eq(status_as(NULL, "GET", path), 401);
    snprintf(path, sizeof path, "/v1/models?token=%s", tok);
    cr_assert_eq(status_as(tok, "GET", path), 400, "nor is it ignored "
                 "beside a header: ?token is no argument of the route");
    watch_until_cut(tok, other, job, NULL); /* ends when the token expires */
}
