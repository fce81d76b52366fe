/* harness.c — a real neurond per test, and libcurl calls to it. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

char *api_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p)
                free(buf);
            buf = p;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

pid_t api_spawn(const char *const *argv, const char *log)
{
    unlink(log);
    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* Die with the test process, even when an assertion kills it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static void spawn(api_server *s, const char *const *extra)
{
    const char *bin = getenv("NEUROND_BIN");
    if (!bin)
        bin = "build/neurond";
    const char *argv[32] = {bin, "--bind", "127.0.0.1", "--port", "0",
                            "--db", s->db, "--workers", "2"};
    size_t n = 9;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    s->pid = api_spawn(argv, s->log);
    /* The first line of the log names the port. */
    for (int i = 0; i < 1000; i++) {
        char *log = api_read_file(s->log);
        char *at = log ? strstr(log, "listening on http://127.0.0.1:") : NULL;
        if (at) {
            s->port = (unsigned)strtoul(at + strlen("listening on "
                                                    "http://127.0.0.1:"),
                                        NULL, 10);
            free(log);
            return;
        }
        free(log);
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            char *text = api_read_file(s->log);
            cr_assert_fail("neurond exited at start-up: %s", text ? text : "");
        }
        sleep_ms(10);
    }
    cr_assert_fail("neurond did not start within 10 s");
}

void api_prepare(api_server *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/neurond-test-XXXXXX");
    cr_assert_not_null(mkdtemp(s->dir), "mkdtemp: %s", strerror(errno));
    snprintf(s->db, sizeof s->db, "%s/neurond.db", s->dir);
    if (api_on_postgres())
        api_pg_create(s);
    snprintf(s->log, sizeof s->log, "%s/neurond.log", s->dir);
}

void api_start(api_server *s, const char *const *extra)
{
    api_prepare(s);
    spawn(s, extra);
}

int api_cli(const char *args, char *out, size_t cap)
{
    const char *bin = getenv("NEUROND_BIN");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", bin ? bin : "build/neurond",
             args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "popen: %s", strerror(errno));
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    cr_assert(!strstr(out, "Sanitizer") && !strstr(out, "runtime error:"),
              "sanitizer report from %s:\n%s", cmd, out);
    cr_assert(WIFEXITED(status), "%s did not exit: %d", cmd, status);
    return WEXITSTATUS(status);
}

void api_restart(api_server *s, const char *const *extra)
{
    cr_assert_eq(s->pid, 0, "the server is still running");
    spawn(s, extra);
}

/* Appends a dirty log to $NEUROND_REPORTS, which `make test` checks
 * after the run: an assertion in a suite's .fini fails the process but
 * Criterion still counts the test as passing. */
static void keep_report(const char *log)
{
    const char *path = getenv("NEUROND_REPORTS");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) {
        fputs(log, f);
        fclose(f);
    }
}

/* Fails the test if the server's log holds a sanitizer report. */
static void check_log(const api_server *s)
{
    char *log = api_read_file(s->log);
    if (!log)
        return;
    bool dirty = strstr(log, "Sanitizer") || strstr(log, "runtime error:");
    if (dirty) {
        cr_log_error("neurond log:\n%s", log);
        keep_report(log);
    }
    free(log);
    cr_assert(!dirty, "neurond's log has a sanitizer report");
}

void api_stop(api_server *s)
{
    api_stop_by(s, SIGTERM);
}

void api_stop_by(api_server *s, int sig)
{
    if (!s->pid)
        return;
    kill(s->pid, sig);
    int status = 0;
    for (int i = 0; i < 3000 && waitpid(s->pid, &status, WNOHANG) == 0; i++)
        sleep_ms(10);
    if (waitpid(s->pid, &status, WNOHANG) == 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        s->pid = 0;
        cr_assert_fail("neurond did not stop within 30 s of signal %d", sig);
    }
    s->pid = 0;
    check_log(s);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "neurond exited with status %d", status);
}

void api_kill(api_server *s)
{
    if (!s->pid)
        return;
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

void api_cleanup(api_server *s)
{
    api_stop(s);
    if (api_on_postgres() && s->dir[0])
        api_pg_drop(s);
    char cmd[1200];
    const char *keep = getenv("NEUROND_TEST_KEEP_LOGS");
    if (keep && s->dir[0]) {
        snprintf(cmd, sizeof cmd, "cp '%s' '%s/%s.log' 2>/dev/null", s->log,
                 keep, strrchr(s->dir, '/') + 1);
        if (system(cmd) != 0)
            cr_log_warn("could not keep %s", s->log);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (s->dir[0] && system(cmd) != 0)
        cr_log_warn("could not remove %s", s->dir);
}

typedef struct {
    char *data;
    size_t len, cap;
} buffer;

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    buffer *b = user;
    size_t len = size * n;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *q = realloc(b->data, cap);
        if (!q)
            return 0;
        b->data = q;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
    return len;
}

static void copy_header(char *dst, size_t cap, const char *line,
                        const char *name)
{
    size_t n = strlen(name);
    if (strncasecmp(line, name, n) != 0)
        return;
    line += n;
    while (*line == ' ')
        line++;
    snprintf(dst, cap, "%.*s", (int)strcspn(line, "\r\n"), line);
}

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    api_response *r = user;
    size_t len = size * n;
    char line[2048];
    snprintf(line, sizeof line, "%.*s", (int)(len < 2047 ? len : 2047), p);
    copy_header(r->content_type, sizeof r->content_type, line,
                "Content-Type:");
    copy_header(r->location, sizeof r->location, line, "Location:");
    copy_header(r->retry_after, sizeof r->retry_after, line, "Retry-After:");
    size_t used = strlen(r->headers);
    snprintf(r->headers + used, sizeof r->headers - used, "%s", line);
    return len;
}

/* The body of a chunked upload, handed to libcurl piece bytes at a
 * time. */
typedef struct {
    const char *data;
    size_t len, pos, piece;
} upload;

static size_t on_read(char *p, size_t size, size_t n, void *user)
{
    upload *u = user;
    size_t want = size * n, left = u->len - u->pos;
    if (want > u->piece)
        want = u->piece;
    if (want > left)
        want = left;
    memcpy(p, u->data + u->pos, want);
    u->pos += want;
    return want;
}

/* A request; with piece ≠ 0 the body goes chunked, piece bytes at a time,
 * without a Content-Length. */
static api_response perform(api_server *s, const char *method,
                            const char *path, const char *const *extra,
                            const char *content_type, const char *body,
                            size_t len, size_t piece)
{
    api_response r = {0};
    buffer b = {0};
    upload u = {body, len, 0, piece};
    CURL *c = curl_easy_init();
    cr_assert_not_null(c);
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", s->port, path);
    struct curl_slist *headers = NULL;
    char ct[160];
    if (content_type) {
        snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, ct);
    }
    headers = curl_slist_append(headers, "Expect:");
    for (size_t i = 0; extra && extra[i]; i++)
        headers = curl_slist_append(headers, extra[i]);
    if (body && piece)
        headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    if (body && piece) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &u);
    } else if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path,
                 curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    r.body = b.data ? b.data : strdup("");
    r.len = b.len;
    if (strstr(r.content_type, "json"))
        r.json = json_loadb(r.body, r.len, 0, NULL);
    return r;
}

api_response api_call(api_server *s, const char *method, const char *path,
                      const char *content_type, const char *body, size_t len)
{
    return perform(s, method, path, NULL, content_type, body, len, 0);
}

api_response api_call_with(api_server *s, const char *method,
                           const char *path, const char *const *headers,
                           const char *content_type, const char *body,
                           size_t len)
{
    return perform(s, method, path, headers, content_type, body, len, 0);
}

bool api_header(const api_response *r, const char *name, char *out,
                size_t cap)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; *line;) {
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            snprintf(out, cap, "%.*s", (int)strcspn(v, "\r\n"), v);
            return true;
        }
        line += strcspn(line, "\n");
        line += *line == '\n';
    }
    return false;
}

char *api_log(const api_server *s)
{
    char *log = api_read_file(s->log);
    cr_assert_not_null(log, "%s: %s", s->log, strerror(errno));
    return log;
}

char *api_log_with(const api_server *s, const char *text)
{
    char *log = api_log(s);
    for (int i = 0; i < 500 && !strstr(log, text); i++) {
        free(log);
        usleep(10000);
        log = api_log(s);
    }
    return log;
}

/* The KiB of field ("VmRSS:") in /proc/PID/status. */
static long status_kb(const api_server *s, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)s->pid);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    long kb = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0)
            kb = strtol(line + n, NULL, 10);
    fclose(f);
    cr_assert_gt(kb, 0, "no %s in %s", field, path);
    return kb;
}

void api_asan_small_quarantine(void)
{
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=1", asan ? asan : "",
             asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
}

long api_rss_kb(const api_server *s)
{
    return status_kb(s, "VmRSS:");
}

long api_peak_rss_kb(const api_server *s)
{
    return status_kb(s, "VmHWM:");
}

api_response api_call_chunked(api_server *s, const char *method,
                              const char *path, const char *content_type,
                              const char *body, size_t len, size_t piece)
{
    cr_assert(body && piece > 0);
    return perform(s, method, path, NULL, content_type, body, len, piece);
}

api_response api_json(api_server *s, const char *method, const char *path,
                      const char *json_text)
{
    return api_call(s, method, path, json_text ? "application/json" : NULL,
                    json_text, json_text ? strlen(json_text) : 0);
}

api_response api_pack(api_server *s, const char *method, const char *path,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_error_t e;
    json_t *j = json_vpack_ex(&e, 0, fmt, ap);
    va_end(ap);
    cr_assert_not_null(j, "json_pack: %s", e.text);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    api_response r = api_json(s, method, path, text);
    free(text);
    return r;
}

void api_free(api_response *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

const char *api_str(const api_response *r, const char *key)
{
    json_t *v = json_object_get(r->json, key);
    cr_assert(json_is_string(v), "no string '%s' in %s", key, r->body);
    return json_string_value(v);
}

const char *api_jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_string(v), "no string '%s'", key);
    return json_string_value(v);
}

json_int_t api_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_integer(v), "no integer '%s'", key);
    return json_integer_value(v);
}

double api_num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_number(v), "no number '%s'", key);
    return json_number_value(v);
}

json_t *api_wait_job(api_server *s, const char *job_id, double timeout_s)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", job_id);
    for (double waited = 0; waited < timeout_s; waited += 0.02) {
        api_response r = api_call(s, "GET", path, NULL, NULL, 0);
        cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
        const char *st = json_string_value(json_object_get(r.json, "status"));
        cr_assert_not_null(st, "job without status: %s", r.body);
        if (strcmp(st, "queued") && strcmp(st, "running")) {
            json_t *job = json_incref(r.json);
            api_free(&r);
            return job;
        }
        api_free(&r);
        sleep_ms(20);
    }
    cr_assert_fail("job %s did not finish within %.0f s", job_id, timeout_s);
    return NULL;
}

void api_assert_problem(const api_response *r, long status,
                        const char *pointer)
{
    cr_assert_eq(r->status, status, "expected %ld, got %ld: %s", status,
                 r->status, r->body);
    cr_assert(strstr(r->content_type, "application/problem+json"),
              "content type %s", r->content_type);
    cr_assert_not_null(r->json, "problem is not JSON: %s", r->body);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "status")),
                 status);
    cr_assert(json_is_string(json_object_get(r->json, "title")));
    cr_assert(json_is_string(json_object_get(r->json, "detail")));
    /* Every problem names its request, so a user can quote it and an
     * operator find its log lines. */
    cr_assert(json_is_string(json_object_get(r->json, "request_id")),
              "problem without request_id: %s", r->body);
    if (!pointer)
        return;
    json_t *errors = json_object_get(r->json, "errors"), *e;
    size_t i;
    json_array_foreach(errors, i, e) {
        const char *p = json_string_value(json_object_get(e, "pointer"));
        if (p && strcmp(p, pointer) == 0)
            return;
    }
    cr_assert_fail("no error with pointer %s in %s", pointer, r->body);
}

bool api_sql(const api_server *s, const char *sql, long *out)
{
    bool pg = api_on_postgres();
    if (system(pg ? "command -v psql > /dev/null 2>&1"
                  : "command -v sqlite3 > /dev/null 2>&1") != 0)
        return false;
    char path[400], cmd[1200];
    snprintf(path, sizeof path, "%s/query.sql", s->dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fprintf(f, "%s\n", sql);
    fclose(f);
    if (pg)
        snprintf(cmd, sizeof cmd, "psql -X -q -t -A -v ON_ERROR_STOP=1 "
                 "'%s' < '%s' 2>&1", s->db, path);
    else
        snprintf(cmd, sizeof cmd,
                 "sqlite3 -bail -cmd '.timeout 10000' '%s' < '%s' 2>&1",
                 s->db, path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "popen: %s", strerror(errno));
    char line[512] = "";
    if (!fgets(line, sizeof line, p))
        line[0] = '\0';
    int rc = pclose(p);
    cr_assert_eq(rc, 0, "%s failed on %s: %s", pg ? "psql" : "sqlite3", sql,
                 line);
    /* psql prints a boolean as t or f, where sqlite3 prints 1 or 0. */
    *out = pg && (line[0] == 't' || line[0] == 'f') && line[1] == '\n'
               ? line[0] == 't'
               : strtol(line, NULL, 10);
    return true;
}

const char *api_shared_data(const char *name)
{
    static char path[512];
    const char *dir = getenv("NEUROND_SHARED_DATA");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "../shared/data", name);
    return path;
}
