/* layer_parts.h — the weights JSON of layers whose parameters are several
 * named matrices and vectors: layernorm {"gamma", "beta"} and
 * transformer_block {"ln1_gamma", "ln1_beta", "attn_W", "attn_b",
 * "attn_proj_W", "attn_proj_b", "ln2_gamma", "ln2_beta", "mlp_W", "mlp_b",
 * "mlp_proj_W", "mlp_proj_b"}. Each matrix is rows of inputs × outputs
 * (as a dense layer's W): attn_W D × 3D (queries, keys, values, head by
 * head within each), attn_proj_W D × D, mlp_W D × M, mlp_proj_W M × D,
 * with D the width and M = mlp_ratio·D; each vector is D, 3D or M long.
 * libnn's packing of them (core/layers/transformer_block.c) stays here. */
#ifndef ND_LAYER_PARTS_H
#define ND_LAYER_PARTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "nn_network.h"

/* Whether layer k's weights JSON is named parts (the kinds above). */
bool nd_layer_has_parts(const nn_network *net, size_t k);

/* Layer k's parts as an object; NULL when out of memory. */
json_t *nd_layer_parts_json(const nn_network *net, size_t k);

/* Reads the object entry (at pointer base) into layer k: every part
 * required (422 naming it), of its size, nothing else (400). False after
 * replying. */
bool nd_layer_parts_read(nd_request *req, json_t *entry, const char *base,
                         size_t k, nn_network *net);

#endif
