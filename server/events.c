/* events.c — the hub of live job events (see events.h): one channel per
 * watched job holding a ring of formatted events, the watchers of each,
 * and one thread that wakes quiet watchers for keep-alives. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "events.h"
#include "job_lease.h"
#include "job_store.h"
#include "model_view.h"
#include "store.h"

/* Events kept per watched job: at 20 epoch events a second, a watcher
 * must be ~12 s behind before it has to catch up from the store. */
#define RING 256

typedef struct {
    uint64_t epoch; /* 0 for a status event */
    char *text;
    char *text_w;   /* the epoch with its weights, when someone wanted them */
} ring_event;

typedef struct channel {
    struct channel *next;
    char job_id[ND_ID_MAX];
    ring_event ring[RING];
    uint64_t head; /* sequence number of the next event */
    char *end;     /* the end event, once the job has ended */
    unsigned watchers;
    unsigned weight_watchers; /* of those, how many asked for weights */
} channel;

struct nd_watcher {
    nd_watcher *next;
    channel *ch;
    void (*sleep)(void *cls), (*wake)(void *cls);
    void *cls;
    bool asleep, keepalive;
    double last_ms; /* when it last got text or a keep-alive */
    bool weights;   /* sent the epochs with their weights */
};

struct nd_events {
    pthread_mutex_t lock;
    pthread_cond_t tick;
    pthread_t ticker;
    bool closing;
    unsigned max, count, keepalive_ms;
    channel *channels;
    nd_watcher *watchers;
};

/* Wakes asleep watchers idle past the keep-alive interval, checking at
 * half that interval (at most a second), until the hub closes. */
static void *ticker_main(void *arg)
{
    nd_events *h = arg;
    long period_ms = h->keepalive_ms / 2 < 1000 ? h->keepalive_ms / 2 : 1000;
    pthread_mutex_lock(&h->lock);
    while (!h->closing) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (period_ms > 0 ? period_ms : 1) * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&h->tick, &h->lock, &until);
        double t = nd_clock_ms();
        for (nd_watcher *w = h->watchers; w && !h->closing; w = w->next) {
            if (w->asleep && t - w->last_ms >= h->keepalive_ms) {
                w->asleep = false;
                w->keepalive = true;
                w->wake(w->cls);
            }
        }
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

nd_events *nd_events_new(unsigned max_watchers, unsigned keepalive_ms)
{
    nd_events *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->max = max_watchers;
    h->keepalive_ms = keepalive_ms;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->tick, NULL);
    if (pthread_create(&h->ticker, NULL, ticker_main, h) != 0) {
        pthread_cond_destroy(&h->tick);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    return h;
}

unsigned nd_events_close(nd_events *h, unsigned wait_ms)
{
    pthread_mutex_lock(&h->lock);
    bool was_closing = h->closing;
    h->closing = true;
    for (nd_watcher *w = h->watchers; w; w = w->next) {
        if (w->asleep) {
            w->asleep = false;
            w->wake(w->cls);
        }
    }
    pthread_cond_broadcast(&h->tick);
    pthread_mutex_unlock(&h->lock);
    if (!was_closing)
        pthread_join(h->ticker, NULL);
    for (unsigned waited = 0; nd_events_watchers(h) && waited < wait_ms;
         waited += 10) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return nd_events_watchers(h);
}

static void channel_free(channel *ch)
{
    for (size_t i = 0; i < RING; i++) {
        free(ch->ring[i].text);
        free(ch->ring[i].text_w);
    }
    free(ch->end);
    free(ch);
}

void nd_events_free(nd_events *h)
{
    if (!h)
        return;
    /* Watchers left by a connection that never ended are dropped. */
    while (h->watchers) {
        nd_watcher *w = h->watchers;
        h->watchers = w->next;
        free(w);
    }
    while (h->channels) {
        channel *ch = h->channels;
        h->channels = ch->next;
        channel_free(ch);
    }
    pthread_cond_destroy(&h->tick);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static channel *find_channel(nd_events *h, const char *job_id)
{
    for (channel *ch = h->channels; ch; ch = ch->next)
        if (strcmp(ch->job_id, job_id) == 0)
            return ch;
    return NULL;
}

/* Whether anyone watches job_id (publishers skip formatting otherwise),
 * and in *weights whether anyone wants its weights. */
static bool watched(nd_events *h, const char *job_id, bool *weights)
{
    pthread_mutex_lock(&h->lock);
    channel *ch = h->closing ? NULL : find_channel(h, job_id);
    if (weights)
        *weights = ch && ch->weight_watchers;
    pthread_mutex_unlock(&h->lock);
    return ch != NULL;
}

/* Wakes the asleep watchers of ch; called with the lock held. */
static void wake_channel(nd_events *h, channel *ch)
{
    for (nd_watcher *w = h->watchers; w; w = w->next) {
        if (w->ch == ch && w->asleep) {
            w->asleep = false;
            w->wake(w->cls);
        }
    }
}

/* Appends text and text_w (taken; text_w may be NULL) to the job's ring,
 * or text to its end when is_end. */
static void publish(nd_events *h, const char *job_id, uint64_t epoch,
                    char *text, char *text_w, bool is_end)
{
    if (!text) {
        free(text_w);
        return;
    }
    pthread_mutex_lock(&h->lock);
    channel *ch = h->closing ? NULL : find_channel(h, job_id);
    if (ch && is_end) {
        free(ch->end);
        ch->end = text;
    } else if (ch) {
        ring_event *e = &ch->ring[ch->head % RING];
        free(e->text);
        free(e->text_w);
        *e = (ring_event){epoch, text, text_w};
        ch->head++;
    }
    if (ch)
        wake_channel(h, ch);
    pthread_mutex_unlock(&h->lock);
    if (!ch) {
        free(text);
        free(text_w);
    }
}

char *nd_events_format(const char *name, uint64_t id, json_t *data)
{
    char *json = data ? json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(9))
                      : NULL;
    json_decref(data);
    if (!json)
        return NULL;
    char idline[32] = "";
    if (id)
        snprintf(idline, sizeof idline, "id: %llu\n", (unsigned long long)id);
    size_t len = strlen(name) + strlen(idline) + strlen(json) + 32;
    char *text = malloc(len);
    if (text)
        snprintf(text, len, "event: %s\n%sdata: %s\n\n", name, idline, json);
    free(json);
    return text;
}

void nd_events_epoch(nd_events *h, const char *job_id,
                     const nn_epoch_stats *st, bool perceptron,
                     const nn_network *net)
{
    bool weights = false;
    if (!h || !watched(h, job_id, &weights))
        return;
    json_t *p = nd_history_view_point(st, perceptron), *pw = NULL;
    if (p && weights && net) {
        pw = json_deep_copy(p);
        if (pw && nd_model_add_weights(pw, net)) {
            json_decref(pw);
            pw = NULL;
        }
    }
    char *text_w = pw ? nd_events_format("epoch", st->epoch, pw) : NULL;
    publish(h, job_id, st->epoch, nd_events_format("epoch", st->epoch, p),
            text_w, false);
}

static bool is_final(const char *status)
{
    return status && (strcmp(status, "succeeded") == 0 ||
                      strcmp(status, "failed") == 0 ||
                      strcmp(status, "cancelled") == 0);
}

void nd_events_status(nd_events *h, const char *job_id)
{
    nd_lease_notify(ND_NOTE_STATUS, job_id); /* watchers on other nodes */
    nd_events_status_here(h, job_id);
}

void nd_events_stored_epoch(nd_events *h, const char *job_id)
{
    if (!h || !watched(h, job_id, NULL))
        return;
    nd_stmt *st = nd_prepare("SELECT " ND_HISTORY_COLUMNS " FROM history "
                             "WHERE job_id = ? ORDER BY epoch DESC LIMIT 1");
    json_t *point = NULL;
    uint64_t epoch = 0;
    if (st) {
        nd_bind_text(st, 1, job_id);
        if (nd_step(st) == ND_ROW) {
            epoch = (uint64_t)nd_col_int64(st, 0);
            point = nd_history_view_row(st);
        }
    }
    nd_finalize(st);
    if (point)
        publish(h, job_id, epoch, nd_events_format("epoch", epoch, point),
                NULL, false);
}

void nd_events_status_here(nd_events *h, const char *job_id)
{
    if (!h || !watched(h, job_id, NULL))
        return;
    json_t *job = nd_job_view(job_id);
    const char *status = json_string_value(json_object_get(job, "status"));
    if (!status) {
        json_decref(job);
        return;
    }
    bool final = is_final(status);
    publish(h, job_id, 0,
            nd_events_format("status", 0, json_pack("{s:s}", "status", status)),
            NULL, false);
    if (final)
        publish(h, job_id, 0, nd_events_format("end", 0, json_incref(job)),
                NULL, true);
    json_decref(job);
}

/* The job's channel, made when its first watcher comes; lock held. */
static channel *channel_for(nd_events *h, const char *job_id)
{
    channel *ch = find_channel(h, job_id);
    if (ch)
        return ch;
    ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    snprintf(ch->job_id, sizeof ch->job_id, "%s", job_id);
    ch->next = h->channels;
    h->channels = ch;
    return ch;
}

nd_watcher *nd_events_watch(nd_events *h, const char *job_id, bool weights,
                            void (*sleep)(void *cls), void (*wake)(void *cls),
                            void *cls, nd_watch_pos *pos, bool *full)
{
    nd_watcher *w = calloc(1, sizeof *w);
    *full = false;
    if (!w)
        return NULL;
    pthread_mutex_lock(&h->lock);
    channel *ch = NULL;
    if (h->closing || h->count >= h->max)
        *full = !h->closing;
    else
        ch = channel_for(h, job_id);
    if (ch) {
        *w = (nd_watcher){h->watchers, ch, sleep, wake, cls, false, false,
                          nd_clock_ms(), weights};
        h->watchers = w;
        h->count++;
        ch->watchers++;
        ch->weight_watchers += weights;
        pos->seq = ch->head;
    }
    pthread_mutex_unlock(&h->lock);
    if (!ch) {
        free(w);
        return NULL;
    }
    return w;
}

/* Copies text to buf at *len if it fits; false when it does not. */
static bool put(char *buf, size_t cap, size_t *len, const char *text)
{
    size_t n = strlen(text);
    if (n > cap - *len)
        return false;
    memcpy(buf + *len, text, n);
    *len += n;
    return true;
}

/* Copies the ring's events after pos into buf (epochs with their weights
 * when the watcher asked and they were formatted); lock held. */
static void take_ring(channel *ch, bool weights, nd_watch_pos *pos, char *buf,
                      size_t cap, size_t *len)
{
    for (; pos->seq < ch->head; pos->seq++) {
        const ring_event *e = &ch->ring[pos->seq % RING];
        if (e->epoch && e->epoch <= pos->last_epoch)
            continue;
        /* An epoch too large for the whole buffer goes without weights. */
        const char *t = weights && e->text_w && strlen(e->text_w) <= cap
                            ? e->text_w
                            : e->text;
        if (!put(buf, cap, len, t))
            return;
        if (e->epoch)
            pos->last_epoch = e->epoch;
    }
}

nd_take nd_events_take(nd_events *h, nd_watcher *w, nd_watch_pos *pos,
                       char *buf, size_t cap, size_t *len)
{
    *len = 0;
    pthread_mutex_lock(&h->lock);
    channel *ch = w->ch;
    nd_take r = ND_TAKE_TEXT;
    if (h->closing) {
        r = ND_TAKE_CLOSED;
    } else if (ch->head > RING && pos->seq < ch->head - RING) {
        pos->seq = ch->head; /* lost: the caller reads the store */
        r = ND_TAKE_BEHIND;
    } else {
        if (w->keepalive)
            put(buf, cap, len, ": keep-alive\n\n");
        w->keepalive = false;
        take_ring(ch, w->weights, pos, buf, cap, len);
        if (*len == 0 && ch->end)
            r = put(buf, cap, len, ch->end) ? ND_TAKE_END : ND_TAKE_CLOSED;
        else if (*len == 0) {
            r = ND_TAKE_NONE;
            w->asleep = true;
            w->sleep(w->cls);
        }
        if (*len)
            w->last_ms = nd_clock_ms();
    }
    pthread_mutex_unlock(&h->lock);
    return r;
}

void nd_events_unwatch(nd_events *h, nd_watcher *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&h->lock);
    for (nd_watcher **p = &h->watchers; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    h->count--;
    channel *ch = w->ch;
    ch->weight_watchers -= w->weights;
    if (--ch->watchers == 0) {
        for (channel **p = &h->channels; *p; p = &(*p)->next) {
            if (*p == ch) {
                *p = ch->next;
                break;
            }
        }
        channel_free(ch);
    }
    pthread_mutex_unlock(&h->lock);
    free(w);
}

bool nd_events_closing(nd_events *h)
{
    pthread_mutex_lock(&h->lock);
    bool closing = h->closing;
    pthread_mutex_unlock(&h->lock);
    return closing;
}

unsigned nd_events_watchers(nd_events *h)
{
    pthread_mutex_lock(&h->lock);
    unsigned n = h->count;
    pthread_mutex_unlock(&h->lock);
    return n;
}
