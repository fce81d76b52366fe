/* transformer_block.h — internal: the transformer block one position at a
 * time, for generation with a key/value cache (core/sample.c): each new
 * token costs one position's work through the block, the keys and values
 * of the positions before it kept in the cache. */
#ifndef NN_LAYERS_TRANSFORMER_BLOCK_H
#define NN_LAYERS_TRANSFORMER_BLOCK_H

#include "layers/layer.h"

/* Floats of a block's cache (the keys, then the values, of up to T
 * positions: 2·T·D) and of the scratch nn_transformer_step needs. */
size_t nn_transformer_cache_floats(const nn_layer_info *info);
size_t nn_transformer_step_floats(const nn_layer_info *info);

/* Position t < T of one sequence through the block: x (D) to out (D),
 * given the cache holding positions 0…t−1's keys and values (written by
 * the steps before); writes position t's into it. W and b are the layer's
 * parameters. The same result as the block's forward pass over the window
 * at position t, up to the order of the sums. */
void nn_transformer_step(const nn_layer_spec *s, const nn_layer_info *info,
                         const float *W, const float *b, const float *x,
                         size_t t, float *cache, float *scratch, float *out);

#endif
