/* workers.h — the pool of threads that train jobs: each claims the oldest
 * queued job from the store (no job is claimed twice), trains it with
 * libnn, writes one history row per epoch and checkpoints, and honours
 * cancel requests within an epoch. */
#ifndef ND_WORKERS_H
#define ND_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct nd_server;
typedef struct nd_workers nd_workers;

/* A job interrupted this many times (a crash, a restart, a lost lease)
 * fails instead of resuming. */
#define ND_MAX_ATTEMPTS 3

/* Requeues jobs a crash left running (or fails those past their attempts)
 * and starts n worker threads. Returns NULL on failure. */
nd_workers *nd_workers_start(struct nd_server *srv, unsigned n);

/* Wakes a worker: a job was queued (here, and in a cluster on every
 * node, through the store's notifications). */
void nd_workers_notify(nd_workers *w);

/* Wakes a worker of this node only (a notification from another). */
void nd_workers_wake(nd_workers *w);

/* What nd_workers_flag raises. */
typedef enum { ND_FLAG_CANCEL, ND_FLAG_PAUSE, ND_FLAG_LOST } nd_worker_flag;

/* Raises a flag of the worker of this node training job_id (under that
 * claim's token, unless token is 0): cancel or pause after the epoch, or
 * lost — stop now and write nothing more. True if one was found. */
bool nd_workers_flag(nd_workers *w, const char *job_id, int64_t token,
                     nd_worker_flag what);

/* A job a worker of this node holds: its id and the claim's token. */
typedef struct {
    char job[ND_ID_MAX];
    int64_t token;
} nd_held;

/* Copies up to cap of the jobs this node's workers train into out (for
 * the lease keeper); returns how many. */
size_t nd_workers_held(nd_workers *w, nd_held *out, size_t cap);

/* Asks the worker training job_id (if any) to stop after its current
 * epoch; the job ends `cancelled`. Returns true if it was running here;
 * otherwise the other nodes are told (the one running it stops it). */
bool nd_workers_cancel(nd_workers *w, const char *job_id);

/* Asks the worker training job_id (if any) to stop after its current
 * epoch, checkpointed; the job becomes `paused`. True if it ran here;
 * otherwise the other nodes are told. */
bool nd_workers_pause(nd_workers *w, const char *job_id);

/* Worker threads alive (for /readyz). */
unsigned nd_workers_alive(const nd_workers *w);

/* Workers training a job now (for /metrics). */
unsigned nd_workers_busy(const nd_workers *w);

/* Stops every worker: running jobs checkpoint and go back to `queued`, so
 * the next start resumes them. Frees w. */
void nd_workers_stop(nd_workers *w);

#endif
