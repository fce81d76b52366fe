/* test_metrics.c — GET /metrics: a valid Prometheus exposition (checked
 * by promtool), request counters by route template and status that move
 * by exactly the requests made, training counters and jobs by state after
 * a job, an SQLite error counted, process memory, and the token. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "jobs_helpers.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(metrics, .init = setup, .fini = teardown, .timeout = 120);

/* GET /metrics, asserted 200 with the exposition's content type. */
static api_response scrape(void)
{
    api_response r = api_call(&srv, "GET", "/metrics", NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(r.content_type,
                     "text/plain; version=0.0.4; charset=utf-8");
    return r;
}

/* The value of the sample whose name and labels are exactly series, or 0
 * when there is none (a counter not yet incremented). */
static double sample(const char *body, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = body; *line;) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        line += strcspn(line, "\n");
        line += *line == '\n';
    }
    return 0;
}

static double scrape_sample(const char *series)
{
    api_response r = scrape();
    double v = sample(r.body, series);
    api_free(&r);
    return v;
}

/* A request is counted once libmicrohttpd reports it complete, which can
 * be a moment after its client has the reply: scrapes until series
 * reaches want (at most 5 s) and returns its value then. */
static double settled(api_server *s, const char *const *headers,
                      const char *series, double want)
{
    double v = 0;
    for (int i = 0; i < 250; i++) {
        api_response r = api_call_with(s, "GET", "/metrics", headers, NULL,
                                       NULL, 0);
        cr_assert_eq(r.status, 200, "%s", r.body);
        v = sample(r.body, series);
        api_free(&r);
        if (v >= want)
            break;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    return v;
}

static void get_n(const char *method, const char *path, int n, long status)
{
    for (int i = 0; i < n; i++) {
        api_response r = api_call(&srv, method, path, NULL, NULL, 0);
        cr_assert_eq(r.status, status, "%s %s: %ld", method, path, r.status);
        api_free(&r);
    }
}

/* Runs promtool's linter on text; asserts it passes, showing its
 * complaints otherwise. */
static void assert_promtool_passes(const char *text)
{
    cr_assert_eq(system("command -v promtool > /dev/null 2>&1"), 0,
                 "promtool is missing: `make deps` installs the Debian "
                 "package prometheus");
    char path[400], cmd[1000], out[4096] = "";
    snprintf(path, sizeof path, "%s/metrics.txt", srv.dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' 2>&1", path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    cr_assert_eq(pclose(p), 0, "promtool check metrics: %s", out);
}

Test(metrics, exposition_passes_promtool_with_every_family)
{
    get_n("GET", "/v1/datasets", 2, 200);
    get_n("GET", "/v1/models/md_nope", 1, 404);
    get_n("GET", "/no/such/route", 1, 404);
    get_n("PUT", "/v1/datasets", 1, 405);
    api_response r = scrape();
    assert_promtool_passes(r.body);
    static const char *const families[] = {
        "neurond_http_requests_total", "neurond_http_request_duration_seconds",
        "neurond_training_epochs_total", "neurond_training_samples_total",
        "neurond_training_samples_per_second", "neurond_workers",
        "neurond_workers_busy", "neurond_jobs", "neurond_job_queue_length",
        "neurond_job_queue_limit", "neurond_event_streams",
        "neurond_sqlite_errors_total", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_cpu_seconds_total",
        "process_open_fds", "process_start_time_seconds",
        "neurond_uptime_seconds", "neurond_build_info"};
    for (size_t i = 0; i < sizeof families / sizeof *families; i++) {
        char help[128], type[128];
        snprintf(help, sizeof help, "# HELP %s ", families[i]);
        snprintf(type, sizeof type, "# TYPE %s ", families[i]);
        cr_assert(strstr(r.body, help) && strstr(r.body, type),
                  "no HELP/TYPE for %s", families[i]);
    }
    /* Raw paths never become labels: the id stays out of the series. */
    cr_assert_null(strstr(r.body, "md_nope"));
    cr_assert_null(strstr(r.body, "/no/such/route"));
    api_free(&r);
}

Test(metrics, request_counters_move_by_the_requests_made)
{
    const char *ok = "neurond_http_requests_total{method=\"GET\","
                     "route=\"/v1/datasets\",status=\"200\"}";
    const char *missing = "neurond_http_requests_total{method=\"GET\","
                          "route=\"/v1/jobs/{id}\",status=\"404\"}";
    const char *unmatched = "neurond_http_requests_total{method=\"other\","
                            "route=\"unmatched\",status=\"404\"}";
    const char *count = "neurond_http_request_duration_seconds_count{"
                        "route=\"/v1/datasets\"}";
    const char *fast = "neurond_http_request_duration_seconds_bucket{"
                       "route=\"/v1/datasets\",le=\"60\"}";
    const char *const series[] = {ok, missing, unmatched, count, fast};
    const double made[] = {7, 5, 4, 7, 7};
    double before[5];
    api_response r = scrape();
    for (size_t i = 0; i < 5; i++)
        before[i] = sample(r.body, series[i]);
    api_free(&r);
    get_n("GET", "/v1/datasets", 7, 200);
    get_n("GET", "/v1/jobs/jb_aaaaaaaaaaaaaaaaaaaaaaaaaa", 3, 404);
    get_n("GET", "/v1/jobs/not-an-id", 2, 404);
    get_n("BREW", "/coffee", 4, 404);
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(settled(&srv, NULL, series[i], before[i] + made[i]) -
                         before[i],
                     made[i], "%s", series[i]);
    r = scrape();
    cr_assert_null(strstr(r.body, "BREW"));
    cr_assert_null(strstr(r.body, "not-an-id"));
    api_free(&r);
}

Test(metrics, a_job_moves_the_training_counters_and_states)
{
    char ds[64], md[64], job[64];
    make_generated(&srv, "xor", ds); /* 4 rows */
    make_xor_net(&srv, md);
    double epochs0 = scrape_sample("neurond_training_epochs_total");
    double samples0 = scrape_sample("neurond_training_samples_total");
    start_job(&srv, md, ds, "\"epochs\":%u,\"batch_size\":4", job, 300);
    json_t *j = api_wait_job(&srv, job, 60);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded");
    json_decref(j);
    /* The worker leaves the job a moment after committing its end. */
    for (int i = 0; i < 250 && scrape_sample("neurond_workers_busy") > 0; i++)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    api_response r = scrape();
    cr_assert_eq(sample(r.body, "neurond_training_epochs_total") - epochs0,
                 300);
    cr_assert_eq(sample(r.body, "neurond_training_samples_total") - samples0,
                 1200);
    static const char *const states[] = {"queued",    "running", "paused",
                                         "succeeded", "failed",  "cancelled"};
    for (size_t i = 0; i < 6; i++) {
        char series[64];
        snprintf(series, sizeof series, "neurond_jobs{state=\"%s\"}",
                 states[i]);
        cr_assert(strstr(r.body, series), "no %s", series);
        cr_assert_eq(sample(r.body, series), i == 3 ? 1 : 0, "%s", series);
    }
    cr_assert_eq(sample(r.body, "neurond_job_queue_length"), 0);
    cr_assert_eq(sample(r.body, "neurond_workers"), 2);
    cr_assert_eq(sample(r.body, "neurond_workers_busy"), 0);
    cr_assert_eq(sample(r.body, "neurond_training_samples_per_second"), 0);
    api_free(&r);
}

Test(metrics, an_sqlite_error_is_counted_and_logged)
{
    long unused;
    double before = scrape_sample("neurond_sqlite_errors_total");
    const char *fault =
        api_on_postgres()
            ? "CREATE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS "
              "$$ BEGIN RAISE EXCEPTION 'injected fault'; END $$; "
              "CREATE TRIGGER fault BEFORE INSERT ON models FOR EACH ROW "
              "EXECUTE FUNCTION fault();"
            : "CREATE TRIGGER fault BEFORE INSERT ON models BEGIN SELECT "
              "RAISE(ABORT, 'injected fault'); END;";
    cr_assert(api_sql(&srv, fault, &unused),
              "the sqlite3 or psql tool is missing (make deps)");
    api_response r = api_json(&srv, "POST", "/v1/models",
                              "{\"name\":\"p\",\"type\":\"perceptron\","
                              "\"inputs\":2}");
    api_assert_problem(&r, 500, NULL);
    api_free(&r);
    cr_assert_geq(scrape_sample("neurond_sqlite_errors_total") - before, 1);
    char *log = api_log(&srv);
    const char *line = strstr(log, api_on_postgres() ? "event=postgres.error"
                                                     : "event=sqlite.error");
    cr_assert(line && strstr(line, "injected fault"), "%s", log);
    free(log);
}

Test(metrics, process_memory_and_build_info_are_real)
{
    api_response v = api_call(&srv, "GET", "/v1/version", NULL, NULL, 0);
    char series[128];
    snprintf(series, sizeof series,
             "neurond_build_info{version=\"%s\",api=\"v1\"}",
             api_str(&v, "version"));
    api_free(&v);
    api_response r = scrape();
    double rss = sample(r.body, "process_resident_memory_bytes");
    double kb = (double)api_rss_kb(&srv);
    cr_assert(rss > 0.5 * kb * 1024 && rss < 2 * kb * 1024,
              "RSS %.0f bytes, /proc says %.0f KiB", rss, kb);
    cr_assert_geq(sample(r.body, "process_virtual_memory_bytes"), rss);
    cr_assert_gt(sample(r.body, "process_open_fds"), 3);
    cr_assert_gt(sample(r.body, "process_start_time_seconds"), 1.6e9);
    cr_assert_eq(sample(r.body, series), 1, "no %s", series);
    api_free(&r);
}

Test(metrics, the_api_token_guards_metrics)
{
    api_server guarded;
    api_start(&guarded, (const char *[]){"--api-token", "m3trics", NULL});
    api_response r = api_call(&guarded, "GET", "/metrics", NULL, NULL, 0);
    api_assert_problem(&r, 401, NULL);
    api_free(&r);
    /* the refused scrape is counted too, under its route */
    const char *const token[] = {"Authorization: Bearer m3trics", NULL};
    cr_assert_eq(settled(&guarded, token,
                         "neurond_http_requests_total{method=\"GET\","
                         "route=\"/metrics\",status=\"401\"}",
                         1),
                 1);
    api_cleanup(&guarded);
}

Test(metrics, a_running_job_shows_its_throughput_until_it_ends)
{
    char ds[64], md[64], job[64], path[128];
    make_generated(&srv, "xor", ds);
    make_xor_net(&srv, md);
    start_job(&srv, md, ds, "\"epochs\":%u,\"batch_size\":1", job, 1000000);
    cr_assert_gt(settled(&srv, NULL, "neurond_training_samples_per_second",
                         1e-9),
                 0);
    api_response r = scrape();
    cr_assert_eq(sample(r.body, "neurond_workers_busy"), 1);
    cr_assert_eq(sample(r.body, "neurond_jobs{state=\"running\"}"), 1);
    api_free(&r);
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", job);
    r = api_call(&srv, "POST", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 202, "%s", r.body);
    api_free(&r);
    json_t *j = api_wait_job(&srv, job, 30);
    cr_assert_str_eq(api_jstr(j, "status"), "cancelled");
    json_decref(j);
    r = scrape();
    cr_assert_eq(sample(r.body, "neurond_training_samples_per_second"), 0);
    cr_assert_eq(sample(r.body, "neurond_jobs{state=\"cancelled\"}"), 1);
    api_free(&r);
}
