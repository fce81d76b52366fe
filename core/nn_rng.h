/* nn_rng.h — the explicit, seeded random number generator (xoshiro256**,
 * seeded through splitmix64). Every random choice in libnn (initial weights,
 * shuffling, the validation split) draws from an nn_rng the caller owns, so a
 * seed fixes a run; libnn never calls rand(). The state is four words and can
 * be saved and restored verbatim to resume a run. */
#ifndef NN_RNG_H
#define NN_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} nn_rng;

/* Seeds rng from one 64-bit value; every seed (0 included) is valid. */
void nn_rng_seed(nn_rng *rng, uint64_t seed);

/* The next 64 random bits. */
uint64_t nn_rng_next(nn_rng *rng);

/* A float uniform in [0, 1), with 24 random bits. */
float nn_rng_uniform(nn_rng *rng);

/* A standard normal float (Box–Muller; uses two uniforms per call). */
float nn_rng_normal(nn_rng *rng);

/* An integer uniform in [0, n) without modulo bias; n must be > 0. */
size_t nn_rng_below(nn_rng *rng, size_t n);

/* Shuffles idx[0..n) in place (Fisher–Yates). */
void nn_rng_shuffle(nn_rng *rng, size_t *idx, size_t n);

#endif
