/* admin.c — POST /v1/admin/backup (see admin.h).
 *
 * The copy comes back in the response rather than being written to a
 * path the client names: a client choosing where the server writes could
 * overwrite any file the server may write, and a copy left on the
 * server's disk is one more thing to find, rotate and protect. The client
 * keeps it where it likes (curl -o). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "backup.h"
#include "log.h"
#include "server.h"

/* The reply body, read from the copy's descriptor (carried in cls). */
static long copy_read(void *cls, char *buf, size_t max)
{
    int fd = (int)(intptr_t)cls;
    ssize_t n;
    do
        n = read(fd, buf, max);
    while (n < 0 && errno == EINTR);
    return n > 0 ? (long)n : -1;
}

static void copy_close(void *cls)
{
    close((int)(intptr_t)cls);
}

void admin_backup(nd_request *req)
{
    char err[600];
    int fd;
    nd_backup_stats st;
    if (nd_backup_to_temp(req->srv->cfg.db, &fd, &st, err, sizeof err)) {
        nd_logf(ND_LOG_ERROR, "backup.failed", "%s", err);
        nd_reply_problem(req, 500, "the backup failed: %s", err);
        return;
    }
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
                    (nd_body_source){copy_read, copy_close,
                                     (void *)(intptr_t)fd, st.bytes});
    nd_reply_header(req, "Content-Disposition", name);
}
