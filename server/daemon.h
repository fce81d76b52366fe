/* daemon.h — starting and stopping the HTTP listener. */
#ifndef ND_DAEMON_H
#define ND_DAEMON_H

#include <stddef.h>

struct nd_server;

/* Listens on cfg.bind:cfg.port with cfg.http_threads threads; sets
 * srv->port to the bound port. Returns 0, or −1 with a message. */
int nd_daemon_start(struct nd_server *srv, char *err, size_t errlen);

/* Stops listening; requests in progress are finished first. */
void nd_daemon_stop(struct nd_server *srv);

#endif
