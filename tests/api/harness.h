/* harness.h — API tests drive a real neurond: started from $NEUROND_BIN
 * (default build/neurond) on a free loopback port with a database in a
 * fresh temporary folder, called over HTTP with libcurl, stopped with
 * SIGTERM. The server's log must stay free of sanitizer reports. */
#ifndef API_HARNESS_H
#define API_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    unsigned port;
    char dir[256]; /* temporary folder: database and logs */
    char db[320];
    char log[320];
} api_server;

/* Starts neurond with a new database; extra is a NULL-terminated list of
 * more arguments, or NULL. Asserts it comes up. */
void api_start(api_server *s, const char *const *extra);

/* Makes the temporary folder and names the database and log in it, as
 * api_start does, without starting neurond: the test puts a database
 * there first (s->db), then calls api_restart. */
void api_prepare(api_server *s);

/* Runs the neurond binary once with args (shell words, quoted by the
 * caller), e.g. "--db '/tmp/x.db' backup '/tmp/y.db'", and returns its
 * exit status; what it prints (stdout and stderr) goes into out. Asserts
 * the output holds no sanitizer report. */
int api_cli(const char *args, char *out, size_t cap);

/* Starts neurond again on the same folder and database (after a stop or
 * kill). */
void api_restart(api_server *s, const char *const *extra);

/* SIGTERM, waits for exit 0 (asserted) and checks the log. */
void api_stop(api_server *s);

/* api_stop with another stop signal (SIGINT). */
void api_stop_by(api_server *s, int sig);

/* SIGKILL, as a crash would. */
void api_kill(api_server *s);

/* api_stop if still running, then removes the folder (first copying the
 * server's log into $NEUROND_TEST_KEEP_LOGS, when set, for debugging). */
void api_cleanup(api_server *s);

typedef struct {
    long status;
    char *body;          /* NUL-terminated */
    size_t len;
    json_t *json;        /* parsed body when it is JSON, else NULL */
    char content_type[128];
    char location[256];
    char retry_after[32];
    char headers[8192]; /* every response header line, as received */
} api_response;

/* Any request; body may be NULL. content_type NULL sends none. */
api_response api_call(api_server *s, const char *method, const char *path,
                      const char *content_type, const char *body, size_t len);

/* As api_call, with the body sent the way a streaming client sends it:
 * Transfer-Encoding: chunked (no Content-Length), piece bytes at a time
 * (piece > 0). */
api_response api_call_chunked(api_server *s, const char *method,
                              const char *path, const char *content_type,
                              const char *body, size_t len, size_t piece);

/* As api_call, with more request headers: a NULL-terminated list of
 * "Name: value" lines (or NULL). */
api_response api_call_with(api_server *s, const char *method,
                           const char *path, const char *const *headers,
                           const char *content_type, const char *body,
                           size_t len);

/* The value of response header name (case-insensitive) copied into out;
 * false when r has no such header. */
bool api_header(const api_response *r, const char *name, char *out,
                size_t cap);

/* Starts argv[0] (a path) with argv in a child process whose output
 * (stdout and stderr) goes to the file log, made afresh; the child dies
 * with the test process. Returns its PID; asserts the fork worked. */
pid_t api_spawn(const char *const *argv, const char *log);

/* The whole file at path, malloc'd and NUL-terminated; NULL when it
 * cannot be read. */
char *api_read_file(const char *path);

/* The server's log as written so far (its stdout and stderr), malloc'd;
 * asserted readable. */
char *api_log(const api_server *s);

/* The log once it holds text (a request is logged when it completes,
 * which may be after its client has the reply), or as it is after 5 s;
 * malloc'd. */
char *api_log_with(const api_server *s, const char *text);

/* The server's resident memory in KiB (VmRSS of /proc/PID/status). */
long api_rss_kb(const api_server *s);

/* Keeps the quarantine of freed memory small (1 MiB) for the servers
 * started after it, when they run under ASan (256 MiB by default, which
 * would read as growth in a test that measures memory). */
void api_asan_small_quarantine(void);

/* The server's peak resident memory so far in KiB (VmHWM). */
long api_peak_rss_kb(const api_server *s);

/* A request with a JSON body given as text (NULL for none). */
api_response api_json(api_server *s, const char *method, const char *path,
                      const char *json_text);

/* A request with a JSON body built by json_pack-style format. */
api_response api_pack(api_server *s, const char *method, const char *path,
                      const char *fmt, ...);

void api_free(api_response *r);

/* The string member key of r's JSON object (asserted present). */
const char *api_str(const api_response *r, const char *key);

/* Members of a JSON object, asserted present with that type. */
const char *api_jstr(json_t *o, const char *key);
json_int_t api_int(json_t *o, const char *key);
double api_num(json_t *o, const char *key);

/* Polls GET /v1/jobs/{id} until the job leaves queued and running, at most
 * timeout_s; returns the final job (caller decrefs). Asserts it ended. */
json_t *api_wait_job(api_server *s, const char *job_id, double timeout_s);

/* Asserts that r is a problem+json with status, a request_id and, if
 * pointer is not NULL, an errors[] entry with that pointer. */
void api_assert_problem(const api_response *r, long status,
                        const char *pointer);

/* Whether the suite runs on PostgreSQL (NEUROND_TEST_DB=postgres, with
 * NEUROND_TEST_PG_URI the URI of a server, without a database name, as
 * tools/pg-private.sh prints it): then every api_prepare creates a
 * database of its own there, s->db is its URI, and api_cleanup drops it.
 * Tests of SQLite-only behaviour skip, saying why. */
bool api_on_postgres(void);

/* On PostgreSQL: creates the database of s (named after its folder) and
 * points s->db at it; drops it. */
void api_pg_create(api_server *s);
void api_pg_drop(const api_server *s);

/* Skips the calling test on PostgreSQL, with why (a sentence). */
#define API_SQLITE_ONLY(why)                                                  \
    do {                                                                      \
        if (api_on_postgres())                                                \
            cr_skip_test("SQLite only: %s", why);                             \
    } while (0)

/* Runs sql (one or more statements) on the server's database with the
 * sqlite3 command-line tool, next to the running server (WAL makes that
 * safe), or with psql on PostgreSQL, and stores the first value it
 * prints in *out (0 if none; a boolean as 1 or 0).
 * Returns false when the tool is not installed, so that the caller can
 * skip; asserts that the SQL ran. */
bool api_sql(const api_server *s, const char *sql, long *out);

/* A path to a file of the shared data folder (../shared/data or
 * $NEUROND_SHARED_DATA). */
const char *api_shared_data(const char *name);

#endif
