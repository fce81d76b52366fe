/* job_store.c — SQL for jobs and their history (see job_store.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_lease.h"
#include "job_params.h"
#include "job_store.h"
#include "jsonv.h"

static json_t *column_real(nd_stmt *st, int i)
{
    return nd_col_null(st, i)
               ? json_null()
               : nd_json_real(nd_col_double(st, i));
}

static json_t *column_text(nd_stmt *st, int i)
{
    const char *t = nd_col_text(st, i);
    return t ? json_string(t) : json_null();
}

const char *const nd_job_states[ND_JOB_STATES] = {
    "queued", "running", "paused", "succeeded", "failed", "cancelled"};

static int state_index(const char *s)
{
    for (int i = 0; s && i < ND_JOB_STATES; i++)
        if (strcmp(s, nd_job_states[i]) == 0)
            return i;
    return -1;
}

bool nd_job_state_valid(const char *s)
{
    return state_index(s) >= 0;
}

int nd_job_count_states(long long counts[ND_JOB_STATES])
{
    memset(counts, 0, ND_JOB_STATES * sizeof *counts);
    nd_stmt *st = nd_prepare("SELECT status, count(*) FROM jobs GROUP "
                                  "BY status");
    if (!st)
        return -1;
    int rc;
    while ((rc = nd_step(st)) == ND_ROW) {
        int i = state_index(nd_col_text(st, 0));
        if (i >= 0)
            counts[i] = nd_col_int64(st, 1);
    }
    nd_finalize(st);
    return rc == ND_DONE ? 0 : -1;
}

json_t *nd_history_view_row(nd_stmt *st)
{
    json_t *p = json_pack("{s:I, s:o, s:o, s:o, s:o, s:f}", "epoch",
                          (json_int_t)nd_col_int64(st, 0), "loss",
                          column_real(st, 1), "val_loss", column_real(st, 2),
                          "accuracy", column_real(st, 3), "val_accuracy",
                          column_real(st, 4), "elapsed_ms",
                          nd_col_double(st, 5));
    if (p && !nd_col_null(st, 6))
        json_object_set_new(p, "mistakes",
                            json_integer(nd_col_int64(st, 6)));
    return p;
}

static json_t *real_or_null(double v)
{
    return isnan(v) ? json_null() : nd_json_real(v);
}

json_t *nd_history_view_point(const nn_epoch_stats *st, bool perceptron)
{
    json_t *p = json_pack("{s:I, s:o, s:o, s:o, s:o, s:f}", "epoch",
                          (json_int_t)st->epoch, "loss",
                          real_or_null(st->loss), "val_loss",
                          real_or_null(st->val_loss), "accuracy",
                          real_or_null(st->accuracy), "val_accuracy",
                          real_or_null(st->val_accuracy), "elapsed_ms",
                          st->elapsed_ms);
    if (p && perceptron)
        json_object_set_new(p, "mistakes", json_integer((json_int_t)st->mistakes));
    return p;
}

static json_int_t queue_position(int64_t seq)
{
    nd_stmt *st = nd_prepare("SELECT COUNT(*) FROM jobs WHERE status = "
                                  "'queued' AND seq <= ?");
    json_int_t pos = 0;
    if (st) {
        nd_bind_int64(st, 1, seq);
        if (nd_step(st) == ND_ROW)
            pos = nd_col_int64(st, 0);
    }
    nd_finalize(st);
    return pos;
}

json_t *nd_job_view_row(nd_stmt *st)
{
    const char *status = nd_col_text(st, 4);
    json_int_t epoch = nd_col_int64(st, 5);
    json_int_t epochs = nd_col_int64(st, 6);
    json_t *params = json_loads(nd_col_text(st, 3), 0,
                                NULL);
    json_t *job = json_pack(
        "{s:o, s:o, s:o, s:s, s:I, s:I, s:f, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:o, s:o, s:o, s:b}",
        "id", column_text(st, 0), "model_id", column_text(st, 1),
        "dataset_id", column_text(st, 2), "status", status, "epoch", epoch,
        "epochs", epochs, "progress",
        epochs ? (double)epoch / (double)epochs : 0.0, "loss",
        column_real(st, 7), "val_loss", column_real(st, 8), "accuracy",
        column_real(st, 9), "val_accuracy", column_real(st, 10), "error",
        column_text(st, 12), "created_at", column_text(st, 13), "started_at",
        column_text(st, 14), "finished_at", column_text(st, 15), "params",
        params ? params : json_null(), "cancel_requested",
        nd_col_int(st, 16) != 0);
    if (!job)
        return NULL;
    if (!nd_col_null(st, 11)) /* perceptrons only */
        json_object_set_new(job, "converged",
                            json_boolean(nd_col_int(st, 11)));
    if (strcmp(status, "queued") == 0)
        json_object_set_new(
            job, "queue_position",
            json_integer(queue_position(nd_col_int64(st, 17))));
    json_object_set_new(job, "pause_requested",
                        json_boolean(nd_col_int(st, 18)));
    json_object_set_new(job, "pause_at",
                        nd_col_null(st, 19)
                            ? json_null()
                            : json_integer(nd_col_int64(st, 19)));
    json_object_set_new(job, "node", column_text(st, 20));
    return job;
}

json_t *nd_job_view(const char *id)
{
    nd_stmt *st =
        nd_prepare("SELECT " ND_JOB_COLUMNS " FROM jobs WHERE id = ?");
    json_t *job = NULL;
    if (st) {
        nd_bind_text(st, 1, id);
        if (nd_step(st) == ND_ROW)
            job = nd_job_view_row(st);
    }
    nd_finalize(st);
    return job;
}

/* Runs a statement with text parameters to completion; 0 or −1. */
static int exec_text(const char *sql, const char *const *args, size_t n)
{
    nd_stmt *st = nd_prepare(sql);
    if (!st)
        return -1;
    for (size_t i = 0; i < n; i++)
        nd_bind_text(st, (int)i + 1, args[i]);
    int rc = nd_step(st);
    nd_finalize(st);
    return rc == ND_DONE || rc == ND_ROW ? 0 : -1;
}

/* Why the job cannot be queued now (ND_JOB_QUEUED when it can), read in
 * the open write transaction so that no DELETE lands between this check
 * and the INSERT; −1 on a store error. */
static int insert_refusal(const char *model_id, const char *dataset_id,
                          size_t max_queued)
{
    nd_stmt *st = nd_prepare(
        "SELECT EXISTS (SELECT 1 FROM models WHERE id = ?1), EXISTS (SELECT "
        "1 FROM datasets WHERE id = ?2 AND uploading IS NULL), EXISTS "
        "(SELECT 1 FROM jobs WHERE model_id = ?1 AND status IN ('queued', "
        "'running', 'paused')), (SELECT count(*) FROM jobs WHERE status = "
        "'queued')");
    if (!st)
        return -1;
    nd_bind_text(st, 1, model_id);
    nd_bind_text(st, 2, dataset_id);
    int why = -1;
    if (nd_step(st) == ND_ROW)
        why = !nd_col_int(st, 0)  ? ND_JOB_NO_MODEL
              : !nd_col_int(st, 1) ? ND_JOB_NO_DATASET
              : nd_col_int(st, 2)  ? ND_JOB_BUSY
              : (size_t)nd_col_int64(st, 3) >= max_queued
                  ? ND_JOB_FULL
                  : ND_JOB_QUEUED;
    nd_finalize(st);
    return why;
}

int nd_job_insert(const char *id, const char *model_id,
                  const char *dataset_id, const char *params_json,
                  size_t epochs, bool perceptron, size_t max_queued,
                  nd_job_refusal *why, json_t **view)
{
    *why = ND_JOB_QUEUED;
    *view = NULL;
    if (nd_tx_begin())
        return -1;
    int refusal = insert_refusal(model_id, dataset_id, max_queued);
    if (refusal != ND_JOB_QUEUED) {
        nd_tx_rollback();
        if (refusal < 0)
            return -1;
        *why = (nd_job_refusal)refusal;
        return 0;
    }
    char now[ND_TIME_MAX];
    nd_now(now);
    nd_stmt *st = nd_prepare(
        "INSERT INTO jobs (id, model_id, dataset_id, params, status, epochs, "
        "converged, created_at, seq) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, "
        "(SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs))");
    if (!st)
        goto fail;
    nd_bind_text(st, 1, id);
    nd_bind_text(st, 2, model_id);
    nd_bind_text(st, 3, dataset_id);
    nd_bind_text(st, 4, params_json);
    nd_bind_int64(st, 5, (int64_t)epochs);
    if (perceptron)
        nd_bind_int(st, 6, 0);
    nd_bind_text(st, 7, now);
    int rc = nd_step(st);
    nd_finalize(st);
    /* Read before the commit: once committed, the job may run, end and
     * go with its model before the caller could read it. */
    if (rc != ND_DONE || !(*view = nd_job_view(id)))
        goto fail;
    if (nd_tx_commit() == 0)
        return 0;
    json_decref(*view);
    *view = NULL;
    return -1;
fail:
    nd_tx_rollback();
    return -1;
}

static void bind_real(nd_stmt *st, int i, double v)
{
    if (v == v) /* NaN is stored as NULL: "not measured" */
        nd_bind_double(st, i, v);
    else
        nd_bind_null(st, i);
}

static int insert_points(const char *id, const nd_history_point *p, size_t n,
                         bool perceptron)
{
    nd_stmt *st = nd_prepare(
        "INSERT INTO history (job_id, epoch, loss, val_loss, accuracy, "
        "val_accuracy, elapsed_ms, mistakes) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (job_id, epoch) DO UPDATE SET loss = excluded.loss, "
        "val_loss = excluded.val_loss, accuracy = excluded.accuracy, "
        "val_accuracy = excluded.val_accuracy, elapsed_ms = "
        "excluded.elapsed_ms, mistakes = excluded.mistakes");
    if (!st)
        return -1;
    int rc = ND_DONE;
    for (size_t i = 0; i < n && rc == ND_DONE; i++) {
        const nn_epoch_stats *e = &p[i].st;
        nd_reset(st);
        nd_bind_text(st, 1, id);
        nd_bind_int64(st, 2, (int64_t)e->epoch);
        bind_real(st, 3, e->loss);
        bind_real(st, 4, e->val_loss);
        bind_real(st, 5, e->accuracy);
        bind_real(st, 6, e->val_accuracy);
        nd_bind_double(st, 7, e->elapsed_ms);
        if (perceptron)
            nd_bind_int64(st, 8, (int64_t)e->mistakes);
        else
            nd_bind_null(st, 8);
        rc = nd_step(st);
    }
    nd_finalize(st);
    return rc == ND_DONE ? 0 : -1;
}

static int update_progress(const char *id, const nn_epoch_stats *e,
                           bool perceptron, bool converged,
                           const unsigned char *ckpt, size_t ckpt_len)
{
    nd_stmt *st = nd_prepare(
        ckpt ? "UPDATE jobs SET epoch = ?, loss = ?, val_loss = ?, accuracy "
               "= ?, val_accuracy = ?, converged = ?, checkpoint = ? WHERE "
               "id = ?"
             : "UPDATE jobs SET epoch = ?, loss = ?, val_loss = ?, accuracy "
               "= ?, val_accuracy = ?, converged = ? WHERE id = ?");
    if (!st)
        return -1;
    nd_bind_int64(st, 1, (int64_t)e->epoch);
    bind_real(st, 2, e->loss);
    bind_real(st, 3, e->val_loss);
    bind_real(st, 4, e->accuracy);
    bind_real(st, 5, e->val_accuracy);
    if (perceptron)
        nd_bind_int(st, 6, converged);
    else
        nd_bind_null(st, 6);
    int next = 7;
    if (ckpt)
        nd_bind_blob(st, next++, ckpt, ckpt_len);
    nd_bind_text(st, next, id);
    int rc = nd_step(st);
    nd_finalize(st);
    return rc == ND_DONE ? 0 : -1;
}

static int store_checkpoint(const char *id, const unsigned char *ckpt,
                            size_t len)
{
    nd_stmt *st = nd_prepare("UPDATE jobs SET checkpoint = ? WHERE id "
                                  "= ?");
    if (!st)
        return -1;
    nd_bind_blob(st, 1, ckpt, len);
    nd_bind_text(st, 2, id);
    int rc = nd_step(st);
    nd_finalize(st);
    return rc == ND_DONE ? 0 : -1;
}

/* Whether this claim (token) still holds the running job, checked in the
 * open transaction before its worker writes: 0 yes, 1 fenced off, −1. */
/* The claim (token) of a worker holds the job it runs: ?1 its id, ?2
 * the token. */
#define HELD "WHERE id = ?1 AND lease_token = ?2 AND status = 'running'"

/* Binds HELD's id and token to st (NULL: nothing); returns st. */
static nd_stmt *bind_held(nd_stmt *st, const char *id, int64_t token)
{
    if (st) {
        nd_bind_text(st, 1, id);
        nd_bind_int64(st, 2, token);
    }
    return st;
}

/* Runs st, bound, and frees it: 0 when it changed a row, 1 when it
 * changed none, −1 on error (a NULL st included). */
static int step_changed(nd_stmt *st)
{
    if (!st)
        return -1;
    int rc = nd_step(st);
    nd_finalize(st);
    if (rc != ND_DONE)
        return -1;
    return nd_changes() ? 0 : 1;
}

static int holds(const char *id, int64_t token)
{
    nd_stmt *st = bind_held(nd_prepare("SELECT 1 FROM jobs " HELD), id, token);
    if (!st)
        return -1;
    int rc = nd_step(st);
    nd_finalize(st);
    return rc == ND_ROW ? 0 : rc == ND_DONE ? 1 : -1;
}

int nd_job_record(const char *id, int64_t token,
                  const nd_history_point *points, size_t n, bool perceptron,
                  bool converged, const unsigned char *checkpoint,
                  size_t checkpoint_len)
{
    if (n == 0 && !checkpoint)
        return 0;
    if (nd_tx_begin())
        return -1;
    int held = holds(id, token);
    if (held) {
        nd_tx_rollback();
        return held;
    }
    if (insert_points(id, points, n, perceptron) ||
        (n && update_progress(id, &points[n - 1].st, perceptron, converged,
                              checkpoint, checkpoint_len)) ||
        (!n && store_checkpoint(id, checkpoint, checkpoint_len)) ||
        (n && nd_lease_notify(ND_NOTE_EPOCH, id))) {
        nd_tx_rollback();
        return -1;
    }
    return nd_tx_commit();
}

int nd_job_trim_history(const char *id, int64_t token, size_t epoch)
{
    char e[32], t[32];
    snprintf(e, sizeof e, "%zu", epoch);
    snprintf(t, sizeof t, "%lld", (long long)token);
    const char *args[] = {id, e, t};
    return exec_text("DELETE FROM history WHERE job_id = ?1 AND epoch > "
                     "CAST(?2 AS INTEGER) AND EXISTS (SELECT 1 FROM jobs "
                     "WHERE id = ?1 AND lease_token = CAST(?3 AS INTEGER) "
                     "AND status = 'running')",
                     args, 3);
}

unsigned char *nd_job_checkpoint(const char *id, size_t *len)
{
    *len = 0;
    nd_stmt *st = nd_prepare("SELECT checkpoint FROM jobs WHERE id = ?");
    unsigned char *copy = NULL;
    if (!st)
        return NULL;
    nd_bind_text(st, 1, id);
    if (nd_step(st) == ND_ROW &&
        !nd_col_null(st, 0)) {
        size_t n = (size_t)nd_col_bytes(st, 0);
        copy = malloc(n ? n : 1);
        if (copy) {
            memcpy(copy, nd_col_blob(st, 0), n);
            *len = n;
        }
    }
    nd_finalize(st);
    return copy;
}

int nd_job_inputs(const char *id, char **params, char **model_id,
                  char **dataset_id)
{
    nd_stmt *st = nd_prepare("SELECT params, model_id, dataset_id FROM "
                                  "jobs WHERE id = ?");
    int rc = -1;
    if (!st)
        return -1;
    nd_bind_text(st, 1, id);
    if (nd_step(st) == ND_ROW) {
        *params = strdup(nd_col_text(st, 0));
        *model_id = strdup(nd_col_text(st, 1));
        *dataset_id = strdup(nd_col_text(st, 2));
        rc = *params && *model_id && *dataset_id ? 0 : -1;
    }
    nd_finalize(st);
    return rc;
}

/* Binds id (?1) and token (?2) to st, an UPDATE of the job a worker
 * holds ("… WHERE id = ?1 AND lease_token = ?2 AND status = 'running'"),
 * runs it and frees it: 0 when it changed the job, 1 when the claim no
 * longer holds it (fenced off), −1 on error. */
static int fenced_step(nd_stmt *st, const char *id, int64_t token)
{
    return step_changed(bind_held(st, id, token));
}

int nd_job_finish(const char *id, int64_t token, const char *status,
                  const char *error)
{
    char now[ND_TIME_MAX];
    nd_now(now);
    nd_stmt *st = nd_prepare("UPDATE jobs SET status = ?3, error = ?4, "
                             "finished_at = ?5, checkpoint = NULL, "
                             "lease_until = NULL " HELD);
    if (st) {
        nd_bind_text(st, 3, status);
        if (error)
            nd_bind_text(st, 4, error);
        else
            nd_bind_null(st, 4);
        nd_bind_text(st, 5, now);
    }
    return fenced_step(st, id, token);
}

int nd_job_requeue(const char *id, int64_t token)
{
    return fenced_step(nd_prepare("UPDATE jobs SET status = 'queued', "
                                  "attempts = CASE WHEN attempts > 0 THEN "
                                  "attempts - 1 ELSE 0 END, lease_until = "
                                  "NULL " HELD),
                       id, token) < 0 ? -1 : 0;
}

/* Runs one UPDATE of job id (?1) guarded by its status: 0 when it
 * changed the job, 1 when the guard failed, −1 on error. */
static int guarded_update(const char *sql, const char *id)
{
    nd_stmt *st = nd_prepare(sql);
    if (st)
        nd_bind_text(st, 1, id);
    return step_changed(st);
}

int nd_job_cancel_queued(const char *id)
{
    char now[ND_TIME_MAX];
    nd_now(now);
    nd_stmt *st = nd_prepare("UPDATE jobs SET status = 'cancelled', "
                             "finished_at = ?2, checkpoint = NULL, error = "
                             "CASE status WHEN 'queued' THEN 'cancelled "
                             "before it started' ELSE 'cancelled while "
                             "paused' END WHERE id = ?1 AND status IN "
                             "('queued', 'paused')");
    if (st) {
        nd_bind_text(st, 1, id);
        nd_bind_text(st, 2, now);
    }
    return step_changed(st);
}

int nd_job_request_cancel(const char *id)
{
    return guarded_update("UPDATE jobs SET cancel_requested = 1 WHERE "
                          "id = ?1 AND status = 'running'",
                          id);
}

bool nd_job_cancel_requested(const char *id)
{
    nd_stmt *st =
        nd_prepare("SELECT cancel_requested FROM jobs WHERE id = ?");
    bool yes = false;
    if (st) {
        nd_bind_text(st, 1, id);
        yes = nd_step(st) == ND_ROW && nd_col_int(st, 0);
    }
    nd_finalize(st);
    return yes;
}

int nd_job_pause_queued(const char *id)
{
    return guarded_update("UPDATE jobs SET status = 'paused' WHERE id = ?1 "
                          "AND status = 'queued'",
                          id);
}

int nd_job_request_pause(const char *id)
{
    return guarded_update("UPDATE jobs SET pause_requested = 1, pause_at = "
                          "NULL WHERE id = ?1 AND status = 'running'",
                          id);
}

int nd_job_paused(const char *id, int64_t token)
{
    return fenced_step(nd_prepare("UPDATE jobs SET status = 'paused', "
                                  "pause_requested = 0, lease_until = NULL "
                                  HELD),
                       id, token);
}

int nd_job_resume(const char *id, size_t pause_at)
{
    nd_stmt *st = nd_prepare("UPDATE jobs SET status = 'queued', "
                             "pause_requested = 0, pause_at = ?1 WHERE "
                             "id = ?2 AND status = 'paused'");
    if (st) {
        if (pause_at)
            nd_bind_int64(st, 1, (int64_t)pause_at);
        nd_bind_text(st, 2, id);
    }
    return step_changed(st);
}

int nd_job_pause_state(const char *id, bool *requested, size_t *pause_at)
{
    nd_stmt *st = nd_prepare("SELECT pause_requested, pause_at FROM jobs "
                                  "WHERE id = ?");
    *requested = false;
    *pause_at = 0;
    if (!st)
        return -1;
    nd_bind_text(st, 1, id);
    int rc = nd_step(st);
    if (rc == ND_ROW) {
        *requested = nd_col_int(st, 0) != 0;
        *pause_at = (size_t)nd_col_int64(st, 1);
    }
    nd_finalize(st);
    return rc == ND_ROW ? 0 : -1;
}
