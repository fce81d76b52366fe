/* sgemm_rate.c — timing nn_sgemm alone at a training step's shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nn_blas.h"
#include "sgemm_rate.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static float *filled(size_t n)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; p && i < n; i++)
        p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return p;
}

/* Runs s once from A, B into C; returns its flops. */
static double run(const gemm_shape *s, const float *A, const float *B,
                  float *C)
{
    size_t lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    nn_sgemm(s->ta, s->tb, s->m, s->n, s->k, 1.0f, A, lda, B, ldb, 0.0f, C,
             s->n);
    return gemm_flops(s);
}

double sgemm_shapes_rate(const gemm_shape *shapes, size_t n, int threads,
                         double seconds)
{
    size_t a = 1, b = 1, c = 1;
    for (size_t i = 0; i < n; i++) {
        const gemm_shape *s = &shapes[i];
        a = s->m * s->k > a ? s->m * s->k : a;
        b = s->k * s->n > b ? s->k * s->n : b;
        c = s->m * s->n > c ? s->m * s->n : c;
    }
    float *A = filled(a), *B = filled(b), *C = filled(c);
    double rate = -1.0;
    if (A && B && C) {
        nn_blas_set_threads(threads);
        double flops = 0.0, t0 = now_s(), t;
        do {
            for (size_t i = 0; i < n; i++)
                for (size_t r = 0; r < shapes[i].per_step; r++)
                    flops += run(&shapes[i], A, B, C);
        } while ((t = now_s() - t0) < seconds);
        rate = flops / t / 1e9;
        nn_blas_set_threads(1);
    }
    free(A);
    free(B);
    free(C);
    return rate;
}

/* Each of shapes' rate alone, 1 thread. */
static void each_rate(const gemm_shape *shapes, size_t n, const char *how)
{
    for (size_t i = 0; i < n; i++) {
        const gemm_shape *s = &shapes[i];
        printf("SGEMM %s %s: M %zu N %zu K %zu%s%s, ×%zu a step: %.1f "
               "GFLOP/s\n", how, s->what, s->m, s->n, s->k,
               s->ta ? " Aᵀ" : "", s->tb ? " Bᵀ" : "", s->per_step,
               sgemm_shapes_rate(s, 1, 1, 0.3));
    }
}

void sgemm_report(const nn_network *net, size_t batch)
{
    gemm_shape shapes[GEMM_MAX_SHAPES], batched[GEMM_MAX_SHAPES];
    size_t n = gemm_step_shapes(net, batch, false, shapes, GEMM_MAX_SHAPES);
    size_t nb = gemm_step_shapes(net, batch, true, batched, GEMM_MAX_SHAPES);
    printf("SGEMM step shapes: %.1f GFLOP/s with 1 BLAS thread, %.1f with "
           "2\n", sgemm_shapes_rate(shapes, n, 1, 1.0),
           sgemm_shapes_rate(shapes, n, 2, 1.0));
    bool conv = false;
    for (size_t k = 0; k < net->n_layers; k++)
        conv |= net->layers[k].kind == NN_LAYER_CONV2D;
    if (!conv)
        return;
    printf("SGEMM batched conv shapes (M = batch·OH·OW): %.1f GFLOP/s with 1 "
           "BLAS thread, %.1f with 2\n", sgemm_shapes_rate(batched, nb, 1, 1.0),
           sgemm_shapes_rate(batched, nb, 2, 1.0));
    each_rate(shapes, n, "as run");
    each_rate(batched, nb, "batched");
}
