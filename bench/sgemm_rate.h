/* sgemm_rate.h — the machine's sgemm rate at a network's training shapes,
 * the yardstick bench-train's GFLOP/s is read against. */
#ifndef BENCH_SGEMM_RATE_H
#define BENCH_SGEMM_RATE_H

#include <stddef.h>

/* GFLOP/s of the products one training step of a network with the given
 * widths (widths[0] = inputs, …, widths[n−1] = outputs) makes at batch rows
 * (forward X·W, backward Xᵀ·dZ for every layer and dZ·Wᵀ for all but the
 * first), run back to back for about `seconds`, with BLAS using `threads`
 * threads. Returns a negative value if memory runs out. */
double sgemm_step_rate(const size_t *widths, size_t n, size_t batch,
                       int threads, double seconds);

#endif
