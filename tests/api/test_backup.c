/* test_backup.c — online backups while a job trains: POST /v1/admin/backup
 * streams a copy that passes integrity_check, holds every dataset, model
 * and job, and serves the same predictions from a new server;
 * `neurond backup FILE` does the same from another process; and their
 * errors. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "jobs_helpers.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(backup, .fini = teardown, .timeout = 120);

static void save(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

/* The first value of sql on the database file path, as text into out. */
static void sql_text(const char *path, const char *sql, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK, "%s: %s", path, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
                 "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: %s", sql,
                 sqlite3_errmsg(db));
    snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Asserts that the file at path is a whole, self-contained copy holding
 * the data that setup_data made. */
static void check_copy(const char *path)
{
    char v[256];
    sql_text(path, "PRAGMA integrity_check", v, sizeof v);
    cr_assert_str_eq(v, "ok");
    sql_text(path, "PRAGMA journal_mode", v, sizeof v);
    cr_assert_str_eq(v, "delete", "the copy needs no -wal file");
    sql_text(path, "SELECT group_concat(name, ',') FROM (SELECT name FROM "
                   "datasets ORDER BY name)", v, sizeof v);
    cr_assert_str_eq(v, "iris,spiral,xor");
    sql_text(path, "SELECT count(*) FROM models", v, sizeof v);
    cr_assert_str_eq(v, "2");
    sql_text(path, "SELECT group_concat(status, ',') FROM (SELECT status "
                   "FROM jobs ORDER BY status)", v, sizeof v);
    cr_assert_str_eq(v, "running,succeeded");
}

/* Datasets (one of several MiB), a trained model whose predictions go
 * into want, and a second model training (its job running) into busy. */
static void setup_data(float want[4], char busy[64])
{
    char xor[64], spiral[64], iris[64], model[64], job[64];
    make_generated(&srv, "xor", xor);
    make_csv(&srv, api_shared_data("iris.csv"), "iris", "species", iris);
    make_dataset(&srv, "{\"name\":\"spiral\",\"generator\":\"spiral\","
                       "\"n\":200000,\"noise\":0.1}", spiral);
    make_xor_net(&srv, model);
    start_job(&srv, model, xor, "\"epochs\":%u,\"batch_size\":4,\"normalize\":"
              "\"none\",\"optimizer\":{\"name\":\"sgd\",\"learning_rate\":0.5,"
              "\"momentum\":0.9}", job, 2000);
    json_t *done = api_wait_job(&srv, job, 60);
    cr_assert_str_eq(api_jstr(done, "status"), "succeeded");
    json_decref(done);
    predict4(&srv, model, want);
    char other[64];
    make_model(&srv,
               "{\"name\":\"spiral-net\",\"inputs\":2,\"layers\":[{\"units\":"
               "8,\"activation\":\"tanh\"},{\"units\":2,\"activation\":"
               "\"softmax\"}],\"loss\":\"cross_entropy\"}",
               other);
    start_job(&srv, other, spiral, "\"epochs\":%u", busy, 1000000);
    for (int i = 0; i < 500; i++) {
        api_response r = api_call(&srv, "GET", "/v1/jobs", NULL, NULL, 0);
        bool running = strstr(r.body, "\"running\"") != NULL;
        api_free(&r);
        if (running)
            return;
        usleep(20000);
    }
    cr_assert_fail("the second job never ran");
}

/* Asserts that no temporary file of a backup is left in dir. */
static void assert_no_temp(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    struct dirent *e;
    while ((e = readdir(d)))
        cr_assert(!strstr(e->d_name, ".tmp-") && !strstr(e->d_name, ".backup-"),
                  "left behind: %s/%s", dir, e->d_name);
    closedir(d);
}

Test(backup, route_copy_while_training_serves_the_same_predictions)
{
    API_SQLITE_ONLY("the backup copies a SQLite file (PostgreSQL: pg_dump)");
    const char *args[] = {"--checkpoint-ms", "20", NULL};
    api_start(&srv, args);
    float want[4], got[4];
    char busy[64];
    setup_data(want, busy);
    api_response r = api_call(&srv, "POST", "/v1/admin/backup", NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(r.content_type, "application/vnd.sqlite3");
    char len[32], disp[128];
    cr_assert(api_header(&r, "Content-Length", len, sizeof len));
    cr_assert_eq(strtoul(len, NULL, 10), r.len);
    cr_assert(r.len > 2u << 20, "only %zu bytes", r.len);
    cr_assert(api_header(&r, "Content-Disposition", disp, sizeof disp));
    cr_assert(strstr(disp, "attachment; filename=\"neurond-"), "%s", disp);
    cr_assert(memcmp(r.body, "SQLite format 3", 16) == 0);
    assert_no_temp(srv.dir);
    cancel_job(&srv, busy);
    char *log = api_log_with(&srv, "event=backup.sent bytes=");
    cr_assert(strstr(log, "event=backup.sent bytes="), "no backup line: %s",
              log);
    free(log);

    api_server copy;
    api_prepare(&copy);
    save(copy.db, r.body, r.len);
    api_free(&r);
    check_copy(copy.db);
    api_restart(&copy, NULL);
    char model[64];
    r = api_call(&srv, "GET", "/v1/jobs?status=succeeded", NULL, NULL, 0);
    snprintf(model, sizeof model, "%s",
             api_jstr(json_array_get(json_object_get(r.json, "items"), 0),
                      "model_id"));
    api_free(&r);
    predict4(&copy, model, got);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(got[i], want[i], "output %d: %g, was %g", i, got[i],
                     want[i]);
    api_cleanup(&copy);
}

Test(backup, cli_copies_the_database_of_a_running_server)
{
    API_SQLITE_ONLY("the backup copies a SQLite file (PostgreSQL: pg_dump)");
    const char *args[] = {"--checkpoint-ms", "20", NULL};
    api_start(&srv, args);
    float want[4];
    char busy[64], target[400], cmd[1000], out[2048];
    setup_data(want, busy);
    snprintf(target, sizeof target, "%s/copy.db", srv.dir);
    save(target, "not a database", 14); /* replaced as a whole */
    snprintf(cmd, sizeof cmd, "--db '%s' backup '%s'", srv.db, target);
    cr_assert_eq(api_cli(cmd, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "written to"), "%s", out);
    check_copy(target);
    struct stat sb;
    cr_assert_eq(stat(target, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600, "a copy of the data is private");
    assert_no_temp(srv.dir);
    cancel_job(&srv, busy);
}

/* Asserts `neurond ARGS` exits with status and prints want. */
static void cli_fails(const char *args, int status, const char *want)
{
    char out[2048];
    cr_assert_eq(api_cli(args, out, sizeof out), status, "%s: %s", args, out);
    cr_assert(strstr(out, want), "%s: wanted '%s' in: %s", args, want, out);
}

Test(backup, cli_errors)
{
    API_SQLITE_ONLY("the backup copies a SQLite file (PostgreSQL: pg_dump)");
    api_start(&srv, NULL);
    char xor[64], args[1200], other[400];
    make_generated(&srv, "xor", xor);
    snprintf(args, sizeof args, "--db '%s/none.db' backup '%s/x.db'", srv.dir,
             srv.dir);
    cli_fails(args, 1, "no database at");
    snprintf(args, sizeof args, "--db '%s' backup /nonexistent-dir/x.db",
             srv.db);
    cli_fails(args, 1, "cannot create /nonexistent-dir/x.db.tmp-");
    snprintf(args, sizeof args, "--db '%s' backup '%s/neurond.log/x.db'",
             srv.db, srv.dir);
    cli_fails(args, 1, "Not a directory");
    snprintf(args, sizeof args, "--db '%s' backup '%s'", srv.db, srv.db);
    cli_fails(args, 1, "is the database itself");
    snprintf(other, sizeof other, "%s/plain.txt", srv.dir);
    save(other, "just text, long enough to be read as a header.......", 52);
    snprintf(args, sizeof args, "--db '%s' backup '%s/y.db'", other, srv.dir);
    cli_fails(args, 1, "not a database");
    cli_fails("backup", 2, "usage: neurond [--db FILE] backup FILE");
    cli_fails("backup a b", 2, "usage");
    cli_fails("restore x", 2, "unexpected argument 'restore'");
    char help[16384];
    cr_assert_eq(api_cli("--help", help, sizeof help), 0);
    cr_assert(strstr(help, "neurond [--db FILE] backup FILE"), "%s", help);
    assert_no_temp(srv.dir);
    api_response r = api_call(&srv, "GET", "/v1/datasets", NULL, NULL, 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1,
                 "the database is untouched: %s", r.body);
    api_free(&r);
}

Test(backup, route_errors)
{
    API_SQLITE_ONLY("the backup copies a SQLite file (PostgreSQL: pg_dump)");
    const char *args[] = {"--api-token", "backup-secret", NULL};
    api_start(&srv, args);
    const char *auth[] = {"Authorization: Bearer backup-secret", NULL};
    api_response r = api_call(&srv, "POST", "/v1/admin/backup", NULL, NULL, 0);
    api_assert_problem(&r, 401, NULL);
    api_free(&r);
    r = api_call_with(&srv, "POST", "/v1/admin/backup", auth,
                      "application/json", "{\"path\":\"/etc/x\"}", 17);
    api_assert_problem(&r, 400, NULL);
    api_free(&r);
    r = api_call_with(&srv, "GET", "/v1/admin/backup", auth, NULL, NULL, 0);
    api_assert_problem(&r, 405, NULL);
    api_free(&r);
    /* The database file gone from its path: the server's open connections
     * go on, a backup cannot be made. */
    char moved[400];
    snprintf(moved, sizeof moved, "%s/moved.db", srv.dir);
    cr_assert_eq(rename(srv.db, moved), 0);
    r = api_call_with(&srv, "POST", "/v1/admin/backup", auth, NULL, NULL, 0);
    cr_assert_eq(rename(moved, srv.db), 0);
    api_assert_problem(&r, 500, NULL);
    cr_assert(strstr(r.body, "no database at"), "%s", r.body);
    api_free(&r);
    assert_no_temp(srv.dir);
    r = api_call_with(&srv, "POST", "/v1/admin/backup", auth, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    api_free(&r);
}

/* Whether path exists. */
static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

Test(backup, start_up_removes_the_copies_of_a_backup_cut_short)
{
    API_SQLITE_ONLY("the backup copies a SQLite file (PostgreSQL: pg_dump)");
    api_start(&srv, NULL);
    api_stop(&srv);
    /* What a process killed during POST /v1/admin/backup leaves, and two
     * look-alikes that are not its names and must stay. */
    const char *stale[] = {".backup-a1B2c3", ".backup-a1B2c3-journal"};
    const char *kept[] = {".backup-keep", ".backup-a1B2c3.txt"};
    char path[512];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s%s", srv.db, stale[i]);
        save(path, "partial", 7);
        snprintf(path, sizeof path, "%s%s", srv.db, kept[i]);
        save(path, "mine", 4);
    }
    api_restart(&srv, NULL);
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s%s", srv.db, stale[i]);
        cr_assert_not(exists(path), "%s is still there", path);
        snprintf(path, sizeof path, "%s%s", srv.db, kept[i]);
        cr_assert(exists(path), "%s was removed", path);
    }
    char *log = api_log(&srv);
    cr_assert(strstr(log, "event=backup.stale_removed") &&
                  strstr(log, "files=2"),
              "no log line for the removal: %s", log);
    free(log);
}

Test(backup, on_postgresql_the_route_and_the_cli_refuse_naming_pg_dump)
{
    if (!api_on_postgres())
        cr_skip_test("PostgreSQL only: on SQLite the backup is made");
    api_start(&srv, NULL);
    api_response r = api_call(&srv, "POST", "/v1/admin/backup", NULL, NULL, 0);
    api_assert_problem(&r, 409, NULL);
    cr_assert(strstr(r.body, "pg_dump"), "%s", r.body);
    api_free(&r);
    char args[1200], copy[400];
    snprintf(copy, sizeof copy, "%s/x.db", srv.dir);
    snprintf(args, sizeof args, "--db '%s' backup '%s'", srv.db, copy);
    cli_fails(args, 1, "back it up with pg_dump");
    assert_no_temp(srv.dir);
    struct stat sb;
    cr_assert_neq(stat(copy, &sb), 0, "no copy is made");
    r = api_call(&srv, "GET", "/healthz", NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "the server goes on: %s", r.body);
    api_free(&r);
}
