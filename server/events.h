/* events.h — the hub of live job events. Workers publish a job's epochs
 * (already coalesced by the caller) and its state changes; the hub keeps,
 * per watched job, a bounded ring of the latest events formatted once as
 * Server-Sent Events text, and wakes the watchers of that job. A watcher
 * that falls more than the ring behind catches up from the history table
 * (sse.c does that); nothing here ever waits on a client. Jobs nobody
 * watches cost one lookup per publish. */
#ifndef ND_EVENTS_H
#define ND_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nn_train.h"

typedef struct nd_events nd_events;
typedef struct nd_watcher nd_watcher;

/* Live epoch events of one job are sent at most this often (20 per
 * second); the last epoch of a run is always sent. */
#define ND_EVENTS_MIN_GAP_MS 50.0

/* Starts the hub (and its one keep-alive thread) for at most max_watchers
 * watchers; a watcher is sent a keep-alive comment after keepalive_ms of
 * silence. Returns NULL when out of memory or threads. */
nd_events *nd_events_new(unsigned max_watchers, unsigned keepalive_ms);

/* Closes every stream: watchers are woken and end their streams; waits up
 * to wait_ms for them to be gone. Later publishes and watches do nothing
 * or fail. Returns the watchers still registered (0 when clean). */
unsigned nd_events_close(nd_events *h, unsigned wait_ms);

/* Frees the hub (after nd_events_close and once no thread publishes). */
void nd_events_free(nd_events *h);

/* Most parameters a model may have for its job's events to carry its
 * weights (GET /v1/jobs/{id}/events?weights=true; 422 beyond): about
 * 40 KB per event, kept for at most the ring's 256 events per job. */
#define ND_EVENTS_MAX_WEIGHTS 2048

/* Publishes the point of one epoch (`perceptron` adds mistakes); when a
 * watcher asked for weights, a second copy adds net's weights,
 * normalisation and classes (formatted only then; net may be NULL). */
void nd_events_epoch(nd_events *h, const char *job_id,
                     const nn_epoch_stats *st, bool perceptron,
                     const nn_network *net);

/* Publishes the job's state as stored now: a status event, and when the
 * state is final the end event carrying the job; in a cluster the other
 * nodes are told to do the same for their watchers. Call after the change
 * is committed. */
void nd_events_status(nd_events *h, const char *job_id);

/* What a notification from another node makes this node publish to its
 * own watchers of job_id: its state as stored (as nd_events_status, but
 * telling no one), or its latest stored epoch (events with weights are
 * this node's own jobs' only: the weights are not stored per epoch). */
void nd_events_status_here(nd_events *h, const char *job_id);
void nd_events_stored_epoch(nd_events *h, const char *job_id);

/* The cursor of a watcher into its job's events. */
typedef struct {
    uint64_t seq;       /* the next ring sequence number to read */
    uint64_t last_epoch; /* the last epoch sent */
} nd_watch_pos;

/* What nd_events_take found for a watcher. */
typedef enum {
    ND_TAKE_NONE,     /* nothing new: the watcher was marked to be woken */
    ND_TAKE_TEXT,     /* text was copied out */
    ND_TAKE_BEHIND,   /* events were lost from the ring: catch up from the
                         history table, then take again */
    ND_TAKE_END,      /* the end event was copied: close after it */
    ND_TAKE_CLOSED    /* the hub is closing: close the stream now */
} nd_take;

/* Registers a watcher of job_id (sent the epochs with their weights when
 * `weights`): sleep(cls) suspends its connection and
 * wake(cls) resumes it, both called under the hub's lock (so a publish
 * between "nothing new" and the suspend cannot be missed). pos starts
 * after the events published so far. Returns NULL when the hub is full or
 * closing (*full tells which) or out of memory. */
nd_watcher *nd_events_watch(nd_events *h, const char *job_id, bool weights,
                            void (*sleep)(void *cls), void (*wake)(void *cls),
                            void *cls, nd_watch_pos *pos, bool *full);

/* Copies the next ring events after pos (epochs after pos->last_epoch;
 * every status; the end event once the ring is read; a keep-alive comment
 * when the timer woke the watcher) into buf, whole events only, up to cap
 * bytes, advancing pos; *len receives the bytes. When there is nothing,
 * the watcher's sleep() is called before the lock is released and
 * ND_TAKE_NONE returned. */
nd_take nd_events_take(nd_events *h, nd_watcher *w, nd_watch_pos *pos,
                       char *buf, size_t cap, size_t *len);

/* An SSE event "event: NAME\n[id: ID\n]data: JSON\n\n" (id 0: none), as a
 * malloc'd string; NULL when out of memory. Consumes data. */
char *nd_events_format(const char *name, uint64_t id, json_t *data);

/* Unregisters and frees the watcher (its connection is gone). */
void nd_events_unwatch(nd_events *h, nd_watcher *w);

/* Whether nd_events_close has begun: streams replaying the store stop. */
bool nd_events_closing(nd_events *h);

/* Watchers registered now (for tests and metrics). */
unsigned nd_events_watchers(nd_events *h);

#endif
