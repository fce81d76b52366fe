/* db_sqlite.c — the embedded backend of db.h: one SQLite connection per
 * thread, opened on first use in WAL mode with foreign keys on and a busy
 * timeout; migrations (migrations/sqlite/) counted in PRAGMA user_version;
 * writers in BEGIN IMMEDIATE. An nd_stmt is a sqlite3_stmt. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "log.h"
#include "metrics.h"
#include "migrations.h"

static char db_path[1024];
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

#define ST(s) ((sqlite3_stmt *)(s))

/* SQLite's error log (SQLITE_CONFIG_LOG): every error any statement on
 * any connection meets comes here, so this is where they are counted for
 * /metrics and logged. Notices (a WAL recovered) and warnings are logged
 * only; SQLITE_SCHEMA is retried by SQLite itself. It must not call
 * SQLite. */
static void on_sqlite_log(void *arg, int code, const char *msg)
{
    (void)arg;
    int primary = code & 0xff;
    if (primary == SQLITE_SCHEMA)
        return;
    bool error = primary != SQLITE_NOTICE && primary != SQLITE_WARNING;
    if (primary == SQLITE_FULL)
        nd_db_saw_full(); /* the log is called on the failing thread */
    if (error)
        nd_metrics_sqlite_error();
    nd_log(error ? ND_LOG_ERROR : ND_LOG_WARN,
           error ? "sqlite.error" : "sqlite.notice", msg, ND_LI("code", code));
}

/* Before SQLite initialises, as SQLITE_CONFIG_LOG requires. */
static void install_log(void)
{
    sqlite3_config(SQLITE_CONFIG_LOG, on_sqlite_log, NULL);
}

static void close_conn(void *db)
{
    sqlite3_close_v2(db);
}

static void make_key(void)
{
    pthread_key_create(&conn_key, close_conn);
}

static sqlite3 *open_conn(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close_v2(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    char *msg = NULL;
    rc = sqlite3_exec(db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                      "PRAGMA foreign_keys=ON; PRAGMA secure_delete=FAST;",
                      NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_close_v2(db);
        return NULL;
    }
    return db;
}

/* This thread's connection (opened on first use), or NULL. */
static sqlite3 *conn(void)
{
    pthread_once(&key_once, make_key);
    sqlite3 *db = pthread_getspecific(conn_key);
    if (db)
        return db;
    char err[1400];
    db = open_conn(db_path, err, sizeof err);
    if (db)
        pthread_setspecific(conn_key, db);
    else
        nd_log(ND_LOG_ERROR, "store.open_failed", err, ND_LS("db", db_path));
    return db;
}

static void close_thread(void)
{
    pthread_once(&key_once, make_key);
    sqlite3 *db = pthread_getspecific(conn_key);
    if (db) {
        sqlite3_close_v2(db);
        pthread_setspecific(conn_key, NULL);
    }
}

/* mkdir -p of the folder that will hold path. */
static int make_parent(const char *path, char *err, size_t errlen)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(dir, 0755) && errno != EEXIST)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
    return -1;
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Applies migration n (1-based) and sets user_version to n, atomically. */
static int migrate(sqlite3 *db, int n, char *err, size_t errlen)
{
    char *msg = NULL, bump[64];
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", n);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) == SQLITE_OK &&
        sqlite3_exec(db, nd_migration_sql[n - 1], NULL, NULL, &msg) ==
            SQLITE_OK &&
        sqlite3_exec(db, bump, NULL, NULL, &msg) == SQLITE_OK &&
        sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(err, errlen, "migration %s failed: %s", nd_migration_name[n - 1],
             msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int open_store(const char *path, char *err, size_t errlen)
{
    if (strlen(path) >= sizeof db_path) {
        snprintf(err, errlen, "database path too long");
        return -1;
    }
    if (make_parent(path, err, errlen))
        return -1;
    pthread_once(&log_once, install_log);
    snprintf(db_path, sizeof db_path, "%s", path);
    sqlite3 *db = conn();
    if (!db) {
        snprintf(err, errlen, "cannot open %s", path);
        return -1;
    }
    int have = user_version(db);
    if (have < 0 || have > nd_migration_count) {
        snprintf(err, errlen,
                 "%s has schema version %d; this neurond knows up to %d",
                 path, have, nd_migration_count);
        return -1;
    }
    for (int n = have + 1; n <= nd_migration_count; n++)
        if (migrate(db, n, err, errlen))
            return -1;
    return 0;
}

static int schema_version(void)
{
    sqlite3 *db = conn();
    return db ? user_version(db) : -1;
}

static int exec_sql(const char *sql)
{
    sqlite3 *db = conn();
    return db && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int tx_begin(void)
{
    return exec_sql("BEGIN IMMEDIATE");
}

static void tx_rollback(void)
{
    sqlite3 *db = conn();
    if (db && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static int tx_commit(void)
{
    sqlite3 *db = conn();
    if (!db)
        return -1;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    /* A commit fails past its statement (writing the WAL: a full disk,
     * an I/O error), where SQLite's error log does not look: counted and
     * logged here, as on_sqlite_log does for the rest. */
    int code = sqlite3_extended_errcode(db);
    if ((code & 0xff) == SQLITE_FULL)
        nd_db_saw_full();
    nd_metrics_sqlite_error();
    nd_log(ND_LOG_ERROR, "sqlite.error", sqlite3_errmsg(db),
           ND_LS("during", "commit"), ND_LI("code", code));
    tx_rollback();
    return -1;
}

static bool in_tx(void)
{
    sqlite3 *db = conn();
    return db && !sqlite3_get_autocommit(db);
}

static nd_stmt *prepare(const char *sql)
{
    sqlite3 *db = conn();
    sqlite3_stmt *st = NULL;
    /* A failure was logged and counted: by conn, or by on_sqlite_log. */
    if (!db || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    return (nd_stmt *)st;
}

static int ok(int rc)
{
    return rc == SQLITE_OK ? ND_OK : ND_ERR;
}

static int bind_text(nd_stmt *st, int i, const char *s)
{
    return ok(s ? sqlite3_bind_text(ST(st), i, s, -1, SQLITE_STATIC)
                : sqlite3_bind_null(ST(st), i));
}

static int bind_int64(nd_stmt *st, int i, int64_t v)
{
    return ok(sqlite3_bind_int64(ST(st), i, v));
}

static int bind_double(nd_stmt *st, int i, double v)
{
    return ok(sqlite3_bind_double(ST(st), i, v));
}

static int bind_blob(nd_stmt *st, int i, const void *p, size_t n)
{
    return ok(sqlite3_bind_blob64(ST(st), i, p, n, SQLITE_STATIC));
}

static int bind_null(nd_stmt *st, int i)
{
    return ok(sqlite3_bind_null(ST(st), i));
}

static int step(nd_stmt *st)
{
    int rc = sqlite3_step(ST(st));
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc == SQLITE_ROW ? ND_ROW : ND_DONE;
    return (rc & 0xff) == SQLITE_CONSTRAINT ? ND_CONSTRAINT : ND_ERR;
}

static int reset(nd_stmt *st)
{
    return ok(sqlite3_reset(ST(st)));
}

static void finalize(nd_stmt *st)
{
    sqlite3_finalize(ST(st));
}

static bool col_null(nd_stmt *st, int col)
{
    return sqlite3_column_type(ST(st), col) == SQLITE_NULL;
}

static int64_t col_int64(nd_stmt *st, int col)
{
    return sqlite3_column_int64(ST(st), col);
}

static double col_double(nd_stmt *st, int col)
{
    return sqlite3_column_double(ST(st), col);
}

static const char *col_text(nd_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(ST(st), col);
}

static const void *col_blob(nd_stmt *st, int col)
{
    return sqlite3_column_blob(ST(st), col);
}

static size_t col_bytes(nd_stmt *st, int col)
{
    return (size_t)sqlite3_column_bytes(ST(st), col);
}

static int64_t changes(void)
{
    sqlite3 *db = conn();
    return db ? sqlite3_changes(db) : 0;
}

static const char *errmsg(void)
{
    sqlite3 *db = conn();
    return db ? sqlite3_errmsg(db) : "no database connection";
}

const nd_db_backend nd_db_sqlite = {
    .name = "sqlite",
    .dialect = ND_DIALECT_SQLITE,
    .open = open_store,
    .close_thread = close_thread,
    .schema_version = schema_version,
    .tx_begin = tx_begin,
    .tx_commit = tx_commit,
    .tx_rollback = tx_rollback,
    .in_tx = in_tx,
    .exec = exec_sql,
    .prepare = prepare,
    .bind_text = bind_text,
    .bind_int64 = bind_int64,
    .bind_double = bind_double,
    .bind_blob = bind_blob,
    .bind_null = bind_null,
    .step = step,
    .reset = reset,
    .finalize = finalize,
    .col_null = col_null,
    .col_int64 = col_int64,
    .col_double = col_double,
    .col_text = col_text,
    .col_blob = col_blob,
    .col_bytes = col_bytes,
    .changes = changes,
    .errmsg = errmsg,
    .shared = false,
};
