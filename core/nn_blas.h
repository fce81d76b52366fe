/* nn_blas.h — the one matrix product every layer uses, and BLAS threading.
 *
 * Matrices are float32, row-major. Sizes are size_t here and are checked
 * against NN_MAX_* when networks and workspaces are made, so every call that
 * reaches BLAS fits its int arguments. */
#ifndef NN_BLAS_H
#define NN_BLAS_H

#include <stdbool.h>
#include <stddef.h>

/* C = alpha * op(A) op(B) + beta * C, where op(A) is M×K (A is K×M when
 * trans_a), op(B) is K×N (B is N×K when trans_b) and C is M×N; lda, ldb, ldc
 * are row strides. With beta == 0, C is written without being read. */
void nn_sgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K,
              float alpha, const float *A, size_t lda, const float *B,
              size_t ldb, float beta, float *C, size_t ldc);

/* Asks the BLAS to use n threads of its own inside one product. libnn's
 * trainer owns its threads and calls this with 1; a program that wants BLAS
 * threading for its own products may raise it. Returns false if the BLAS
 * offers no such control (the call is then a no-op). */
bool nn_blas_set_threads(int n);

#endif
