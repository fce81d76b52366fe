/* test_races.c — requests that race each other on the same rows: the
 * loser of a race gets the 4xx its request deserves, never a 500. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "jobs_helpers.h"

#define RACES 100 /* per kind: the job's model deleted, its dataset deleted */

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(races, .fini = teardown, .timeout = 120);

typedef struct {
    pthread_barrier_t *start;
    const char *method, *path, *body;
    long status;
    char detail[200];
} racer;

/* One side of a race: waits for the other at the barrier, then calls. */
static void *race(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(r->start);
    api_response res = api_json(&srv, r->method, r->path, r->body);
    r->status = res.status;
    const char *d = res.json ? json_string_value(json_object_get(res.json,
                                                                 "detail"))
                             : NULL;
    snprintf(r->detail, sizeof r->detail, "%s", d ? d : "");
    api_free(&res);
    return NULL;
}

/* POST /v1/jobs for (model, dataset) at the same moment as a DELETE of
 * what victim names; the two statuses into post and del. */
static void one_race(const char *model, const char *dataset,
                     const char *victim, racer *post, racer *del)
{
    char body[256], path[128];
    snprintf(body, sizeof body,
             "{\"model_id\":\"%s\",\"dataset_id\":\"%s\",\"epochs\":1}",
             model, dataset);
    snprintf(path, sizeof path, "/v1/%s/%s",
             strncmp(victim, "md_", 3) == 0 ? "models" : "datasets", victim);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    *post = (racer){&start, "POST", "/v1/jobs", body, 0, ""};
    *del = (racer){&start, "DELETE", path, NULL, 0, ""};
    pthread_t a, b;
    cr_assert_eq(pthread_create(&a, NULL, race, post), 0);
    cr_assert_eq(pthread_create(&b, NULL, race, del), 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_barrier_destroy(&start);
}

/* RACES rounds of each kind; every status is one the API documents for
 * that loser, and the count of 500s is 0. */
Test(races, a_job_posted_while_its_model_or_dataset_is_deleted_is_never_500)
{
    api_start(&srv, (const char *[]){"--workers", "1", NULL});
    int errors = 0, post_won = 0, delete_won = 0;
    for (int i = 0; i < 2 * RACES; i++) {
        char ds[64], md[64];
        make_generated(&srv, "xor", ds);
        make_xor_net(&srv, md);
        racer post, del;
        one_race(md, ds, i % 2 ? ds : md, &post, &del);
        if (post.status >= 500 || del.status >= 500) {
            errors++;
            cr_log_warn("race %d: POST %ld (%s), DELETE %ld (%s)", i,
                        post.status, post.detail, del.status, del.detail);
            continue;
        }
        cr_expect(post.status == 202 || post.status == 422,
                  "race %d: POST /v1/jobs answered %ld (%s)", i, post.status,
                  post.detail);
        cr_expect(del.status == 204 || del.status == 409,
                  "race %d: DELETE answered %ld (%s)", i, del.status,
                  del.detail);
        post_won += post.status == 202;
        delete_won += del.status == 204;
    }
    cr_log_info("%d races: %d jobs queued, %d deletions, %d answers >= 500",
                2 * RACES, post_won, delete_won, errors);
    cr_assert_eq(errors, 0, "%d of %d races answered 500", errors,
                 2 * RACES);
}
