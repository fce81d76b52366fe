/* rng.c — xoshiro256** (Blackman & Vigna), seeded through splitmix64. */
#include <math.h>

#include "nn_rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void nn_rng_seed(nn_rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

uint64_t nn_rng_next(nn_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float nn_rng_uniform(nn_rng *rng)
{
    return (float)(nn_rng_next(rng) >> 40) * 0x1.0p-24f;
}

float nn_rng_normal(nn_rng *rng)
{
    /* 1 − u keeps the logarithm's argument in (0, 1]. */
    double u1 = 1.0 - (double)(nn_rng_next(rng) >> 11) * 0x1.0p-53;
    double u2 = (double)(nn_rng_next(rng) >> 11) * 0x1.0p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

size_t nn_rng_below(nn_rng *rng, size_t n)
{
    /* Lemire's multiply-shift with rejection: unbiased, one draw usually. */
    uint64_t x = nn_rng_next(rng);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -(uint64_t)n % n;
        while (low < threshold) {
            x = nn_rng_next(rng);
            m = (__uint128_t)x * n;
            low = (uint64_t)m;
        }
    }
    return (size_t)(m >> 64);
}

void nn_rng_shuffle(nn_rng *rng, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = nn_rng_below(rng, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
