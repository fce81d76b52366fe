/* test_limits.c — the limits a hostile or careless client meets: a full
 * job queue (429 with Retry-After), connections past the per-IP limit
 * (closed without an answer), a batch past --max-batch-size (422), and
 * --help naming every limit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "jobs_helpers.h"
#include "raw_http.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(limits, .fini = teardown, .timeout = 60);

#define NET                                                                   \
    "{\"name\":\"n\",\"inputs\":2,\"layers\":[{\"units\":8,\"activation\":"    \
    "\"tanh\"},{\"units\":1,\"activation\":\"sigmoid\"}]}"

static void wait_running(const char *job)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", job);
    for (int i = 0; i < 500; i++) {
        api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
        bool running = strcmp(api_str(&r, "status"), "running") == 0;
        api_free(&r);
        if (running)
            return;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("job %s never started", job);
}

Test(limits, a_full_queue_answers_429_with_retry_after)
{
    const char *args[] = {"--workers", "1", "--max-queued-jobs", "2", NULL};
    api_start(&srv, args);
    char ds[64], md[4][64], job[3][64];
    make_generated(&srv, "xor", ds);
    for (int i = 0; i < 4; i++)
        make_model(&srv, NET, md[i]);
    /* One runs, two wait. */
    start_job(&srv, md[0], ds, "\"epochs\":%u,\"batch_size\":1", job[0],
              1000000u);
    wait_running(job[0]);
    for (int i = 1; i < 3; i++)
        start_job(&srv, md[i], ds, "\"epochs\":%u,\"batch_size\":1", job[i],
                  1000000u);
    char body[256];
    snprintf(body, sizeof body, "{\"model_id\":\"%s\",\"dataset_id\":\"%s\"}",
             md[3], ds);
    api_response r = api_json(&srv, "POST", "/v1/jobs", body);
    api_assert_problem(&r, 429, NULL);
    cr_assert_str_eq(r.retry_after, "10");
    api_free(&r);
    cancel_job(&srv, job[1]); /* a place frees up */
    r = api_json(&srv, "POST", "/v1/jobs", body);
    cr_assert_eq(r.status, 202, "%s", r.body);
    api_free(&r);
    cancel_job(&srv, job[0]);
}

Test(limits, connections_past_the_per_ip_limit_are_closed)
{
    const char *args[] = {"--max-per-ip", "2", NULL};
    api_start(&srv, args);
    int idle[2] = {raw_connect(srv.port), raw_connect(srv.port)};
    raw_sleep_ms(200); /* let the server accept them */
    cr_assert_leq(raw_probe(srv.port, 5000), 0, "a third connection was served");
    close(idle[0]);
    close(idle[1]);
    raw_sleep_ms(200);
    cr_assert_gt(raw_probe(srv.port, 5000), 0, "the server did not recover");
}

Test(limits, help_names_every_limit)
{
    const char *bin = getenv("NEUROND_BIN");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --help", bin ? bin : "build/neurond");
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, p);
    text[n] = '\0';
    cr_assert_eq(pclose(p), 0);
    const char *flags[] = {"--max-json-bytes", "--max-csv-bytes",
                           "--max-rows", "--max-params", "--max-epochs",
                           "--max-batch-size",
                           "--timeout", "--header-timeout",
                           "--min-body-rate", "--max-queued-jobs",
                           "--max-connections", "--max-per-ip",
                           "--max-backups", "--api-token", "--api-token-file",
                           "--cors-origin", NULL};
    for (size_t i = 0; flags[i]; i++)
        cr_assert(strstr(text, flags[i]), "--help lacks %s", flags[i]);
}

Test(limits, a_batch_past_the_limit_is_422_before_training)
{
    const char *args[] = {"--max-batch-size", "8", NULL};
    api_start(&srv, args);
    char ds[64], md[64], job[64];
    make_generated(&srv, "xor", ds);
    make_model(&srv, NET, md);
    char body[256];
    snprintf(body, sizeof body,
             "{\"model_id\":\"%s\",\"dataset_id\":\"%s\",\"batch_size\":9}",
             md, ds);
    api_response r = api_json(&srv, "POST", "/v1/jobs", body);
    api_assert_problem(&r, 422, "/batch_size");
    api_free(&r);
    start_job(&srv, md, ds, "\"epochs\":10,\"batch_size\":%u", job, 8u);
    json_decref(api_wait_job(&srv, job, 30));
}
