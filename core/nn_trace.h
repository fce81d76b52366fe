/* nn_trace.h — a prediction that keeps what every layer computed: the
 * weighted sums z = a_prev W + b and the activations a = g(z) of each
 * layer, for each row, so that a student can follow `in_j` and `a_j`
 * through the network (DESIGN.md, the artificial neuron). */
#ifndef NN_TRACE_H
#define NN_TRACE_H

#include <stddef.h>

#include "nn_error.h"
#include "nn_network.h"

/* Floats of one row's trace: Σ_k units_k (the same count for z and a). */
size_t nn_trace_width(const nn_network *net);

/* Predicts rows raw examples X (rows×inputs) as nn_predict does (same
 * normalisation, same errors) and writes each layer's z and a into Z and
 * A, layer by layer: layer k's rows×units_k block starts at
 * rows × (units of the layers before k). Both hold rows × nn_trace_width
 * floats; the outputs are the last layer's block of A. */
nn_status nn_trace(const nn_network *net, nn_workspace *ws, const float *X,
                   size_t rows, float *Z, float *A, nn_error *err);

#endif
