/* test_sharing.c — public datasets and models, for teaching. Generated
 * from api-docs/openapi.yaml as test_bola.c is: user A shares the walk's
 * dataset and model; then every call of the walk by user B on them
 * succeeds where the document marks the operation `x-public-read`, and
 * is a 403 everywhere else (PATCH, DELETE, reset, a job on A's model),
 * and nothing of A's changes. Then a lesson by hand: a teacher's public
 * dataset in a student's list, marked; the student trains an imported
 * copy of the teacher's public model on it, the original untouched; the
 * PATCH's own errors; unsharing; the audit lines of shares, refusals and
 * deletes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "spec_walk.h"
#include "two_users.h"

#define ADMIN_TOKEN "sharing-admin-token-0123"

static api_server srv;
static char auth_a[128], auth_b[128];
static const char *auth_admin = "Authorization: Bearer " ADMIN_TOKEN;
static unsigned reads, refusals; /* B's calls on A's public objects */

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(sharing, .fini = teardown, .timeout = 300);

/* method path with body (JSON text or NULL) as the holder of auth. */
static api_response as(const char *auth, const char *method, const char *path,
                       const char *body)
{
    const char *h[] = {auth, NULL};
    return api_call_with(&srv, method, path, h,
                         body ? "application/json" : NULL, body,
                         body ? strlen(body) : 0);
}

/* PATCH collection/id {"public": on} as auth; asserts 200 and the flag. */
static void share(const char *auth, const char *collection, const char *id,
                  bool on)
{
    char path[128];
    snprintf(path, sizeof path, "%s%s", collection, id);
    api_response r = as(auth, "PATCH", path, on ? "{\"public\": true}"
                                                : "{\"public\": false}");
    cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
    cr_assert_eq(json_is_true(json_object_get(r.json, "public")), on);
    api_free(&r);
}

/* Whether c names id in its path (an {id} operation) or, for a POST to
 * a collection, in its body. */
static bool names(const sw_call *c, const char *id)
{
    return strchr(c->path, '{') ? strstr(c->url, id) != NULL
                                : strcmp(c->method, "POST") == 0 && c->body &&
                                      strstr(c->body, id) != NULL;
}

/* Whether c names one of A's public datasets or models: the walk's first
 * of each, or one a named example made (all shared by the test). */
static bool on_public(sw_walk *w, const sw_call *c)
{
    for (int k = SW_DATASET; k <= SW_MODEL; k++)
        if (names(c, w->ids[k]))
            return true;
    for (size_t i = 0; i < w->n_named; i++)
        if (strncmp(w->named[i].id, "ds_", 3) == 0 ||
            strncmp(w->named[i].id, "md_", 3) == 0)
            if (names(c, w->named[i].id))
                return true;
    return false;
}

/* Shares every dataset and model of A's that a named example made (the
 * objects an example's x-id names, such as a model with a vocabulary). */
static void share_named(sw_walk *w)
{
    for (size_t i = 0; i < w->n_named; i++) {
        const char *id = w->named[i].id;
        if (strncmp(id, "ds_", 3) == 0)
            share(auth_a, "/v1/datasets/", id, true);
        else if (strncmp(id, "md_", 3) == 0)
            share(auth_a, "/v1/models/", id, true);
    }
}

/* B's call c: on A's public objects, a success where the document says
 * x-public-read, else a 403 problem; any other call that does not name
 * A's job (test_bola.c tries those) shows none of it. */
static void as_b(sw_walk *w, const sw_call *c)
{
    if (strncmp(c->path, "/v1/admin/", 10) == 0 || c->public_op ||
        strstr(c->url, w->ids[SW_JOB]) ||
        (c->body && strstr(c->body, w->ids[SW_JOB])))
        return;
    api_response r = tu_send(&srv, auth_b, c, NULL, NULL);
    if (!on_public(w, c)) {
        cr_assert(!strstr(r.body, w->ids[SW_JOB]), "B's %s %s shows A's job: "
                  "%.300s", c->method, c->url, r.body);
    } else if (json_is_true(json_object_get(c->op, "x-public-read"))) {
        cr_assert(r.status >= 200 && r.status < 300, "B's %s %s on A's "
                  "public object: %ld %.300s", c->method, c->url, r.status,
                  r.body);
        reads++;
    } else {
        cr_assert_eq(r.status, 403, "B's %s %s on A's public object: %ld "
                     "%.300s", c->method, c->url, r.status, r.body);
        api_assert_problem(&r, 403, NULL);
        refusals++;
    }
    api_free(&r);
}

/* A's dataset and model as A sees them, with the weights, as one text. */
static char *a_objects(sw_walk *w)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/datasets/%s", w->ids[SW_DATASET]);
    api_response d = as(auth_a, "GET", path, NULL);
    snprintf(path, sizeof path, "/v1/models/%s?weights=true",
             w->ids[SW_MODEL]);
    api_response m = as(auth_a, "GET", path, NULL);
    cr_assert(d.status == 200 && m.status == 200, "%s %s", d.body, m.body);
    char *all = malloc(d.len + m.len + 1);
    strcpy(all, d.body);
    strcat(all, m.body);
    api_free(&d);
    api_free(&m);
    return all;
}

/* The operations on a dataset or a model that the document marks
 * x-public-read, and all operations on one. */
static void count_operations(sw_walk *w, unsigned *marked, unsigned *all)
{
    const char *path, *method;
    json_t *item, *op;
    *marked = *all = 0;
    json_object_foreach(json_object_get(w->spec, "paths"), path, item) {
        if (strncmp(path, "/v1/datasets/{id}", 17) != 0 &&
            strncmp(path, "/v1/models/{id}", 15) != 0)
            continue;
        json_object_foreach(item, method, op) {
            if (strcmp(method, "parameters") == 0)
                continue;
            (*all)++;
            *marked += json_is_true(json_object_get(op, "x-public-read"));
        }
    }
}

Test(sharing, public_objects_answer_reads_and_refuse_every_change)
{
    sw_walk w;
    tu_start_a_and_b(&srv, ADMIN_TOKEN, &w, auth_a, auth_b);
    share(auth_a, "/v1/datasets/", w.ids[SW_DATASET], true);
    share(auth_a, "/v1/models/", w.ids[SW_MODEL], true);
    share_named(&w);
    char *before = a_objects(&w);
    tu_each_call(&w, as_b);
    char *after = a_objects(&w);
    cr_assert_str_eq(after, before, "B changed A's public objects");
    unsigned marked, all;
    count_operations(&w, &marked, &all);
    fprintf(stderr, "sharing: %u reads and %u refusals of B on A's public "
            "objects (%u of %u operations marked x-public-read)\n", reads,
            refusals, marked, all);
    cr_assert_geq(reads, marked, "every marked operation was called");
    cr_assert_geq(refusals, all - marked + 1, "every other operation, and "
                  "a job on A's model, was refused");
    cr_assert_geq(marked, 6);
    free(before);
    free(after);
    sw_free(&w);
}

/* The item of GET path's list (as auth) whose id is id, or NULL; the
 * list is kept in *r for the caller to free. */
static json_t *listed(const char *auth, const char *path, const char *id,
                      api_response *r)
{
    *r = as(auth, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(r->json, "items"), i, item)
        if (strcmp(api_jstr(item, "id"), id) == 0)
            return item;
    return NULL;
}

#define XOR_NET "{\"name\":\"xor\",\"inputs\":2,\"layers\":[{\"units\":4," \
    "\"activation\":\"tanh\"},{\"units\":1,\"activation\":\"sigmoid\"}]," \
    "\"seed\":1}"

Test(sharing, a_student_trains_a_copy_of_the_teachers_public_model)
{
    const char *args[] = {"--api-token", ADMIN_TOKEN, NULL};
    char teacher[128], student[128], ds[64], md[64], copy[64], path[160];
    char body[256];
    api_start(&srv, args);
    tu_make_user(&srv, auth_admin, "teacher", teacher);
    tu_make_user(&srv, auth_admin, "student", student);
    api_response r = as(teacher, "POST", "/v1/datasets",
                        "{\"name\":\"xor\",\"generator\":\"xor\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(api_str(&r, "owner"), "teacher", "the create names "
                     "its owner");
    cr_assert(json_is_false(json_object_get(r.json, "public")));
    snprintf(ds, sizeof ds, "%s", api_str(&r, "id"));
    api_free(&r);
    tu_post_id(&srv, teacher, "/v1/models", XOR_NET, md);

    json_t *item = listed(student, "/v1/datasets", ds, &r);
    cr_assert_null(item, "a private dataset is not in the student's list");
    api_free(&r);
    snprintf(path, sizeof path, "/v1/datasets/%s", ds);
    r = as(student, "PATCH", path, "{\"public\": true}");
    cr_assert_eq(r.status, 404, "another's private dataset: %s", r.body);
    api_free(&r);
    share(teacher, "/v1/datasets/", ds, true);
    share(teacher, "/v1/models/", md, true);
    item = listed(student, "/v1/datasets", ds, &r);
    cr_assert_not_null(item, "the teacher's public dataset: %s", r.body);
    cr_assert(json_is_true(json_object_get(item, "public")));
    cr_assert_str_eq(api_jstr(item, "owner"), "teacher");
    api_free(&r);
    cr_assert_not_null(listed(student, "/v1/models", md, &r));
    api_free(&r);

    snprintf(path, sizeof path, "/v1/models/%s/export", md);
    api_response doc = as(student, "GET", path, NULL);
    cr_assert_eq(doc.status, 200, "%s", doc.body);
    r = as(student, "POST", "/v1/models/import", doc.body);
    api_free(&doc);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(api_str(&r, "owner"), "student", "the copy is theirs");
    snprintf(copy, sizeof copy, "%s", api_str(&r, "id"));
    api_free(&r);

    snprintf(body, sizeof body, "{\"model_id\":\"%s\",\"dataset_id\":\"%s\","
             "\"epochs\":5,\"batch_size\":4}", md, ds);
    r = as(student, "POST", "/v1/jobs", body);
    api_assert_problem(&r, 403, "/model_id");
    cr_assert(strstr(r.body, "/v1/models/import"), "says how: %s", r.body);
    api_free(&r);
    snprintf(body, sizeof body, "{\"model_id\":\"%s\",\"dataset_id\":\"%s\","
             "\"epochs\":5,\"batch_size\":4}", copy, ds);
    char job[64];
    tu_post_id(&srv, student, "/v1/jobs", body, job);
    sw_wait_job(&srv, student, job);
    snprintf(path, sizeof path, "/v1/jobs/%s", job);
    r = as(student, "GET", path, NULL);
    cr_assert_str_eq(api_str(&r, "status"), "succeeded", "%s", r.body);
    api_free(&r);
    snprintf(path, sizeof path, "/v1/models/%s", md);
    r = as(teacher, "GET", path, NULL);
    cr_assert(json_is_false(json_object_get(r.json, "trained")),
              "the teacher's model was not trained: %s", r.body);
    api_free(&r);
    snprintf(path, sizeof path, "/v1/models/%s", copy);
    r = as(student, "GET", path, NULL);
    cr_assert(json_is_true(json_object_get(r.json, "trained")), "%s", r.body);
    api_free(&r);

    share(teacher, "/v1/datasets/", ds, false);
    snprintf(path, sizeof path, "/v1/datasets/%s", ds);
    r = as(student, "GET", path, NULL);
    cr_assert_eq(r.status, 404, "unshared, it is private again: %s", r.body);
    api_free(&r);
    cr_assert_null(listed(student, "/v1/datasets", ds, &r));
    api_free(&r);
    share(auth_admin, "/v1/models/", copy, true); /* administrators may */
    snprintf(path, sizeof path, "/v1/models/%s", copy);
    r = as(student, "DELETE", path, NULL);
    cr_assert_eq(r.status, 204, "%s", r.body);
    api_free(&r);
    char *log = api_log_with(&srv, "event=audit.deleted");
    cr_assert(strstr(log, "audit.shared") && strstr(log, "audit.unshared"),
              "share and unshare are audited");
    char line[128];
    snprintf(line, sizeof line, "event=audit.deleted id=%s", copy);
    cr_assert(strstr(log, line), "the delete is audited:\n%s", log);
    snprintf(line, sizeof line, "dataset %s is not theirs", ds);
    cr_assert(strstr(log, line), "the refused PATCH is audited:\n%s", log);
    snprintf(line, sizeof line, "model %s is another user's (public)", md);
    cr_assert(strstr(log, line), "the refused job is audited:\n%s", log);
    free(log);
}

Test(sharing, the_patch_takes_one_boolean)
{
    const char *args[] = {"--api-token", ADMIN_TOKEN, NULL};
    char ds[64], path[128];
    api_start(&srv, args);
    tu_post_id(&srv, auth_admin, "/v1/datasets",
               "{\"name\":\"and\",\"generator\":\"and\"}", ds);
    snprintf(path, sizeof path, "/v1/datasets/%s", ds);
    api_response r = as(auth_admin, "PATCH", path, "{\"public\": 1}");
    api_assert_problem(&r, 400, "/public");
    api_free(&r);
    r = as(auth_admin, "PATCH", path, "{\"public\": true, \"name\": \"b\"}");
    api_assert_problem(&r, 400, "/name");
    api_free(&r);
    r = as(auth_admin, "PATCH", path, "{}");
    api_assert_problem(&r, 422, "/public");
    api_free(&r);
    r = as(auth_admin, "PATCH", "/v1/models/md_aaaaaaaaaaaaaaaaaaaaaaaaaa",
           "{\"public\": true}");
    api_assert_problem(&r, 404, NULL);
    api_free(&r);
    r = as(auth_admin, "GET", path, NULL);
    cr_assert(json_is_false(json_object_get(r.json, "public")),
              "nothing refused was applied: %s", r.body);
    cr_assert(json_is_null(json_object_get(r.json, "owner")),
              "the administrator's: %s", r.body);
    api_free(&r);
}
