/* test_blas.c — nn_sgemm against the naive reference product, for every
 * transpose combination, odd sizes, general alpha/beta and padded strides. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "ref_gemm.h"

/* One product of the given shape with strides padded by `pad`, checked
 * element-wise against the reference: |C − ref| ≤ 1e-5 · (Σ|terms| + 1),
 * i.e. float rounding of a K-term sum; the padding between rows of C must
 * come back untouched. */
static void check_gemm(bool ta, bool tb, size_t M, size_t N, size_t K,
                       float alpha, float beta, size_t pad, uint64_t seed)
{
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    size_t a_rows = ta ? K : M, a_cols = ta ? M : K;
    size_t b_rows = tb ? N : K, b_cols = tb ? K : N;
    size_t lda = a_cols + pad, ldb = b_cols + pad, ldc = N + pad;
    float *A = malloc(a_rows * lda * sizeof *A);
    float *B = malloc(b_rows * ldb * sizeof *B);
    float *C = malloc(M * ldc * sizeof *C);
    float *R = malloc(M * ldc * sizeof *R);
    cr_assert(A && B && C && R);
    fill_uniform(A, a_rows * lda, -1, 1, &rng);
    fill_uniform(B, b_rows * ldb, -1, 1, &rng);
    fill_uniform(C, M * ldc, -1, 1, &rng);
    memcpy(R, C, M * ldc * sizeof *R);

    nn_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    ref_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);

    for (size_t i = 0; i < M; i++) {
        for (size_t j = 0; j < ldc; j++) {
            float got = C[i * ldc + j], want = R[i * ldc + j];
            if (j >= N) { /* padding: never written */
                cr_assert(memcmp(&got, &want, sizeof got) == 0,
                          "padding C[%zu][%zu] was written", i, j);
                continue;
            }
            double tol = 1e-5 * ((double)K * fabsf(alpha) + fabsf(beta) + 1);
            cr_assert_float_eq(got, want, tol,
                               "ta=%d tb=%d M=%zu N=%zu K=%zu C[%zu][%zu] = "
                               "%.9g, reference %.9g",
                               ta, tb, M, N, K, i, j, (double)got,
                               (double)want);
        }
    }
    free(A);
    free(B);
    free(C);
    free(R);
}

Test(blas, all_transposes_odd_sizes_general_alpha_beta)
{
    static const size_t shapes[][3] = {
        {1, 1, 1}, {3, 5, 7}, {7, 3, 5}, {13, 11, 9}, {31, 17, 65}, {2, 1, 33},
    };
    for (int t = 0; t < 4; t++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            check_gemm(t & 1, t & 2, shapes[s][0], shapes[s][1],
                       shapes[s][2], 0.75f, -1.25f, 0, 11 + s);
}

Test(blas, leading_dimensions_larger_than_width)
{
    for (int t = 0; t < 4; t++) {
        check_gemm(t & 1, t & 2, 5, 9, 6, 1.5f, 0.5f, 3, 101 + t);
        check_gemm(t & 1, t & 2, 17, 4, 23, -0.5f, 2.0f, 7, 201 + t);
    }
}

Test(blas, alpha_beta_identities)
{
    for (int t = 0; t < 4; t++) {
        check_gemm(t & 1, t & 2, 6, 7, 8, 1.0f, 0.0f, 1, 301 + t);
        check_gemm(t & 1, t & 2, 6, 7, 8, 1.0f, 1.0f, 2, 401 + t);
        check_gemm(t & 1, t & 2, 6, 7, 8, 0.0f, 0.5f, 0, 501 + t);
    }
}

/* beta == 0 writes C without reading it: NaN garbage there must vanish. */
Test(blas, beta_zero_ignores_garbage_in_c)
{
    float A[2 * 3] = {1, 2, 3, 4, 5, 6}; /* 2×3 */
    float B[3 * 2] = {1, 0, 0, 1, 1, 1}; /* 3×2 */
    float C[2 * 2] = {NAN, INFINITY, NAN, -INFINITY};
    nn_sgemm(false, false, 2, 2, 3, 1.0f, A, 3, B, 2, 0.0f, C, 2);
    const float want[4] = {4, 5, 10, 11};
    for (int i = 0; i < 4; i++)
        cr_assert(ieee_ulp_eq(flt, C[i], want[i], 0), "C[%d] = %g", i,
                  (double)C[i]);
}

/* A known small product computed by hand, for each transpose flag:
 * [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]. */
Test(blas, hand_computed_2x2)
{
    const float A[4] = {1, 2, 3, 4}, At[4] = {1, 3, 2, 4};
    const float B[4] = {5, 6, 7, 8}, Bt[4] = {5, 7, 6, 8};
    const float want[4] = {19, 22, 43, 50};
    for (int t = 0; t < 4; t++) {
        float C[4] = {1, 1, 1, 1};
        nn_sgemm(t & 1, t & 2, 2, 2, 2, 2.0f, (t & 1) ? At : A, 2,
                 (t & 2) ? Bt : B, 2, -1.0f, C, 2);
        for (int i = 0; i < 4; i++)
            cr_assert(ieee_ulp_eq(flt, C[i], 2 * want[i] - 1, 0),
                      "trans %d, C[%d] = %g", t, i, (double)C[i]);
    }
}

Test(blas, empty_products)
{
    /* M = 0 or N = 0: C has no elements; nothing around it is touched. */
    float A[1] = {1}, B[2] = {1, 1}, C[2] = {3, 4};
    nn_sgemm(false, false, 0, 2, 1, 1.0f, A, 1, B, 2, 0.0f, C, 2);
    nn_sgemm(false, false, 1, 0, 1, 1.0f, A, 1, B, 2, 0.0f, C, 2);
    cr_assert(ieee_ulp_eq(flt, C[0], 3.0f, 0));
    cr_assert(ieee_ulp_eq(flt, C[1], 4.0f, 0));
    /* K = 0: the product is empty, so C = beta C. */
    float D[4] = {1, 2, 3, 4};
    nn_sgemm(false, false, 2, 2, 0, 1.0f, A, 1, B, 2, 0.5f, D, 2);
    for (int i = 0; i < 4; i++)
        cr_assert(ieee_ulp_eq(flt, D[i], 0.5f * (float)(i + 1), 0));
}

Test(blas, set_threads_reports_control)
{
    /* OpenBLAS is what the Makefile links: the control must be there. */
    cr_assert(nn_blas_set_threads(1));
}
