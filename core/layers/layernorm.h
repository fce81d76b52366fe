/* layernorm.h — internal: layer normalisation over the last dimension, the
 * kernels the layernorm layer (layernorm.c) and the transformer block
 * share. x and out are (N, D): N positions (B·T of a mini-batch of
 * sequences, or B vectors) of D features; γ, β (D); mean and rstd (N).
 *   mean = Σ_i x_i / D,  var = Σ_i (x_i − mean)² / D (biased, as PyTorch)
 *   rstd = 1/√(var + eps), x̂ = (x − mean) rstd, out = γ x̂ + β */
#ifndef NN_LAYERS_LAYERNORM_H
#define NN_LAYERS_LAYERNORM_H

#include <stddef.h>

#define NN_LAYERNORM_EPS 1e-5f /* PyTorch's nn.LayerNorm */

/* Normalises each of the N rows of x into out (may not alias x); writes
 * every row's mean and rstd when they are not NULL (a training pass keeps
 * them for nn_layernorm_backward). */
void nn_layernorm_forward(float *out, float *mean, float *rstd,
                          const float *x, const float *gamma,
                          const float *beta, size_t N, size_t D);

/* Backward of nn_layernorm_forward on the same x with its mean and rstd:
 * ADDS dL/dx to dx (unless dx is NULL) and dL/dγ, dL/dβ to dgamma,
 * dbeta, given dout (N, D). */
void nn_layernorm_backward(float *dx, float *dgamma, float *dbeta,
                           const float *dout, const float *x,
                           const float *mean, const float *rstd,
                           const float *gamma, size_t N, size_t D);

#endif
