/* test_db_pg.c — the PostgreSQL backend of db.h (server/store/db_pg*.c)
 * against a real server: the private one of tools/pg-private.sh, whose
 * URI (without a database) is $NEUROND_TEST_PG_URI. Each test opens the
 * store on a database of its own, created here and dropped after. */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "db_pg.h"
#include "migrations.h"
#include "store.h"

static char dbname[64];
static char uri[1024];

/* Runs sql on the server's maintenance database, asserting it worked. */
static void admin_sql(const char *base, const char *sql)
{
    char where[1100];
    snprintf(where, sizeof where, "%s/postgres", base);
    PGconn *pg = PQconnectdb(where);
    cr_assert_eq(PQstatus(pg), CONNECTION_OK, "%s", PQerrorMessage(pg));
    PGresult *res = PQexec(pg, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s", sql,
                 PQerrorMessage(pg));
    PQclear(res);
    PQfinish(pg);
}

static const char *base_uri(void)
{
    const char *b = getenv("NEUROND_TEST_PG_URI");
    cr_assert_not_null(b, "NEUROND_TEST_PG_URI is not set: run under "
                          "tools/pg-private.sh run");
    return b;
}

/* A new database on base, named into dbname, its URI into uri. */
static void new_db(const char *base)
{
    snprintf(dbname, sizeof dbname, "nd_store_%d", (int)getpid());
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
    admin_sql(base, sql);
    snprintf(uri, sizeof uri, "%s/%s", base, dbname);
}

static void drop_db(const char *base)
{
    nd_db_close();
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)",
             dbname);
    admin_sql(base, sql);
}

static void setup(void)
{
    new_db(base_uri());
    char err[512];
    cr_assert_eq(nd_store_open(uri, err, sizeof err), 0, "%s", err);
}

static void teardown(void)
{
    drop_db(base_uri());
}

TestSuite(db_pg, .init = setup, .fini = teardown, .timeout = 60);

Test(db_pg, opens_on_postgres_with_every_migration)
{
    cr_assert_eq(nd_db_dialect(), ND_DIALECT_POSTGRES);
    cr_assert(nd_db_shared());
    cr_assert_eq(nd_store_schema_version(), nd_pg_migration_count);
    cr_assert_eq(nd_pg_migration_count, nd_migration_count,
                 "migrations/postgres and migrations/sqlite must match");
    for (int i = 0; i < nd_migration_count; i++)
        cr_assert_str_eq(nd_pg_migration_name[i], nd_migration_name[i]);
}

Test(db_pg, placeholders_are_numbered_as_sqlite_numbers_them)
{
    int n;
    char *s = nd_pg_placeholders("SELECT '?', \"a?\", ?, ?3, ? -- ?\n, ?1",
                                 &n);
    cr_assert_str_eq(s, "SELECT '?', \"a?\", $1, $3, $4 -- ?\n, $1");
    cr_assert_eq(n, 4);
    free(s);
    s = nd_pg_placeholders("SELECT 'it''s ?', ?", &n);
    cr_assert_str_eq(s, "SELECT 'it''s ?', $1");
    free(s);
}

Test(db_pg, a_question_mark_inside_a_string_is_data)
{
    nd_stmt *st = nd_prepare("SELECT 'what?', CAST(? AS TEXT), '? ?'");
    cr_assert_not_null(st, "%s", nd_errmsg());
    nd_bind_text(st, 1, "ok?");
    cr_assert_eq(nd_step(st), ND_ROW);
    cr_assert_str_eq(nd_col_text(st, 0), "what?");
    cr_assert_str_eq(nd_col_text(st, 1), "ok?");
    cr_assert_str_eq(nd_col_text(st, 2), "? ?");
    cr_assert_eq(nd_step(st), ND_DONE);
    nd_finalize(st);
}

/* Stores blob n bytes long in a BYTEA column and reads it back. */
static void round_trip(const unsigned char *blob, size_t n)
{
    cr_assert_eq(nd_exec("CREATE TABLE IF NOT EXISTS b (k BIGINT PRIMARY "
                         "KEY, v BYTEA)"), 0, "%s", nd_errmsg());
    nd_stmt *st = nd_prepare("INSERT INTO b (k, v) VALUES (?, ?) ON "
                             "CONFLICT (k) DO UPDATE SET v = excluded.v");
    nd_bind_int64(st, 1, 1);
    nd_bind_blob(st, 2, blob, n);
    cr_assert_eq(nd_step(st), ND_DONE, "%s", nd_errmsg());
    nd_finalize(st);
    st = nd_prepare("SELECT v, length(v) FROM b WHERE k = ?1");
    nd_bind_int64(st, 1, 1);
    cr_assert_eq(nd_step(st), ND_ROW, "%s", nd_errmsg());
    cr_assert_eq(nd_col_bytes(st, 0), n);
    cr_assert_eq(nd_col_int64(st, 1), (int64_t)n);
    cr_assert(n == 0 || memcmp(nd_col_blob(st, 0), blob, n) == 0);
    nd_finalize(st);
}

Test(db_pg, blobs_round_trip_byte_exact)
{
    const unsigned char small[] = {0, 1, 0, 255, '\\', 'x', 0, 0};
    round_trip(small, sizeof small);
    round_trip(small, 0);
    size_t n = 5u << 20; /* 5 MiB, every byte value, zeros included */
    unsigned char *big = malloc(n);
    cr_assert_not_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (unsigned char)(i * 2654435761u >> 13);
    round_trip(big, n);
    free(big);
}

Test(db_pg, nulls_and_int64_extremes)
{
    nd_exec("CREATE TABLE v (i BIGINT, d DOUBLE PRECISION, t TEXT, b BYTEA)");
    const int64_t ints[] = {INT64_MIN, -1, 0, INT64_MAX};
    for (int k = 0; k < 4; k++) {
        nd_stmt *st = nd_prepare("INSERT INTO v VALUES (?, ?, ?, ?)");
        nd_bind_int64(st, 1, ints[k]);
        nd_bind_double(st, 2, k == 0 ? -1.5e300 : 0.1 * k);
        nd_bind_text(st, 3, k == 3 ? NULL : "t");
        nd_bind_null(st, 4);
        cr_assert_eq(nd_step(st), ND_DONE, "%s", nd_errmsg());
        cr_assert_eq(nd_changes(), 1);
        nd_finalize(st);
    }
    nd_stmt *st = nd_prepare("SELECT i, d, t, b, i IS NULL FROM v ORDER BY i");
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(nd_step(st), ND_ROW, "%s", nd_errmsg());
        cr_assert_eq(nd_col_int64(st, 0), ints[k]);
        cr_assert_float_eq(nd_col_double(st, 1), k == 0 ? -1.5e300 : 0.1 * k,
                           1e-300);
        cr_assert_eq(nd_col_null(st, 2), k == 3);
        cr_assert(nd_col_null(st, 3));
        cr_assert_null(nd_col_blob(st, 3));
        cr_assert_eq(nd_col_bytes(st, 3), 0);
        cr_assert_eq(nd_col_int(st, 4), 0); /* a bool reads as 0 or 1 */
    }
    cr_assert_eq(nd_step(st), ND_DONE);
    nd_finalize(st);
    st = nd_prepare("SELECT sum(i) FROM v WHERE i BETWEEN -1 AND 2");
    cr_assert_eq(nd_step(st), ND_ROW); /* NUMERIC */
    cr_assert_eq(nd_col_int64(st, 0), -1);
    nd_finalize(st);
}

Test(db_pg, a_constraint_is_nd_constraint_and_the_message_says_why)
{
    nd_exec("CREATE TABLE u (name TEXT UNIQUE)");
    for (int k = 0; k < 2; k++) {
        nd_stmt *st = nd_prepare("INSERT INTO u VALUES (?)");
        nd_bind_text(st, 1, "ada");
        cr_assert_eq(nd_step(st), k ? ND_CONSTRAINT : ND_DONE);
        nd_finalize(st);
    }
    cr_assert(strstr(nd_errmsg(), "duplicate key"), "%s", nd_errmsg());
    cr_assert_null(nd_prepare("SELECT nonsense FROM nowhere"));
    cr_assert(strstr(nd_errmsg(), "nowhere"), "%s", nd_errmsg());
}

Test(db_pg, a_transaction_commits_or_rolls_back)
{
    nd_exec("CREATE TABLE t (x BIGINT)");
    cr_assert_eq(nd_tx_begin(), 0);
    cr_assert(nd_in_tx());
    nd_exec("INSERT INTO t VALUES (1)");
    nd_tx_rollback();
    cr_assert_not(nd_in_tx());
    cr_assert_eq(nd_tx_begin(), 0);
    nd_exec("INSERT INTO t VALUES (2)");
    cr_assert_eq(nd_tx_commit(), 0);
    /* A failed statement spoils the transaction: its commit fails. */
    cr_assert_eq(nd_tx_begin(), 0);
    cr_assert_neq(nd_exec("INSERT INTO t VALUES ('x')"), 0);
    cr_assert_neq(nd_tx_commit(), 0);
    nd_stmt *st = nd_prepare("SELECT count(*), max(x) FROM t");
    cr_assert_eq(nd_step(st), ND_ROW);
    cr_assert_eq(nd_col_int64(st, 0), 1);
    cr_assert_eq(nd_col_int64(st, 1), 2);
    nd_finalize(st);
}

/* In a child: n transactions, each reading the counter then writing it
 * plus one, as the store's read-then-write transactions do. */
static int bump(int n)
{
    char err[512];
    if (nd_store_open(uri, err, sizeof err))
        return 1;
    for (int i = 0; i < n; i++) {
        if (nd_tx_begin())
            return 1;
        nd_stmt *st = nd_prepare("SELECT x FROM counter");
        int64_t x = nd_step(st) == ND_ROW ? nd_col_int64(st, 0) : -1;
        nd_finalize(st);
        st = nd_prepare("UPDATE counter SET x = ?");
        nd_bind_int64(st, 1, x + 1);
        int rc = nd_step(st);
        nd_finalize(st);
        if (x < 0 || rc != ND_DONE || nd_tx_commit())
            return 1;
    }
    nd_db_close();
    return 0;
}

Test(db_pg, writers_of_several_processes_take_turns_as_with_begin_immediate)
{
    nd_exec("CREATE TABLE counter (x BIGINT); INSERT INTO counter VALUES (0)");
    nd_db_close(); /* no connection shared across fork */
    enum { CHILDREN = 3, EACH = 150 };
    pid_t pids[CHILDREN];
    for (int k = 0; k < CHILDREN; k++)
        if ((pids[k] = fork()) == 0)
            _exit(bump(EACH));
    for (int k = 0; k < CHILDREN; k++) {
        int status;
        waitpid(pids[k], &status, 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    nd_stmt *st = nd_prepare("SELECT x FROM counter");
    cr_assert_eq(nd_step(st), ND_ROW);
    /* Without the lock, READ COMMITTED loses updates: fewer. */
    cr_assert_eq(nd_col_int64(st, 0), CHILDREN * EACH);
    nd_finalize(st);
}

Test(db_pg, a_statement_may_run_while_another_is_stepped)
{
    nd_exec("CREATE TABLE s (x BIGINT); INSERT INTO s VALUES (1), (2), (3)");
    nd_stmt *outer = nd_prepare("SELECT x FROM s ORDER BY x");
    int64_t sum = 0;
    while (nd_step(outer) == ND_ROW) {
        nd_stmt *in = nd_prepare("UPDATE s SET x = x + 10 WHERE x = ?");
        nd_bind_int64(in, 1, nd_col_int64(outer, 0));
        cr_assert_eq(nd_step(in), ND_DONE, "%s", nd_errmsg());
        nd_finalize(in);
        sum += nd_col_int64(outer, 0);
    }
    nd_finalize(outer);
    cr_assert_eq(sum, 6);
}

static void *waiter(void *arg)
{
    char *payload = arg;
    int rc = nd_wait_notify("nd_test", 10000, payload, 64);
    nd_db_close();
    return (void *)(intptr_t)rc;
}

Test(db_pg, notify_reaches_a_thread_waiting_on_its_channel)
{
    char payload[64] = "";
    /* Listening starts with the first call: a timeout first. */
    cr_assert_eq(nd_wait_notify("nd_test", 50, payload, sizeof payload), 0);
    pthread_t t;
    char got[64] = "";
    pthread_create(&t, NULL, waiter, got);
    /* The waiter may not listen yet: notify until it has heard. */
    void *rc = NULL;
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(nd_notify("nd_test", "job 7 epoch 3"), 0, "%s",
                     nd_errmsg());
        usleep(100000);
        if (got[0])
            break;
    }
    pthread_join(t, &rc);
    cr_assert_eq((intptr_t)rc, 1);
    cr_assert_str_eq(got, "job 7 epoch 3");
    /* This thread heard them too, once it asks. */
    cr_assert_eq(nd_wait_notify("nd_test", 1000, payload, sizeof payload), 1);
    cr_assert_str_eq(payload, "job 7 epoch 3");
}

Test(db_pg, a_notification_sent_in_a_transaction_leaves_at_commit)
{
    char payload[64];
    cr_assert_eq(nd_wait_notify("nd_tx", 10, payload, sizeof payload), 0);
    cr_assert_eq(nd_tx_begin(), 0);
    cr_assert_eq(nd_notify("nd_tx", "later"), 0);
    cr_assert_eq(nd_wait_notify("nd_tx", 300, payload, sizeof payload), 0);
    cr_assert_eq(nd_tx_commit(), 0);
    cr_assert_eq(nd_wait_notify("nd_tx", 5000, payload, sizeof payload), 1);
    cr_assert_str_eq(payload, "later");
}

Test(db_pg, migrations_run_once_when_two_processes_start_together)
{
    /* A second, empty database that two children open at once. */
    drop_db(base_uri());
    new_db(base_uri());
    char logs[2][64];
    pid_t pids[2];
    for (int k = 0; k < 2; k++) {
        snprintf(logs[k], sizeof logs[k], "/tmp/nd-store-%d-%d.log",
                 (int)getpid(), k);
        pids[k] = fork();
        if (pids[k] == 0) {
            freopen(logs[k], "w", stderr);
            freopen(logs[k], "a", stdout);
            char err[512];
            int rc = nd_store_open(uri, err, sizeof err);
            if (rc)
                fprintf(stderr, "open failed: %s\n", err);
            nd_db_close();
            _exit(rc ? 1 : 0);
        }
    }
    int migrated = 0;
    for (int k = 0; k < 2; k++) {
        int status;
        waitpid(pids[k], &status, 0);
        FILE *f = fopen(logs[k], "r");
        char line[1024];
        while (f && fgets(line, sizeof line, f))
            migrated += strstr(line, "store.migrated") != NULL;
        if (f)
            fclose(f);
        unlink(logs[k]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    cr_assert_eq(migrated, nd_pg_migration_count,
                 "%d migrations logged for %d", migrated,
                 nd_pg_migration_count);
    char err[512];
    cr_assert_eq(nd_store_open(uri, err, sizeof err), 0, "%s", err);
    cr_assert_eq(nd_store_schema_version(), nd_pg_migration_count);
}

Test(db_pg, a_wrong_uri_is_a_clear_error)
{
    nd_db_close();
    char err[512] = "";
    cr_assert_eq(nd_store_open("postgresql://nobody@127.0.0.1:1/none", err,
                               sizeof err), -1);
    cr_assert(strstr(err, "cannot connect to PostgreSQL"), "%s", err);
    cr_assert(strstr(err, "127.0.0.1"), "%s", err);
    err[0] = '\0';
    char bad[1100];
    snprintf(bad, sizeof bad, "%s/no_such_database", base_uri());
    cr_assert_eq(nd_store_open(bad, err, sizeof err), -1);
    cr_assert(strstr(err, "no_such_database"), "%s", err);
    nd_db_close();
    /* Back on the test's own database, for teardown. */
    cr_assert_eq(nd_store_open(uri, err, sizeof err), 0, "%s", err);
}

/* Runs tools/pg-private.sh with args; its status. */
static int pg_private(const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sh tools/pg-private.sh %s > /dev/null", args);
    return system(cmd);
}

Test(db_pg, the_next_call_reconnects_after_the_server_restarts)
{
    /* A server of this test's own, so that restarting it disturbs no
     * other test. */
    char dir[64], cmd[128], own[256] = "";
    snprintf(dir, sizeof dir, "/tmp/nd-store-pg-%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "start %s", dir);
    cr_assert_eq(pg_private(cmd), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/uri", dir);
    FILE *f = fopen(path, "r");
    cr_assert(f && fgets(own, sizeof own, f));
    fclose(f);
    own[strcspn(own, "\n")] = '\0';
    char where[300], err[512];
    snprintf(where, sizeof where, "%s/postgres", own);
    nd_db_close();
    cr_assert_eq(nd_store_open(where, err, sizeof err), 0, "%s", err);
    nd_stmt *st = nd_prepare("SELECT CAST(? AS BIGINT) + 1");
    nd_bind_int64(st, 1, 41);
    cr_assert_eq(nd_step(st), ND_ROW);
    cr_assert_eq(nd_col_int64(st, 0), 42);
    snprintf(cmd, sizeof cmd, "restart %s", dir);
    int restarted = pg_private(cmd);
    /* The first call after the restart fails (the server went away)… */
    nd_reset(st);
    int first = nd_step(st);
    /* …and the next one reconnects and prepares the statement again. */
    nd_reset(st);
    int second = nd_step(st);
    int64_t v = second == ND_ROW ? nd_col_int64(st, 0) : 0;
    nd_finalize(st);
    nd_db_close();
    snprintf(cmd, sizeof cmd, "stop %s", dir);
    pg_private(cmd);
    cr_assert_eq(restarted, 0);
    cr_assert_eq(first, ND_ERR);
    cr_assert_eq(second, ND_ROW, "%s", nd_errmsg());
    cr_assert_eq(v, 42);
    cr_assert_eq(nd_store_open(uri, err, sizeof err), 0, "%s", err);
}
