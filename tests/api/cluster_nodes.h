/* cluster_nodes.h — three neurond nodes on one PostgreSQL database for
 * the cluster tests: started, watched, cut off from the database, and
 * stopped, asserting each step. Node i is named node-i. */
#ifndef API_CLUSTER_NODES_H
#define API_CLUSTER_NODES_H

#include <stdbool.h>

#include "harness.h"

#define NODES 3

/* Starts NODES nodes on node 0's new database, each with `workers`
 * workers and the extra arguments (NULL-terminated, or NULL). */
void cluster_start(api_server n[NODES], unsigned workers,
                   const char *const *extra);

/* Stops every node still running (a stopped one is continued first) and
 * removes their folders and database. */
void cluster_stop(api_server n[NODES]);

/* Waits (30 s at most) until job runs on a node that claimed it, asking
 * node ask; returns the index of the node that runs it. */
int cluster_wait_running(api_server *ask, const char *job);

/* After the database cut connections: asks every node's /readyz until
 * each has answered 200 twenty times in a row (each request thread
 * meets its dead connection on its next query, answers 503 and opens a
 * new one), 30 s at most. */
void cluster_settle(api_server n[NODES]);

/* Waits (30 s at most) until the claims table holds n claims of job. */
void cluster_wait_claims(api_server *s, const char *job, long n);

/* Sends POST /v1/jobs for model[i] on dataset ds (with the fields of
 * extra_fmt and its one unsigned argument) to node i % NODES, from one
 * thread per node at once; job ids into job[i]. Asserts every 202. */
void cluster_start_jobs(api_server n[NODES], int count, char (*model)[64],
                        const char *ds, const char *extra_fmt, unsigned arg,
                        char (*job)[64]);

/* After the node `old` lost job to `now`: old says it lost the lease and
 * stopped the job, no third claim comes, and the job stays on `now` with
 * its epoch never going back for a second. */
void cluster_assert_fenced(api_server *old, api_server *now, const char *job);

/* Ends every connection to the database but the caller's, as a
 * PostgreSQL restart does. */
void cluster_cut_connections(api_server *s);

/* Makes the database refuse connections (and ends the open ones), or
 * accept them again. */
void cluster_refuse_connections(api_server *s, bool refuse);

/* As api_wait_job (timeout_s at most), taking a 503 for "the database is
 * reconnecting, ask again": the job once it has ended. */
json_t *cluster_wait_job(api_server *s, const char *job, double timeout_s);

/* The HTTP status of GET /readyz. */
long cluster_readyz(api_server *s);

#endif
