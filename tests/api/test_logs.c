/* test_logs.c — the server's log, as JSON lines (--log-format json) and
 * as logfmt text (the default): every line parses, with ts, level and
 * event; a request's line has its method, route template, path, status
 * and the X-Request-Id of its reply; a job's life is logged from queued to
 * its end (with the reason of a failure); a client-chosen path cannot
 * forge a line. */
#include <criterion/criterion.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "jobs_helpers.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(logs, .fini = teardown, .timeout = 120);

/* Appends the logfmt value at *p (bare or quoted) to out; false when it
 * is malformed. */
static bool logfmt_value(const char **p, char *out, size_t cap)
{
    size_t n = 0;
    const char *s = *p;
    if (*s != '"') {
        while (*s && *s != ' ' && n + 1 < cap)
            out[n++] = *s++;
    } else {
        for (s++; *s && *s != '"' && n + 1 < cap; s++) {
            char c = *s;
            if (c == '\\') {
                c = *++s;
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
                if (*s == 'u') /* \u00XX: a control character */
                    c = (char)strtol((char[]){s[3], s[4], 0}, NULL, 16),
                    s += 4;
            }
            out[n++] = c;
        }
        if (*s++ != '"')
            return false;
    }
    out[n] = '\0';
    *p = s;
    return true;
}

/* A logfmt line as a JSON object of strings; NULL when malformed. */
static json_t *parse_logfmt(const char *line)
{
    json_t *o = json_object();
    while (*line) {
        size_t k = strcspn(line, "= \"");
        if (k == 0 || line[k] != '=')
            break;
        char key[64], value[2048];
        snprintf(key, sizeof key, "%.*s", (int)k, line);
        line += k + 1;
        if (!logfmt_value(&line, value, sizeof value))
            break;
        json_object_set_new(o, key, json_string(value));
        if (*line == '\0')
            return o;
        if (*line++ != ' ')
            break;
    }
    json_decref(o);
    return NULL;
}

/* A field as text, whatever its JSON type, into buf ("" when absent). */
static const char *text(json_t *o, const char *key, char *buf, size_t cap)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v))
        snprintf(buf, cap, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_number(v))
        snprintf(buf, cap, "%g", json_number_value(v));
    else
        snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "");
    return buf;
}

/* Every line of the stopped server's log, parsed and checked for ts,
 * level and event, as a JSON array. */
static json_t *log_lines(bool json)
{
    api_stop(&srv); /* every request's line is written by now */
    char *log = api_log(&srv), *save = NULL, buf[64];
    regex_t ts;
    cr_assert_eq(regcomp(&ts, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                              "[0-9]{2}\\.[0-9]{3}Z$", REG_EXTENDED | REG_NOSUB),
                 0);
    json_t *lines = json_array();
    for (char *l = strtok_r(log, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_t *o = json ? json_loads(l, 0, NULL) : parse_logfmt(l);
        cr_assert(json_is_object(o), "not a log line: %s", l);
        cr_assert_eq(regexec(&ts, text(o, "ts", buf, sizeof buf), 0, NULL, 0),
                     0, "ts in %s", l);
        text(o, "level", buf, sizeof buf);
        cr_assert(!strcmp(buf, "info") || !strcmp(buf, "warn") ||
                      !strcmp(buf, "error"), "level in %s", l);
        cr_assert(json_is_string(json_object_get(o, "event")), "%s", l);
        json_array_append_new(lines, o);
    }
    regfree(&ts);
    free(log);
    return lines;
}

/* The line whose event is event and whose field key is value; asserted. */
static json_t *find(json_t *lines, const char *event, const char *key,
                    const char *value)
{
    size_t i;
    json_t *o;
    char a[64], b[2048];
    json_array_foreach(lines, i, o) {
        if (!strcmp(text(o, "event", a, sizeof a), event) &&
            !strcmp(text(o, key, b, sizeof b), value))
            return o;
    }
    cr_assert_fail("no %s line with %s=%s", event, key, value);
    return NULL;
}

static void assert_field(json_t *o, const char *key, const char *want)
{
    char buf[2048];
    cr_assert_str_eq(text(o, key, buf, sizeof buf), want, "field %s", key);
}

static double number(json_t *o, const char *key)
{
    char buf[64];
    return strtod(text(o, key, buf, sizeof buf), NULL);
}

/* Requests whose lines check_requests reads: one with the client's
 * request id, a 404 under a route template with the id the server made
 * (into made_id), and a path that tries to forge a line. */
static void make_requests(char made_id[80])
{
    api_response r = api_call_with(&srv, "GET", "/v1/datasets",
                                   (const char *[]){"X-Request-Id: client-42",
                                                    NULL},
                                   NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    api_free(&r);
    r = api_call(&srv, "GET", "/v1/models/md_gone", NULL, NULL, 0);
    cr_assert_eq(r.status, 404);
    cr_assert(api_header(&r, "X-Request-Id", made_id, 80));
    api_free(&r);
    r = api_call(&srv, "GET", "/v1/jobs/a\"b%0Alevel=error%20forged", NULL,
                 NULL, 0);
    cr_assert_eq(r.status, 404);
    api_free(&r);
}

static void check_requests(json_t *lines, const char *made_id)
{
    json_t *o = find(lines, "http.request", "request_id", "client-42");
    assert_field(o, "method", "GET");
    assert_field(o, "route", "/v1/datasets");
    assert_field(o, "path", "/v1/datasets");
    assert_field(o, "status", "200");
    assert_field(o, "remote", "127.0.0.1");
    assert_field(o, "level", "info");
    cr_assert_gt(number(o, "bytes"), 0);
    cr_assert(number(o, "duration_ms") >= 0);
    o = find(lines, "http.request", "request_id", made_id);
    assert_field(o, "route", "/v1/models/{id}");
    assert_field(o, "path", "/v1/models/md_gone");
    assert_field(o, "status", "404");
    /* The path is logged as sent: its quote escaped, its escapes kept
     * (decoded, %0A would be a line break, %00 would cut it short). */
    o = find(lines, "http.request", "path",
             "/v1/jobs/a\"b%0Alevel=error%20forged");
    assert_field(o, "route", "/v1/jobs/{id}");
    assert_field(o, "level", "info");
    o = find(lines, "server.started", "bind", "127.0.0.1");
    cr_assert(strstr(json_string_value(json_object_get(o, "msg")),
                     "listening on http://127.0.0.1:"));
}

/* A job of `epochs` on XOR, waited for; its id into job. */
static void run_job(unsigned epochs, char job[64])
{
    char ds[64], md[64];
    make_generated(&srv, "xor", ds);
    make_xor_net(&srv, md);
    start_job(&srv, md, ds, "\"epochs\":%u,\"batch_size\":4", job, epochs);
    json_decref(api_wait_job(&srv, job, 60));
}

static void check_job(json_t *lines, const char *job)
{
    static const char *const steps[] = {"job.queued", "job.claimed",
                                        "job.running", "job.succeeded"};
    for (size_t i = 0; i < 4; i++)
        find(lines, steps[i], "job_id", job);
    json_t *o = find(lines, "job.succeeded", "job_id", job);
    assert_field(o, "epoch", "50");
    assert_field(o, "epochs", "50");
    cr_assert_gt(number(o, "samples_per_s"), 0);
    cr_assert(strncmp(json_string_value(json_object_get(o, "model_id")),
                      "md_", 3) == 0);
}

Test(logs, json_lines_parse_and_carry_the_request_ids)
{
    api_start(&srv, (const char *[]){"--log-format", "json", NULL});
    char made[80], job[64];
    make_requests(made);
    run_job(50, job);
    json_t *lines = log_lines(true);
    check_requests(lines, made);
    check_job(lines, job);
    find(lines, "server.stopped", "level", "info");
    /* JSON keeps its types: numbers stay numbers */
    json_t *o = find(lines, "http.request", "request_id", "client-42");
    cr_assert(json_is_integer(json_object_get(o, "status")));
    cr_assert(json_is_real(json_object_get(o, "duration_ms")));
    json_decref(lines);
}

Test(logs, text_lines_are_logfmt_and_a_failure_has_its_reason)
{
    api_start(&srv, NULL);
    char made[80], job[64], bad[64];
    make_requests(made);
    run_job(50, job);
    start_diverging_job(&srv, bad);
    json_decref(api_wait_job(&srv, bad, 30));
    json_t *lines = log_lines(false);
    check_requests(lines, made);
    check_job(lines, job);
    json_t *o = find(lines, "job.failed", "job_id", bad);
    assert_field(o, "level", "warn");
    char reason[256];
    cr_assert(strstr(text(o, "reason", reason, sizeof reason), "diverged"),
              "%s", reason);
    json_decref(lines);
}

/* Runs neurond with args, returning its exit status and output in out. */
static int run_neurond(const char *args, char *out, size_t cap)
{
    const char *bin = getenv("NEUROND_BIN");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", bin ? bin : "build/neurond",
             args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(logs, the_format_is_a_flag_and_a_variable)
{
    char out[8192];
    cr_assert_eq(run_neurond("--help", out, sizeof out), 0);
    cr_assert(strstr(out, "--log-format") && strstr(out, "NEUROND_LOG_FORMAT"),
              "%s", out);
    cr_assert_eq(run_neurond("--log-format xml", out, sizeof out), 2);
    cr_assert(strstr(out, "--log-format must be text or json"), "%s", out);
    setenv("NEUROND_LOG_FORMAT", "json", 1);
    api_start(&srv, NULL);
    unsetenv("NEUROND_LOG_FORMAT");
    json_t *lines = log_lines(true);
    find(lines, "server.started", "bind", "127.0.0.1");
    json_decref(lines);
}
