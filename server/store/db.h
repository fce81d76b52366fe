/* db.h — the store's one interface to its database, and the backends
 * behind it.
 *
 * Every module of the store (datasets, models, jobs, history, users…)
 * speaks to the database only through the calls below: statements with
 * `?` parameters numbered from 1, rows read by column from 0,
 * transactions on this thread's connection. A backend is a struct of
 * function pointers (as SQLite's sqlite3_io_methods): db_sqlite.c
 * (embedded, the default) and db_pg.c (PostgreSQL, for a cluster). The
 * process opens one of them at start-up (nd_store_open) and every call
 * goes to it; callers never see which, except through nd_db_dialect()
 * where the SQL itself must differ.
 *
 * SQL written for both keeps to what both accept: `?` parameters, TEXT
 * and BIGINT columns, `CAST(? AS TEXT)` where a parameter's type cannot
 * be inferred from its place, `INSERT … ON CONFLICT … DO UPDATE`,
 * COALESCE, no rowid. */
#ifndef ND_DB_H
#define ND_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nd_stmt nd_stmt;

/* Results of nd_step (ND_ROW, ND_DONE, ND_ERR or ND_CONSTRAINT); binds
 * return ND_OK or ND_ERR. */
enum { ND_OK = 0, ND_ERR = 1, ND_ROW = 100, ND_DONE = 101 };
/* nd_step's failure when a UNIQUE, CHECK or foreign key constraint
 * refused the statement (SQLITE_CONSTRAINT, SQLSTATE class 23). */
enum { ND_CONSTRAINT = 19 };

typedef enum { ND_DIALECT_SQLITE, ND_DIALECT_POSTGRES } nd_dialect;

/* A backend. Each call acts on the calling thread's connection, which
 * the backend opens on first use and closes when the thread exits. */
typedef struct nd_db_backend {
    const char *name;
    nd_dialect dialect;
    /* Remembers where the database is, opens this thread's connection
     * and applies the migrations it lacks (each in its own transaction;
     * on PostgreSQL under an advisory lock, so that of several nodes
     * starting at once one migrates). 0, or −1 with a message in err. */
    int (*open)(const char *where, char *err, size_t errlen);
    void (*close_thread)(void);
    int (*schema_version)(void);
    int (*tx_begin)(void);
    int (*tx_commit)(void);
    void (*tx_rollback)(void);
    bool (*in_tx)(void);
    int (*exec)(const char *sql);
    nd_stmt *(*prepare)(const char *sql);
    int (*bind_text)(nd_stmt *st, int i, const char *s);
    int (*bind_int64)(nd_stmt *st, int i, int64_t v);
    int (*bind_double)(nd_stmt *st, int i, double v);
    int (*bind_blob)(nd_stmt *st, int i, const void *p, size_t n);
    int (*bind_null)(nd_stmt *st, int i);
    int (*step)(nd_stmt *st);
    int (*reset)(nd_stmt *st);
    void (*finalize)(nd_stmt *st);
    bool (*col_null)(nd_stmt *st, int col);
    int64_t (*col_int64)(nd_stmt *st, int col);
    double (*col_double)(nd_stmt *st, int col);
    const char *(*col_text)(nd_stmt *st, int col);
    const void *(*col_blob)(nd_stmt *st, int col);
    size_t (*col_bytes)(nd_stmt *st, int col);
    int64_t (*changes)(void);
    const char *(*errmsg)(void);
    /* Whether other processes may share this database (a cluster). */
    bool shared;
    /* Tells every process listening on channel (PostgreSQL's NOTIFY,
     * delivered when this thread's transaction commits, or at once
     * outside one); 0 or −1. NULL where the database is not shared:
     * one process fans its events out in memory. */
    int (*notify)(const char *channel, const char *payload);
    /* On a connection of the calling thread's own, LISTENs on channel
     * (from the first call) and waits up to timeout_ms for one
     * notification: 1 with its payload copied into payload (truncated to
     * len), 0 on timeout, −1 when the connection failed (the next call
     * reconnects). NULL where the database is not shared. */
    int (*wait_notify)(const char *channel, int timeout_ms, char *payload,
                       size_t len);
} nd_db_backend;

extern const nd_db_backend nd_db_sqlite;
extern const nd_db_backend nd_db_pg;

/* The backend nd_store_open chose (SQLite until then). */
const nd_db_backend *nd_db_current(void);
nd_dialect nd_db_dialect(void);
/* sqlite_sql or pg_sql, by the dialect in use: for the few statements
 * the two cannot share. */
const char *nd_sql(const char *sqlite_sql, const char *pg_sql);

/* Prepares sql on this thread's connection; NULL on failure (logged and
 * counted by the backend). The caller finalizes it. */
nd_stmt *nd_prepare(const char *sql);
/* Binds parameter i (from 1). A text is copied or must stay valid until
 * the statement is stepped or reset, as SQLITE_STATIC: callers keep it
 * alive; a NULL text binds SQL NULL. A blob must stay valid until the
 * statement is stepped or reset. */
int nd_bind_text(nd_stmt *st, int i, const char *s);
int nd_bind_int64(nd_stmt *st, int i, int64_t v);
int nd_bind_int(nd_stmt *st, int i, int v);
int nd_bind_double(nd_stmt *st, int i, double v);
int nd_bind_blob(nd_stmt *st, int i, const void *p, size_t n);
int nd_bind_null(nd_stmt *st, int i);
/* Runs the statement or moves to its next row: ND_ROW while a row is
 * there, ND_DONE at the end, ND_ERR on failure. */
int nd_step(nd_stmt *st);
/* Back to before the first step, bindings kept. */
int nd_reset(nd_stmt *st);
/* Frees st; NULL is a no-op. */
void nd_finalize(nd_stmt *st);

/* The current row's column col (from 0). A text or blob stays valid
 * until the next step, reset or finalize. An SQL NULL reads as 0, as a
 * NULL text or blob, and as 0 bytes. */
bool nd_col_null(nd_stmt *st, int col);
int64_t nd_col_int64(nd_stmt *st, int col);
int nd_col_int(nd_stmt *st, int col);
double nd_col_double(nd_stmt *st, int col);
const char *nd_col_text(nd_stmt *st, int col);
const void *nd_col_blob(nd_stmt *st, int col);
size_t nd_col_bytes(nd_stmt *st, int col);

/* Rows the last INSERT, UPDATE or DELETE on this thread changed. */
int64_t nd_changes(void);
/* This thread's connection's last error message (never NULL). */
const char *nd_errmsg(void);
/* Runs sql (one or more statements, no parameters); 0 or −1. */
int nd_exec(const char *sql);
/* Whether this thread's connection is inside a transaction. */
bool nd_in_tx(void);

/* Whether other processes may share the database (PostgreSQL: a
 * cluster); nd_notify and nd_wait_notify work only then (−1 otherwise). */
bool nd_db_shared(void);
int nd_notify(const char *channel, const char *payload);
int nd_wait_notify(const char *channel, int timeout_ms, char *payload,
                   size_t len);

/* For backends: this thread met a full disk (SQLITE_FULL, SQLSTATE
 * 53100). nd_db_full tells whether it did since nd_db_clear_full, which
 * store.c calls as each transaction begins (nd_store_full). */
void nd_db_saw_full(void);
bool nd_db_full(void);
void nd_db_clear_full(void);

/* For store.c: the backend every later call goes to. */
void nd_db_use(const nd_db_backend *b);

#endif
