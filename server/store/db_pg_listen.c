/* db_pg_listen.c — LISTEN/NOTIFY for the PostgreSQL backend (db_pg.c):
 * nodes tell each other of events. notify runs on the thread's ordinary
 * connection (so a notification sent inside a transaction leaves when it
 * commits); wait_notify LISTENs on a connection of the calling thread's
 * own, which does nothing else, and waits on its socket with poll(). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_pg.h"
#include "log.h"

int nd_pg_notify(const char *channel, const char *payload)
{
    nd_stmt *st = nd_pg_prepare("SELECT pg_notify(CAST(? AS TEXT), "
                                "CAST(? AS TEXT))");
    if (!st)
        return -1;
    nd_pg_bind_text(st, 1, channel);
    nd_pg_bind_text(st, 2, payload);
    int rc = nd_pg_step(st);
    nd_pg_finalize(st);
    return rc == ND_ROW ? 0 : -1;
}

void nd_pg_listen_close(pg_conn *c)
{
    PQfinish(c->listen);
    c->listen = NULL;
    c->channel[0] = '\0';
}

/* c->listen connected and LISTENing on channel; 0 or −1 (logged). */
static int listening(pg_conn *c, const char *channel)
{
    if (c->listen && PQstatus(c->listen) == CONNECTION_OK &&
        strcmp(c->channel, channel) == 0)
        return 0;
    nd_pg_listen_close(c);
    if (strlen(channel) >= sizeof c->channel)
        return -1;
    char err[512];
    c->listen = nd_pg_connect(err, sizeof err);
    if (!c->listen) {
        nd_log(ND_LOG_ERROR, "postgres.listen_failed", err);
        return -1;
    }
    char *name = PQescapeIdentifier(c->listen, channel, strlen(channel));
    char sql[200];
    snprintf(sql, sizeof sql, "LISTEN %s", name ? name : "\"\"");
    PQfreemem(name);
    PGresult *res = PQexec(c->listen, sql);
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        nd_log(ND_LOG_ERROR, "postgres.listen_failed",
               PQerrorMessage(c->listen), ND_LS("channel", channel));
    PQclear(res);
    if (!ok) {
        nd_pg_listen_close(c);
        return -1;
    }
    snprintf(c->channel, sizeof c->channel, "%s", channel);
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 with the next notification on channel copied out, 0 if none is
 * waiting. */
static int take(pg_conn *c, char *payload, size_t len)
{
    PGnotify *n;
    while ((n = PQnotifies(c->listen))) {
        bool ours = strcmp(n->relname, c->channel) == 0;
        if (ours && len)
            snprintf(payload, len, "%s", n->extra);
        PQfreemem(n);
        if (ours)
            return 1;
    }
    return 0;
}

int nd_pg_wait_notify(const char *channel, int timeout_ms, char *payload,
                      size_t len)
{
    pg_conn *c = nd_pg_conn();
    if (!c || listening(c, channel))
        return -1;
    long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        if (take(c, payload, len))
            return 1;
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = PQsocket(c->listen), .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0 && !PQconsumeInput(c->listen))
            break;
    }
    nd_log(ND_LOG_WARN, "postgres.listen_lost", PQerrorMessage(c->listen),
           ND_LS("channel", channel));
    nd_pg_listen_close(c);
    return -1;
}
