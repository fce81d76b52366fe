/* db_pg_stmt.c — statements of the PostgreSQL backend (db_pg.c).
 *
 * The store's `?` placeholders are rewritten to $1…$n; each text is
 * prepared once per connection as a named statement (cached by its
 * text) and run with PQexecPrepared: texts, integers and doubles are
 * sent as text (PostgreSQL infers their types from where they stand),
 * blobs as binary bytea. Results come back whole (buffered), in binary,
 * so that a weight or dataset blob arrives as its bytes, not as hex
 * twice its size; columns are decoded by type OID. Stepping moves along
 * the buffered rows, so the store may run other statements meanwhile. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_pg.h"
#include "log.h"

/* Type OIDs (catalog/pg_type.h, stable across versions). */
enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_NAME = 19, OID_INT8 = 20,
    OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25, OID_JSON = 114,
    OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_UNKNOWN = 705,
    OID_BPCHAR = 1042, OID_VARCHAR = 1043, OID_NUMERIC = 1700,
    OID_JSONB = 3802
};

struct nd_stmt {
    pg_conn *c;
    unsigned gen;      /* c->gen when prepared */
    char *sql;
    char name[16];
    int n;             /* parameters */
    const char **vals;
    int *lens, *fmts;
    char (*num)[32];   /* text of bound numbers */
    PGresult *res;
    int row, rows;
    bool ran;
    char scratch[40];  /* col_text of a number */
};

char *nd_pg_placeholders(const char *sql, int *nparams)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 4 + 1); /* "?" becomes at most "$NNN" */
    if (!out)
        return NULL;
    char *o = out, quote = 0;
    int max = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0; /* a doubled quote reopens at once */
            *o++ = *p;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            *o++ = *p;
        } else if (p[0] == '-' && p[1] == '-') {
            size_t n = strcspn(p, "\n");
            memcpy(o, p, n);
            o += n;
            p += n - 1;
        } else if (*p == '?') {
            char *end;
            long v = strtol(p + 1, &end, 10);
            if (end == p + 1 || v <= 0 || v > 999)
                v = max + 1;
            if (v > max)
                max = (int)v;
            o += sprintf(o, "$%ld", v);
            p = end - 1;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    *nparams = max;
    return out;
}

void nd_pg_cache_clear(pg_conn *c)
{
    for (int i = 0; i < c->ncache; i++)
        free(c->cache[i].sql);
    c->ncache = 0;
}

/* sql's entry in c's cache, prepared on the server if new; NULL on
 * failure (recorded by nd_pg_failed). */
static const pg_prepared *prepared(pg_conn *c, const char *sql)
{
    for (int i = 0; i < c->ncache; i++)
        if (strcmp(c->cache[i].sql, sql) == 0)
            return &c->cache[i];
    if (c->ncache == c->capcache) {
        int cap = c->capcache ? c->capcache * 2 : 64;
        pg_prepared *g = realloc(c->cache, (size_t)cap * sizeof *g);
        if (!g)
            return NULL;
        c->cache = g;
        c->capcache = cap;
    }
    pg_prepared *e = &c->cache[c->ncache];
    char *text = nd_pg_placeholders(sql, &e->nparams);
    e->sql = strdup(sql);
    if (!text || !e->sql) {
        free(text);
        free(e->sql);
        return NULL;
    }
    snprintf(e->name, sizeof e->name, "nd%d", c->next_name++);
    PGresult *res = PQprepare(c->pg, e->name, text, 0, NULL);
    free(text);
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        nd_pg_failed(c, res, sql);
        free(e->sql);
    }
    PQclear(res);
    if (!ok)
        return NULL;
    c->ncache++;
    return e;
}

nd_stmt *nd_pg_prepare(const char *sql)
{
    pg_conn *c = nd_pg_conn();
    const pg_prepared *p = c ? prepared(c, sql) : NULL;
    if (!p)
        return NULL;
    nd_stmt *st = calloc(1, sizeof *st);
    size_t n = (size_t)p->nparams;
    if (st) {
        st->vals = calloc(n + 1, sizeof *st->vals);
        st->lens = calloc(n + 1, sizeof *st->lens);
        st->fmts = calloc(n + 1, sizeof *st->fmts);
        st->num = calloc(n + 1, sizeof *st->num);
        st->sql = strdup(sql);
    }
    if (!st || !st->vals || !st->lens || !st->fmts || !st->num || !st->sql) {
        nd_pg_finalize(st);
        return NULL;
    }
    st->c = c;
    st->gen = c->gen;
    st->n = p->nparams;
    snprintf(st->name, sizeof st->name, "%s", p->name);
    return st;
}

static int param(nd_stmt *st, int i, const char *v, int len, int fmt)
{
    if (i < 1 || i > st->n)
        return ND_ERR;
    st->vals[i - 1] = v;
    st->lens[i - 1] = len;
    st->fmts[i - 1] = fmt;
    return ND_OK;
}

int nd_pg_bind_text(nd_stmt *st, int i, const char *s)
{
    return param(st, i, s, 0, 0);
}

int nd_pg_bind_int64(nd_stmt *st, int i, int64_t v)
{
    if (i < 1 || i > st->n)
        return ND_ERR;
    snprintf(st->num[i - 1], sizeof st->num[0], "%" PRId64, v);
    return param(st, i, st->num[i - 1], 0, 0);
}

int nd_pg_bind_double(nd_stmt *st, int i, double v)
{
    if (i < 1 || i > st->n)
        return ND_ERR;
    /* %.17g round-trips a double; PostgreSQL reads NaN and Infinity. */
    if (isnan(v))
        snprintf(st->num[i - 1], sizeof st->num[0], "NaN");
    else if (isinf(v))
        snprintf(st->num[i - 1], sizeof st->num[0], "%sInfinity",
                 v < 0 ? "-" : "");
    else
        snprintf(st->num[i - 1], sizeof st->num[0], "%.17g", v);
    return param(st, i, st->num[i - 1], 0, 0);
}

int nd_pg_bind_blob(nd_stmt *st, int i, const void *p, size_t n)
{
    if (n > INT32_MAX)
        return ND_ERR;
    /* libpq sends a NULL value as SQL NULL: an empty blob needs a pointer. */
    return param(st, i, p ? p : "", (int)n, 1);
}

int nd_pg_bind_null(nd_stmt *st, int i)
{
    return param(st, i, NULL, 0, 0);
}

int nd_pg_reset(nd_stmt *st)
{
    PQclear(st->res);
    st->res = NULL;
    st->ran = false;
    st->row = st->rows = 0;
    return ND_OK;
}

void nd_pg_finalize(nd_stmt *st)
{
    if (!st)
        return;
    PQclear(st->res);
    free(st->vals);
    free(st->lens);
    free(st->fmts);
    free(st->num);
    free(st->sql);
    free(st);
}

/* Runs st (prepared again first if the connection was renewed). */
static int run(nd_stmt *st)
{
    pg_conn *c = nd_pg_conn();
    if (!c)
        return ND_ERR;
    if (st->gen != c->gen) {
        const pg_prepared *p = prepared(c, st->sql);
        if (!p)
            return ND_ERR;
        snprintf(st->name, sizeof st->name, "%s", p->name);
        st->gen = c->gen;
    }
    st->ran = true;
    st->res = PQexecPrepared(c->pg, st->name, st->n, st->vals, st->lens,
                             st->fmts, 1);
    ExecStatusType s = st->res ? PQresultStatus(st->res) : PGRES_FATAL_ERROR;
    if (s == PGRES_TUPLES_OK) {
        st->rows = PQntuples(st->res);
        st->row = 0;
        return st->rows ? ND_ROW : ND_DONE;
    }
    if (s == PGRES_COMMAND_OK) {
        nd_pg_count_changes(c, st->res);
        return ND_DONE;
    }
    int rc = nd_pg_failed(c, st->res, st->sql);
    PQclear(st->res);
    st->res = NULL;
    return rc;
}

int nd_pg_step(nd_stmt *st)
{
    if (!st->ran)
        return run(st);
    if (!st->res || st->row >= st->rows)
        return ND_DONE;
    return ++st->row < st->rows ? ND_ROW : ND_DONE;
}

/* Whether col of the current row is there (a row, a column in range). */
static bool have(nd_stmt *st, int col)
{
    return st->res && st->row < st->rows && col >= 0 &&
           col < PQnfields(st->res);
}

bool nd_pg_col_null(nd_stmt *st, int col)
{
    return !have(st, col) || PQgetisnull(st->res, st->row, col);
}

static uint64_t be(const char *v, int bytes)
{
    uint64_t x = 0;
    for (int i = 0; i < bytes; i++)
        x = (x << 8) | (unsigned char)v[i];
    return x;
}

/* A binary NUMERIC (sum() of a BIGINT) as a double. */
static double numeric(const char *v, int len)
{
    if (len < 8)
        return 0;
    int ndigits = (int16_t)be(v, 2), weight = (int16_t)be(v + 2, 2);
    unsigned sign = (unsigned)be(v + 4, 2);
    if (sign == 0xC000 || len < 8 + 2 * ndigits)
        return NAN;
    double x = 0;
    for (int i = 0; i < ndigits; i++)
        x += (double)be(v + 8 + 2 * i, 2) * pow(10000.0, weight - i);
    return sign == 0x4000 ? -x : x;
}

static void bad_type(nd_stmt *st, int col, Oid type)
{
    char msg[160];
    snprintf(msg, sizeof msg, "column %d has type OID %u, which neurond "
             "does not read", col, (unsigned)type);
    nd_log(ND_LOG_ERROR, "postgres.column_type", msg, ND_LS("sql", st->sql));
}

/* The number in col, in *i or *d as its type is whole or not; false for
 * a text or blob (read by the callers' own means). */
static bool number(nd_stmt *st, int col, int64_t *i, double *d, bool *whole)
{
    const char *v = PQgetvalue(st->res, st->row, col);
    int len = PQgetlength(st->res, st->row, col);
    Oid t = PQftype(st->res, col);
    uint64_t u;
    *whole = true;
    switch (t) {
    case OID_BOOL: *i = len && v[0]; return true;
    case OID_INT2: *i = (int16_t)be(v, 2); return true;
    case OID_INT4: *i = (int32_t)be(v, 4); return true;
    case OID_INT8: *i = (int64_t)be(v, 8); return true;
    case OID_FLOAT4: {
        uint32_t w = (uint32_t)be(v, 4);
        float f;
        memcpy(&f, &w, sizeof f);
        *d = f;
        *whole = false;
        return true;
    }
    case OID_FLOAT8:
        u = be(v, 8);
        memcpy(d, &u, sizeof *d);
        *whole = false;
        return true;
    case OID_NUMERIC: *d = numeric(v, len); *whole = false; return true;
    default: return false;
    }
}

static bool texty(Oid t)
{
    return t == OID_TEXT || t == OID_VARCHAR || t == OID_BPCHAR ||
           t == OID_NAME || t == OID_UNKNOWN || t == OID_JSON;
}

int64_t nd_pg_col_int64(nd_stmt *st, int col)
{
    if (nd_pg_col_null(st, col))
        return 0;
    int64_t i = 0;
    double d = 0;
    bool whole;
    if (number(st, col, &i, &d, &whole))
        return whole ? i : (int64_t)d;
    Oid t = PQftype(st->res, col);
    if (texty(t))
        return strtoll(PQgetvalue(st->res, st->row, col), NULL, 10);
    bad_type(st, col, t);
    return 0;
}

double nd_pg_col_double(nd_stmt *st, int col)
{
    if (nd_pg_col_null(st, col))
        return 0;
    int64_t i = 0;
    double d = 0;
    bool whole;
    if (number(st, col, &i, &d, &whole))
        return whole ? (double)i : d;
    Oid t = PQftype(st->res, col);
    if (texty(t))
        return strtod(PQgetvalue(st->res, st->row, col), NULL);
    bad_type(st, col, t);
    return 0;
}

const char *nd_pg_col_text(nd_stmt *st, int col)
{
    if (nd_pg_col_null(st, col))
        return NULL;
    Oid t = PQftype(st->res, col);
    /* libpq ends every value with a NUL, binary ones too. */
    if (texty(t) || t == OID_BYTEA)
        return PQgetvalue(st->res, st->row, col);
    if (t == OID_JSONB) /* binary jsonb: a version byte, then text */
        return PQgetvalue(st->res, st->row, col) + 1;
    int64_t i = 0;
    double d = 0;
    bool whole;
    if (!number(st, col, &i, &d, &whole)) {
        bad_type(st, col, t);
        return NULL;
    }
    if (whole)
        snprintf(st->scratch, sizeof st->scratch, "%" PRId64, i);
    else
        snprintf(st->scratch, sizeof st->scratch, "%.17g", d);
    return st->scratch;
}

const void *nd_pg_col_blob(nd_stmt *st, int col)
{
    if (nd_pg_col_null(st, col))
        return NULL;
    Oid t = PQftype(st->res, col);
    if (t == OID_BYTEA || texty(t))
        return PQgetvalue(st->res, st->row, col);
    bad_type(st, col, t);
    return NULL;
}

size_t nd_pg_col_bytes(nd_stmt *st, int col)
{
    if (nd_pg_col_null(st, col))
        return 0;
    const char *t = nd_pg_col_text(st, col);
    Oid type = PQftype(st->res, col);
    if (type == OID_BYTEA || texty(type))
        return (size_t)PQgetlength(st->res, st->row, col);
    return t ? strlen(t) : 0;
}
