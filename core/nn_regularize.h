/* nn_regularize.h — L1 and L2 penalties on a network's weights.
 *
 * The penalty J_reg = λ1 Σ|w| + (λ2 / 2) Σ w² is taken over the weights W[k]
 * of every layer, never the biases b[k]; its gradient λ1 sign(w) + λ2 w is
 * added to the data gradient of a step before the optimizer applies it, so
 * every optimizer (sgd, momentum, Nesterov, Adam) sees the same penalised
 * gradient. The losses a trainer reports stay the data loss alone. */
#ifndef NN_REGULARIZE_H
#define NN_REGULARIZE_H

#include <stddef.h>

#include "nn_error.h"
#include "nn_network.h"

typedef struct {
    float l1; /* λ1 ≥ 0; 0 = none */
    float l2; /* λ2 ≥ 0; 0 = none */
} nn_regularization;

/* NN_OK when both are finite and ≥ 0, else NN_ERR_INVALID naming
 * "/regularization/l1" or "/regularization/l2". */
nn_status nn_regularization_check(const nn_regularization *r, nn_error *err);

/* Adds the penalty's gradient at params to grads over the parameter range
 * [begin, end) (indices into the network's one block), touching weights
 * only. Disjoint ranges may be done by different threads at once. */
void nn_regularize(const nn_network *net, const nn_regularization *r,
                   const float *params, float *grads, size_t begin,
                   size_t end);

/* Multiplies the weights (not the biases) in [begin, end) of params by
 * factor: AdamW's decoupled decay w ← w (1 − η λ), with the factor from
 * nn_optimizer_decay_factor; a factor of 1 touches nothing. Disjoint ranges
 * may be done by different threads at once. */
void nn_decay_weights(const nn_network *net, float factor, float *params,
                      size_t begin, size_t end);

#endif
