/* nn_sample.h — generating text from a trained language model: a
 * generator fed one token id at a time gives the next token's logits and
 * samples from them (temperature, top-k, seeded), and nn_generate runs a
 * whole continuation with a callback per token.
 *
 * A language model takes token ids [T] into an embedding first and ends in
 * a softmax over V classes at every position ([T, V], cross_entropy). When
 * every layer after the embedding works position by position — rnn, lstm,
 * gru (return_sequences), dense, dropout — and the embedding has no learned
 * positions, the generator carries the recurrent state from token to
 * token: each token costs one position's work, and the text may grow past
 * the window T. Otherwise it re-runs the network over a window of the
 * last ≤ T tokens (ids at positions 0…, the rest padded with id 0, which a
 * causal network never sees: every layer kind libnn has is causal along a
 * sequence) and reads the last real position: the window slides. A model
 * of transformer blocks (with layernorm, dense and dropout after the
 * embedding, learned positions or not) keeps each block's keys and values
 * instead: while the window is not full each token costs one position's
 * work; past T tokens the window slides and is re-run. */
#ifndef NN_SAMPLE_H
#define NN_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_error.h"
#include "nn_network.h"

typedef struct {
    float temperature; /* ≥ 0; 0 = greedy (the argmax, the lowest id of a tie) */
    size_t top_k;      /* 0 = every token; ≥ V the same; 1 = greedy */
    uint64_t seed;     /* the draws' generator */
} nn_sample_config;

/* NN_OK when net is a language model (embedding first, a [T, V] softmax
 * output, cross_entropy), its V into *vocab (may be NULL); else
 * NN_ERR_INVALID naming "/model". */
nn_status nn_language_model_vocab(const nn_network *net, size_t *vocab,
                                  nn_error *err);

/* True when generation with net carries state token by token (see
 * above), false when it slides a window. */
bool nn_generate_carries_state(const nn_network *net);

/* True when generation with net keeps its transformer blocks' keys and
 * values, one position per token until the window is full (see above). */
bool nn_generate_caches(const nn_network *net);

typedef struct nn_generator nn_generator;

/* A generator over net (read only; it must outlive the generator), with
 * everything it needs allocated here, so feeding and sampling allocate
 * nothing. NN_ERR_INVALID naming "/model" for a net that is no language
 * model, "/temperature" (not finite or < 0). */
nn_status nn_generator_create(nn_generator **out, const nn_network *net,
                              const nn_sample_config *cfg, nn_error *err);
void nn_generator_free(nn_generator *g);

/* Advances by one token: id (< V, else NN_ERR_INVALID naming "/prompt")
 * follows the tokens fed so far. */
nn_status nn_generator_feed(nn_generator *g, uint32_t id, nn_error *err);

/* The V logits of the token after those fed (NULL before the first feed);
 * owned by g, valid until its next feed. */
const float *nn_generator_logits(const nn_generator *g);

/* Draws the next token from the current logits (after a feed): the argmax
 * when the temperature is 0 or top_k is 1, else from
 * softmax(logits / temperature) restricted to the top_k largest logits. */
uint32_t nn_generator_sample(nn_generator *g);

/* Called with each generated token as soon as it is drawn (index from 0);
 * returning false stops the generation after that token. */
typedef bool (*nn_token_fn)(uint32_t id, size_t index, void *user);

/* Feeds prompt[0..n_prompt) (n_prompt ≥ 1, else "/prompt"), then draws up
 * to max_tokens tokens, feeding each back: writes them to out (max_tokens
 * entries, may be NULL), calls cb (may be NULL) per token, and puts the
 * count into *n_out (may be NULL). Same net, prompt and cfg give the same
 * tokens. Errors as nn_generator_create and nn_generator_feed. */
nn_status nn_generate(const nn_network *net, const uint32_t *prompt,
                      size_t n_prompt, size_t max_tokens,
                      const nn_sample_config *cfg, uint32_t *out,
                      size_t *n_out, nn_token_fn cb, void *user,
                      nn_error *err);

#endif
