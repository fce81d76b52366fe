/* gemm_shapes.h — the matrix products one training step of a network makes,
 * for timing BLAS alone at them (sgemm_rate.c, gemm_backends.c). Each is
 * C (m×n) = op(A) (m×k) · op(B) (k×n), row-major, as nn_sgemm takes it. */
#ifndef BENCH_GEMM_SHAPES_H
#define BENCH_GEMM_SHAPES_H

#include <stdbool.h>
#include <stddef.h>

#include "nn.h"

typedef struct {
    char what[48];   /* "conv2d 2 forward", "dense 1 dX", … */
    bool ta, tb;     /* A, B transposed */
    size_t m, n, k;
    size_t per_step; /* how many times one step makes it */
} gemm_shape;

#define GEMM_MAX_SHAPES 96

/* The products of one step of net at batch rows: for each dense layer
 * forward X·W, backward Xᵀ·dZ and, but for the first layer, dZ·Wᵀ; for each
 * conv2d as libnn makes them, per example (batch times each): forward
 * W·col (M = filters, N = OH·OW, K = C·kh·kw), dZ·colᵀ and, but for the
 * first layer, Wᵀ·dZ. With batched, conv2d instead as one product over
 * the batch, the way its columns would be laid out for it: M = batch·OH·OW,
 * K = C·kh·kw, N = filters (forward col·Wᵀ, backward colᵀ·dZ and
 * dZ·W). Other layers make none. Writes at most cap; returns the count. */
size_t gemm_step_shapes(const nn_network *net, size_t batch, bool batched,
                        gemm_shape *out, size_t cap);

/* Floating-point operations of one run of s: 2·m·n·k. */
double gemm_flops(const gemm_shape *s);

#endif
