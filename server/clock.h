/* clock.h — the monotonic clock that every duration and timer in the
 * server reads (request latency, job throughput, checkpoint and event
 * pacing, backup time, uptime). */
#ifndef ND_CLOCK_H
#define ND_CLOCK_H

#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
static inline double nd_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#endif
