/* db.c — the calls of db.h, each passed to the backend in use. */
#include "db.h"

static const nd_db_backend *backend = &nd_db_sqlite;
static _Thread_local bool saw_full;

const nd_db_backend *nd_db_current(void)
{
    return backend;
}

void nd_db_use(const nd_db_backend *b)
{
    backend = b;
}

nd_dialect nd_db_dialect(void)
{
    return backend->dialect;
}

const char *nd_sql(const char *sqlite_sql, const char *pg_sql)
{
    return backend->dialect == ND_DIALECT_POSTGRES ? pg_sql : sqlite_sql;
}

void nd_db_saw_full(void)
{
    saw_full = true;
}

bool nd_db_full(void)
{
    return saw_full;
}

void nd_db_clear_full(void)
{
    saw_full = false;
}

nd_stmt *nd_prepare(const char *sql)
{
    return backend->prepare(sql);
}

int nd_bind_text(nd_stmt *st, int i, const char *s)
{
    return backend->bind_text(st, i, s);
}

int nd_bind_int64(nd_stmt *st, int i, int64_t v)
{
    return backend->bind_int64(st, i, v);
}

int nd_bind_int(nd_stmt *st, int i, int v)
{
    return backend->bind_int64(st, i, v);
}

int nd_bind_double(nd_stmt *st, int i, double v)
{
    return backend->bind_double(st, i, v);
}

int nd_bind_blob(nd_stmt *st, int i, const void *p, size_t n)
{
    return backend->bind_blob(st, i, p, n);
}

int nd_bind_null(nd_stmt *st, int i)
{
    return backend->bind_null(st, i);
}

int nd_step(nd_stmt *st)
{
    return backend->step(st);
}

int nd_reset(nd_stmt *st)
{
    return backend->reset(st);
}

void nd_finalize(nd_stmt *st)
{
    if (st)
        backend->finalize(st);
}

bool nd_col_null(nd_stmt *st, int col)
{
    return backend->col_null(st, col);
}

int64_t nd_col_int64(nd_stmt *st, int col)
{
    return backend->col_int64(st, col);
}

int nd_col_int(nd_stmt *st, int col)
{
    return (int)backend->col_int64(st, col);
}

double nd_col_double(nd_stmt *st, int col)
{
    return backend->col_double(st, col);
}

const char *nd_col_text(nd_stmt *st, int col)
{
    return backend->col_text(st, col);
}

const void *nd_col_blob(nd_stmt *st, int col)
{
    return backend->col_blob(st, col);
}

size_t nd_col_bytes(nd_stmt *st, int col)
{
    return backend->col_bytes(st, col);
}

int64_t nd_changes(void)
{
    return backend->changes();
}

const char *nd_errmsg(void)
{
    return backend->errmsg();
}

int nd_exec(const char *sql)
{
    return backend->exec(sql);
}

bool nd_in_tx(void)
{
    return backend->in_tx();
}

bool nd_db_shared(void)
{
    return backend->shared;
}

int nd_notify(const char *channel, const char *payload)
{
    return backend->notify ? backend->notify(channel, payload) : -1;
}

int nd_wait_notify(const char *channel, int timeout_ms, char *payload,
                   size_t len)
{
    return backend->wait_notify
               ? backend->wait_notify(channel, timeout_ms, payload, len)
               : -1;
}
