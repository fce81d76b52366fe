/* train_job.c — one training job from claim to its final state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "datasets.h"
#include "events.h"
#include "job_params.h"
#include "job_store.h"
#include "log.h"
#include "metrics.h"
#include "models.h"
#include "nn.h"
#include "train_job.h"

#define FLUSH_POINTS 256     /* history rows written per transaction, at most */
#define FLUSH_MS 250.0       /* and at least this often */
#define RATE_MS 250.0        /* the throughput gauge's shortest window */
#define RETRY_MS 100         /* between tries of a write that failed */

typedef struct {
    const nd_job_run *run;
    nn_trainer *trainer;
    const nn_network *net; /* trained in place: its weights go live */
    bool perceptron;
    nd_history_point points[FLUSH_POINTS];
    size_t n;
    double last_flush, last_checkpoint;
    bool store_failed;
    bool fenced;          /* a write found the job claimed by another, or
                             writes failed past the lease */
    double failing_since; /* when writes began to fail (0: they work) */
    nn_epoch_stats last;  /* the latest epoch */
    double last_event;    /* when an epoch last went live */
    bool last_published;  /* whether `last` went live */
    size_t epochs;        /* the job's planned epochs */
    size_t pause_at;      /* pause once this epoch is done (0: never) */
    bool pausing;         /* stopped to pause */
    size_t rows;          /* training rows per epoch */
    double started;       /* when this run began training */
    size_t samples;       /* rows trained in this run */
    double window_start;  /* the throughput gauge's current window */
    size_t window_samples;
} progress;

/* After a failed write: true, having waited RETRY_MS, when it is worth
 * trying again — the database is shared (PostgreSQL restarting, a cut
 * connection: it comes back), the disk is not full, and the write has
 * failed for less than the lease (*since: when it began failing, 0 until
 * then). Past the lease, *lapsed is set: the lease has run out (it could
 * not be renewed either) and another node may hold the job. */
static bool retry_write(const nd_job_run *run, double *since, bool *lapsed)
{
    double t = nd_clock_ms();
    if (!nd_db_shared() || nd_store_full())
        return false;
    if (!*since)
        *since = t;
    if (t - *since >= run->lease_ms) {
        *lapsed = true;
        return false;
    }
    nanosleep(&(struct timespec){0, RETRY_MS * 1000000L}, NULL);
    return true;
}

/* Writes the buffered history and progress, with a checkpoint of the
 * trainer's state after the last buffered epoch when with_checkpoint.
 * Points that could not be written stay buffered while retry_write says
 * the failure will pass. */
static void flush(progress *p, bool with_checkpoint)
{
    unsigned char *ck = NULL;
    size_t len = 0;
    if (with_checkpoint &&
        nn_trainer_checkpoint(p->trainer, &ck, &len, NULL) != NN_OK)
        ck = NULL;
    bool converged = p->n && p->points[p->n - 1].st.mistakes == 0;
    int rc = nd_job_record(p->run->job_id, p->run->token, p->points, p->n,
                           p->perceptron, converged, ck, len);
    free(ck);
    p->last_flush = nd_clock_ms();
    if (rc < 0 && nd_db_shared() && !nd_store_full())
        return; /* kept for the next flush, or flush_all's retries */
    if (rc < 0)
        p->store_failed = true;
    if (rc > 0)
        p->fenced = true;
    p->failing_since = 0;
    p->n = 0;
    if (with_checkpoint)
        p->last_checkpoint = p->last_flush;
}

/* Flushes, then retries while points are left and the failure should
 * pass (retry_write). */
static void flush_all(progress *p, bool with_checkpoint)
{
    flush(p, with_checkpoint);
    while (p->n && !p->store_failed && !p->fenced &&
           retry_write(p->run, &p->failing_since, &p->fenced))
        flush(p, with_checkpoint);
}

/* Sends the latest epoch live. */
static void publish_last(progress *p, double t)
{
    nd_events_epoch(p->run->events, p->run->job_id, &p->last, p->perceptron,
                    p->net);
    p->last_event = t;
    p->last_published = true;
}

/* Counts an epoch's rows, and sets this worker's throughput once a window
 * of RATE_MS has passed. */
static void count_samples(progress *p, double t)
{
    nd_metrics_epoch(p->rows);
    p->samples += p->rows;
    p->window_samples += p->rows;
    if (t - p->window_start < RATE_MS)
        return;
    nd_metrics_job_rate(p->run->worker, (double)p->window_samples * 1e3 /
                                            (t - p->window_start));
    p->window_start = t;
    p->window_samples = 0;
}

/* Whether this run no longer holds the job: its node saw the lease lost,
 * or a write was fenced off. */
static bool lease_lost(const progress *p)
{
    return p->fenced || atomic_load(p->run->lost);
}

static bool on_epoch(const nn_epoch_stats *st, void *user)
{
    progress *p = user;
    p->points[p->n++].st = *st;
    double t = nd_clock_ms();
    count_samples(p, t);
    p->last = *st;
    p->last_published = false;
    if (t - p->last_event >= ND_EVENTS_MIN_GAP_MS)
        publish_last(p, t);
    if (p->n == FLUSH_POINTS)
        flush_all(p, t - p->last_checkpoint >= p->run->checkpoint_ms);
    else if (t - p->last_flush >= FLUSH_MS)
        flush(p, t - p->last_checkpoint >= p->run->checkpoint_ms);
    /* The last epoch never pauses: the job succeeds instead. */
    p->pausing = st->epoch < p->epochs &&
                 (atomic_load(p->run->pause) ||
                  (p->pause_at && st->epoch >= p->pause_at));
    return !atomic_load(p->run->cancel) && !atomic_load(p->run->stopping) &&
           !p->store_failed && !p->pausing && !lease_lost(p);
}

/* Whether every target is 0 or 1 (logic gates): accuracy is then
 * meaningful for a one-output model. */
static bool binary_targets(const nd_dataset *ds)
{
    for (size_t i = 0; i < ds->rows * ds->output_dim; i++)
        if (ds->Y[i] != 0.0f && ds->Y[i] != 1.0f)
            return false;
    return true;
}

/* Resumes from the job's checkpoint, if it has one, and drops history past
 * the epoch it resumes from. Returns 0, or −1 with a message. */
static int resume(const char *id, int64_t token, nn_trainer *tr, char *err,
                  size_t errlen)
{
    size_t len = 0;
    unsigned char *ck = nd_job_checkpoint(id, &len);
    nn_error e;
    int rc = 0;
    if (ck && nn_trainer_restore(tr, ck, len, &e) != NN_OK) {
        snprintf(err, errlen, "cannot resume from the checkpoint: %s",
                 e.message);
        rc = -1;
    }
    free(ck);
    if (!rc && nn_trainer_epoch(tr) > 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "job %s resumes from its checkpoint at "
                                  "epoch %zu", id, nn_trainer_epoch(tr));
        nd_log(ND_LOG_INFO, "job.resumed", msg, ND_LS("job_id", id),
               ND_LI("epoch", nn_trainer_epoch(tr)));
    }
    if (!rc && nd_job_trim_history(id, token, nn_trainer_epoch(tr))) {
        snprintf(err, errlen, "cannot trim the history");
        rc = -1;
    }
    return rc;
}

/* Logs how a run of the job ended (state: succeeded, failed, cancelled,
 * paused or requeued) with why it failed, and what it trained; p is NULL when it
 * failed before training. */
static void log_end(const nd_job_run *run, const char *model_id,
                    const char *state, const char *reason, const progress *p)
{
    char event[32];
    snprintf(event, sizeof event, "job.%s", state);
    double ms = p ? nd_clock_ms() - p->started : 0;
    double rate = ms > 0 ? (double)p->samples * 1e3 / ms : 0;
    nd_log(strcmp(state, "failed") == 0 ? ND_LOG_WARN : ND_LOG_INFO, event,
           NULL, ND_LS("job_id", run->job_id), ND_LS("model_id", model_id),
           ND_LI("epoch", p ? p->last.epoch : 0),
           ND_LI("epochs", p ? p->epochs : 0), ND_LN("duration_ms", ms),
           ND_LN("samples_per_s", rate),
           ND_LN("loss", p && p->last.epoch ? p->last.loss : NAN),
           ND_LS("reason", reason));
}

/* Runs write(run, arg) — a worker's write of the job's state: 0, 1 when
 * fenced off, −1 — again while retry_write says its failure will pass.
 * Returns its last result; 1 too when the lease lapsed meanwhile. */
static int write_state(const nd_job_run *run,
                       int (*write)(const nd_job_run *run, void *arg),
                       void *arg)
{
    double since = 0;
    bool lapsed = false;
    int rc;
    while ((rc = write(run, arg)) < 0 && retry_write(run, &since, &lapsed))
        ;
    return lapsed ? 1 : rc;
}

/* What a final state write takes. */
typedef struct {
    const char *status, *error;
    const char *model_id; /* with the weights of net, for "succeeded" */
    const nn_network *net;
} end_state;

/* Records the job's final state (with the trained weights when it
 * succeeded) in one transaction; 0, 1 when fenced off, −1. */
static int write_end(const nd_job_run *run, void *arg)
{
    const end_state *e = arg;
    char msg[256];
    if (nd_tx_begin())
        return -1;
    /* The job's end first: fenced off, it writes no weights either. */
    int rc = nd_job_finish(run->job_id, run->token, e->status, e->error);
    if (!rc && e->net && nd_model_store(e->model_id, e->net, msg, sizeof msg))
        rc = -1;
    if (rc || nd_tx_commit()) {
        nd_tx_rollback();
        return rc ? rc : -1;
    }
    return 0;
}

static int write_requeue(const nd_job_run *run, void *arg)
{
    (void)arg;
    return nd_job_requeue(run->job_id, run->token);
}

static int write_paused(const nd_job_run *run, void *arg)
{
    (void)arg;
    return nd_job_paused(run->job_id, run->token);
}

/* Records that the job failed, and why. */
static void fail(const nd_job_run *run, const char *model_id,
                 const char *reason, const progress *p)
{
    end_state e = {"failed", reason, NULL, NULL};
    bool fenced = write_state(run, write_end, &e) > 0;
    log_end(run, model_id, fenced ? "lease_lost" : "failed",
            fenced ? NULL : reason, p);
}

/* Logs how a run ended after write_state returned rc: state, or that the
 * lease was lost, or that the store refused it (then the job fails). */
static void ended(const nd_job_run *run, const char *model_id, int rc,
                  const char *state, const char *refused, const progress *p)
{
    if (rc < 0)
        fail(run, model_id, refused, p);
    else
        log_end(run, model_id, rc > 0 ? "lease_lost" : state, NULL, p);
}

/* Records the end of a run that returned st. */
static void finish(const nd_job_run *run, const char *model_id,
                   nn_network *net, progress *p, nn_status st,
                   const nn_error *e)
{
    static const char refused[] = "the store refused the job's progress";
    nd_metrics_job_rate(run->worker, 0);
    if (lease_lost(p)) { /* another claim holds it: write nothing */
        log_end(run, model_id, "lease_lost", NULL, p);
        return;
    }
    if (p->last.epoch && !p->last_published)
        publish_last(p, nd_clock_ms()); /* the last epoch always goes live */
    bool stopped = st == NN_ERR_STOPPED && !atomic_load(run->cancel);
    bool requeue = stopped && atomic_load(run->stopping);
    /* Shutdown keeps every epoch to resume later; a pause keeps the
     * checkpoint the resume starts from. */
    flush_all(p, requeue || (stopped && p->pausing));
    if (lease_lost(p)) {
        log_end(run, model_id, "lease_lost", NULL, p);
    } else if (requeue) {
        ended(run, model_id, write_state(run, write_requeue, NULL),
              "requeued", refused, p);
    } else if (stopped && p->pausing) {
        ended(run, model_id,
              p->store_failed ? -1 : write_state(run, write_paused, NULL),
              "paused", refused, p);
    } else if (p->store_failed) {
        fail(run, model_id, refused, p);
    } else if (st == NN_OK) {
        end_state ok = {"succeeded", NULL, model_id, net};
        ended(run, model_id, write_state(run, write_end, &ok), "succeeded",
              "cannot store the trained weights", p);
    } else if (st == NN_ERR_STOPPED) {
        end_state c = {"cancelled", "cancelled", NULL, NULL};
        ended(run, model_id, write_state(run, write_end, &c), "cancelled",
              refused, p);
    } else {
        fail(run, model_id, e->message, p);
    }
}

/* A trainer for the job, resumed from its checkpoint; NULL after
 * recording why the job failed. */
static nn_trainer *make_trainer(const nd_job_run *run, const char *model_id,
                                nn_network *net, nd_dataset *ds,
                                nn_train_config *cfg)
{
    bool perceptron = net->type == NN_MODEL_PERCEPTRON;
    nn_data data = {ds->rows, ds->input_dim, ds->output_dim, ds->X, ds->Y,
                    ds->classification || perceptron || binary_targets(ds)};
    nn_trainer *tr = NULL;
    nn_error e;
    char msg[320];
    cfg->threads = run->threads;
    if (ds->n_classes &&
        nn_network_set_classes(net, (const char *const *)ds->classes,
                               ds->n_classes, &e) != NN_OK) {
        fail(run, model_id, e.message, NULL);
        return NULL;
    }
    nn_tokens text = {ds->ids, ds->rows, ds->n_classes};
    nn_status st = ds->text ? nn_trainer_create_tokens(&tr, net, &text, cfg, &e)
                            : nn_trainer_create(&tr, net, &data, cfg, &e);
    if (st != NN_OK) {
        snprintf(msg, sizeof msg, "%s%s%s", e.message, e.field[0] ? " at " : "",
                 e.field);
        fail(run, model_id, msg, NULL);
        return NULL;
    }
    if (resume(run->job_id, run->token, tr, msg, sizeof msg)) {
        fail(run, model_id, msg, NULL);
        nn_trainer_free(tr);
        return NULL;
    }
    return tr;
}

/* What an epoch trains on, for the throughput figures: rows, or for a
 * text the tokens its windows predict (T per window). */
static size_t epoch_samples(const nn_trainer *tr, const nn_network *net,
                            const nd_dataset *ds, const nn_train_config *cfg)
{
    size_t rows = nn_trainer_train_rows(tr);
    if (!ds->text)
        return rows;
    size_t T = net->inputs;
    size_t windows = cfg->epoch_steps ? cfg->epoch_steps * cfg->batch_size
                                      : rows - T;
    return windows * T;
}

/* Trains with everything loaded; owns nothing. */
static void train_loaded(const nd_job_run *run, const char *model_id,
                         nn_network *net, nd_dataset *ds,
                         nn_train_config *cfg)
{
    nn_trainer *tr = make_trainer(run, model_id, net, ds, cfg);
    progress *p = tr ? calloc(1, sizeof *p) : NULL;
    if (!p) {
        if (tr)
            fail(run, model_id, "out of memory", NULL);
        nn_trainer_free(tr);
        return;
    }
    double t = nd_clock_ms();
    bool pause_requested = false;
    size_t pause_at = 0;
    nd_job_pause_state(run->job_id, &pause_requested, &pause_at);
    *p = (progress){.run = run, .trainer = tr, .net = net,
                    .pause_at = pause_requested ? 1 : pause_at,
                    .perceptron = net->type == NN_MODEL_PERCEPTRON,
                    .epochs = cfg->epochs,
                    .rows = epoch_samples(tr, net, ds, cfg),
                    .started = t, .window_start = t, .last_flush = t,
                    .last_checkpoint = t};
    nd_log(ND_LOG_INFO, "job.running", NULL, ND_LS("job_id", run->job_id),
           ND_LS("model_id", model_id), ND_LS("dataset_id", ds->id),
           ND_LI("epochs", cfg->epochs), ND_LI("from_epoch",
                                               nn_trainer_epoch(tr)),
           ND_LI("rows", p->rows), ND_LI("threads", nn_trainer_threads(tr)));
    nn_error e;
    nn_status st = nn_trainer_run(tr, on_epoch, p, NULL, &e);
    finish(run, model_id, net, p, st, &e);
    free(p);
    nn_trainer_free(tr);
}

void nd_train_job(const nd_job_run *run)
{
    char *params = NULL, *model_id = NULL, *dataset_id = NULL, err[320];
    nn_network *net = NULL;
    nd_dataset ds = {0};
    nn_train_config cfg;
    int rc;
    if (nd_job_inputs(run->job_id, &params, &model_id, &dataset_id) ||
        !nd_job_params_parse(params, &cfg))
        fail(run, model_id, "the job's parameters are corrupt", NULL);
    else if ((rc = nd_model_load(model_id, &net, err, sizeof err)))
        fail(run, model_id, rc > 0 ? "the model was deleted" : err, NULL);
    else if ((rc = nd_dataset_load(dataset_id, &ds, err, sizeof err)))
        fail(run, model_id, rc > 0 ? "the dataset was deleted" : err, NULL);
    else
        train_loaded(run, model_id, net, &ds, &cfg);
    nd_events_status(run->events, run->job_id);
    nd_dataset_release(&ds);
    nn_network_free(net);
    free(params);
    free(model_id);
    free(dataset_id);
}
