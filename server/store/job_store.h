/* job_store.h — jobs and their history in the store: the API view of a job,
 * and the state changes the handlers and the workers make. */
#ifndef ND_JOB_STORE_H
#define ND_JOB_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "nn_train.h"
#include "store.h"

/* The columns nd_job_view_row reads, in order, for SELECTs of jobs. */
#define ND_JOB_COLUMNS                                                        \
    "id, model_id, dataset_id, params, status, epoch, epochs, loss, "        \
    "val_loss, accuracy, val_accuracy, converged, error, created_at, "       \
    "started_at, finished_at, cancel_requested, seq, pause_requested, "     \
    "pause_at, node"

/* Every state a job can be in, in the order of its life. */
#define ND_JOB_STATES 6
extern const char *const nd_job_states[ND_JOB_STATES];

/* Whether s names one of nd_job_states. */
bool nd_job_state_valid(const char *s);

/* How many jobs are in each state (indexed as nd_job_states) into
 * counts. Returns 0, or −1 on a store error. */
int nd_job_count_states(long long counts[ND_JOB_STATES]);

/* The job at the current row of st (a SELECT of ND_JOB_COLUMNS) as the
 * API shows it, queue_position included while it is queued. */
json_t *nd_job_view_row(nd_stmt *st);

/* The job id as the API shows it; NULL when there is no such job. */
json_t *nd_job_view(const char *id);

/* Why nd_job_insert queued no job. */
typedef enum {
    ND_JOB_QUEUED,     /* it did: no refusal */
    ND_JOB_NO_MODEL,   /* the model does not exist (any more): 422 */
    ND_JOB_NO_DATASET, /* nor the dataset (or it is still uploading): 422 */
    ND_JOB_BUSY,       /* the model has a queued or running job: 409 */
    ND_JOB_FULL        /* max_queued jobs are already queued: 429 */
} nd_job_refusal;

/* Inserts a queued job. Every condition is checked in the same write
 * transaction as the INSERT, so a model or dataset deleted meanwhile is a
 * refusal, never a foreign-key error. Returns 0 with *why ND_JOB_QUEUED
 * (inserted, and *view the job as queued, the caller's to decref) or the
 * reason it was not, or −1 on a store error. */
int nd_job_insert(const char *id, const char *model_id,
                  const char *dataset_id, const char *params_json,
                  size_t epochs, bool perceptron, size_t max_queued,
                  nd_job_refusal *why, json_t **view);

/* The columns nd_history_view_row reads, for SELECTs of history. */
#define ND_HISTORY_COLUMNS                                                    \
    "epoch, loss, val_loss, accuracy, val_accuracy, elapsed_ms, mistakes"

/* The history point at the current row of st as the API shows it. */
json_t *nd_history_view_row(nd_stmt *st);

/* A point the worker has just measured, as nd_history_view_row shows it
 * once stored (NAN measures are null; mistakes for perceptrons). */
json_t *nd_history_view_point(const nn_epoch_stats *st, bool perceptron);

/* Cancels a queued or paused job (0), or returns 1 when it is neither. */
int nd_job_cancel_queued(const char *id);

/* Marks a running job for cancellation (0), or 1 when it is no longer
 * running. */
int nd_job_request_cancel(const char *id);

/* The worker's writes below carry the lease token of its claim
 * (job_lease.h) and change nothing once another claim took the job: a
 * node that lost its lease never writes for the job again (fencing). */

/* One history point per epoch, buffered by the worker and written with
 * the job's progress (and, when given, a checkpoint) in one transaction,
 * which tells the other nodes (job_lease.h). 0, 1 when fenced off, −1. */
typedef struct {
    nn_epoch_stats st;
} nd_history_point;

int nd_job_record(const char *id, int64_t token,
                  const nd_history_point *points, size_t n, bool perceptron,
                  bool converged, const unsigned char *checkpoint,
                  size_t checkpoint_len);

/* Deletes history rows after epoch (a resumed job repeats them), while
 * token holds the job. 0 or −1. */
int nd_job_trim_history(const char *id, int64_t token, size_t epoch);

/* The stored checkpoint (malloc'd, caller frees) or NULL with *len 0. */
unsigned char *nd_job_checkpoint(const char *id, size_t *len);

/* The job's parameters JSON, model and dataset ids (malloc'd strings). */
int nd_job_inputs(const char *id, char **params, char **model_id,
                  char **dataset_id);

/* Final states. `error` may be NULL. Clears the checkpoint. 0, 1 when
 * fenced off (nothing written), −1. */
int nd_job_finish(const char *id, int64_t token, const char *status,
                  const char *error);

/* A job stopped by shutdown goes back to queued (its attempt not counted)
 * to resume from its checkpoint at the next start. 0 or −1. */
int nd_job_requeue(const char *id, int64_t token);

/* Whether a cancel was requested for the job. */
bool nd_job_cancel_requested(const char *id);

/* Pausing (POST /v1/jobs/{id}/pause): a queued job becomes paused at once
 * (0), else 1. */
int nd_job_pause_queued(const char *id);

/* Marks a running job to pause after its current epoch (0), or 1 when it
 * is not running. */
int nd_job_request_pause(const char *id);

/* The worker stopped a running job to pause it: status paused, checkpoint
 * and history kept, no pause pending (pause_at still says where it was
 * told to stop; a pause on request clears it). 0, 1 when fenced off, −1. */
int nd_job_paused(const char *id, int64_t token);

/* Resuming: a paused job is queued again (0), to pause once epoch pause_at
 * is done (0: run to the end); 1 when it is not paused. */
int nd_job_resume(const char *id, size_t pause_at);

/* For the worker starting the job: whether a pause was requested, and the
 * epoch to pause after (0: none). 0 or −1. */
int nd_job_pause_state(const char *id, bool *requested, size_t *pause_at);

#endif
