/* quota.h — per-user limits (--quota-models, --quota-queued-jobs,
 * --quota-bytes): a user who is not an administrator may own at most so
 * many models, have at most so many jobs queued, and store at most so
 * many bytes. */
#ifndef ND_QUOTA_H
#define ND_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

/* Called before a route's handler (after nd_owner_gate): for a user who
 * is not an administrator, POST /v1/models and /v1/models/import past
 * --quota-models, and POST /v1/jobs past --quota-queued-jobs, are
 * refused with 429 naming the quota (nothing is stored). 0 is no quota.
 * Returns true to go on, false once it has replied. */
bool nd_quota_allows(nd_request *req);

/* The bytes a user stores, as --quota-bytes counts them: their datasets'
 * rows (the float32 inputs and targets as stored), their models' weights (the stored libnn
 * model: weights, normalisation, classes) and their jobs' checkpoints
 * (weights, optimizer state). Names, statistics, definitions and loss
 * histories are small beside those and are not counted. −1 when the
 * store cannot count. */
long long nd_quota_bytes_used(const char *user);

/* The bytes the caller may still store under --quota-bytes, into *left:
 * 0 for no limit (an administrator, or no quota), else at least 1. When
 * the caller is at or over the quota it replies 413 naming --quota-bytes
 * (503 when the store cannot count) and returns false. A dataset
 * upload or a new model past *left is refused by the store (413), which
 * removes what it had written. */
bool nd_quota_bytes_left(nd_request *req, uint64_t *left);

/* The detail of the 413 for a write of `what` ("the dataset") refused by
 * --quota-bytes: it would store more than left bytes, what the caller's
 * quota has left. */
void nd_quota_bytes_detail(char *out, size_t cap, const char *what,
                           uint64_t left);

#endif
