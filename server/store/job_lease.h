/* job_lease.h — jobs on many nodes: claims with a lease, its renewal,
 * taking back jobs whose lease ran out, and the notifications that tell
 * other nodes of a job's progress. One node on SQLite is a cluster of one:
 * the same calls, no notifications. */
#ifndef ND_JOB_LEASE_H
#define ND_JOB_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* The one channel every node LISTENs on (PostgreSQL), and the most bytes
 * of a payload: "<kind> <id> <node>". */
#define ND_LEASE_CHANNEL "neurond"
#define ND_NOTE_MAX 160

/* Kinds of notification: an epoch was stored, a job's state changed, a
 * job was queued, a cancel or a pause was asked of a running job. */
enum { ND_NOTE_EPOCH = 'e', ND_NOTE_STATUS = 's', ND_NOTE_QUEUED = 'q',
       ND_NOTE_CANCEL = 'c', ND_NOTE_PAUSE = 'p' };

/* Sets this process's node name (at most 63 bytes), recorded with every
 * claim and in notifications; call once, before any worker runs. */
void nd_lease_set_node(const char *name);
const char *nd_lease_node(void);

/* Milliseconds since 1970 on this node's clock: leases are compared
 * with it (the nodes' clocks agree to well under a lease). */
int64_t nd_lease_now_ms(void);

/* What a claim took. */
typedef struct {
    char id[ND_ID_MAX];
    int attempts;  /* claims before this one */
    int64_t token; /* this claim's lease token */
} nd_claim;

/* Claims the oldest queued job for this node (PostgreSQL: FOR UPDATE
 * SKIP LOCKED, so nodes claiming at once take different jobs): it becomes
 * running with attempts + 1, this node, a new token and a lease of
 * lease_ms, and a row in claims records it. 1 with *c filled, 0 when none
 * is queued, −1 on a store error. One short transaction. */
int nd_job_claim(nd_claim *c, unsigned lease_ms);

/* Extends the lease of the job this node claimed with token to lease_ms
 * from now, and reads whether a cancel or a pause was asked meanwhile (on
 * any node). 0 when renewed, 1 when the lease is lost (it ran out, another
 * claim holds the job, or it is no longer running), −1 on a store error. */
int nd_job_renew(const char *id, int64_t token, unsigned lease_ms,
                 bool *cancel, bool *pause);

/* Takes back running jobs whose lease ran out (every running job when
 * all: at the start of the only process on a SQLite file), as a restart
 * takes back a crash's jobs: cancelled if a cancel was asked, failed once
 * interrupted max_attempts times, else queued to resume from their
 * checkpoint. Writes up to cap of their ids into ids (may be NULL) for
 * their events. Returns how many it took back, or −1. */
int nd_job_reclaim(int max_attempts, bool all, char (*ids)[ND_ID_MAX],
                   int cap);

/* Tells the other nodes (PostgreSQL NOTIFY, at the commit of the open
 * transaction, or at once outside one) of kind for id. Nothing on a store
 * no other process shares. 0 or −1. */
int nd_lease_notify(char kind, const char *id);

/* Reads a payload of nd_lease_notify: its kind, id and sender. False
 * when it is not one. */
bool nd_lease_parse(const char *payload, char *kind, char id[ND_ID_MAX],
                    char node[64]);

#endif
