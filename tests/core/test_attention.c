/* test_attention.c — causal multi-head self-attention's kernels
 * (core/layers/attention.c) on their own: the forward pass against an
 * independent double reference, exact zeros above the diagonal, rows that
 * sum to 1, causality (a later position changes nothing before it),
 * stability under huge scores, and the backward pass against central
 * differences of L = Σ R ∘ out for a random R (step 5e-3 in float;
 * per entry |a − n| ≤ 1e-2·max(|a|, |n|) + 1e-4, normwise < 1e-3;
 * observed with NN_TEST_VERBOSE=1: ~1e-5). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "layers/attention.h"

typedef struct {
    size_t B, T, C, NH;
    float *qkv, *att, *out, *R, *dqkv, *scratch;
} attn_case;

static attn_case make_case(size_t B, size_t T, size_t C, size_t NH,
                           float range, uint64_t seed)
{
    attn_case a = {B, T, C, NH, NULL, NULL, NULL, NULL, NULL, NULL};
    a.qkv = malloc(B * T * 3 * C * sizeof *a.qkv);
    a.dqkv = malloc(B * T * 3 * C * sizeof *a.dqkv);
    a.att = malloc(B * NH * T * T * sizeof *a.att);
    a.out = malloc(B * T * C * sizeof *a.out);
    a.R = malloc(B * T * C * sizeof *a.R);
    a.scratch = malloc(T * T * sizeof *a.scratch);
    cr_assert(a.qkv && a.dqkv && a.att && a.out && a.R && a.scratch);
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    fill_uniform(a.qkv, B * T * 3 * C, -range, range, &rng);
    fill_uniform(a.R, B * T * C, -1, 1, &rng);
    return a;
}

static void free_case(attn_case *a)
{
    free(a->qkv), free(a->dqkv), free(a->att), free(a->out), free(a->R);
    free(a->scratch);
}

static void forward(attn_case *a)
{
    nn_attention_forward(a->out, a->att, a->qkv, a->B, a->T, a->C, a->NH);
}

/* The definition in double, one output entry at a time. */
static void check_against_reference(const attn_case *a, double tol)
{
    size_t T = a->T, C = a->C, hs = C / a->NH, C3 = 3 * C;
    double *p = malloc(T * sizeof *p);
    cr_assert(p);
    for (size_t b = 0; b < a->B; b++)
        for (size_t h = 0; h < a->NH; h++)
            for (size_t t = 0; t < T; t++) {
                const float *q = a->qkv + (b * T + t) * C3 + h * hs;
                double max = -INFINITY, sum = 0;
                for (size_t j = 0; j <= t; j++) {
                    const float *k = a->qkv + (b * T + j) * C3 + C + h * hs;
                    double s = 0;
                    for (size_t i = 0; i < hs; i++)
                        s += (double)q[i] * k[i];
                    p[j] = s / sqrt((double)hs);
                    max = fmax(max, p[j]);
                }
                for (size_t j = 0; j <= t; j++)
                    sum += p[j] = exp(p[j] - max);
                const float *row = a->att + ((b * a->NH + h) * T + t) * T;
                double total = 0;
                for (size_t j = 0; j < T; j++) {
                    if (j > t) {
                        cr_assert(row[j] == 0.0f, "att[%zu][%zu] masked", t, j);
                        continue;
                    }
                    cr_assert_float_eq(row[j], p[j] / sum, tol, "att");
                    total += row[j];
                }
                cr_assert_float_eq(total, 1.0, 1e-6, "row %zu sums to 1", t);
                for (size_t i = 0; i < hs; i++) {
                    double o = 0;
                    for (size_t j = 0; j <= t; j++)
                        o += p[j] / sum *
                             a->qkv[(b * T + j) * C3 + 2 * C + h * hs + i];
                    cr_assert_float_eq(a->out[(b * T + t) * C + h * hs + i], o,
                                       tol, "out b%zu t%zu h%zu", b, t, h);
                }
            }
    free(p);
}

Test(attention, forward_matches_the_definition)
{
    size_t shapes[4][4] = {{2, 5, 6, 2}, {1, 4, 4, 1}, {3, 3, 4, 4},
                           {1, 7, 8, 4}};
    for (size_t s = 0; s < 4; s++) {
        attn_case a = make_case(shapes[s][0], shapes[s][1], shapes[s][2],
                                shapes[s][3], 1.0f, 5 + s);
        forward(&a);
        check_against_reference(&a, 2e-6);
        free_case(&a);
    }
}

/* Scores of ±3000: the maximum is subtracted, nothing overflows. */
Test(attention, softmax_is_stable)
{
    attn_case a = make_case(1, 6, 4, 2, 40.0f, 9);
    forward(&a);
    for (size_t i = 0; i < 6 * 4; i++)
        cr_assert(isfinite(a.out[i]), "out %zu finite", i);
    check_against_reference(&a, 1e-5);
    free_case(&a);
}

/* Position T − 1's q, k and v change nothing at positions before it. */
Test(attention, a_position_sees_only_the_past)
{
    attn_case a = make_case(2, 5, 6, 3, 1.0f, 13);
    forward(&a);
    float *before = malloc(2 * 5 * 6 * sizeof *before);
    cr_assert(before);
    memcpy(before, a.out, 2 * 5 * 6 * sizeof *before);
    for (size_t b = 0; b < 2; b++)
        for (size_t i = 0; i < 18; i++)
            a.qkv[(b * 5 + 4) * 18 + i] += 3.0f;
    forward(&a);
    for (size_t b = 0; b < 2; b++) {
        for (size_t i = 0; i < 4 * 6; i++)
            cr_assert(a.out[b * 30 + i] == before[b * 30 + i],
                      "sequence %zu entry %zu moved", b, i);
        bool moved = false;
        for (size_t i = 24; i < 30; i++)
            moved |= a.out[b * 30 + i] != before[b * 30 + i];
        cr_assert(moved, "the last position itself changes");
    }
    free(before);
    free_case(&a);
}

static double loss(attn_case *a)
{
    forward(a);
    double L = 0;
    for (size_t i = 0; i < a->B * a->T * a->C; i++)
        L += (double)a->R[i] * a->out[i];
    return L;
}

Test(attention, backward_matches_central_differences)
{
    size_t shapes[3][4] = {{2, 5, 6, 2}, {1, 4, 4, 4}, {2, 3, 3, 1}};
    for (size_t s = 0; s < 3; s++) {
        attn_case a = make_case(shapes[s][0], shapes[s][1], shapes[s][2],
                                shapes[s][3], 1.0f, 31 + s);
        forward(&a);
        memset(a.dqkv, 0xff, a.B * a.T * 3 * a.C * sizeof *a.dqkv); /* NaN */
        nn_attention_backward(a.dqkv, a.scratch, a.R, a.qkv, a.att, a.B, a.T,
                              a.C, a.NH);
        double maxdiff = 0, maxabs = 1e-3;
        char name[48];
        snprintf(name, sizeof name, "attention case %zu", s);
        for (size_t i = 0; i < a.B * a.T * 3 * a.C; i++) {
            float v = a.qkv[i], h = 5e-3f;
            a.qkv[i] = v + h;
            double lp = loss(&a);
            a.qkv[i] = v - h;
            double lm = loss(&a);
            a.qkv[i] = v;
            assert_grad_entry(name, i, a.dqkv[i], (lp - lm) / (2.0 * h),
                              &maxdiff, &maxabs);
        }
        double e = maxdiff / maxabs;
        cr_assert_lt(e, 1e-3, "%s: normwise %.3g", name, e);
        if (getenv("NN_TEST_VERBOSE"))
            fprintf(stderr, "%s: normwise error %.2e\n", name, e);
        free_case(&a);
    }
}
