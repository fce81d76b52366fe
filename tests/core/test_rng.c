/* test_rng.c — the seeded generator: known outputs (xoshiro256** seeded by
 * splitmix64, values computed independently from the published
 * algorithms), reproducibility, ranges, and shuffles that are
 * permutations. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

Test(rng, known_sequence_for_seeds_0_and_42)
{
    static const uint64_t want0[4] = {0x99ec5f36cb75f2b4ull,
                                      0xbf6e1f784956452aull,
                                      0x1a5f849d4933e6e0ull,
                                      0x6aa594f1262d2d2cull};
    static const uint64_t want42[4] = {0x15780b2e0c2ec716ull,
                                       0x6104d9866d113a7eull,
                                       0xae17533239e499a1ull,
                                       0xecb8ad4703b360a1ull};
    nn_rng r;
    nn_rng_seed(&r, 0);
    cr_assert_eq(r.s[0], 0xe220a8397b1dcdafull, "splitmix64(0) seeds s[0]");
    for (int i = 0; i < 4; i++)
        cr_assert_eq(nn_rng_next(&r), want0[i], "seed 0, draw %d", i);
    nn_rng_seed(&r, 42);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(nn_rng_next(&r), want42[i], "seed 42, draw %d", i);
}

Test(rng, same_seed_same_stream_and_state_restores)
{
    nn_rng a, b;
    nn_rng_seed(&a, 12345);
    nn_rng_seed(&b, 12345);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(nn_rng_next(&a), nn_rng_next(&b));
    nn_rng saved = a; /* the state is four words, copied verbatim */
    uint64_t next[8];
    for (int i = 0; i < 8; i++)
        next[i] = nn_rng_next(&a);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(nn_rng_next(&saved), next[i]);
    nn_rng_seed(&b, 12346);
    int same = 0;
    for (int i = 0; i < 64; i++)
        same += nn_rng_next(&a) == nn_rng_next(&b);
    cr_assert_eq(same, 0, "neighbouring seeds give unrelated streams");
}

Test(rng, uniform_in_unit_interval_with_mean_half)
{
    nn_rng r;
    nn_rng_seed(&r, 7);
    enum { N = 100000 };
    double sum = 0, lo = 1, hi = 0;
    for (int i = 0; i < N; i++) {
        float u = nn_rng_uniform(&r);
        cr_assert(u >= 0.0f && u < 1.0f, "draw %d = %.9g", i, (double)u);
        /* 24 random bits: u · 2^24 is an integer. */
        cr_assert(ieee_ulp_eq(flt, u * 16777216.0f, floorf(u * 16777216.0f), 0));
        sum += u;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    /* Mean of N uniforms: sd 1/√(12N) ≈ 9e-4; allow 5 sd. */
    cr_assert_float_eq(sum / N, 0.5, 5e-3);
    cr_assert_lt(lo, 1e-3);
    cr_assert_gt(hi, 1 - 1e-3);
}

Test(rng, normal_has_mean_zero_variance_one)
{
    nn_rng r;
    nn_rng_seed(&r, 8);
    enum { N = 100000 };
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++) {
        double x = nn_rng_normal(&r);
        cr_assert(isfinite(x));
        s += x;
        s2 += x * x;
    }
    double mean = s / N, var = s2 / N - mean * mean;
    cr_assert_float_eq(mean, 0.0, 0.02, "mean %g", mean); /* sd 3e-3 */
    cr_assert_float_eq(var, 1.0, 0.03, "variance %g", var); /* sd 4.5e-3 */
}

Test(rng, below_stays_in_range_and_covers_it)
{
    nn_rng r;
    nn_rng_seed(&r, 9);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(nn_rng_below(&r, 1), 0);
    /* Every value of [0, 7) comes up about 1/7 of the time (chi-square
     * with 6 degrees of freedom below 30: p < 1e-4 for a fair die). */
    enum { N = 70000, K = 7 };
    size_t count[K] = {0};
    for (int i = 0; i < N; i++) {
        size_t v = nn_rng_below(&r, K);
        cr_assert_lt(v, K);
        count[v]++;
    }
    double chi2 = 0, e = (double)N / K;
    for (int k = 0; k < K; k++)
        chi2 += (count[k] - e) * (count[k] - e) / e;
    cr_assert_lt(chi2, 30.0, "chi-square %g", chi2);
    /* Huge bounds, including ones that force rejection sampling. */
    const size_t bounds[] = {2, 3, 1000003, (size_t)1 << 32,
                             ((size_t)1 << 63) + 1, SIZE_MAX};
    for (size_t b = 0; b < sizeof bounds / sizeof *bounds; b++) {
        bool upper_half = false;
        for (int i = 0; i < 2000; i++) {
            size_t v = nn_rng_below(&r, bounds[b]);
            cr_assert_lt(v, bounds[b]);
            upper_half |= v >= bounds[b] / 2;
        }
        cr_assert(upper_half, "bound %zu: no draw in its upper half",
                  bounds[b]);
    }
}

Test(rng, shuffle_is_a_reproducible_permutation)
{
    enum { N = 257 };
    size_t a[N], b[N];
    for (size_t i = 0; i < N; i++)
        a[i] = b[i] = i * 3 + 1;
    nn_rng r1, r2;
    nn_rng_seed(&r1, 10);
    nn_rng_seed(&r2, 10);
    nn_rng_shuffle(&r1, a, N);
    nn_rng_shuffle(&r2, b, N);
    cr_assert(memcmp(a, b, sizeof a) == 0, "same seed, same shuffle");
    bool seen[N] = {false};
    size_t moved = 0;
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(a[i] % 3, 1);
        size_t k = (a[i] - 1) / 3;
        cr_assert_lt(k, N);
        cr_assert_not(seen[k], "value %zu appears twice", a[i]);
        seen[k] = true;
        moved += k != i;
    }
    cr_assert_gt(moved, N / 2, "a shuffle moves most elements");
    /* Degenerate sizes are fine. */
    size_t one = 5;
    nn_rng_shuffle(&r1, &one, 1);
    cr_assert_eq(one, 5);
    nn_rng_shuffle(&r1, NULL, 0);
}

/* Each of the 6 orders of 3 items is about equally likely (Fisher–Yates
 * done wrong, e.g. swapping with any index, is biased). */
Test(rng, shuffle_is_uniform_over_orders)
{
    nn_rng r;
    nn_rng_seed(&r, 11);
    enum { N = 60000 };
    size_t count[6] = {0};
    for (int i = 0; i < N; i++) {
        size_t v[3] = {0, 1, 2};
        nn_rng_shuffle(&r, v, 3);
        count[v[0] * 2 + (v[1] > v[2])]++;
    }
    double chi2 = 0, e = N / 6.0;
    for (int k = 0; k < 6; k++)
        chi2 += (count[k] - e) * (count[k] - e) / e;
    cr_assert_lt(chi2, 30.0, "chi-square %g over the 6 orders", chi2);
}
