/* quota.h — per-user limits (--quota-models, --quota-queued-jobs): a
 * user who is not an administrator may own at most so many models and
 * have at most so many jobs queued. */
#ifndef ND_QUOTA_H
#define ND_QUOTA_H

#include <stdbool.h>

#include "http.h"

/* Called before a route's handler (after nd_owner_gate): for a user who
 * is not an administrator, POST /v1/models and /v1/models/import past
 * --quota-models, and POST /v1/jobs past --quota-queued-jobs, are
 * refused with 429 naming the quota (nothing is stored). 0 is no quota.
 * Returns true to go on, false once it has replied. */
bool nd_quota_allows(nd_request *req);

#endif
