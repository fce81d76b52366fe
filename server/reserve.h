/* reserve.h — room kept on the database's disk so that deleting works when
 * the disk is full. In WAL mode a DELETE is written too (its pages go to
 * the -wal file first), so on a full disk it fails like any write and a
 * user could free nothing through the API. The reserve is a file beside
 * the database, "<db>.reserve", allocated at start-up; a DELETE that
 * meets a full disk removes it and tries once more, in the room it
 * leaves. It is made again at the next start when there is room. */
#ifndef ND_RESERVE_H
#define ND_RESERVE_H

#include <stdbool.h>
#include <stddef.h>

/* Makes (or keeps, when it is already whole) the reserve of `bytes` beside
 * the database at db; bytes 0 keeps none and removes an old one. Returns
 * 0, 1 when the disk has no room for it (then none is kept), or −1 with
 * a message in err. Called once, at start-up, before any request. */
int nd_reserve_make(const char *db, size_t bytes, char *err, size_t errlen);

/* Removes the reserve, freeing its room; true when there was one to
 * remove (the caller may retry the write that failed), false when it is
 * already gone. Safe from any thread; only the first caller wins. */
bool nd_reserve_release(void);

#endif
