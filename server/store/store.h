/* store.h — the store: opened on one backend (db.h: SQLite by default),
 * one connection per thread, migrations applied at start-up, writers in
 * transactions; IDs and timestamps. All SQL goes through prepared
 * statements (db.h). */
#ifndef ND_STORE_H
#define ND_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* Whether where (a --db value) names a PostgreSQL database: a libpq URI,
 * postgresql://… or postgres://… . Anything else is a SQLite file. */
bool nd_store_is_postgres(const char *where);

/* Opens the database where names (a SQLite file, created with its folder
 * if missing, or a PostgreSQL URI), applies the migrations it lacks, each in its own
 * transaction, and remembers where for the per-thread connections, which
 * open on first use and close when their thread exits. Returns 0, or −1
 * with a message in err. */
int nd_store_open(const char *where, char *err, size_t errlen);

/* Closes this thread's connection now (before the store is discarded). */
void nd_db_close(void);

/* The number of migrations the database has applied. */
int nd_store_schema_version(void);
/* Whether the database answers a query now, on this thread's connection
 * (for /readyz: false while PostgreSQL is unreachable). */
bool nd_store_ping(void);
/* The number of migrations this build carries. */
int nd_store_migrations(void);

/* Begins (as the only writer: BEGIN IMMEDIATE on SQLite), commits or
 * rolls back a transaction on this thread's connection; 0 or −1. */
int nd_tx_begin(void);
int nd_tx_commit(void);
void nd_tx_rollback(void);

/* Whether this thread's connection met a full disk since
 * its last nd_tx_begin: a failed write's caller answers 507 then. */
bool nd_store_full(void);

/* After a failed deletion: when it failed on a full disk and the reserve
 * (reserve.h) was still there, removes the reserve and returns true, so
 * that the caller runs the deletion once more in the room it leaves. */
bool nd_store_retry_full(void);

/* A new unguessable ID: prefix then 26 characters of base32 from 128
 * random bits (e.g. "ds_…"). out needs ND_ID_MAX bytes. */
#define ND_ID_MAX 40
void nd_new_id(char out[ND_ID_MAX], const char *prefix);

/* Whether s looks like an ID of ours with that prefix (to answer a
 * malformed one with 404 without a query). */
bool nd_id_valid(const char *s, const char *prefix);

/* The current time as RFC 3339 UTC with microseconds, strictly later
 * than any earlier call in this process. */
#define ND_TIME_MAX 32
void nd_now(char out[ND_TIME_MAX]);

#endif
