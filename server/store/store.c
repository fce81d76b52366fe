/* store.c — the store opened on its backend (db.h), transactions,
 * IDs and timestamps. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "db.h"
#include "migrations.h"
#include "reserve.h"
#include "store.h"

/* Which backend a --db value names: a libpq URI selects PostgreSQL,
 * anything else is the path of a SQLite file. */
bool nd_store_is_postgres(const char *where)
{
    return strncmp(where, "postgresql://", 13) == 0 ||
           strncmp(where, "postgres://", 11) == 0;
}

static const nd_db_backend *backend_for(const char *where)
{
    return nd_store_is_postgres(where) ? &nd_db_pg : &nd_db_sqlite;
}

int nd_store_open(const char *where, char *err, size_t errlen)
{
    const nd_db_backend *b = backend_for(where);
    nd_db_use(b);
    return b->open(where, err, errlen);
}

void nd_db_close(void)
{
    nd_db_current()->close_thread();
}

int nd_store_schema_version(void)
{
    return nd_db_current()->schema_version();
}

bool nd_store_ping(void)
{
    nd_stmt *st = nd_prepare("SELECT 1");
    bool ok = st && nd_step(st) == ND_ROW;
    nd_finalize(st);
    return ok;
}

int nd_store_migrations(void)
{
    return nd_db_dialect() == ND_DIALECT_POSTGRES ? nd_pg_migration_count
                                                  : nd_migration_count;
}

int nd_tx_begin(void)
{
    nd_db_clear_full();
    return nd_db_current()->tx_begin();
}

int nd_tx_commit(void)
{
    return nd_db_current()->tx_commit();
}

void nd_tx_rollback(void)
{
    nd_db_current()->tx_rollback();
}

bool nd_store_full(void)
{
    return nd_db_full();
}

bool nd_store_retry_full(void)
{
    return nd_db_full() && nd_reserve_release();
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
