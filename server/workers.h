/* workers.h — the pool of threads that train jobs: each claims the oldest
 * queued job from the store (no job is claimed twice), trains it with
 * libnn, writes one history row per epoch and checkpoints, and honours
 * cancel requests within an epoch. */
#ifndef ND_WORKERS_H
#define ND_WORKERS_H

#include <stdbool.h>

struct nd_server;
typedef struct nd_workers nd_workers;

/* Requeues jobs a crash left running (or fails those past their attempts)
 * and starts n worker threads. Returns NULL on failure. */
nd_workers *nd_workers_start(struct nd_server *srv, unsigned n);

/* Wakes a worker: a job was queued. */
void nd_workers_notify(nd_workers *w);

/* Asks the worker training job_id (if any) to stop after its current
 * epoch; the job ends `cancelled`. Returns true if it was running here. */
bool nd_workers_cancel(nd_workers *w, const char *job_id);

/* Asks the worker training job_id (if any) to stop after its current
 * epoch, checkpointed; the job becomes `paused`. True if it ran here. */
bool nd_workers_pause(nd_workers *w, const char *job_id);

/* Worker threads alive (for /readyz). */
unsigned nd_workers_alive(const nd_workers *w);

/* Workers training a job now (for /metrics). */
unsigned nd_workers_busy(const nd_workers *w);

/* Stops every worker: running jobs checkpoint and go back to `queued`, so
 * the next start resumes them. Frees w. */
void nd_workers_stop(nd_workers *w);

#endif
