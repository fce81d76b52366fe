/* blas.c — the single wrapper through which libnn reaches BLAS: CBLAS
 * (OpenBLAS, the default build), or with NN_BLAS_ONEDNN (`make
 * BLAS=onednn`) oneDNN's dnnl_sgemm, which measured faster at some of a
 * training step's shapes (bench/gemm/gemm_backends.c). */
#include "nn_blas.h"

#ifdef NN_BLAS_ONEDNN
#include <dnnl.h>
#include <omp.h>
#include <stdatomic.h>

/* dnnl_sgemm runs on OpenMP threads, as many as the calling thread's own
 * OpenMP setting says (per thread: the trainer's workers are threads of
 * their own). nn_blas_set_threads bumps a generation; each thread that
 * calls in applies the count to itself when it sees a new one. */
static atomic_int blas_threads = 1, generation = 1;
static _Thread_local int seen_generation;

void nn_sgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
              float alpha, const float *A, size_t lda, const float *B,
              size_t ldb, float beta, float *C, size_t ldc)
{
    if (M == 0 || N == 0)
        return;
    if (K == 0) { /* an empty sum, which dnnl_sgemm skips: C = βC */
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++)
                C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    int g = atomic_load(&generation);
    if (seen_generation != g) {
        omp_set_num_threads(atomic_load(&blas_threads));
        seen_generation = g;
    }
    dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', (dnnl_dim_t)M,
               (dnnl_dim_t)N, (dnnl_dim_t)K, alpha, A, (dnnl_dim_t)lda, B,
               (dnnl_dim_t)ldb, beta, C, (dnnl_dim_t)ldc);
}

bool nn_blas_set_threads(int n)
{
    atomic_store(&blas_threads, n < 1 ? 1 : n);
    atomic_fetch_add(&generation, 1);
    return true;
}

#else
#include <cblas.h>

void nn_sgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
              float alpha, const float *A, size_t lda, const float *B,
              size_t ldb, float beta, float *C, size_t ldc)
{
    if (M == 0 || N == 0)
        return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K,
                alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

/* OpenBLAS's control, declared weak so another CBLAS links too. */
extern void openblas_set_num_threads(int n) __attribute__((weak));

bool nn_blas_set_threads(int n)
{
    if (!openblas_set_num_threads)
        return false;
    openblas_set_num_threads(n < 1 ? 1 : n);
    return true;
}
#endif
