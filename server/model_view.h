/* model_view.h — a model as JSON: the canonical definition kept in the
 * models.definition column (which the model object shows), the weights
 * view of GET /v1/models/{id}?weights=true, and the self-contained export
 * document of GET /v1/models/{id}/export. Weights print as float32 with 9
 * significant digits, which read back to the same bits. */
#ifndef ND_MODEL_VIEW_H
#define ND_MODEL_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "nn_network.h"

/* The definition of net as stored with the model:
 *   {"inputs", "input_shape" (images), "vocab_size", "context" and
 *    "vocabulary" once known (models of token ids), "outputs", "layers":
 *    [{"type", its
 *    fields, "output_shape", "parameters"}], "loss" (networks) |
 *    "activation" (perceptrons), "init", "seed"}
 * with "seed" null unless has_seed. init is an nn_init_name or "given".
 * Returns a new object, or NULL when out of memory. */
json_t *nd_model_definition_json(const nn_network *net, const char *init,
                                 bool has_seed, uint64_t seed);

/* Adds to obj "weights": one entry per layer (nd_layer_weights_json),
 * "normalization": {"kind", "shift"?, "scale"?} and "classes": [names]
 * (empty when there are none; "vocabulary" for a model of token ids).
 * Returns 0, or −1 when out of memory. */
int nd_model_add_weights(json_t *obj, const nn_network *net);

/* The vocabulary of a language model (its token names, in id order) as a
 * JSON array; NULL when out of memory. */
json_t *nd_model_vocabulary_json(const nn_network *net);

/* The export document that POST /v1/models/import takes back:
 *   {"format": "neurond-model", "version": 1, "name", "type", "inputs",
 *    "input_shape" (images), "layers" (as defined), "loss" (networks) | "activation", "outputs" (perceptrons),
 *    "weights", "normalization", "classes", "trained"}
 * Returns a new object, or NULL when out of memory. */
json_t *nd_model_export_json(const nn_network *net, const char *name,
                             bool trained);

/* "network" or "perceptron", as the API names it ("mlp", a synonym of
 * "network", is read but never written; the models.type column keeps it). */
const char *nd_model_type_name(nn_model_type type);

/* n floats as an array of numbers; NULL when out of memory. */
json_t *nd_json_floats(const float *v, size_t n);

/* rows × cols floats as an array of rows of numbers; NULL when out of
 * memory. */
json_t *nd_json_float_rows(const float *m, size_t rows, size_t cols);

#endif
