/* admin.h — administrative routes: an online backup of the store. */
#ifndef ND_ADMIN_H
#define ND_ADMIN_H

#include "http.h"

/* POST /v1/admin/backup: a consistent copy of the database, taken while
 * the server runs, streamed back as application/vnd.sqlite3 (with its
 * Content-Length and a Content-Disposition file name). The copy is made
 * in a temporary file next to the database, unlinked before the first
 * byte is sent; 500 with the reason when it cannot be made. At most
 * --max-backups copies are held at once (each until its reader has read
 * it or gone): past that, 429 with Retry-After. */
void admin_backup(nd_request *req);

#endif
