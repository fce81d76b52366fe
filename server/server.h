/* server.h — the running daemon: configuration, the HTTP listener and the
 * training workers, passed to every handler through its request. */
#ifndef ND_SERVER_H
#define ND_SERVER_H

#include <stdatomic.h>

#include "config.h"

struct MHD_Daemon;
struct nd_workers;
struct nd_events;
struct nd_conn_guard;
struct nd_cluster;

typedef struct nd_server {
    nd_config cfg;
    struct MHD_Daemon *daemon;
    struct nd_conn_guard *guard; /* deadlines of its connections */
    unsigned port; /* the bound port, also when cfg.port was 0 */
    struct nd_workers *workers;
    struct nd_events *events; /* live job events for /v1/jobs/{id}/events */
    struct nd_cluster *cluster; /* leases and other nodes' notifications */
    atomic_uint backups_open; /* POST /v1/admin/backup copies held (admin.c) */
} nd_server;

/* Opens the store (applying migrations), recovers jobs interrupted by a
 * crash, starts the workers and then the HTTP listener. Returns 0; −2
 * with a message in err when the database --db names cannot be opened (a
 * wrong or unreachable PostgreSQL URI, a SQLite file that cannot be
 * made: a configuration error); −1 with a message on any other failure. */
int nd_server_start(nd_server *srv, char *err, size_t errlen);

/* Ends every event stream, stops accepting requests, lets running jobs checkpoint and requeue,
 * and closes the store. */
void nd_server_stop(nd_server *srv);

#endif
