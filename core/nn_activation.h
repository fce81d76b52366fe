/* nn_activation.h — activation functions g and their derivatives, applied to
 * whole row-major blocks (rows are examples).
 *
 * step(x) = 1 if x > 0 else 0;  sign(x) = +1 if x > 0 else −1 (so that
 * sign = 2·step − 1); sigmoid(x) = 1/(1+e^(−k x)); tanh; relu = max(0, x);
 * leaky_relu = max(αx, x); linear = x; softmax over each row; gelu in
 * GPT-2's tanh form, 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) (gelu.c).
 * Derivatives at the kinks: step' = sign' = 0 everywhere (their gradient
 * carries no signal: use the perceptron rule for them), relu'(0) = 0,
 * leaky_relu'(0) = α. */
#ifndef NN_ACTIVATION_H
#define NN_ACTIVATION_H

#include <stddef.h>

#include "nn_error.h"

typedef enum {
    NN_ACT_STEP,
    NN_ACT_SIGN,
    NN_ACT_SIGMOID,
    NN_ACT_TANH,
    NN_ACT_RELU,
    NN_ACT_LEAKY_RELU,
    NN_ACT_LINEAR,
    NN_ACT_SOFTMAX,
    NN_ACT_GELU,
    NN_ACT_COUNT
} nn_act_kind;

typedef struct {
    nn_act_kind kind;
    float param; /* sigmoid: steepness k (default 1); leaky_relu: α (0.01) */
} nn_activation;

/* The activation named `name` ("relu", "leaky_relu", ...) with its default
 * parameter; NN_ERR_INVALID naming `field` when the name is unknown. */
nn_status nn_activation_parse(const char *name, nn_activation *out,
                              const char *field, nn_error *err);

/* The name nn_activation_parse accepts for kind; "?" for a bad kind. */
const char *nn_activation_name(nn_act_kind kind);

/* The default parameter of kind (1 for sigmoid, 0.01 for leaky_relu, else 0). */
float nn_activation_default_param(nn_act_kind kind);

/* NN_OK when the parameter is usable (finite; k > 0 for sigmoid; 0 ≤ α < 1
 * for leaky_relu), else NN_ERR_INVALID naming field. */
nn_status nn_activation_check(const nn_activation *act, const char *field,
                              nn_error *err);

/* y = g(z) for a rows×cols block (softmax works along each row). y may
 * alias z. */
void nn_activation_forward(const nn_activation *act, float *y, const float *z,
                           size_t rows, size_t cols);

/* dz = dy ∘ g'(z) — for softmax the Jacobian-vector product
 * dz_i = y_i (dy_i − Σ_j dy_j y_j) — given z and y = g(z), rows×cols each.
 * dz may alias dy. */
void nn_activation_backward(const nn_activation *act, float *dz,
                            const float *dy, const float *z, const float *y,
                            size_t rows, size_t cols);

/* y = gelu(x) over n values (y may alias x); when th is not NULL, it gets
 * each value's tanh u, which nn_gelu_backward can reuse. */
void nn_gelu_forward(float *y, float *th, const float *x, size_t n);

/* dx = dy ∘ gelu'(x) over n values (dx may alias dy), with th the tanh u
 * that nn_gelu_forward kept for the same x, or NULL to recompute it. */
void nn_gelu_backward(float *dx, const float *dy, const float *x,
                      const float *th, size_t n);

/* g(x) and g'(x) for one value of an element-wise activation (not softmax). */
float nn_activation_value(const nn_activation *act, float x);
float nn_activation_derivative(const nn_activation *act, float x);

#endif
