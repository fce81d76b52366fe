/* db_pg.h — what the files of the PostgreSQL backend (db_pg.c,
 * db_pg_stmt.c, db_pg_listen.c) share: this thread's connection, its
 * cache of prepared statements, and the error path every failed call
 * takes. Not for the rest of the store, which sees db.h only. */
#ifndef ND_DB_PG_H
#define ND_DB_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One statement prepared on a connection, named "nd<number>". */
typedef struct pg_prepared {
    char *sql;    /* the text the store wrote, with `?` placeholders */
    char name[16];
    int nparams;  /* the highest $n of the rewritten text */
} pg_prepared;

/* This thread's connection (pthread key, closed at thread exit). gen
 * counts reconnections: a statement prepared under an older one is
 * prepared again before it runs. */
typedef struct pg_conn {
    PGconn *pg;
    unsigned gen;
    pg_prepared *cache;
    int ncache, capcache, next_name;
    int64_t changes;
    char err[512];
    /* wait_notify's own connection and the channel it LISTENs on. */
    PGconn *listen;
    char channel[64];
} pg_conn;

/* The URI given to open (the store's --db). */
extern char nd_pg_uri[1024];

/* This thread's connection, opened (or opened again, after the server
 * went away) on first use; NULL with the reason in nd_pg_thread_err(). */
pg_conn *nd_pg_conn(void);
/* Where a connection-less failure's message goes (never NULL). */
const char *nd_pg_thread_err(void);
/* A new connection to nd_pg_uri, or NULL with the reason in err. */
PGconn *nd_pg_connect(char *err, size_t errlen);

/* Records res's failure on c: message kept for errmsg(), logged, counted
 * in /metrics, a full disk (SQLSTATE 53100) noted, and a lost connection
 * noticed so that the next call reconnects. Returns ND_CONSTRAINT for
 * SQLSTATE class 23, else ND_ERR. res may be NULL (out of memory, or the
 * connection gone). */
int nd_pg_failed(pg_conn *c, const PGresult *res, const char *during);

/* Keeps the rows an INSERT, UPDATE or DELETE of res changed as c's
 * changes(); other statements leave it, as on SQLite. */
void nd_pg_count_changes(pg_conn *c, const PGresult *res);

/* Runs sql (no parameters, one or more statements) on c; 0 or −1 (via
 * nd_pg_failed). */
int nd_pg_exec(pg_conn *c, const char *sql);

/* Rewrites the `?` and `?N` placeholders of sql (outside quoted strings,
 * quoted names and comments) to $N, as SQLite numbers them: `?N` is N,
 * a bare `?` one more than the highest so far. Returns a malloc'd string
 * and the highest number in *nparams, or NULL (out of memory). */
char *nd_pg_placeholders(const char *sql, int *nparams);

/* Drops c's prepared statements (after a reconnection: the server forgot
 * them). */
void nd_pg_cache_clear(pg_conn *c);
void nd_pg_listen_close(pg_conn *c);

/* db_pg_stmt.c: the statement calls of nd_db_backend. */
typedef struct nd_stmt nd_stmt;
nd_stmt *nd_pg_prepare(const char *sql);
int nd_pg_bind_text(nd_stmt *st, int i, const char *s);
int nd_pg_bind_int64(nd_stmt *st, int i, int64_t v);
int nd_pg_bind_double(nd_stmt *st, int i, double v);
int nd_pg_bind_blob(nd_stmt *st, int i, const void *p, size_t n);
int nd_pg_bind_null(nd_stmt *st, int i);
int nd_pg_step(nd_stmt *st);
int nd_pg_reset(nd_stmt *st);
void nd_pg_finalize(nd_stmt *st);
bool nd_pg_col_null(nd_stmt *st, int col);
int64_t nd_pg_col_int64(nd_stmt *st, int col);
double nd_pg_col_double(nd_stmt *st, int col);
const char *nd_pg_col_text(nd_stmt *st, int col);
const void *nd_pg_col_blob(nd_stmt *st, int col);
size_t nd_pg_col_bytes(nd_stmt *st, int col);

/* db_pg_listen.c: notify and wait_notify of nd_db_backend. */
int nd_pg_notify(const char *channel, const char *payload);
int nd_pg_wait_notify(const char *channel, int timeout_ms, char *payload,
                      size_t len);

#endif
