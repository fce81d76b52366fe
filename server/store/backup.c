/* backup.c — online backups of the store (see backup.h).
 *
 * The source is read through a connection of its own that pins one
 * snapshot for the whole copy: a read transaction is opened before the
 * first step and held to the last. In WAL mode (the store's) a reader
 * never blocks writers, so training jobs and API calls commit as usual
 * while the copy runs, and the copy, stepped a few pages at a time, is
 * never restarted by their commits (an unpinned step-by-step backup
 * starts over after each one and may never finish under a busy job).
 * The pause between steps leaves the disk to those commits. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "backup.h"
#include "store.h"

#define STEP_PAGES 256 /* 1 MiB of 4 KiB pages a step */

static int remove_stale(const char *near, const char *infix);
#define PAUSE_MS 1
#define BUSY_MS 10000

/* Formats "what: SQLite's message" into err; returns −1. */
static int db_error(char *err, size_t errlen, const char *what, sqlite3 *db,
                    int rc)
{
    snprintf(err, errlen, "%s: %s", what,
             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return -1;
}

/* Opens the existing database at path (never creating one) and pins a
 * snapshot of it: a read transaction that stays open until the caller
 * closes the connection. Refuses a database without neurond's schema
 * (PRAGMA user_version 0). NULL with a message on failure. */
static sqlite3 *open_source(const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb)) {
        snprintf(err, errlen, "no database at %s: %s", path, strerror(errno));
        return NULL;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, BUSY_MS);
        rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st) == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(db);
    int version = rc == SQLITE_OK ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        db_error(err, errlen, path, db, rc);
    else if (version <= 0)
        snprintf(err, errlen, "%s is not a neurond database (no schema)",
                 path);
    if (rc != SQLITE_OK || version <= 0) {
        sqlite3_close_v2(db);
        return NULL;
    }
    return db;
}

/* Steps the backup b to its end; SQLITE_DONE, or the error. */
static int copy_pages(sqlite3_backup *b)
{
    int rc;
    while ((rc = sqlite3_backup_step(b, STEP_PAGES)) == SQLITE_OK)
        sqlite3_sleep(PAUSE_MS);
    return rc;
}

/* Copies the snapshot of src into the empty database file dst, then makes
 * dst a plain rollback-journal file (the source's WAL mode travels with
 * its header). Returns 0, or −1 with a message. */
static int copy_into(sqlite3 *src, const char *dst, nd_backup_stats *st,
                     char *err, size_t errlen)
{
    sqlite3 *out = NULL;
    int rc = sqlite3_open_v2(dst, &out,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        db_error(err, errlen, dst, out, rc);
        sqlite3_close_v2(out);
        return -1;
    }
    sqlite3_backup *b = sqlite3_backup_init(out, "main", src, "main");
    if (!b) {
        db_error(err, errlen, dst, out, rc);
        sqlite3_close_v2(out);
        return -1;
    }
    rc = copy_pages(b);
    st->pages = sqlite3_backup_pagecount(b);
    sqlite3_backup_finish(b);
    bool ok = rc == SQLITE_DONE;
    if (!ok)
        db_error(err, errlen, dst, NULL, rc);
    else if ((rc = sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL,
                                NULL)) != SQLITE_OK)
        ok = db_error(err, errlen, dst, out, rc) == 0;
    if (sqlite3_close(out) != SQLITE_OK && ok) {
        snprintf(err, errlen, "%s: cannot close the copy", dst);
        ok = false;
    }
    return ok ? 0 : -1;
}

/* Creates the empty file "<near><suffix>-XXXXXX" (mode 0600) and opens
 * it, locked (flock) for as long as it is open so that a sweep of
 * leftovers (remove_stale) knows it is in use; its name into path.
 * Returns the descriptor, or −1 with a message. */
static int make_temp(const char *near, const char *suffix, char *path,
                     size_t cap, char *err, size_t errlen)
{
    if ((size_t)snprintf(path, cap, "%s%s-XXXXXX", near, suffix) >= cap) {
        snprintf(err, errlen, "%s: path too long", near);
        return -1;
    }
    int fd = mkstemp(path);
    if (fd < 0)
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    else
        flock(fd, LOCK_EX | LOCK_NB); /* a new file: nobody else has it */
    return fd;
}

/* The whole copy of db into the file path (already created, fd open on
 * it), with st filled; 0 or −1 with a message. */
static int backup_into(const char *db, const char *path, int fd,
                       nd_backup_stats *st, char *err, size_t errlen)
{
    double start = nd_clock_ms();
    sqlite3 *src = open_source(db, err, errlen);
    if (!src)
        return -1;
    int rc = copy_into(src, path, st, err, errlen);
    sqlite3_close_v2(src);
    struct stat sb;
    if (rc == 0 && fstat(fd, &sb) == 0) {
        st->bytes = (size_t)sb.st_size;
        st->ms = (long)(nd_clock_ms() - start);
    }
    return rc;
}

/* Whether a and b name the same existing file. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* fsync of the folder holding path, so that a rename into it lasts. */
static int sync_parent(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* The backup copies a SQLite file with SQLite's online backup API; a
 * PostgreSQL store is backed up with PostgreSQL's own tools. */
static bool refused(const char *db, char *err, size_t errlen)
{
    if (!nd_store_is_postgres(db))
        return false;
    snprintf(err, errlen, "the database is PostgreSQL: neurond's backup "
                          "copies a SQLite file; back it up with pg_dump");
    return true;
}

int nd_backup_to_file(const char *db, const char *dst, nd_backup_stats *st,
                      char *err, size_t errlen)
{
    if (refused(db, err, errlen))
        return -1;
    nd_backup_stats dummy;
    st = st ? st : &dummy;
    if (same_file(db, dst)) {
        snprintf(err, errlen, "%s is the database itself", dst);
        return -1;
    }
    st->stale_removed = remove_stale(dst, ".tmp-");
    char tmp[4096];
    int fd = make_temp(dst, ".tmp", tmp, sizeof tmp, err, errlen);
    if (fd < 0)
        return -1;
    int rc = backup_into(db, tmp, fd, st, err, errlen);
    if (rc == 0 && fsync(fd)) {
        snprintf(err, errlen, "cannot sync %s: %s", tmp, strerror(errno));
        rc = -1;
    }
    close(fd);
    if (rc == 0 && (rename(tmp, dst) || sync_parent(dst))) {
        snprintf(err, errlen, "cannot move the copy to %s: %s", dst,
                 strerror(errno));
        rc = -1;
    }
    if (rc)
        unlink(tmp);
    return rc;
}

int nd_backup_to_temp(const char *db, int *fd, nd_backup_stats *st,
                      char *err, size_t errlen)
{
    if (refused(db, err, errlen))
        return -1;
    nd_backup_stats dummy;
    st = st ? st : &dummy;
    st->stale_removed = 0; /* swept at start-up instead */
    char tmp[4096];
    *fd = make_temp(db, ".backup", tmp, sizeof tmp, err, errlen);
    if (*fd < 0)
        return -1;
    int rc = backup_into(db, tmp, *fd, st, err, errlen);
    unlink(tmp);
    if (rc) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

/* Whether name is "<base><infix>XXXXXX" (mkstemp's six characters), or
 * that with SQLite's "-journal" after it (*journal tells which). */
static bool is_temp_name(const char *name, const char *base,
                         const char *infix, bool *journal)
{
    size_t n = strlen(base), m = strlen(infix);
    if (strncmp(name, base, n) || strncmp(name + n, infix, m))
        return false;
    const char *x = name + n + m;
    for (int i = 0; i < 6; i++)
        if (!isalnum((unsigned char)x[i]))
            return false;
    *journal = x[6] != '\0';
    return x[6] == '\0' || strcmp(x + 6, "-journal") == 0;
}

/* Whether another process holds the temporary copy `name` open now (its
 * flock, see make_temp). */
static bool in_use(int dir, const char *name)
{
    int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool busy = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return busy;
}

/* Removes the temporary copies "<near><infix>XXXXXX" (and their
 * journals) that a process killed during a copy left beside near; a copy
 * another process is still writing stays, and so does a journal whose
 * copy does. Returns how many files it removed. */
static int remove_stale(const char *near, const char *infix)
{
    char dir_buf[4096], base_buf[4096], main_name[512];
    snprintf(dir_buf, sizeof dir_buf, "%s", near);
    snprintf(base_buf, sizeof base_buf, "%s", near);
    const char *dir = dirname(dir_buf), *base = basename(base_buf);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    bool journal;
    while ((e = readdir(d))) {
        if (!is_temp_name(e->d_name, base, infix, &journal))
            continue;
        /* A journal goes with its copy: only once the copy is gone. */
        snprintf(main_name, sizeof main_name, "%.*s",
                 (int)(strlen(e->d_name) - (journal ? 8 : 0)), e->d_name);
        struct stat sb;
        bool stale = journal ? fstatat(dirfd(d), main_name, &sb, 0) != 0
                             : !in_use(dirfd(d), e->d_name);
        if (!stale)
            continue;
        removed += unlinkat(dirfd(d), e->d_name, 0) == 0;
        if (!journal) { /* its journal may come later in the listing, or
                           have been passed over before */
            char j[520];
            snprintf(j, sizeof j, "%s-journal", main_name);
            removed += unlinkat(dirfd(d), j, 0) == 0;
        }
    }
    closedir(d);
    return removed;
}

int nd_backup_remove_stale(const char *db)
{
    return nd_store_is_postgres(db) ? 0 : remove_stale(db, ".backup-");
}
