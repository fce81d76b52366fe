/* train_job.h — running one claimed job to its end: loading its model and
 * dataset, resuming from its checkpoint, training with libnn while writing
 * history, progress and checkpoints, and recording how it ended. */
#ifndef ND_TRAIN_JOB_H
#define ND_TRAIN_JOB_H

#include <stdatomic.h>
#include <stdint.h>

struct nd_events;

typedef struct {
    const char *job_id;
    const atomic_bool *cancel;   /* set by POST /v1/jobs/{id}/cancel */
    const atomic_bool *stopping; /* set when the server shuts down */
    unsigned threads;            /* libnn training threads for this job */
    unsigned checkpoint_ms;      /* time between checkpoints */
    struct nd_events *events;    /* where epochs and state changes go live */
    unsigned worker;             /* the worker's index, for its metrics */
    const atomic_bool *pause;    /* set by POST /v1/jobs/{id}/pause */
    int64_t token;               /* the claim's lease token: every write */
    unsigned lease_ms;           /* how long failed writes are retried */
    const atomic_bool *lost;     /* set when the lease was lost */
} nd_job_run;

/* Trains the job (status running) until it succeeds, fails, is cancelled,
 * is paused (checkpointed, on request or at its pause_at epoch) or — on
 * shutdown — is checkpointed and queued again, or until its lease is lost
 * (run->lost, or a write fenced off by another claim: then it stops and
 * writes nothing more). Every outcome is written to the store, then published to run->events with the epochs
 * (at most one every ND_EVENTS_MIN_GAP_MS, and always the last); nothing
 * is returned. */
void nd_train_job(const nd_job_run *run);

#endif
