/* harness_pg.c — the API suite on PostgreSQL (harness.h): a database of
 * its own per test server on the private server of tools/pg-private.sh. */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

bool api_on_postgres(void)
{
    const char *db = getenv("NEUROND_TEST_DB");
    return db && strcmp(db, "postgres") == 0;
}

/* Runs sql on the private server's maintenance database. */
static void pg_admin(const char *sql)
{
    const char *uri = getenv("NEUROND_TEST_PG_URI");
    cr_assert_not_null(uri, "NEUROND_TEST_DB=postgres needs "
                            "NEUROND_TEST_PG_URI (tools/pg-private.sh)");
    char where[600];
    snprintf(where, sizeof where, "%s/postgres", uri);
    PGconn *pg = PQconnectdb(where);
    cr_assert_eq(PQstatus(pg), CONNECTION_OK, "%s: %s", where,
                 PQerrorMessage(pg));
    PGresult *res = PQexec(pg, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s", sql,
                 PQerrorMessage(pg));
    PQclear(res);
    PQfinish(pg);
}

/* The database of s on the private server: named after its folder. */
static const char *pg_name(const api_server *s)
{
    return strrchr(s->dir, '/') + 1;
}

void api_pg_create(api_server *s)
{
    char sql[200];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", pg_name(s));
    pg_admin(sql);
    snprintf(s->db, sizeof s->db, "%s/%s", getenv("NEUROND_TEST_PG_URI"),
             pg_name(s));
}

void api_pg_drop(const api_server *s)
{
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
             pg_name(s));
    pg_admin(sql);
}
