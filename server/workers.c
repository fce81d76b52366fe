/* workers.c — the training worker pool: threads that claim queued jobs,
 * the registry of which job each is training (for cancel), and shutdown. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "job_lease.h"
#include "job_store.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "train_job.h"
#include "workers.h"

typedef struct {
    struct nd_workers *pool;
    pthread_t thread;
    bool started;
    char job[ND_ID_MAX]; /* the job being trained, or "" */
    int64_t token;       /* its claim's lease token */
    atomic_bool cancel;
    atomic_bool pause;
    atomic_bool lost;    /* its lease is lost: stop, write nothing */
} slot;

struct nd_workers {
    unsigned checkpoint_ms, lease_ms;
    nd_events *events;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    unsigned pending; /* notifications not yet acted on */
    atomic_bool stopping;
    atomic_uint alive, training;
    unsigned n;
    slot *slots;
};

/* Waits up to a second for a notification or shutdown. */
static void wait_for_work(nd_workers *w)
{
    pthread_mutex_lock(&w->lock);
    if (!w->pending && !atomic_load(&w->stopping)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&w->wake, &w->lock, &until);
    }
    if (w->pending)
        w->pending--;
    pthread_mutex_unlock(&w->lock);
}

/* Threads for a job: the cores shared among the jobs training now. */
static unsigned threads_for_job(nd_workers *w)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned busy = atomic_load(&w->training);
    unsigned t = (unsigned)(cores > 0 ? cores : 1) / (busy ? busy : 1);
    return t ? t : 1;
}

static void train_claimed(slot *s, const nd_claim *c)
{
    nd_workers *w = s->pool;
    unsigned index = (unsigned)(s - w->slots);
    const char *id = c->id;
    nd_log(ND_LOG_INFO, "job.claimed", NULL, ND_LS("job_id", id),
           ND_LI("worker", index), ND_LI("attempt", c->attempts + 1),
           ND_LS("node", nd_lease_node()), ND_LI("lease_token", c->token));
    pthread_mutex_lock(&w->lock);
    snprintf(s->job, sizeof s->job, "%s", id);
    s->token = c->token;
    atomic_store(&s->cancel, false);
    atomic_store(&s->pause, false);
    atomic_store(&s->lost, false);
    pthread_mutex_unlock(&w->lock);
    /* A cancel or pause that came between the claim and the line above
     * found no worker training the job; its flag is in the store. */
    if (nd_job_cancel_requested(id))
        atomic_store(&s->cancel, true);
    atomic_fetch_add(&w->training, 1);
    nd_job_run run = {s->job,           &s->cancel,       &w->stopping,
                      threads_for_job(w), w->checkpoint_ms, w->events,
                      index,            &s->pause,        c->token,
                      w->lease_ms,      &s->lost};
    nd_events_status(w->events, s->job); /* running */
    nd_train_job(&run);
    atomic_fetch_sub(&w->training, 1);
    pthread_mutex_lock(&w->lock);
    s->job[0] = '\0';
    pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
    slot *s = arg;
    nd_workers *w = s->pool;
    while (!atomic_load(&w->stopping)) {
        nd_claim c;
        int rc = nd_job_claim(&c, w->lease_ms);
        if (rc == 1)
            train_claimed(s, &c);
        else
            wait_for_work(w);
    }
    nd_db_close();
    atomic_fetch_sub(&w->alive, 1);
    return NULL;
}

nd_workers *nd_workers_start(struct nd_server *srv, unsigned n)
{
    /* The only process on its database takes back every running job; in
     * a cluster, only those whose lease ran out. */
    int requeued = nd_job_reclaim(ND_MAX_ATTEMPTS, !nd_db_shared(), NULL, 0);
    if (requeued < 0)
        return NULL;
    if (requeued > 0)
        nd_log(ND_LOG_WARN, "job.recovered",
               "interrupted jobs queued again to resume",
               ND_LI("jobs", requeued));
    nd_workers *w = calloc(1, sizeof *w);
    slot *slots = calloc(n, sizeof *slots);
    if (!w || !slots) {
        free(w);
        free(slots);
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->n = n;
    w->slots = slots;
    w->checkpoint_ms = srv->cfg.checkpoint_ms;
    w->lease_ms = srv->cfg.lease_ms;
    w->events = srv->events;
    w->pending = (unsigned)requeued;
    for (unsigned i = 0; i < n; i++) {
        slots[i].pool = w;
        /* Counted before the thread runs, so /readyz sees every worker as
         * soon as the server listens. */
        atomic_fetch_add(&w->alive, 1);
        slots[i].started = pthread_create(&slots[i].thread, NULL, worker_main,
                                          &slots[i]) == 0;
        if (!slots[i].started) {
            atomic_fetch_sub(&w->alive, 1);
            nd_workers_stop(w);
            return NULL;
        }
    }
    return w;
}

void nd_workers_wake(nd_workers *w)
{
    pthread_mutex_lock(&w->lock);
    w->pending++;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void nd_workers_notify(nd_workers *w)
{
    nd_workers_wake(w);
    nd_lease_notify(ND_NOTE_QUEUED, "*"); /* idle workers of other nodes */
}

/* The flag of slot s that what raises. */
static atomic_bool *flag_of(slot *s, nd_worker_flag what)
{
    return what == ND_FLAG_PAUSE    ? &s->pause
           : what == ND_FLAG_CANCEL ? &s->cancel
                                    : &s->lost;
}

bool nd_workers_flag(nd_workers *w, const char *job_id, int64_t token,
                     nd_worker_flag what)
{
    bool found = false;
    pthread_mutex_lock(&w->lock);
    for (unsigned i = 0; i < w->n && !found; i++) {
        slot *s = &w->slots[i];
        if (strcmp(s->job, job_id) == 0 && (!token || s->token == token)) {
            atomic_store(flag_of(s, what), true);
            found = true;
        }
    }
    pthread_mutex_unlock(&w->lock);
    return found;
}

bool nd_workers_cancel(nd_workers *w, const char *job_id)
{
    if (nd_workers_flag(w, job_id, 0, ND_FLAG_CANCEL))
        return true;
    nd_lease_notify(ND_NOTE_CANCEL, job_id); /* it may run on another node */
    return false;
}

bool nd_workers_pause(nd_workers *w, const char *job_id)
{
    if (nd_workers_flag(w, job_id, 0, ND_FLAG_PAUSE))
        return true;
    nd_lease_notify(ND_NOTE_PAUSE, job_id);
    return false;
}

size_t nd_workers_held(nd_workers *w, nd_held *out, size_t cap)
{
    size_t n = 0;
    pthread_mutex_lock(&w->lock);
    for (unsigned i = 0; i < w->n && n < cap; i++) {
        if (!w->slots[i].job[0])
            continue;
        snprintf(out[n].job, sizeof out[n].job, "%s", w->slots[i].job);
        out[n++].token = w->slots[i].token;
    }
    pthread_mutex_unlock(&w->lock);
    return n;
}

unsigned nd_workers_alive(const nd_workers *w)
{
    return atomic_load(&w->alive);
}

unsigned nd_workers_busy(const nd_workers *w)
{
    return atomic_load(&w->training);
}

void nd_workers_stop(nd_workers *w)
{
    pthread_mutex_lock(&w->lock);
    atomic_store(&w->stopping, true);
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    for (unsigned i = 0; i < w->n; i++)
        if (w->slots[i].started)
            pthread_join(w->slots[i].thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w->slots);
    free(w);
}
