/* reserve.c — the room kept for deletions on a full disk (see reserve.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "reserve.h"

static char path[1100];
static atomic_bool held;

/* Whether the file at p exists with at least `bytes` allocated. */
static bool whole(const char *p, size_t bytes)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
           (size_t)sb.st_blocks * 512 >= bytes;
}

int nd_reserve_make(const char *db, size_t bytes, char *err, size_t errlen)
{
    if ((size_t)snprintf(path, sizeof path, "%s.reserve", db) >= sizeof path) {
        snprintf(err, errlen, "%s: path too long for its reserve", db);
        return -1;
    }
    if (bytes == 0) {
        unlink(path);
        return 0;
    }
    if (whole(path, bytes)) {
        atomic_store(&held, true);
        return 0;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    /* Blocks really allocated (not a sparse file): the room is taken now
     * and handed back whole by unlink. */
    int rc = posix_fallocate(fd, 0, (off_t)bytes);
    close(fd);
    if (rc == 0) {
        atomic_store(&held, true);
        return 0;
    }
    unlink(path);
    if (rc == ENOSPC)
        return 1;
    snprintf(err, errlen, "cannot allocate %s: %s", path, strerror(rc));
    return -1;
}

bool nd_reserve_release(void)
{
    if (!atomic_exchange(&held, false))
        return false;
    bool removed = unlink(path) == 0;
    nd_log(ND_LOG_WARN, "store.reserve_released",
           removed ? "the disk is full: the reserve beside the database was "
                     "removed so that a deletion can be written; free disk "
                     "space, and it is made again at the next start"
                   : "the disk is full and the reserve could not be removed",
           ND_LS("file", path));
    return removed;
}
