/* cluster.h — this node's part in a cluster of nodes on one database:
 * the lease keeper (renews the leases of the jobs this node trains, stops
 * a job whose lease was lost, takes back jobs whose lease ran out on any
 * node) and, where the database is shared, the listener that turns other
 * nodes' notifications into this node's events and wake-ups. On SQLite
 * the keeper runs alone: one node is a cluster of one. */
#ifndef ND_CLUSTER_H
#define ND_CLUSTER_H

struct nd_server;
typedef struct nd_cluster nd_cluster;

/* Starts the keeper (every lease_ms / 3) and, on a shared database, the
 * listener, for srv's workers and events (both started). NULL when out of
 * memory or threads. */
nd_cluster *nd_cluster_start(struct nd_server *srv);

/* Stops and joins both threads (before the workers stop); frees c. NULL
 * is a no-op. */
void nd_cluster_stop(nd_cluster *c);

#endif
