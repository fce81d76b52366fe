/* nn_network.h — feed-forward networks: definition, the one parameter block,
 * per-worker workspaces, and the vectorised forward and backward passes.
 *
 * A network maps `inputs` features through dense layers k = 0..n_layers−1:
 * Z[k] = A[k−1] W[k] + b[k] (one sgemm per layer, rows are examples, the bias
 * broadcast over rows), A[k] = g_k(Z[k]), with A[−1] the (normalised) input.
 * W[k] is in×out row-major, b[k] has out entries.
 *
 * All weights and biases live in one contiguous block `params`, laid out
 * W[0], b[0], W[1], b[1], …; gradients use the same layout. A network is read
 * only during prediction, so many threads may predict with one network at
 * once, each with its own nn_workspace. A perceptron (NN_MODEL_PERCEPTRON) is
 * a one-layer network with a step or sign output, trained by Rosenblatt's
 * rule (nn_perceptron.h) instead of by gradients. */
#ifndef NN_NETWORK_H
#define NN_NETWORK_H

#include <stdbool.h>
#include <stddef.h>

#include "nn_activation.h"
#include "nn_error.h"
#include "nn_loss.h"
#include "nn_rng.h"

typedef enum { NN_MODEL_MLP, NN_MODEL_PERCEPTRON } nn_model_type;

typedef struct {
    size_t units;
    nn_activation act;
} nn_layer_spec;

typedef enum { NN_NORM_NONE, NN_NORM_STANDARD, NN_NORM_MINMAX } nn_norm_kind;

/* Input normalisation x' = (x − shift) · scale, per feature; part of the
 * model, applied by nn_predict to raw inputs. */
typedef struct {
    nn_norm_kind kind;
    float *shift; /* inputs entries, NULL when kind is NONE */
    float *scale;
} nn_norm;

typedef enum { NN_INIT_ZEROS, NN_INIT_UNIFORM, NN_INIT_XAVIER, NN_INIT_HE } nn_init_kind;

typedef struct {
    nn_model_type type;
    size_t inputs;
    size_t n_layers;
    nn_layer_spec *layers; /* n_layers entries */
    nn_loss_kind loss;
    size_t n_params;
    float *params;    /* the one block of weights and biases */
    size_t *w_offset; /* W[k] = params + w_offset[k] */
    size_t *b_offset; /* b[k] = params + b_offset[k] */
    size_t max_width; /* widest layer, inputs included */
    nn_norm norm;
    size_t n_classes; /* class names for classifiers, or 0 */
    char **classes;
} nn_network;

/* Makes a network with all parameters zero and no normalisation. Checks
 * every size (field "/inputs", "/layers/K/units"), the number of layers
 * ("/layers"), parameter count, activations and that `loss` suits the output
 * layer ("/loss") before allocating. A perceptron must have one layer with a
 * step or sign activation. On success *out owns everything; free it with
 * nn_network_free. */
nn_status nn_network_create(nn_network **out, nn_model_type type,
                            size_t inputs, const nn_layer_spec *layers,
                            size_t n_layers, nn_loss_kind loss, nn_error *err);

/* Frees net and all it owns; NULL is fine. */
void nn_network_free(nn_network *net);

/* A deep copy of net (weights, normalisation, classes). */
nn_status nn_network_clone(nn_network **out, const nn_network *net,
                           nn_error *err);

/* Number of outputs (units of the last layer). */
size_t nn_network_outputs(const nn_network *net);

/* Fills weights with `kind` drawing from rng; biases become 0.
 * zeros: all 0; uniform: U(±1/√in); xavier: U(±√(6/(in+out))); he:
 * N(0, √(2/in)). */
void nn_network_init(nn_network *net, nn_init_kind kind, nn_rng *rng);

/* Parses "zeros", "uniform", "xavier" or "he". */
nn_status nn_init_parse(const char *name, nn_init_kind *out, const char *field,
                        nn_error *err);
const char *nn_init_name(nn_init_kind kind);

/* Copies hand-given weights into layer k: W is in×out row-major, b has out
 * entries. NN_ERR_INVALID for a bad k or a non-finite value. */
nn_status nn_network_set_layer(nn_network *net, size_t k, const float *W,
                               const float *b, nn_error *err);

/* Replaces the class names with copies of names[0..n). */
nn_status nn_network_set_classes(nn_network *net, const char *const *names,
                                 size_t n, nn_error *err);

/* Sets the normalisation: kind NONE drops it; otherwise shift and scale
 * (inputs entries each) are copied. */
nn_status nn_network_set_norm(nn_network *net, nn_norm_kind kind,
                              const float *shift, const float *scale,
                              nn_error *err);

/* Parses "none", "standard" or "minmax". */
nn_status nn_norm_parse(const char *name, nn_norm_kind *out, const char *field,
                        nn_error *err);
const char *nn_norm_name(nn_norm_kind kind);

/* Per-worker scratch for up to max_rows examples at a time: pre-activations,
 * activations and, when `training`, the gradients flowing back. */
typedef struct nn_workspace nn_workspace;

nn_status nn_workspace_create(nn_workspace **out, const nn_network *net,
                              size_t max_rows, bool training, nn_error *err);
void nn_workspace_free(nn_workspace *ws);
size_t nn_workspace_rows(const nn_workspace *ws);

/* Layer k's weighted sums Z[k] and activations A[k] (rows × units of the
 * last nn_forward with ws, row-major), owned by ws; NULL for a bad k. */
const float *nn_workspace_z(const nn_workspace *ws, size_t k);
const float *nn_workspace_a(const nn_workspace *ws, size_t k);

/* Forward pass of rows ≤ max_rows examples X (rows×inputs, already
 * normalised). Returns the rows×outputs activations, owned by ws and valid
 * until its next use. */
const float *nn_forward(const nn_network *net, nn_workspace *ws,
                        const float *X, size_t rows);

/* After nn_forward on the same X, rows and ws (a training workspace):
 * computes the loss against targets Y (rows×outputs) and backpropagates.
 * Writes the gradient of scale × Σ_rows loss into grads (n_params floats in
 * the layout of params) — overwriting it, or adding to it when `accumulate`.
 * Returns Σ_rows loss (not scaled). */
double nn_backward(const nn_network *net, nn_workspace *ws, const float *X,
                   const float *Y, size_t rows, float scale, float *grads,
                   bool accumulate);

/* After nn_forward of rows examples with ws: Σ_rows loss against targets
 * Y (rows×outputs), without touching gradients. */
double nn_forward_loss(const nn_network *net, const nn_workspace *ws,
                       const float *Y, size_t rows);

/* Predicts for rows raw examples X (rows×inputs, any count): applies the
 * network's normalisation, then the forward pass in chunks of the
 * workspace's size; writes rows×outputs into out. NN_ERR_INVALID (naming
 * "/inputs/R/C") if an input is not finite. With rows ≤ the workspace's
 * rows that is one forward pass, which ws keeps: nn_forward_loss may
 * follow (the server's evaluation scores a dataset so). */
nn_status nn_predict(const nn_network *net, nn_workspace *ws, const float *X,
                     size_t rows, float *out, nn_error *err);

/* The class a row of outputs stands for: the argmax for several outputs;
 * for one output, 1 when it is above the threshold (0 for tanh and sign
 * outputs, 0.5 for all others) and 0 otherwise. */
size_t nn_output_class(const nn_network *net, const float *row);

/* The class a row of targets stands for: the argmax for several columns;
 * for one, 1 when it is above 0.5 (so 0/1 and −1/+1 targets both work). */
size_t nn_target_class(const nn_network *net, const float *row);

#endif
