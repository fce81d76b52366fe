/* sgemm_rate.h — the machine's sgemm rate at a training step's shapes
 * (gemm_shapes.h), the yardstick bench-train's GFLOP/s is read against. */
#ifndef BENCH_SGEMM_RATE_H
#define BENCH_SGEMM_RATE_H

#include <stddef.h>

#include "gemm_shapes.h"

/* GFLOP/s of nn_sgemm making shapes[0…n) as one step does (each
 * per_step times), over and over for about `seconds`, with BLAS using
 * `threads` threads. Returns a negative value if memory runs out. */
double sgemm_shapes_rate(const gemm_shape *shapes, size_t n, int threads,
                         double seconds);

/* Prints, prefixed "SGEMM", the rate at net's step shapes at batch rows
 * with 1 and 2 BLAS threads, and for a network with conv2d layers each
 * shape's rate with 1 thread, as libnn makes them and batched. */
void sgemm_report(const nn_network *net, size_t batch);

#endif
