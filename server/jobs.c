/* jobs.c — the /v1/jobs routes: queueing training, progress, history,
 * cancel. Training itself happens in workers.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets.h"
#include "events.h"
#include "history_sample.h"
#include "job_params.h"
#include "job_store.h"
#include "jobs.h"
#include "jsonv.h"
#include "log.h"
#include "models.h"
#include "paging.h"
#include "seq_def.h"
#include "server.h"
#include "store.h"
#include "workers.h"

/* Seconds a client is told to wait when the queue is full: about how long
 * a short job takes to free a place. */
#define ND_QUEUE_RETRY_AFTER "10"

/* False after replying 422 when backpropagation could not train net: a
 * step or sign layer has a zero gradient everywhere, so its weights (and
 * all before it) would never move. */
static bool has_gradient(nd_request *req, const nn_network *net)
{
    for (size_t k = 0; net->type == NN_MODEL_MLP && k < net->n_layers; k++) {
        nn_layer_kind kind = net->layers[k].kind;
        nn_act_kind a = net->layers[k].act.kind;
        bool activated = kind == NN_LAYER_DENSE || kind == NN_LAYER_CONV2D ||
                         kind == NN_LAYER_BATCHNORM;
        if (!activated || (a != NN_ACT_STEP && a != NN_ACT_SIGN))
            continue;
        nd_reply_invalid(req, 422, "/model_id",
                         "layer %zu's %s activation has a zero gradient "
                         "everywhere, so backpropagation cannot train it: "
                         "use sigmoid or tanh, a perceptron, or weights given "
                         "by hand",
                         k, a == NN_ACT_STEP ? "step" : "sign");
        return false;
    }
    return true;
}

/* False after replying 422 when a perceptron's targets are not all 0/1
 * or all −1/+1: the rule would silently read any other value as a sign. */
static bool perceptron_targets(nd_request *req, const char *dataset_id)
{
    nd_dataset ds = {0};
    char err[256];
    if (nd_dataset_load(dataset_id, &ds, err, sizeof err)) {
        nd_reply_problem(req, 500, "cannot read the dataset: %s", err);
        return false;
    }
    bool binary = true, sign = true;
    for (size_t i = 0; i < ds.rows * ds.output_dim; i++) {
        binary &= ds.Y[i] == 0.0f || ds.Y[i] == 1.0f;
        sign &= ds.Y[i] == -1.0f || ds.Y[i] == 1.0f;
    }
    nd_dataset_release(&ds);
    if (binary || sign)
        return true;
    nd_reply_invalid(req, 422, "/dataset_id",
                     "a perceptron's targets must be all 0/1 or all -1/+1; "
                     "this dataset has others");
    return false;
}

/* What check_pair learned of a pair that fits. */
typedef struct {
    nd_job_kind kind;
    size_t tokens, context; /* a text job's text length and model context */
} pair_info;

/* A language model (vocab tokens, context T, lm: an output per position)
 * and a dataset, one of which is a text (text_ds) or a model of token
 * ids: they fit when both are, with the same vocabulary. False after
 * replying 422. */
static bool text_pair_fits(nd_request *req, size_t vocab, bool lm,
                           bool text_ds, size_t ds_vocab)
{
    if (text_ds && !lm) {
        nd_reply_invalid(req, 422, "/model_id",
                         "a text trains a language model: vocab_size, "
                         "context and an output per position (embedding, "
                         "recurrent layers returning sequences, dense "
                         "softmax of vocab_size units)");
        return false;
    }
    if (!text_ds) {
        nd_reply_invalid(req, 422, "/dataset_id",
                         "a model of token ids trains on a text (a "
                         "text/plain dataset)");
        return false;
    }
    if (ds_vocab != vocab) {
        nd_reply_invalid(req, 422, "/dataset_id",
                         "the text's vocabulary has %zu tokens but the "
                         "model's vocab_size is %zu",
                         ds_vocab, vocab);
        return false;
    }
    return true;
}

/* After the params: a text job's training text (and held-out block, when
 * there is one) must hold a window of context + 1 tokens. False after
 * replying 422. */
static bool text_fits(nd_request *req, const pair_info *p,
                      const nn_train_config *cfg)
{
    if (p->kind != ND_JOB_TEXT)
        return true;
    size_t T = p->context;
    size_t n_val = (size_t)((double)p->tokens * cfg->validation_split);
    size_t n_train = p->tokens - n_val;
    if (n_train >= T + 1 && (n_val == 0 || n_val >= T + 1))
        return true;
    bool text_short = p->tokens < T + 1;
    nd_reply_invalid(req, 422, text_short ? "/dataset_id" : "/validation_split",
                     text_short ? "the text has %zu tokens, fewer than one "
                                  "window of the model's context + 1 = %zu"
                                : "leaves %zu tokens to one side of the split, "
                                  "fewer than one window of context + 1 = %zu",
                     text_short ? p->tokens : (n_train < T + 1 ? n_train : n_val),
                     T + 1);
    return false;
}

/* Whether a dataset's rows (dims: its inputs and outputs, then the
 * model's) of shape image feed a model taking shape takes. False once
 * it has replied. */
static bool rows_fit(nd_request *req, const size_t dims[4],
                     const nd_shape *image, const nn_shape *takes)
{
    if (dims[0] != dims[2] || dims[1] != dims[3]) {
        nd_reply_invalid(req, 422, "/dataset_id",
                         "the dataset has %zu inputs and %zu outputs; the "
                         "model takes %zu inputs and gives %zu outputs",
                         dims[0], dims[1], dims[2], dims[3]);
        return false;
    }
    nd_ds_error e;
    if (!nd_shape_feeds(image, takes, "/dataset_id", &e)) {
        nd_ds_reply_error(req, &e);
        return false;
    }
    return true;
}

/* Checks that model and dataset exist and fit each other; on success
 * *info tells the job's kind. False once it has replied. */
static bool check_pair(nd_request *req, const char *model_id,
                       const char *dataset_id, pair_info *info)
{
    nn_network *net = NULL;
    char err[256];
    int rc = nd_id_valid(model_id, "md_") ? nd_model_load(model_id, &net, err,
                                                          sizeof err)
                                          : 1;
    if (rc) {
        if (rc > 0)
            nd_reply_invalid(req, 422, "/model_id", "no model has this id");
        else
            nd_reply_problem(req, 500, "cannot read the model: %s", err);
        return false;
    }
    size_t ins = net->inputs, outs = nn_network_outputs(net), rows, in, out;
    nn_shape takes = net->input_shape;
    size_t vocab = nd_seq_vocab(net);
    bool lm = vocab && nd_seq_per_position(net->layers, net->n_layers);
    bool perceptron = net->type == NN_MODEL_PERCEPTRON;
    *info = (pair_info){perceptron ? ND_JOB_PERCEPTRON : ND_JOB_NETWORK, 0,
                        ins};
    bool trainable = has_gradient(req, net);
    nn_network_free(net);
    if (!trainable)
        return false;
    bool cls;
    nd_shape image;
    rc = nd_id_valid(dataset_id, "ds_")
             ? nd_dataset_shape(dataset_id, &rows, &in, &out, &cls, &image)
             : 1;
    if (rc) {
        if (rc > 0)
            nd_reply_invalid(req, 422, "/dataset_id", "no dataset has this id");
        else
            nd_reply_problem(req, 500, "cannot read the dataset");
        return false;
    }
    bool text = nd_ds_is_text(dataset_id);
    if (text || vocab) {
        info->kind = ND_JOB_TEXT;
        info->tokens = rows;
        return text_pair_fits(req, vocab, lm, text, out);
    }
    return rows_fit(req, (size_t[4]){in, out, ins, outs}, &image, &takes) &&
           (!perceptron || perceptron_targets(req, dataset_id));
}

/* Replies for a job nd_job_insert refused; false when it was queued. */
static bool reply_refusal(nd_request *req, nd_job_refusal why,
                          const char *model_id)
{
    switch (why) {
    case ND_JOB_QUEUED:
        return false;
    case ND_JOB_NO_MODEL: /* deleted since check_pair read it */
        nd_reply_invalid(req, 422, "/model_id", "no model has this id");
        break;
    case ND_JOB_NO_DATASET:
        nd_reply_invalid(req, 422, "/dataset_id", "no dataset has this id");
        break;
    case ND_JOB_BUSY:
        nd_reply_problem(req, 409, "model %s already has a queued, running "
                                   "or paused job; wait for it or cancel it",
                         model_id);
        break;
    case ND_JOB_FULL:
        nd_reply_problem(req, 429, "the queue already holds %u jobs; retry "
                                   "once some have started",
                         req->srv->cfg.max_queued_jobs);
        nd_reply_header(req, "Retry-After", ND_QUEUE_RETRY_AFTER);
        break;
    }
    return true;
}

void jobs_create(nd_request *req)
{
    const char *model_id = NULL, *dataset_id = NULL;
    json_t *b = req->json;
    pair_info pair;
    nn_train_config cfg;
    if (!nd_field_string(req, b, "", "model_id", true, &model_id) ||
        !nd_field_string(req, b, "", "dataset_id", true, &dataset_id) ||
        !check_pair(req, model_id, dataset_id, &pair) ||
        !nd_job_params_read(req, b, pair.kind, req->srv->cfg.max_epochs,
                            req->srv->cfg.max_batch, &cfg) ||
        !text_fits(req, &pair, &cfg))
        return;
    bool perceptron = pair.kind == ND_JOB_PERCEPTRON;
    char id[ND_ID_MAX], *params = NULL;
    nd_new_id(id, "jb_");
    json_t *pj = nd_job_params_json(&cfg, pair.kind);
    params = pj ? json_dumps(pj, JSON_COMPACT) : NULL;
    json_decref(pj);
    nd_job_refusal why = ND_JOB_QUEUED;
    json_t *job = NULL;
    int rc = params ? nd_job_insert(id, model_id, dataset_id, params,
                                    cfg.epochs, perceptron,
                                    req->srv->cfg.max_queued_jobs, &why, &job)
                    : -1;
    free(params);
    if (rc == 0 && reply_refusal(req, why, model_id))
        return;
    if (rc) {
        nd_reply_store_failed(req, nd_store_full(), "storing the job");
        return;
    }
    nd_workers_notify(req->srv->workers);
    nd_log(ND_LOG_INFO, "job.queued", NULL, ND_LS("job_id", id),
           ND_LS("model_id", model_id), ND_LS("dataset_id", dataset_id),
           ND_LI("epochs", cfg.epochs), ND_LS("request_id", req->request_id));
    char location[64];
    snprintf(location, sizeof location, "/v1/jobs/%s", id);
    nd_reply_header(req, "Location", location);
    nd_reply_json(req, 202, job);
}

json_t *jobs_path_job(nd_request *req)
{
    const char *id = req->params[0];
    json_t *job = nd_id_valid(id, "jb_") ? nd_job_view(id) : NULL;
    if (!job)
        nd_reply_problem(req, 404, "no job %s", id);
    return job;
}

void jobs_get(nd_request *req)
{
    json_t *job = jobs_path_job(req);
    if (job)
        nd_reply_json(req, 200, job);
}

void jobs_list(nd_request *req)
{
    size_t limit;
    nd_page_key after;
    const char *status = nd_query(req, "status"),
               *model = nd_query(req, "model_id");
    if (!nd_page_args(req, "jb_", &limit, &after))
        return;
    if (status && !nd_job_state_valid(status)) {
        nd_reply_invalid(req, 422, "?status", "must be queued, running, "
                                              "paused, succeeded, failed or "
                                              "cancelled");
        return;
    }
    nd_stmt *st = nd_prepare(
        "SELECT " ND_JOB_COLUMNS " FROM jobs WHERE (CAST(?1 AS TEXT) IS NULL "
        "OR (created_at, id) < (?1, ?2)) AND (CAST(?3 AS TEXT) IS NULL OR "
        "status = ?3) AND (CAST(?4 AS TEXT) IS NULL OR model_id = ?4) AND "
        "(CAST(?6 AS TEXT) IS NULL OR owner = ?6) "
        "ORDER BY created_at DESC, id DESC LIMIT ?5");
    if (!st) {
        nd_reply_problem(req, 500, "cannot list jobs");
        return;
    }
    if (after.id[0]) {
        nd_bind_text(st, 1, after.created_at);
        nd_bind_text(st, 2, after.id);
    }
    nd_bind_text(st, 3, status);
    nd_bind_text(st, 4, model);
    nd_bind_int64(st, 5, (int64_t)limit + 1);
    if (after.owner[0])
        nd_bind_text(st, 6, after.owner);
    json_t *items = json_array();
    bool more = false;
    while (nd_step(st) == ND_ROW) {
        if (json_array_size(items) == limit) {
            more = true;
            break;
        }
        json_array_append_new(items, nd_job_view_row(st));
    }
    nd_finalize(st);
    json_t *next = nd_page_next(items, more);
    nd_reply_json(req, 200, json_pack("{s:o, s:o}", "items", items,
                                      "next_cursor", next));
}

/* ?max_points=N: the whole history after `after`, downsampled, in one
 * page. */
static void history_sampled(nd_request *req, uint64_t after)
{
    uint64_t max_points;
    if (!nd_query_uint(req, "max_points", ND_SAMPLE_MAX, ND_SAMPLE_MAX,
                       &max_points))
        return;
    if (max_points < ND_SAMPLE_MIN) {
        nd_reply_invalid(req, 422, "?max_points", "must be at least %d",
                         ND_SAMPLE_MIN);
        return;
    }
    json_t *items = nd_history_sample(req->params[0], after,
                                      (size_t)max_points);
    if (!items) {
        nd_reply_problem(req, 500, "cannot read the history");
        return;
    }
    nd_reply_json(req, 200, json_pack("{s:o, s:n}", "items", items,
                                      "next_after_epoch"));
}

void jobs_history(nd_request *req)
{
    uint64_t after, limit;
    json_t *job = jobs_path_job(req);
    if (!job)
        return;
    json_decref(job);
    if (!nd_query_uint(req, "after_epoch", 0, INT64_MAX, &after) ||
        !nd_query_uint(req, "limit", 100, 1000, &limit))
        return;
    if (limit == 0) { /* refused even where max_points makes it unused */
        nd_reply_invalid(req, 422, "?limit", "must be at least 1");
        return;
    }
    if (nd_query(req, "max_points")) {
        history_sampled(req, after);
        return;
    }
    nd_stmt *st = nd_prepare("SELECT " ND_HISTORY_COLUMNS " FROM history "
                                  "WHERE job_id = ? AND epoch > ? ORDER BY "
                                  "epoch LIMIT ?");
    if (!st) {
        nd_reply_problem(req, 500, "cannot read the history");
        return;
    }
    nd_bind_text(st, 1, req->params[0]);
    nd_bind_int64(st, 2, (int64_t)after);
    nd_bind_int64(st, 3, (int64_t)limit + 1);
    json_t *items = json_array();
    json_int_t last = 0;
    bool more = false;
    while (nd_step(st) == ND_ROW) {
        if (json_array_size(items) == limit) {
            more = true;
            break;
        }
        last = nd_col_int64(st, 0);
        json_array_append_new(items, nd_history_view_row(st));
    }
    nd_finalize(st);
    nd_reply_json(req, 200, json_pack("{s:o, s:o}", "items", items,
                                      "next_after_epoch",
                                      more ? json_integer(last) : json_null()));
}

/* Cancel: a queued job ends at once; a running one is asked to stop after
 * its current epoch (its worker writes `cancelled`); a finished one is a
 * conflict. */
void jobs_cancel(nd_request *req)
{
    json_t *job = jobs_path_job(req);
    if (!job)
        return;
    json_decref(job);
    const char *id = req->params[0];
    /* Queued first; if a worker claimed it meanwhile, it is running. */
    int rc = nd_job_cancel_queued(id);
    if (rc == 0) {
        nd_events_status(req->srv->events, id); /* cancelled: the end */
        nd_log(ND_LOG_INFO, "job.cancelled", "cancelled while queued",
               ND_LS("job_id", id), ND_LS("request_id", req->request_id));
    }
    if (rc == 1)
        rc = nd_job_request_cancel(id);
    if (rc == 1) {
        nd_reply_problem(req, 409, "job %s has already finished", id);
        return;
    }
    if (rc) {
        nd_reply_problem(req, 500, "cannot cancel the job");
        return;
    }
    if (nd_workers_cancel(req->srv->workers, id))
        nd_log(ND_LOG_INFO, "job.cancel_requested", NULL, ND_LS("job_id", id),
               ND_LS("request_id", req->request_id));
    nd_reply_json(req, 202, nd_job_view(id));
}
