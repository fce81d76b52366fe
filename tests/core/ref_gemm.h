/* ref_gemm.h — the naive reference matrix product nn_sgemm is checked
 * against; it lives only in the tests. */
#ifndef TESTS_CORE_REF_GEMM_H
#define TESTS_CORE_REF_GEMM_H

#include <stdbool.h>
#include <stddef.h>

/* C = alpha op(A) op(B) + beta C with nn_sgemm's conventions (row-major,
 * op(A) M×K, op(B) K×N, row strides lda, ldb, ldc), summed in double by a
 * triple loop. With beta == 0, C is not read. */
void ref_sgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
               float alpha, const float *A, size_t lda, const float *B,
               size_t ldb, float beta, float *C, size_t ldc);

#endif
