/* gemm_backends.c — `make bench`'s GEMM backend comparison: OpenBLAS
 * (cblas_sgemm, what nn_sgemm calls), BLIS (bli_sgemm) and oneDNN
 * (dnnl_sgemm), each single-threaded, in GFLOP/s at every product of a
 * training step (bench/gemm_shapes.h): the MLP 784-256-128-10 at batch 32
 * and 128, and the reference CNN (bench/models/cnn-fmnist.json) at batch
 * 64 and 128, its conv2d as libnn runs it (per example) and batched.
 * Backends take turns shape by shape, ROUNDS times each for about
 * --seconds / ROUNDS, and each keeps its best round: on a shared machine a
 * load that comes and goes only ever slows a round down, and taking turns
 * lets it hit all three alike. Also checks that the three agree on every
 * shape (largest relative difference from OpenBLAS printed).
 * Usage: gemm-backends [--seconds S] [--model FILE.json] */
#include <blis.h>
#include <cblas.h>
#include <dnnl.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm_shapes.h"
#include "model_file.h"
#include "nn_blas.h"

enum { OPENBLAS, BLIS, ONEDNN, N_BACKENDS };
#define ROUNDS 5
static const char *const backend_name[N_BACKENDS] = {"OpenBLAS", "BLIS",
                                                     "oneDNN"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* C = op(A)·op(B) for s, row-major, by backend b. */
static void gemm(int b, const gemm_shape *s, const float *A, const float *B,
                 float *C)
{
    size_t lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    float one = 1.0f, zero = 0.0f;
    switch (b) {
    case OPENBLAS:
        cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
                    s->tb ? CblasTrans : CblasNoTrans, (int)s->m, (int)s->n,
                    (int)s->k, 1.0f, A, (int)lda, B, (int)ldb, 0.0f, C,
                    (int)s->n);
        break;
    case BLIS: /* general strides: row-major is (row stride ld, column 1) */
        bli_sgemm(s->ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
                  s->tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, (dim_t)s->m,
                  (dim_t)s->n, (dim_t)s->k, &one, (float *)A, (inc_t)lda, 1,
                  (float *)B, (inc_t)ldb, 1, &zero, C, (inc_t)s->n, 1);
        break;
    default: /* dnnl_sgemm is row-major */
        dnnl_sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', (dnnl_dim_t)s->m,
                   (dnnl_dim_t)s->n, (dnnl_dim_t)s->k, 1.0f, A,
                   (dnnl_dim_t)lda, B, (dnnl_dim_t)ldb, 0.0f, C,
                   (dnnl_dim_t)s->n);
    }
}

static float *filled(size_t n)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; p && i < n; i++)
        p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return p;
}

/* Each backend's GFLOP/s at s into rate[], and the largest relative
 * difference of C from OpenBLAS's; false when out of memory. */
static bool time_shape(const gemm_shape *s, double seconds,
                       double rate[N_BACKENDS], double *diff)
{
    float *A = filled(s->m * s->k), *B = filled(s->k * s->n);
    float *C[N_BACKENDS];
    for (int b = 0; b < N_BACKENDS; b++)
        C[b] = filled(s->m * s->n);
    bool ok = A && B && C[0] && C[1] && C[2];
    for (int b = 0; ok && b < N_BACKENDS; b++) {
        gemm(b, s, A, B, C[b]); /* warm: packing buffers, code */
        rate[b] = 0;
    }
    for (int r = 0; ok && r < ROUNDS; r++)
        for (int b = 0; b < N_BACKENDS; b++) {
            double t0 = now_s(), t;
            size_t runs = 0;
            do {
                gemm(b, s, A, B, C[b]);
                runs++;
            } while ((t = now_s() - t0) < seconds / ROUNDS);
            double g = gemm_flops(s) * (double)runs / t / 1e9;
            rate[b] = g > rate[b] ? g : rate[b];
        }
    *diff = 0;
    for (size_t i = 0; ok && i < s->m * s->n; i++)
        for (int b = 1; b < N_BACKENDS; b++) {
            double d = fabs((double)C[b][i] - C[0][i]) /
                       fmax(1.0, fabs((double)C[0][i]));
            *diff = d > *diff ? d : *diff;
        }
    free(A);
    free(B);
    for (int b = 0; b < N_BACKENDS; b++)
        free(C[b]);
    return ok;
}

/* One table: every shape of a step of net at batch, then the step. */
static int table(const char *title, const nn_network *net, size_t batch,
                 bool batched, double seconds)
{
    gemm_shape shapes[GEMM_MAX_SHAPES];
    size_t n = gemm_step_shapes(net, batch, batched, shapes, GEMM_MAX_SHAPES);
    double step_s[N_BACKENDS] = {0}, step_flops = 0, worst = 0;
    printf("\n## %s, batch %zu\n| product | M | N | K | ×/step |", title,
           batch);
    for (int b = 0; b < N_BACKENDS; b++)
        printf(" %s |", backend_name[b]);
    printf("\n|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const gemm_shape *s = &shapes[i];
        double rate[N_BACKENDS], diff;
        if (!time_shape(s, seconds, rate, &diff))
            return fprintf(stderr, "gemm-backends: out of memory\n"), -1;
        worst = diff > worst ? diff : worst;
        double f = gemm_flops(s) * (double)s->per_step;
        step_flops += f;
        printf("| %s%s%s | %zu | %zu | %zu | %zu |", s->what,
               s->ta ? " (Aᵀ)" : "", s->tb ? " (Bᵀ)" : "", s->m, s->n, s->k,
               s->per_step);
        for (int b = 0; b < N_BACKENDS; b++) {
            step_s[b] += f / (rate[b] * 1e9);
            printf(" %.1f |", rate[b]);
        }
        printf("\n");
    }
    printf("| **step** | | | | |");
    for (int b = 0; b < N_BACKENDS; b++)
        printf(" **%.1f** |", step_flops / step_s[b] / 1e9);
    printf("\nlargest relative difference from OpenBLAS: %.2g\n", worst);
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = 0.5;
    const char *model = "bench/models/cnn-fmnist.json";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--model") == 0)
            model = argv[i + 1];
        else
            return fprintf(stderr, "usage: gemm-backends [--seconds S] "
                                   "[--model FILE.json]\n"), 2;
    }
    nn_blas_set_threads(1); /* OpenBLAS */
    bli_thread_set_num_threads(1);
    omp_set_num_threads(1); /* oneDNN's OpenMP runtime */
    nn_network *mlp = NULL, *cnn = NULL;
    nn_layer_spec layers[] = {{.units = 256, .act = {NN_ACT_RELU, 0}},
                              {.units = 128, .act = {NN_ACT_RELU, 0}},
                              {.units = 10, .act = {NN_ACT_SOFTMAX, 0}}};
    nn_error err;
    char msg[512];
    if (nn_network_create(&mlp, NN_MODEL_MLP, 784, layers, 3,
                          NN_LOSS_CROSS_ENTROPY, &err))
        return fprintf(stderr, "gemm-backends: %s\n", err.message), 1;
    if (bench_model_file(model, &cnn, msg, sizeof msg))
        return fprintf(stderr, "gemm-backends: %s\n", msg), 1;
    printf("# GFLOP/s, one thread each, the best of %d rounds of %.2f s a "
           "shape and backend\n", ROUNDS, seconds / ROUNDS);
    int rc = table("MLP 784-256-128-10", mlp, 32, false, seconds) ||
             table("MLP 784-256-128-10", mlp, 128, false, seconds) ||
             table("CNN conv2d per example (as libnn runs it)", cnn, 64,
                   false, seconds) ||
             table("CNN conv2d per example (as libnn runs it)", cnn, 128,
                   false, seconds) ||
             table("CNN conv2d batched (M = batch·OH·OW)", cnn, 64, true,
                   seconds) ||
             table("CNN conv2d batched (M = batch·OH·OW)", cnn, 128, true,
                   seconds);
    nn_network_free(mlp);
    nn_network_free(cnn);
    return rc ? 1 : 0;
}
