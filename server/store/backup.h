/* backup.h — consistent copies of a neurond database while a server runs
 * on it, with SQLite's online backup API: `neurond backup FILE` writes
 * one to a file, POST /v1/admin/backup streams one to the client. */
#ifndef ND_BACKUP_H
#define ND_BACKUP_H

#include <stddef.h>

typedef struct {
    size_t bytes; /* size of the copy */
    int pages;    /* database pages copied */
    long ms;      /* wall time of the copy */
    int stale_removed; /* leftovers of killed copies removed first (file) */
} nd_backup_stats;

/* Copies the neurond database at db (which must exist and have a schema)
 * into a new file next to dst, then renames it over dst, so that dst is
 * either the whole copy or left as it was. The copy is one snapshot of db
 * taken at the start; writers go on meanwhile. It is a self-contained
 * file (rollback journal, no -wal), mode 0600. Refuses dst when it is db
 * itself. First removes what a copy to dst killed midway left
 * ("<dst>.tmp-XXXXXX" and its journal; not a copy another process is
 * still writing). Returns 0 with *st filled (st may be NULL), or −1 with
 * a message in err and nothing left behind. */
int nd_backup_to_file(const char *db, const char *dst, nd_backup_stats *st,
                      char *err, size_t errlen);

/* As nd_backup_to_file, into a temporary file next to db that is unlinked
 * before returning: *fd is open on the copy at offset 0, for the caller
 * to read and close (the space is freed when it closes). Returns 0, or −1
 * with a message in err. */
int nd_backup_to_temp(const char *db, int *fd, nd_backup_stats *st,
                      char *err, size_t errlen);

/* Removes the temporary copies nd_backup_to_temp leaves next to db when
 * the process dies during a copy ("<db>.backup-XXXXXX" and its journal).
 * Called at start-up, before any backup can run. Returns how many files
 * it removed. */
int nd_backup_remove_stale(const char *db);

#endif
