/* train_job.c — one training job from claim to its final state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datasets.h"
#include "events.h"
#include "job_params.h"
#include "job_store.h"
#include "models.h"
#include "nn.h"
#include "train_job.h"

#define FLUSH_POINTS 256     /* history rows written per transaction, at most */
#define FLUSH_MS 250.0       /* and at least this often */

typedef struct {
    const nd_job_run *run;
    nn_trainer *trainer;
    bool perceptron;
    nd_history_point points[FLUSH_POINTS];
    size_t n;
    double last_flush, last_checkpoint;
    bool store_failed;
    nn_epoch_stats last;  /* the latest epoch */
    double last_event;    /* when an epoch last went live */
    bool last_published;  /* whether `last` went live */
} progress;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Writes the buffered history and progress, with a checkpoint of the
 * trainer's state after the last buffered epoch when with_checkpoint. */
static void flush(progress *p, bool with_checkpoint)
{
    unsigned char *ck = NULL;
    size_t len = 0;
    if (with_checkpoint &&
        nn_trainer_checkpoint(p->trainer, &ck, &len, NULL) != NN_OK)
        ck = NULL;
    bool converged = p->n && p->points[p->n - 1].st.mistakes == 0;
    if (nd_job_record(p->run->job_id, p->points, p->n, p->perceptron,
                      converged, ck, len))
        p->store_failed = true;
    free(ck);
    p->n = 0;
    p->last_flush = now_ms();
    if (with_checkpoint)
        p->last_checkpoint = p->last_flush;
}

/* Sends the latest epoch live. */
static void publish_last(progress *p, double t)
{
    nd_events_epoch(p->run->events, p->run->job_id, &p->last, p->perceptron);
    p->last_event = t;
    p->last_published = true;
}

static bool on_epoch(const nn_epoch_stats *st, void *user)
{
    progress *p = user;
    p->points[p->n++].st = *st;
    double t = now_ms();
    p->last = *st;
    p->last_published = false;
    if (t - p->last_event >= ND_EVENTS_MIN_GAP_MS)
        publish_last(p, t);
    if (p->n == FLUSH_POINTS || t - p->last_flush >= FLUSH_MS)
        flush(p, t - p->last_checkpoint >= p->run->checkpoint_ms);
    return !atomic_load(p->run->cancel) && !atomic_load(p->run->stopping) &&
           !p->store_failed;
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
static int resume(const char *id, nn_trainer *tr, char *err, size_t errlen)
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
    if (!rc && nn_trainer_epoch(tr) > 0)
        printf("neurond: job %s resumes from its checkpoint at epoch %zu\n",
               id, nn_trainer_epoch(tr));
    fflush(stdout);
    if (!rc && nd_job_trim_history(id, nn_trainer_epoch(tr))) {
        snprintf(err, errlen, "cannot trim the history");
        rc = -1;
    }
    return rc;
}

/* Records the end of a run that returned st. */
static void finish(const nd_job_run *run, const char *model_id,
                   nn_network *net, progress *p, nn_status st,
                   const nn_error *e)
{
    const char *id = run->job_id;
    char msg[256];
    if (p->last.epoch && !p->last_published)
        publish_last(p, now_ms()); /* the last epoch always goes live */
    if (st == NN_ERR_STOPPED && !atomic_load(run->cancel) &&
        atomic_load(run->stopping)) {
        flush(p, true); /* shutdown: keep every epoch, resume later */
        nd_job_requeue(id);
        return;
    }
    flush(p, false);
    if (p->store_failed) {
        nd_job_finish(id, "failed", "the store refused the job's progress");
    } else if (st == NN_OK) {
        if (nd_tx_begin() || nd_model_store(model_id, net, msg, sizeof msg) ||
            nd_job_finish(id, "succeeded", NULL) || nd_tx_commit()) {
            nd_tx_rollback();
            nd_job_finish(id, "failed", "cannot store the trained weights");
        }
    } else if (st == NN_ERR_STOPPED) {
        nd_job_finish(id, "cancelled", "cancelled");
    } else {
        nd_job_finish(id, "failed", e->message);
    }
}

/* Trains with everything loaded; owns nothing. */
static void train_loaded(const nd_job_run *run, const char *model_id,
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
        nd_job_finish(run->job_id, "failed", e.message);
        return;
    }
    if (nn_trainer_create(&tr, net, &data, cfg, &e) != NN_OK) {
        snprintf(msg, sizeof msg, "%s%s%s", e.message, e.field[0] ? " at " : "",
                 e.field);
        nd_job_finish(run->job_id, "failed", msg);
        return;
    }
    if (resume(run->job_id, tr, msg, sizeof msg)) {
        nd_job_finish(run->job_id, "failed", msg);
        nn_trainer_free(tr);
        return;
    }
    progress *p = calloc(1, sizeof *p);
    if (!p) {
        nd_job_finish(run->job_id, "failed", "out of memory");
        nn_trainer_free(tr);
        return;
    }
    *p = (progress){.run = run, .trainer = tr, .perceptron = perceptron};
    p->last_flush = p->last_checkpoint = now_ms();
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
        nd_job_finish(run->job_id, "failed", "the job's parameters are corrupt");
    else if ((rc = nd_model_load(model_id, &net, err, sizeof err)))
        nd_job_finish(run->job_id, "failed",
                      rc > 0 ? "the model was deleted" : err);
    else if ((rc = nd_dataset_load(dataset_id, &ds, err, sizeof err)))
        nd_job_finish(run->job_id, "failed",
                      rc > 0 ? "the dataset was deleted" : err);
    else
        train_loaded(run, model_id, net, &ds, &cfg);
    nd_events_status(run->events, run->job_id);
    nd_dataset_release(&ds);
    nn_network_free(net);
    free(params);
    free(model_id);
    free(dataset_id);
}
