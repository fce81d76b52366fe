/* cluster.c — the lease keeper and the listener of one node (see
 * cluster.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "events.h"
#include "job_lease.h"
#include "log.h"
#include "server.h"
#include "workers.h"

/* Jobs the keeper renews or takes back in one round, at most. */
#define ROUND_MAX 256
/* How long the listener waits for a notification before it looks at
 * whether it should stop, and how long it waits after a failure. */
#define LISTEN_MS 500

struct nd_cluster {
    nd_server *srv;
    unsigned lease_ms;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stopping;
    pthread_t keeper, listener;
    bool keeper_started, listener_started;
};

/* Renews the lease of every job this node trains; a job whose lease is
 * lost stops at once, and a cancel or pause asked on another node is
 * raised here. */
static void renew_held(nd_cluster *c)
{
    static nd_held held[ROUND_MAX];
    nd_workers *w = c->srv->workers;
    size_t n = nd_workers_held(w, held, ROUND_MAX);
    for (size_t i = 0; i < n; i++) {
        bool cancel, pause;
        int rc = nd_job_renew(held[i].job, held[i].token, c->lease_ms,
                              &cancel, &pause);
        if (rc < 0) {
            nd_log(ND_LOG_WARN, "job.lease_renew_failed",
                   "cannot renew a job's lease: the store is unreachable",
                   ND_LS("job_id", held[i].job));
        } else if (rc > 0) {
            nd_log(ND_LOG_WARN, "job.lease_lost",
                   "another claim holds the job: this node stops it and "
                   "writes nothing more for it",
                   ND_LS("job_id", held[i].job),
                   ND_LI("lease_token", held[i].token));
            nd_workers_flag(w, held[i].job, held[i].token, ND_FLAG_LOST);
        } else {
            if (cancel)
                nd_workers_flag(w, held[i].job, held[i].token,
                                ND_FLAG_CANCEL);
            if (pause)
                nd_workers_flag(w, held[i].job, held[i].token,
                                ND_FLAG_PAUSE);
        }
    }
}

/* Takes back the jobs whose lease ran out, on whichever node. */
static void reclaim_expired(nd_cluster *c)
{
    static char ids[ROUND_MAX][ND_ID_MAX];
    int n = nd_job_reclaim(ND_MAX_ATTEMPTS, false, ids, ROUND_MAX);
    if (n <= 0)
        return;
    nd_log(ND_LOG_WARN, "job.lease_expired",
           "running jobs whose lease ran out were taken back to resume "
           "from their checkpoints (or failed past their attempts)",
           ND_LI("jobs", n));
    for (int i = 0; i < n && i < ROUND_MAX; i++)
        nd_events_status(c->srv->events, ids[i]);
    nd_workers_notify(c->srv->workers);
}

/* Waits ms or until stopping; false when stopping. */
static bool pause_ms(nd_cluster *c, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&c->lock);
    if (!atomic_load(&c->stopping))
        pthread_cond_timedwait(&c->wake, &c->lock, &until);
    pthread_mutex_unlock(&c->lock);
    return !atomic_load(&c->stopping);
}

static void *keeper_main(void *arg)
{
    nd_cluster *c = arg;
    while (pause_ms(c, c->lease_ms / 3)) {
        renew_held(c);
        reclaim_expired(c);
    }
    nd_db_close();
    return NULL;
}

/* Acts on one notification of another node. */
static void dispatch(nd_cluster *c, const char *payload)
{
    char kind, id[ND_ID_MAX], node[64];
    if (!nd_lease_parse(payload, &kind, id, node) ||
        strcmp(node, nd_lease_node()) == 0)
        return;
    nd_server *srv = c->srv;
    if (kind == ND_NOTE_EPOCH)
        nd_events_stored_epoch(srv->events, id);
    else if (kind == ND_NOTE_STATUS)
        nd_events_status_here(srv->events, id);
    else if (kind == ND_NOTE_QUEUED)
        nd_workers_wake(srv->workers);
    else
        nd_workers_flag(srv->workers, id, 0,
                        kind == ND_NOTE_PAUSE ? ND_FLAG_PAUSE
                                              : ND_FLAG_CANCEL);
}

static void *listener_main(void *arg)
{
    nd_cluster *c = arg;
    bool down = false;
    while (!atomic_load(&c->stopping)) {
        char payload[ND_NOTE_MAX];
        int rc = nd_wait_notify(ND_LEASE_CHANNEL, LISTEN_MS, payload,
                                sizeof payload);
        if (rc < 0) {
            if (!down)
                nd_logf(ND_LOG_WARN, "cluster.listen_failed",
                        "lost the store's notifications; reconnecting");
            down = true;
            pause_ms(c, LISTEN_MS);
            continue;
        }
        if (down)
            nd_logf(ND_LOG_INFO, "cluster.listening",
                    "the store's notifications are back");
        down = false;
        if (rc == 1)
            dispatch(c, payload);
    }
    nd_db_close();
    return NULL;
}

nd_cluster *nd_cluster_start(nd_server *srv)
{
    nd_cluster *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->srv = srv;
    c->lease_ms = srv->cfg.lease_ms;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    c->keeper_started =
        pthread_create(&c->keeper, NULL, keeper_main, c) == 0;
    c->listener_started =
        nd_db_shared() &&
        pthread_create(&c->listener, NULL, listener_main, c) == 0;
    if (!c->keeper_started || (nd_db_shared() && !c->listener_started)) {
        nd_cluster_stop(c);
        return NULL;
    }
    return c;
}

void nd_cluster_stop(nd_cluster *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->stopping, true);
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
    if (c->keeper_started)
        pthread_join(c->keeper, NULL);
    if (c->listener_started)
        pthread_join(c->listener, NULL);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
