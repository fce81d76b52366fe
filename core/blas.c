/* blas.c — the single wrapper through which libnn reaches BLAS. */
#include <cblas.h>

#include "nn_blas.h"

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
