/* store.c — SQLite connections, migrations, IDs and timestamps. */
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "migrations.h"
#include "reserve.h"
#include "store.h"

static char db_path[1024];
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

/* Whether this thread's connection met a full disk (SQLITE_FULL) since
 * its last BEGIN: what nd_store_full answers. */
static _Thread_local bool saw_full;

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
        saw_full = true; /* the log is called on the failing thread */
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

sqlite3 *nd_db(void)
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

void nd_db_close(void)
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

int nd_store_open(const char *path, char *err, size_t errlen)
{
    if (strlen(path) >= sizeof db_path) {
        snprintf(err, errlen, "database path too long");
        return -1;
    }
    if (make_parent(path, err, errlen))
        return -1;
    pthread_once(&log_once, install_log);
    snprintf(db_path, sizeof db_path, "%s", path);
    sqlite3 *db = nd_db();
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

int nd_store_schema_version(void)
{
    sqlite3 *db = nd_db();
    return db ? user_version(db) : -1;
}

int nd_store_migrations(void)
{
    return nd_migration_count;
}

int nd_tx_begin(void)
{
    sqlite3 *db = nd_db();
    saw_full = false;
    return db && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
                     SQLITE_OK
               ? 0
               : -1;
}

int nd_tx_commit(void)
{
    sqlite3 *db = nd_db();
    if (!db)
        return -1;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    /* A commit fails past its statement (writing the WAL: a full disk,
     * an I/O error), where SQLite's error log does not look: counted and
     * logged here, as on_sqlite_log does for the rest. */
    int code = sqlite3_extended_errcode(db);
    saw_full |= (code & 0xff) == SQLITE_FULL;
    nd_metrics_sqlite_error();
    nd_log(ND_LOG_ERROR, "sqlite.error", sqlite3_errmsg(db),
           ND_LS("during", "commit"), ND_LI("code", code));
    nd_tx_rollback();
    return -1;
}

bool nd_store_full(void)
{
    return saw_full;
}

bool nd_store_retry_full(void)
{
    return saw_full && nd_reserve_release();
}

void nd_tx_rollback(void)
{
    sqlite3 *db = nd_db();
    if (db && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *nd_prepare(const char *sql)
{
    sqlite3 *db = nd_db();
    sqlite3_stmt *st = NULL;
    /* A failure was logged and counted: by nd_db, or by on_sqlite_log. */
    if (!db || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    return st;
}

static const char base32[] = "abcdefghijklmnopqrstuvwxyz234567";

void nd_new_id(char out[ND_ID_MAX], const char *prefix)
{
    unsigned char r[16];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    size_t p = (size_t)snprintf(out, ND_ID_MAX, "%s", prefix);
    unsigned acc = 0, bits = 0;
    for (size_t i = 0; i < sizeof r; i++) {
        acc = (acc << 8) | r[i];
        bits += 8;
        while (bits >= 5 && p + 1 < ND_ID_MAX) {
            out[p++] = base32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits && p + 1 < ND_ID_MAX)
        out[p++] = base32[(acc << (5 - bits)) & 31];
    out[p] = '\0';
}

bool nd_id_valid(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0 || strlen(s + n) != 26)
        return false;
    for (const char *c = s + n; *c; c++)
        if (!strchr(base32, *c))
            return false;
    return true;
}

void nd_now(char out[ND_TIME_MAX])
{
    /* Strictly increasing within the process, so that creation times order
     * lists without ties even for items made in the same microsecond. */
    static _Atomic long long last_us;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long us = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    long long prev = atomic_load(&last_us);
    do {
        if (us <= prev)
            us = prev + 1;
    } while (!atomic_compare_exchange_weak(&last_us, &prev, us));
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, ND_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, ND_TIME_MAX - n, ".%06lldZ", us % 1000000);
}
