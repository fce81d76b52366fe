/* layer_def.h — one typed layer of a network definition, between request
 * JSON and libnn: reading its fields (by "type", default "dense"), writing
 * it back with its summary (output_shape, parameters), and its weights. */
#ifndef ND_LAYER_DEF_H
#define ND_LAYER_DEF_H

#include <jansson.h>
#include <stdbool.h>

#include "http.h"
#include "nn_network.h"

#define ND_MAX_MLP_RATIO 64u /* a transformer_block's MLP width ÷ its width */

/* Reads layer k of "/layers" into spec: the fields its type allows (400
 * for another), each range-checked (422), with the type's defaults.
 * Whether it fits its input shape is libnn's to say, at creation. */
bool nd_layer_read(nd_request *req, json_t *layer, size_t k,
                   nn_layer_spec *spec);

/* Layer k of net as defined (the fields nd_layer_read takes), plus, when
 * summary, its "output_shape" and "parameters". NULL when out of memory. */
json_t *nd_layer_json(const nn_network *net, size_t k, bool summary);

/* Layer k's weights: dense, conv2d, embedding, rnn, lstm and gru {"W",
 * "b"} (W as rows: a dense layer's inputs × units, a conv2d's filters ×
 * channels·kh·kw, an embedding's tokens × dim with b its learned positions
 * (context·dim, absent without them), a recurrent layer's W_ih^T rows then
 * W_hh^T rows × gates·units and b = b_ih then b_hh, PyTorch's gate order),
 * batchnorm {"gamma", "beta", "running_mean", "running_var"}, layernorm
 * and transformer_block their named parts (layer_parts.h), others {}. */
json_t *nd_layer_weights_json(const nn_network *net, size_t k);

/* Reads entry k of "/weights" (the form above) into net; false after
 * replying. */
bool nd_layer_weights_read(nd_request *req, json_t *entry, size_t k,
                           nn_network *net);

#endif
