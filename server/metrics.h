/* metrics.h — the counters behind GET /metrics, and their rendering in
 * Prometheus's text exposition format (0.0.4). Counters are C11 atomics in
 * fixed arrays (requests by route × status, latency buckets by route), so
 * recording one costs a few relaxed atomic adds and never a lock; what the
 * store knows (jobs by state) is read by the caller at scrape time and
 * passed in. Route labels are the route table's templates
 * ("/v1/jobs/{id}"), never raw paths, so the series stay bounded. */
#ifndef ND_METRICS_H
#define ND_METRICS_H

#include <stddef.h>

#include "router.h"

/* The per-worker throughput cells: one per worker (--workers ≤ 256). */
#define ND_METRICS_MAX_WORKERS 256

/* The content type of the exposition. */
#define ND_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Remembers the start time and checks that the route table fits the
 * counter arrays. Returns 0, or −1 with a message in err. */
int nd_metrics_init(char *err, size_t errlen);

/* Counts one finished request: route is the matched route or NULL
 * (labelled "unmatched", with the method kept only if it is a standard
 * one), status the reply's (499 when the client left before one was
 * sent), seconds from its headers to its last byte. */
void nd_metrics_request(const nd_route *route, const char *method,
                        unsigned status, double seconds);

/* Counts one trained epoch of `samples` training rows. */
void nd_metrics_epoch(size_t samples);

/* Sets the throughput of the job worker `worker` trains now (0 when it
 * trains none); /metrics shows the sum over the workers. */
void nd_metrics_job_rate(unsigned worker, double samples_per_s);

/* Counts one error SQLite reported (store.c's error log). */
void nd_metrics_sqlite_error(void);

/* What the caller reads at scrape time. */
typedef struct {
    const char *const *states; /* job states, n_states of them */
    const long long *jobs;     /* jobs in each state */
    size_t n_states;
    long long queue_limit;     /* --max-queued-jobs */
    unsigned workers, workers_busy, event_streams;
} nd_metrics_gauges;

/* The whole exposition, every family with HELP and TYPE lines, as a
 * malloc'd text (the caller frees it; *len its length); NULL when out of
 * memory. Process figures come from /proc/self. */
char *nd_metrics_render(const nd_metrics_gauges *g, size_t *len);

#endif
