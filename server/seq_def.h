/* seq_def.h — the sequence part of a model definition: "vocab_size" and
 * "context" (the input is `context` token ids), and the rules a stack of
 * layers over token ids must follow (an embedding first and only there; a
 * language model, whose output has a vector per position, ends in a dense
 * softmax layer of vocab_size units trained by cross_entropy). Checked at
 * the edge, before libnn allocates anything. */
#ifndef ND_SEQ_DEF_H
#define ND_SEQ_DEF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "nn_network.h"

#define ND_MAX_VOCAB 65536u  /* tokens a model's vocabulary may have */
#define ND_MAX_CONTEXT 4096u /* token ids a model's input may have */

/* Reads "vocab_size" and "context" of doc. Without either, *vocab is 0 and
 * nothing is read (the model is no sequence model). With them, both are
 * required, ranged (1 … ND_MAX_VOCAB, 1 … ND_MAX_CONTEXT), "inputs" and
 * "input_shape" refused beside them, and *shape becomes [context]. False
 * after replying. */
bool nd_seq_read_input(nd_request *req, json_t *doc, size_t *vocab,
                       nn_shape *shape);

/* Checks layers[0..n) of a model of vocabulary vocab (0: no sequence
 * model) and gives its embedding the vocabulary: 422 at /layers/K/type for
 * an embedding without vocab_size or a sequence model that does not start
 * with one; for a language model (an output per position), 422 at the last
 * layer's units or activation, or at /loss, unless it is dense, vocab
 * units, softmax, cross_entropy. */
bool nd_seq_check_layers(nd_request *req, size_t vocab, nn_layer_spec *layers,
                         size_t n, nn_loss_kind loss);

/* Whether layers[0..n) over an embedding gives an output per position
 * (no recurrent layer without return_sequences, no flatten). */
bool nd_seq_per_position(const nn_layer_spec *layers, size_t n);

/* The vocabulary size of net (its embedding's), or 0 for a model that
 * does not take token ids. */
size_t nd_seq_vocab(const nn_network *net);

/* For a model of token ids: whether every value of X (rows × context) is
 * a token id, a whole number from 0 to vocab_size − 1; false after
 * replying 422 naming the first that is not (/inputs/R/C). True for any
 * other model. */
bool nd_seq_ids_ok(nd_request *req, const nn_network *net, const float *X,
                   size_t rows);

#endif
