/* admin.c — POST /v1/admin/backup (see admin.h).
 *
 * The copy comes back in the response rather than being written to a
 * path the client names: a client choosing where the server writes could
 * overwrite any file the server may write, and a copy left on the
 * server's disk is one more thing to find, rotate and protect. The client
 * keeps it where it likes (curl -o). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "backup.h"
#include "log.h"
#include "server.h"
#include "store.h"

/* Seconds a refused client is told to wait: about the time a copy of a
 * few hundred megabytes takes to reach a reader on a local network. */
#define BACKUP_RETRY_AFTER "10"

/* A copy being sent: its descriptor, and the server's count of copies
 * open, which the copy leaves when the reply is done with it. */
typedef struct {
    int fd;
    atomic_uint *open;
} copy_body;

/* The reply body, read from the copy's descriptor. */
static long copy_read(void *cls, char *buf, size_t max)
{
    copy_body *c = cls;
    ssize_t n;
    do
        n = read(c->fd, buf, max);
    while (n < 0 && errno == EINTR);
    return n > 0 ? (long)n : -1;
}

/* The reply is over (sent, or its client gone): the copy's space is freed
 * with its last descriptor, and its slot with it. */
static void copy_close(void *cls)
{
    copy_body *c = cls;
    close(c->fd);
    atomic_fetch_sub(c->open, 1);
    free(c);
}

/* Takes a slot among --max-backups; false (the count unchanged) when all
 * are held. Each slot is a whole temporary copy on the database's disk
 * until its reader has read it, so a few stalled readers could otherwise
 * fill that disk. */
static bool take_slot(nd_server *srv)
{
    unsigned held = atomic_fetch_add(&srv->backups_open, 1);
    if (held < srv->cfg.max_backups)
        return true;
    atomic_fetch_sub(&srv->backups_open, 1);
    return false;
}

void admin_backup(nd_request *req)
{
    nd_server *srv = req->srv;
    if (nd_store_is_postgres(srv->cfg.db)) {
        nd_reply_problem(req, 409, "the database is PostgreSQL: this route "
                                   "copies a SQLite file; back it up with "
                                   "pg_dump");
        return;
    }
    if (!take_slot(srv)) {
        nd_log(ND_LOG_WARN, "backup.refused", "all backup slots are held",
               ND_LI("max_backups", srv->cfg.max_backups),
               ND_LS("request_id", req->request_id));
        nd_reply_problem(req, 429, "%u backups are already being sent "
                                   "(--max-backups); retry when one is done",
                         srv->cfg.max_backups);
        nd_reply_header(req, "Retry-After", BACKUP_RETRY_AFTER);
        return;
    }
    char err[600];
    int fd = -1;
    nd_backup_stats st;
    copy_body *body = malloc(sizeof *body);
    if (!body || nd_backup_to_temp(srv->cfg.db, &fd, &st, err, sizeof err)) {
        if (!body)
            snprintf(err, sizeof err, "out of memory");
        free(body);
        atomic_fetch_sub(&srv->backups_open, 1);
        nd_logf(ND_LOG_ERROR, "backup.failed", "%s", err);
        nd_reply_problem(req, 500, "the backup failed: %s", err);
        return;
    }
    *body = (copy_body){fd, &srv->backups_open};
    nd_log(ND_LOG_INFO, "backup.sent", NULL, ND_LI("bytes", st.bytes),
           ND_LI("pages", st.pages), ND_LI("copy_ms", st.ms));
    char name[96], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(name, sizeof name, "attachment; filename=\"neurond-%s.db\"",
             stamp);
    nd_reply_stream(req, 200, "application/vnd.sqlite3",
                    (nd_body_source){copy_read, copy_close, body, st.bytes});
    nd_reply_header(req, "Content-Disposition", name);
}
