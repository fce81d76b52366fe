/* sse.c — GET /v1/jobs/{id}/events: a job's events as Server-Sent Events.
 * The stream says the job's status, replays the stored history (after
 * Last-Event-ID when given), then goes live from the events hub; it ends
 * with the end event. The connection is suspended while there is nothing
 * to send, so a watcher holds no thread, and its buffer is one block:
 * a watcher that falls behind the hub's ring reads the store again. */
#include <errno.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "history_lr.h"
#include "job_store.h"
#include "jobs.h"
#include "model_store.h"
#include "server.h"
#include "users.h"

#define OUT_CAP 16384    /* bytes formatted ahead for one watcher */
#define OUT_CAP_WEIGHTS (128 * 1024) /* for one that wants the weights */
#define REPLAY_ROWS 64   /* history rows read from the store at a time */

typedef enum { PHASE_REPLAY, PHASE_LIVE, PHASE_DONE } phase;

typedef struct {
    nd_events *hub;
    nd_watcher *watcher;
    struct MHD_Connection *conn;
    char job_id[ND_ID_MAX];
    char token_id[ND_ID_MAX]; /* the watcher's user token, or "" */
    nd_watch_pos pos;
    phase phase;
    uint64_t replay_until; /* the last stored epoch when the replay began */
    bool resync; /* after a catch-up: say the status as stored */
    char *final; /* the end event when the job had ended at connect */
    nd_lr_plan lr; /* each stored epoch's learning rate */
    size_t cap;  /* of out: OUT_CAP, or OUT_CAP_WEIGHTS with ?weights */
    size_t out_len, out_pos;
    char out[];
} sse_stream;

static void conn_sleep(void *cls)
{
    sse_stream *s = cls;
    MHD_suspend_connection(s->conn);
}

static void conn_wake(void *cls)
{
    sse_stream *s = cls;
    MHD_resume_connection(s->conn);
}

/* Appends a formatted event (taken) if it fits; false when it does not. */
static bool append(sse_stream *s, char *text)
{
    size_t n = text ? strlen(text) : 0;
    bool fits = text && n <= s->cap - s->out_len;
    if (fits) {
        memcpy(s->out + s->out_len, text, n);
        s->out_len += n;
    }
    free(text);
    return fits;
}

/* Appends the job's status as stored; when final, stores the end event in
 * s->final. False when the job is gone. */
static bool append_status(sse_stream *s)
{
    json_t *job = nd_job_view(s->job_id);
    const char *status = json_string_value(json_object_get(job, "status"));
    if (!status) {
        json_decref(job);
        return false;
    }
    bool final = strcmp(status, "queued") != 0 &&
                 strcmp(status, "running") != 0 &&
                 strcmp(status, "paused") != 0;
    append(s, nd_events_format("status", 0,
                               json_pack("{s:s}", "status", status)));
    if (final && !s->final)
        s->final = nd_events_format("end", 0, json_incref(job));
    json_decref(job);
    return true;
}

/* Starts replaying the store up to the epochs stored now: later epochs
 * come live (coalesced), so a replay never chases a fast job. */
static void begin_replay(sse_stream *s)
{
    nd_stmt *st = nd_prepare("SELECT MAX(epoch) FROM history WHERE "
                                  "job_id = ?");
    s->replay_until = 0;
    if (st) {
        nd_bind_text(st, 1, s->job_id);
        if (nd_step(st) == ND_ROW)
            s->replay_until = (uint64_t)nd_col_int64(st, 0);
        nd_finalize(st);
    }
    s->phase = PHASE_REPLAY;
}

/* The stored point at st's row, with its learning rate. */
static json_t *stored_point(const sse_stream *s, nd_stmt *st)
{
    return nd_lr_plan_add(&s->lr, nd_history_view_row(st));
}

/* Appends stored epochs after pos.last_epoch, up to replay_until; returns
 * how many, −1 on a store error. */
static int replay_page(sse_stream *s)
{
    nd_stmt *st = nd_prepare("SELECT " ND_HISTORY_COLUMNS " FROM history "
                                  "WHERE job_id = ? AND epoch > ? AND epoch "
                                  "<= ? ORDER BY epoch LIMIT ?");
    if (!st)
        return -1;
    nd_bind_text(st, 1, s->job_id);
    nd_bind_int64(st, 2, (int64_t)s->pos.last_epoch);
    nd_bind_int64(st, 3, (int64_t)s->replay_until);
    nd_bind_int(st, 4, REPLAY_ROWS);
    int n = 0;
    while (nd_step(st) == ND_ROW) {
        uint64_t epoch = (uint64_t)nd_col_int64(st, 0);
        if (!append(s, nd_events_format("epoch", epoch,
                                        stored_point(s, st))))
            break;
        s->pos.last_epoch = epoch;
        n++;
    }
    nd_finalize(st);
    return n;
}

/* Appends the job's last stored epoch if this stream has not sent it: an
 * epoch published live before the stream connected, and stored after its
 * replay began, would otherwise be missing before the end. */
static void append_last_point(sse_stream *s)
{
    nd_stmt *st = nd_prepare("SELECT " ND_HISTORY_COLUMNS " FROM history "
                                  "WHERE job_id = ? AND epoch > ? ORDER BY "
                                  "epoch DESC LIMIT 1");
    if (!st)
        return;
    nd_bind_text(st, 1, s->job_id);
    nd_bind_int64(st, 2, (int64_t)s->pos.last_epoch);
    if (nd_step(st) == ND_ROW) {
        uint64_t epoch = (uint64_t)nd_col_int64(st, 0);
        if (append(s, nd_events_format("epoch", epoch,
                                       stored_point(s, st))))
            s->pos.last_epoch = epoch;
    }
    nd_finalize(st);
}

/* The hub's end event is in s->out: puts the last epoch before it. */
static void end_live(sse_stream *s)
{
    char *end = strndup(s->out, s->out_len);
    s->out_len = 0;
    append_last_point(s);
    if (!end || !append(s, end))
        s->out_len = 0; /* cannot say it: close without it */
    s->phase = PHASE_DONE;
}

/* Replays a page of the store; when none is left, goes live (or ends, for
 * a job that had ended at connect). */
static void fill_replay(sse_stream *s)
{
    int n = replay_page(s);
    if (n < 0) {
        s->phase = PHASE_DONE;
    } else if (n == 0 && s->final) {
        append(s, s->final);
        s->final = NULL;
        s->phase = PHASE_DONE;
    } else if (n == 0) {
        s->phase = PHASE_LIVE;
        if (s->resync && !append_status(s))
            s->phase = PHASE_DONE;
        s->resync = false;
    }
}

/* Formats the next events into s->out; false when the connection was
 * suspended to wait for more. */
static bool fill(sse_stream *s)
{
    if (s->phase == PHASE_REPLAY && nd_events_closing(s->hub)) {
        s->phase = PHASE_DONE; /* shutdown does not wait for a long replay */
        return true;
    }
    if (s->phase == PHASE_REPLAY) {
        fill_replay(s);
        return true;
    }
    switch (nd_events_take(s->hub, s->watcher, &s->pos, s->out, s->cap,
                           &s->out_len)) {
    case ND_TAKE_NONE: return false;
    case ND_TAKE_TEXT: break;
    case ND_TAKE_BEHIND:
        begin_replay(s);
        s->resync = true;
        break;
    case ND_TAKE_END: end_live(s); break;
    case ND_TAKE_CLOSED: s->phase = PHASE_DONE; break;
    }
    return true;
}

/* Whether the stream's token still holds: a revoke or an expiry ends a
 * stream opened with it before its next event. */
static bool token_holds(const sse_stream *s)
{
    return !s->token_id[0] || nd_token_live(s->token_id, time(NULL));
}

static long sse_read(void *cls, char *buf, size_t max)
{
    sse_stream *s = cls;
    while (s->out_pos == s->out_len) {
        if (s->phase == PHASE_DONE || !token_holds(s))
            return -1;
        s->out_len = s->out_pos = 0;
        if (!fill(s))
            return 0;
    }
    size_t n = s->out_len - s->out_pos;
    if (n > max)
        n = max;
    memcpy(buf, s->out + s->out_pos, n);
    s->out_pos += n;
    return (long)n;
}

static void sse_free(void *cls)
{
    sse_stream *s = cls;
    nd_events_unwatch(s->hub, s->watcher);
    free(s->final);
    free(s);
}

/* Last-Event-ID as an epoch into *epoch: 0 (replay everything) when
 * absent or empty, UINT64_MAX when too large for one (past any end).
 * Returns false after replying 400 when it is not a whole number (every
 * id this stream sends is one). */
static bool last_event_id(nd_request *req, uint64_t *epoch)
{
    const char *h = nd_header(req, "Last-Event-ID");
    *epoch = 0;
    if (!h || !*h)
        return true;
    if (strspn(h, "0123456789") != strlen(h)) {
        nd_reply_invalid(req, 400, "Last-Event-ID", "must be a whole number: "
                         "the id of an epoch event");
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(h, NULL, 10);
    *epoch = errno == ERANGE || v > INT64_MAX ? UINT64_MAX : (uint64_t)v;
    return true;
}

/* ?weights: absent, "false" or "true", the last only for a model of at
 * most ND_EVENTS_MAX_WEIGHTS parameters; false after replying. */
static bool weights_arg(nd_request *req, json_t *job, bool *weights)
{
    const char *v = nd_query(req, "weights");
    *weights = v && strcmp(v, "true") == 0;
    if (v && !*weights && strcmp(v, "false") != 0) {
        nd_reply_invalid(req, 400, "?weights", "must be true or false");
        return false;
    }
    if (!*weights)
        return true;
    json_t *model = NULL;
    char err[256];
    const char *model_id = json_string_value(json_object_get(job, "model_id"));
    if (nd_model_get(model_id, &model, NULL, err, sizeof err) != ND_STORE_OK) {
        nd_reply_problem(req, 409, "the job's model is gone");
        return false;
    }
    json_int_t params = json_integer_value(json_object_get(model, "parameters"));
    json_decref(model);
    if (params <= ND_EVENTS_MAX_WEIGHTS)
        return true;
    nd_reply_invalid(req, 422, "?weights",
                     "live weights are sent for models of at most %d "
                     "parameters; this one has %lld",
                     ND_EVENTS_MAX_WEIGHTS, (long long)params);
    return false;
}

void jobs_events(nd_request *req)
{
    const char *id = req->params[0];
    json_t *job = nd_id_valid(id, "jb_") ? nd_job_view(id) : NULL;
    bool weights = false;
    if (!job) {
        nd_reply_problem(req, 404, "no job %s", id);
        return;
    }
    bool ok = weights_arg(req, job, &weights);
    nd_lr_plan lr;
    nd_lr_plan_of(json_object_get(job, "params"), &lr);
    json_decref(job);
    uint64_t last_epoch;
    if (!ok || !last_event_id(req, &last_epoch))
        return;
    size_t cap = weights ? OUT_CAP_WEIGHTS : OUT_CAP;
    sse_stream *s = calloc(1, sizeof *s + cap);
    if (!s) {
        nd_reply_problem(req, 503, "out of memory");
        return;
    }
    s->lr = lr;
    s->cap = cap;
    s->hub = req->srv->events;
    s->conn = req->conn;
    snprintf(s->job_id, sizeof s->job_id, "%s", id);
    snprintf(s->token_id, sizeof s->token_id, "%s", req->token_id);
    s->pos.last_epoch = last_epoch;
    bool full;
    s->watcher = nd_events_watch(s->hub, id, weights, conn_sleep, conn_wake, s,
                                 &s->pos, &full);
    if (!s->watcher) {
        free(s);
        nd_reply_header(req, "Retry-After", "5");
        nd_reply_problem(req, 503, full ? "%u clients already watch jobs "
                                          "(--max-watchers); try later"
                                        : "the server is stopping",
                         req->srv->cfg.max_watchers);
        return;
    }
    /* After registering, so that a change from now on reaches the ring. */
    append(s, strdup("retry: 2000\n\n"));
    append_status(s);
    begin_replay(s); /* after the status: a final job has all its epochs */
    /* An id past the last stored epoch (stale, from another job, or made
     * up) was never sent: nothing to replay, and every new epoch is new to
     * this client. The ring holds only what is published from now on. */
    if (s->pos.last_epoch > s->replay_until)
        s->pos.last_epoch = s->replay_until;
    nd_reply_stream(req, 200, "text/event-stream",
                    (nd_body_source){sse_read, sse_free, s, 0});
}
