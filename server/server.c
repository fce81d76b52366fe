/* server.c — starting and stopping the daemon's parts in order. */
#include <stdio.h>

#include "backup.h"
#include "cluster.h"
#include "daemon.h"
#include "events.h"
#include "job_lease.h"
#include "log.h"
#include "metrics.h"
#include "nn_blas.h"
#include "reserve.h"
#include "server.h"
#include "store.h"
#include "workers.h"

/* How long stopping waits for event streams to close. */
#define WATCHERS_GRACE_MS 2000

/* The room for deletions on a full disk (reserve.h); the server runs
 * without it, and says so, when the disk has no room for it now. */
static void keep_reserve(const nd_config *cfg)
{
    char err[1200];
    int rc = nd_reserve_make(cfg->db, cfg->disk_reserve_bytes, err,
                             sizeof err);
    if (rc > 0)
        nd_log(ND_LOG_WARN, "store.reserve_unavailable",
               "no room on the database's disk for its reserve: deleting "
               "may fail if the disk fills up",
               ND_LI("bytes", cfg->disk_reserve_bytes));
    else if (rc < 0)
        nd_log(ND_LOG_WARN, "store.reserve_unavailable", err,
               ND_LI("bytes", cfg->disk_reserve_bytes));
}

int nd_server_start(nd_server *srv, char *err, size_t errlen)
{
    /* Training threads are libnn's; BLAS stays single-threaded inside them
     * so jobs never oversubscribe the cores. */
    nn_blas_set_threads(1);
    if (nd_metrics_init(err, errlen))
        return -1;
    if (nd_store_open(srv->cfg.db, err, errlen))
        return -2; /* --db names nothing this process can open */
    nd_lease_set_node(srv->cfg.node_name);
    /* The reserve and the backup's temporary copies are files beside a
     * SQLite database; PostgreSQL keeps its own disk. */
    if (!nd_store_is_postgres(srv->cfg.db))
        keep_reserve(&srv->cfg);
    int stale = nd_backup_remove_stale(srv->cfg.db);
    if (stale)
        nd_log(ND_LOG_WARN, "backup.stale_removed",
               "removed the temporary copies of a backup cut short",
               ND_LI("files", stale));
    srv->events = nd_events_new(srv->cfg.max_watchers,
                                srv->cfg.keepalive_ms);
    if (!srv->events) {
        snprintf(err, errlen, "cannot start the events hub");
        return -1;
    }
    srv->workers = nd_workers_start(srv, srv->cfg.workers);
    if (!srv->workers) {
        snprintf(err, errlen, "cannot start %u training workers",
                 srv->cfg.workers);
        nd_events_close(srv->events, 0);
        nd_events_free(srv->events);
        srv->events = NULL;
        return -1;
    }
    srv->cluster = nd_cluster_start(srv);
    if (!srv->cluster || nd_daemon_start(srv, err, errlen)) {
        if (!srv->cluster)
            snprintf(err, errlen, "cannot start the lease keeper");
        nd_cluster_stop(srv->cluster);
        srv->cluster = NULL;
        nd_workers_stop(srv->workers);
        srv->workers = NULL;
        nd_events_close(srv->events, 0);
        nd_events_free(srv->events);
        srv->events = NULL;
        return -1;
    }
    return 0;
}

void nd_server_stop(nd_server *srv)
{
    /* Streams first: their connections end, so the listener stops at once
     * instead of waiting on clients that would watch forever. */
    if (srv->events) {
        unsigned left = nd_events_close(srv->events, WATCHERS_GRACE_MS);
        if (left)
            nd_log(ND_LOG_WARN, "server.streams_open",
                   "event streams still open at shutdown",
                   ND_LI("streams", left));
    }
    nd_daemon_stop(srv);
    nd_cluster_stop(srv->cluster);
    srv->cluster = NULL;
    if (srv->workers)
        nd_workers_stop(srv->workers);
    srv->workers = NULL;
    nd_events_free(srv->events);
    srv->events = NULL;
    nd_db_close();
}
