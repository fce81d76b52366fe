/* nn_perceptron.h — Rosenblatt's perceptron rule.
 *
 * Targets may be 0/1 or −1/+1; the rule sees t = +1 for a target > 0.5 and
 * −1 otherwise. Weights and bias start at 0 (the
 * caller zeroes them for a fresh model) and for each example in turn, for
 * each output j with t_j (w_jᵀx + b_j) ≤ 0: w_j ← w_j + t_j x, b_j ← b_j + t_j.
 * An epoch is one pass over the examples; its mistakes are the updates made.
 * Training halts after the first pass with no mistake (converged) or at the
 * epoch limit (not converged, as on XOR). */
#ifndef NN_PERCEPTRON_H
#define NN_PERCEPTRON_H

#include <stdbool.h>
#include <stddef.h>

#include "nn_network.h"

/* One pass of the rule over rows examples visited in the order idx (or
 * 0..rows−1 when idx is NULL); X is already normalised. Returns the number
 * of mistakes (updates) made. */
size_t nn_perceptron_epoch(nn_network *net, const float *X, const float *Y,
                           size_t rows, const size_t *idx);

#endif
