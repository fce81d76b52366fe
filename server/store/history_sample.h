/* history_sample.h — a job's history cut down to at most N points for
 * charts of long runs (GET /v1/jobs/{id}/history?max_points=N). */
#ifndef ND_HISTORY_SAMPLE_H
#define ND_HISTORY_SAMPLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The fewest and most points a client may ask for. */
#define ND_SAMPLE_MIN 2
#define ND_SAMPLE_MAX 10000

/* The job's history points after epoch `after`, in epoch order: all of
 * them when there are at most max_points (>= ND_SAMPLE_MIN), otherwise
 * the first, the last, and from each of (max_points − 2) / 2 equal
 * buckets of the epochs between them the points of least and greatest
 * loss, so that spikes and the floor survive. One pass over the rows;
 * memory in max_points. Returns a new array, or NULL on a store error. */
json_t *nd_history_sample(const char *job_id, uint64_t after,
                          size_t max_points);

#endif
