/* db_pg.c — the PostgreSQL backend of db.h (libpq), for a cluster of
 * neurond processes sharing one database: --db postgresql://… .
 *
 * Connections: one per thread (pthread key, closed at thread exit),
 * opened on first use from the URI. When the server goes away (restarted,
 * connection cut) the failed call is logged and counted, the connection
 * is marked bad, and the next call opens a new one, with an empty cache
 * of prepared statements (db_pg_stmt.c).
 *
 * Transactions: the store was written for SQLite's BEGIN IMMEDIATE, one
 * writer at a time, so that a read then a write in one transaction (a
 * queue position, a quota, "no job running on this model") cannot race
 * another writer. tx_begin gives the same guarantee: BEGIN, then
 * pg_advisory_xact_lock on neurond's key, which every writer of every
 * node takes and the commit or rollback releases. Isolation stays READ
 * COMMITTED, whose snapshot is taken per statement, so every statement
 * after the lock sees what earlier writers committed; SERIALIZABLE would
 * instead make the store retry serialization failures it was not written
 * to retry. Readers outside transactions never wait for the lock.
 *
 * Migrations (migrations/postgres/, the same numbers as SQLite's) are
 * counted in the table neurond_schema(version) and applied under
 * pg_advisory_lock on a second key, each in its own transaction, so of
 * several nodes starting at once one migrates and the others then find
 * the schema current. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_pg.h"
#include "log.h"
#include "metrics.h"
#include "migrations.h"

/* "neurond" and "neurond migrations" as advisory lock keys. */
#define WRITER_KEY "7809911508206692"
#define MIGRATE_KEY "7809911508206693"

char nd_pg_uri[1024];
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local char thread_err[512];

static void free_conn(void *p)
{
    pg_conn *c = p;
    nd_pg_listen_close(c);
    nd_pg_cache_clear(c);
    free(c->cache);
    PQfinish(c->pg);
    free(c);
}

static void make_key(void)
{
    pthread_key_create(&conn_key, free_conn);
}

const char *nd_pg_thread_err(void)
{
    return thread_err[0] ? thread_err : "no database connection";
}

static void notice(void *arg, const char *msg)
{
    (void)arg;
    nd_log(ND_LOG_WARN, "postgres.notice", msg);
}

PGconn *nd_pg_connect(char *err, size_t errlen)
{
    PGconn *pg = PQconnectdb(nd_pg_uri);
    if (!pg) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s",
                 PQerrorMessage(pg));
        size_t n = strlen(err);
        while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
            err[--n] = '\0';
        PQfinish(pg);
        return NULL;
    }
    /* Notices (an IF NOT EXISTS that found the table) are not errors:
     * only warnings reach notice(), which logs them. */
    PQsetNoticeProcessor(pg, notice, NULL);
    PQclear(PQexec(pg, "SET client_min_messages = warning"));
    return pg;
}

/* Opens c->pg again after the server went away. */
static int reconnect(pg_conn *c)
{
    PQfinish(c->pg);
    c->pg = NULL;
    nd_pg_cache_clear(c);
    c->gen++;
    c->pg = nd_pg_connect(c->err, sizeof c->err);
    if (!c->pg) {
        nd_log(ND_LOG_ERROR, "store.reconnect_failed", c->err);
        snprintf(thread_err, sizeof thread_err, "%s", c->err);
        return -1;
    }
    nd_log(ND_LOG_WARN, "store.reconnected",
           "the connection to PostgreSQL was lost; opened a new one");
    return 0;
}

pg_conn *nd_pg_conn(void)
{
    pthread_once(&key_once, make_key);
    pg_conn *c = pthread_getspecific(conn_key);
    if (c) {
        /* A server that ended an idle connection (restarted, or
         * pg_terminate_backend) has said so on its socket: reading it now
         * marks the connection bad, so it is renewed before this call
         * rather than failing it. Never inside a transaction, whose
         * statements must not move to a new connection. */
        if (PQstatus(c->pg) == CONNECTION_OK &&
            PQtransactionStatus(c->pg) == PQTRANS_IDLE)
            PQconsumeInput(c->pg);
        if (PQstatus(c->pg) == CONNECTION_BAD && reconnect(c))
            return NULL;
        return c;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(thread_err, sizeof thread_err, "out of memory");
        return NULL;
    }
    c->pg = nd_pg_connect(thread_err, sizeof thread_err);
    if (!c->pg) {
        nd_log(ND_LOG_ERROR, "store.open_failed", thread_err);
        free(c);
        return NULL;
    }
    pthread_setspecific(conn_key, c);
    return c;
}

int nd_pg_failed(pg_conn *c, const PGresult *res, const char *during)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : "";
    if (!msg[0])
        msg = PQerrorMessage(c->pg);
    snprintf(c->err, sizeof c->err, "%s", msg[0] ? msg : "unknown error");
    size_t n = strlen(c->err);
    while (n && (c->err[n - 1] == '\n' || c->err[n - 1] == ' '))
        c->err[--n] = '\0';
    if (state && strcmp(state, "53100") == 0)
        nd_db_saw_full();
    bool constraint = state && strncmp(state, "23", 2) == 0;
    nd_metrics_sqlite_error();
    nd_log(constraint ? ND_LOG_WARN : ND_LOG_ERROR, "postgres.error", c->err,
           ND_LS("sqlstate", state ? state : ""), ND_LS("during", during));
    /* A lost server shows as CONNECTION_BAD: nd_pg_conn reconnects. */
    return constraint ? ND_CONSTRAINT : ND_ERR;
}

void nd_pg_count_changes(pg_conn *c, const PGresult *res)
{
    const char *n = PQcmdTuples((PGresult *)res);
    if (n[0])
        c->changes = strtoll(n, NULL, 10);
}

int nd_pg_exec(pg_conn *c, const char *sql)
{
    PGresult *res = PQexec(c->pg, sql);
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int rc = 0;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        nd_pg_failed(c, res, sql);
        rc = -1;
    } else {
        nd_pg_count_changes(c, res);
    }
    PQclear(res);
    return rc;
}

static int exec_sql(const char *sql)
{
    pg_conn *c = nd_pg_conn();
    return c ? nd_pg_exec(c, sql) : -1;
}

/* The single integer sql returns, or −1. */
static long long query_int(pg_conn *c, const char *sql)
{
    PGresult *res = PQexec(c->pg, sql);
    long long v = -1;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    else
        nd_pg_failed(c, res, sql);
    PQclear(res);
    return v;
}

/* Applies migration n (1-based) and records it, in one transaction. */
static int migrate(pg_conn *c, int n, char *err, size_t errlen)
{
    char bump[64];
    snprintf(bump, sizeof bump, "UPDATE neurond_schema SET version = %d", n);
    if (nd_pg_exec(c, "BEGIN") == 0 &&
        nd_pg_exec(c, nd_pg_migration_sql[n - 1]) == 0 &&
        nd_pg_exec(c, bump) == 0 && nd_pg_exec(c, "COMMIT") == 0)
        return 0;
    snprintf(err, errlen, "migration %s failed: %s",
             nd_pg_migration_name[n - 1], c->err);
    PQclear(PQexec(c->pg, "ROLLBACK"));
    return -1;
}

/* Under the migration lock: the schema table, then what it lacks. */
static int migrate_all(pg_conn *c, char *err, size_t errlen)
{
    if (nd_pg_exec(c, "CREATE TABLE IF NOT EXISTS neurond_schema "
                      "(version INTEGER NOT NULL); INSERT INTO neurond_schema "
                      "SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM "
                      "neurond_schema)")) {
        snprintf(err, errlen, "cannot create neurond_schema: %s", c->err);
        return -1;
    }
    long long have = query_int(c, "SELECT version FROM neurond_schema");
    if (have < 0 || have > nd_pg_migration_count) {
        snprintf(err, errlen,
                 "the database has schema version %lld; this neurond knows "
                 "up to %d", have, nd_pg_migration_count);
        return -1;
    }
    for (int n = (int)have + 1; n <= nd_pg_migration_count; n++) {
        if (migrate(c, n, err, errlen))
            return -1;
        nd_log(ND_LOG_INFO, "store.migrated", nd_pg_migration_name[n - 1],
               ND_LI("version", n));
    }
    return 0;
}

static int open_store(const char *uri, char *err, size_t errlen)
{
    if (strlen(uri) >= sizeof nd_pg_uri) {
        snprintf(err, errlen, "database URI too long");
        return -1;
    }
    snprintf(nd_pg_uri, sizeof nd_pg_uri, "%s", uri);
    pg_conn *c = nd_pg_conn();
    if (!c) {
        snprintf(err, errlen, "%s", nd_pg_thread_err());
        return -1;
    }
    if (nd_pg_exec(c, "SELECT pg_advisory_lock(" MIGRATE_KEY ")")) {
        snprintf(err, errlen, "cannot take the migration lock: %s", c->err);
        return -1;
    }
    int rc = migrate_all(c, err, errlen);
    nd_pg_exec(c, "SELECT pg_advisory_unlock(" MIGRATE_KEY ")");
    return rc;
}

static void close_thread(void)
{
    pthread_once(&key_once, make_key);
    pg_conn *c = pthread_getspecific(conn_key);
    if (c) {
        free_conn(c);
        pthread_setspecific(conn_key, NULL);
    }
}

static int schema_version(void)
{
    pg_conn *c = nd_pg_conn();
    return c ? (int)query_int(c, "SELECT version FROM neurond_schema") : -1;
}

static int tx_begin(void)
{
    pg_conn *c = nd_pg_conn();
    if (!c || nd_pg_exec(c, "BEGIN"))
        return -1;
    if (nd_pg_exec(c, "SELECT pg_advisory_xact_lock(" WRITER_KEY ")") == 0)
        return 0;
    PQclear(PQexec(c->pg, "ROLLBACK"));
    return -1;
}

static bool in_tx(void)
{
    pg_conn *c = nd_pg_conn();
    return c && PQtransactionStatus(c->pg) != PQTRANS_IDLE;
}

static void tx_rollback(void)
{
    pg_conn *c = nd_pg_conn();
    if (c && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "ROLLBACK"));
}

static int tx_commit(void)
{
    pg_conn *c = nd_pg_conn();
    if (!c)
        return -1;
    /* COMMIT of a transaction that met an error answers ROLLBACK without
     * an error: that is a failure too. */
    PGresult *res = PQexec(c->pg, "COMMIT");
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK &&
              strcmp(PQcmdStatus(res), "COMMIT") == 0;
    if (!ok) {
        if (res && PQresultStatus(res) == PGRES_COMMAND_OK)
            snprintf(c->err, sizeof c->err, "the transaction was rolled "
                     "back: an earlier statement in it failed");
        else
            nd_pg_failed(c, res, "commit");
        tx_rollback();
    }
    PQclear(res);
    return ok ? 0 : -1;
}

static int64_t changes(void)
{
    pg_conn *c = nd_pg_conn();
    return c ? c->changes : 0;
}

static const char *errmsg(void)
{
    pg_conn *c = nd_pg_conn();
    return c ? c->err : nd_pg_thread_err();
}

const nd_db_backend nd_db_pg = {
    .name = "postgresql",
    .dialect = ND_DIALECT_POSTGRES,
    .open = open_store,
    .close_thread = close_thread,
    .schema_version = schema_version,
    .tx_begin = tx_begin,
    .tx_commit = tx_commit,
    .tx_rollback = tx_rollback,
    .in_tx = in_tx,
    .exec = exec_sql,
    .prepare = nd_pg_prepare,
    .bind_text = nd_pg_bind_text,
    .bind_int64 = nd_pg_bind_int64,
    .bind_double = nd_pg_bind_double,
    .bind_blob = nd_pg_bind_blob,
    .bind_null = nd_pg_bind_null,
    .step = nd_pg_step,
    .reset = nd_pg_reset,
    .finalize = nd_pg_finalize,
    .col_null = nd_pg_col_null,
    .col_int64 = nd_pg_col_int64,
    .col_double = nd_pg_col_double,
    .col_text = nd_pg_col_text,
    .col_blob = nd_pg_col_blob,
    .col_bytes = nd_pg_col_bytes,
    .changes = changes,
    .errmsg = errmsg,
    .shared = true,
    .notify = nd_pg_notify,
    .wait_notify = nd_pg_wait_notify,
};
