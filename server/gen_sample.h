/* gen_sample.h — drawing the next token from a language model's softmax
 * over its vocabulary: temperature (0: the most probable token), top-k
 * (only the k most probable), from an explicit RNG, so that a seed gives
 * the same text. Scratch is the caller's: no allocation per token. */
#ifndef ND_GEN_SAMPLE_H
#define ND_GEN_SAMPLE_H

#include <stddef.h>

#include "nn_rng.h"

typedef struct {
    double temperature; /* ≥ 0; 0 is greedy */
    size_t top_k;       /* 0: every token */
} nd_sample_opts;

/* Draws a token id in [0, V) from p (V probabilities, a softmax row):
 * with temperature 0 or top_k 1 the argmax (the lowest id on a tie);
 * otherwise proportionally to p^(1/temperature) over the top_k most
 * probable ids (all when top_k is 0 or ≥ V; ties ranked by id). order
 * (V ids) and w (V floats) are scratch. Draws one number from rng unless
 * greedy. */
size_t nd_sample_token(const float *p, size_t V, const nd_sample_opts *o,
                       nn_rng *rng, size_t *order, double *w);

#endif
