/* server.c — starting and stopping the daemon's parts in order. */
#include <stdio.h>

#include "daemon.h"
#include "nn_blas.h"
#include "server.h"
#include "store.h"
#include "workers.h"

int nd_server_start(nd_server *srv, char *err, size_t errlen)
{
    /* Training threads are libnn's; BLAS stays single-threaded inside them
     * so jobs never oversubscribe the cores. */
    nn_blas_set_threads(1);
    if (nd_store_open(srv->cfg.db, err, errlen))
        return -1;
    srv->workers = nd_workers_start(srv, srv->cfg.workers);
    if (!srv->workers) {
        snprintf(err, errlen, "cannot start %u training workers",
                 srv->cfg.workers);
        return -1;
    }
    if (nd_daemon_start(srv, err, errlen)) {
        nd_workers_stop(srv->workers);
        srv->workers = NULL;
        return -1;
    }
    return 0;
}

void nd_server_stop(nd_server *srv)
{
    nd_daemon_stop(srv);
    if (srv->workers)
        nd_workers_stop(srv->workers);
    srv->workers = NULL;
    nd_db_close();
}
