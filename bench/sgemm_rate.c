/* sgemm_rate.c — timing BLAS alone at a training step's shapes. */
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

/* One step's products for layer k: in → out. */
static double layer_products(size_t k, size_t B, size_t in, size_t out,
                             const float *X, const float *W, float *Z,
                             float *dW, float *dX)
{
    nn_sgemm(false, false, B, out, in, 1.0f, X, in, W, out, 0.0f, Z, out);
    nn_sgemm(true, false, in, out, B, 1.0f, X, in, Z, out, 0.0f, dW, out);
    double flops = 4.0 * (double)B * in * out;
    if (k > 0) {
        nn_sgemm(false, true, B, in, out, 1.0f, Z, out, W, out, 0.0f, dX, in);
        flops += 2.0 * (double)B * in * out;
    }
    return flops;
}

double sgemm_step_rate(const size_t *widths, size_t n, size_t batch,
                       int threads, double seconds)
{
    size_t wide = 0;
    for (size_t i = 0; i < n; i++)
        wide = widths[i] > wide ? widths[i] : wide;
    float *X = filled(batch * wide), *Z = filled(batch * wide);
    float *dX = filled(batch * wide), *W = filled(wide * wide);
    float *dW = filled(wide * wide);
    double rate = -1.0;
    if (X && Z && dX && W && dW) {
        nn_blas_set_threads(threads);
        double flops = 0.0, t0 = now_s(), t;
        do {
            for (size_t k = 0; k + 1 < n; k++)
                flops += layer_products(k, batch, widths[k], widths[k + 1], X,
                                        W, Z, dW, dX);
        } while ((t = now_s() - t0) < seconds);
        rate = flops / t / 1e9;
        nn_blas_set_threads(1);
    }
    free(X);
    free(Z);
    free(dX);
    free(W);
    free(dW);
    return rate;
}
