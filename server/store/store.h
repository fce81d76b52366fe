/* store.h — the SQLite store: one connection per thread, opened on first
 * use in WAL mode with foreign keys on and a busy timeout; migrations
 * applied at start-up; writers in BEGIN IMMEDIATE transactions; IDs and
 * timestamps. All SQL goes through prepared statements. */
#ifndef ND_STORE_H
#define ND_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

/* Opens (creating the file and its folder if missing) the database at
 * path, applies the migrations it lacks, each in its own transaction, and
 * remembers path for the per-thread connections. Returns 0, or −1 with a
 * message in err. */
int nd_store_open(const char *path, char *err, size_t errlen);

/* This thread's connection (opened on first use), or NULL if it cannot be
 * opened. It is closed when the thread exits. */
sqlite3 *nd_db(void);

/* Closes this thread's connection now (before the store is discarded). */
void nd_db_close(void);

/* The number of migrations the database has applied (PRAGMA user_version). */
int nd_store_schema_version(void);
/* The number of migrations this build carries. */
int nd_store_migrations(void);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK on this thread's connection; 0 or −1. */
int nd_tx_begin(void);
int nd_tx_commit(void);
void nd_tx_rollback(void);

/* Whether this thread's connection met a full disk (SQLITE_FULL) since
 * its last nd_tx_begin: a failed write's caller answers 507 then. */
bool nd_store_full(void);

/* After a failed deletion: when it failed on a full disk and the reserve
 * (reserve.h) was still there, removes the reserve and returns true, so
 * that the caller runs the deletion once more in the room it leaves. */
bool nd_store_retry_full(void);

/* Prepares sql on this thread's connection; NULL on failure. The caller
 * finalizes it. */
sqlite3_stmt *nd_prepare(const char *sql);

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
