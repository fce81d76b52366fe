/* nn_network.h — feed-forward networks: a stack of typed layers over shaped
 * tensors, the one parameter block, per-worker workspaces, and the
 * vectorised forward and backward passes.
 *
 * A network maps an input of shape `input_shape` (a vector [N] or an image
 * [C, H, W], channels first; `inputs` is its size) through layers
 * k = 0..n_layers−1, each of a kind (dense, …) from the layer table in
 * core/layers/. Layer k takes A[k−1] (rows × size of its input shape, A[−1]
 * the normalised input) to A[k]; shapes are inferred and checked once, at
 * creation, and kept per layer in `info`. A dense layer computes
 * Z = A[k−1] W + b (one sgemm, rows are examples, the bias broadcast over
 * rows) and A = g(Z), with W in×out row-major and b out entries.
 *
 * All trained parameters live in one contiguous block `params`: layer k's
 * weights at w_offset[k], its biases at b_offset[k] (either may be empty);
 * gradients use the same layout. A network is read only during prediction,
 * so many threads may predict with one network at once, each with its own
 * nn_workspace. A perceptron (NN_MODEL_PERCEPTRON) is a one-layer dense
 * network with a step or sign output, trained by Rosenblatt's rule
 * (nn_perceptron.h) instead of by gradients. */
#ifndef NN_NETWORK_H
#define NN_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_activation.h"
#include "nn_error.h"
#include "nn_loss.h"
#include "nn_rng.h"

typedef enum { NN_MODEL_MLP, NN_MODEL_PERCEPTRON } nn_model_type;

typedef enum {
    NN_LAYER_DENSE,
    NN_LAYER_CONV2D,
    NN_LAYER_MAXPOOL2D,
    NN_LAYER_AVGPOOL2D,
    NN_LAYER_FLATTEN,
    NN_LAYER_DROPOUT,
    NN_LAYER_BATCHNORM,
    NN_LAYER_EMBEDDING,
    NN_LAYER_RNN,
    NN_LAYER_LSTM,
    NN_LAYER_GRU,
    NN_LAYER_LAYERNORM,
    NN_LAYER_TRANSFORMER_BLOCK,
    NN_LAYER_KIND_COUNT
} nn_layer_kind;

typedef enum { NN_PAD_VALID, NN_PAD_SAME } nn_padding;

/* One layer as defined. The first two fields are a dense layer's, so
 * `{.units, .act}` still defines one; the kind defaults to dense (0).
 * conv2d: filters, kernel_h × kernel_w, stride (≥ 1), padding, act (not
 * softmax); "same" pads as TensorFlow does (output ⌈H/stride⌉, the odd
 * pixel of padding at the bottom/right). maxpool2d, avgpool2d: a size ×
 * size window every stride (≥ 1) pixels, no padding. dropout: rate in
 * [0, 1), inverted (kept values × 1/(1−rate)), active in training passes
 * only. batchnorm: per channel of an image (per feature of a vector),
 * batch statistics in training passes, running mean and variance
 * (momentum 0.1, eps 1e-5, as PyTorch) when predicting, then act (not
 * softmax; give linear for none — the zero value is step). flatten: any
 * shape to a vector, in C, H, W order. dense on a sequence [T, D] applies
 * at every position ([T, units]). embedding: token ids [T] to [T, units],
 * vocab tokens, plus a learned position vector when positions. rnn, lstm,
 * gru: units hidden, [T, D] to [T, units] with return_sequences, else the
 * last step's [units]; PyTorch's equations and gate order
 * (core/layers/rnn.c, lstm.c, gru.c). layernorm: over the last dimension
 * of [D] or [T, D], γ and β in b, eps 1e-5 (core/layers/layernorm.c).
 * transformer_block: GPT-2's pre-norm block on [T, D] with heads (dividing
 * D) causal self-attention heads and an MLP of mlp_ratio·D GELU units;
 * rate (its dropout) must be 0 (core/layers/transformer_block.c). */
typedef struct {
    size_t units;       /* dense */
    nn_activation act;  /* dense, conv2d, batchnorm */
    nn_layer_kind kind;
    size_t filters;     /* conv2d */
    size_t kernel_h, kernel_w; /* conv2d */
    size_t stride;      /* conv2d, pools */
    nn_padding padding; /* conv2d */
    size_t size;        /* pools: the window's side */
    float rate;         /* dropout */
    size_t vocab;       /* embedding: ids 0 … vocab − 1 */
    bool positions;     /* embedding: learned position vectors */
    bool return_sequences; /* rnn, lstm, gru */
    size_t heads;       /* transformer_block */
    size_t mlp_ratio;   /* transformer_block */
} nn_layer_spec;

/* The name of a layer kind ("dense", "conv2d", …); "?" for a bad one. */
const char *nn_layer_kind_name(nn_layer_kind kind);

/* Parses a layer kind's name; NN_ERR_INVALID naming field otherwise. */
nn_status nn_layer_kind_parse(const char *name, nn_layer_kind *out,
                              const char *field, nn_error *err);

/* True when a and b define the same layer (every field compared). */
bool nn_layer_spec_equal(const nn_layer_spec *a, const nn_layer_spec *b);

#define NN_BATCHNORM_MOMENTUM 0.1f
#define NN_BATCHNORM_EPS 1e-5f

/* A tensor shape per example: rank 1 [N], rank 2 [T, D] (a sequence) or
 * rank 3 [C, H, W]. */
#define NN_MAX_RANK 3
typedef struct {
    size_t rank;
    size_t dim[NN_MAX_RANK];
} nn_shape;

/* The vector shape [n]. */
nn_shape nn_shape_vector(size_t n);

/* The number of floats per example (the product of the dims). */
size_t nn_shape_size(const nn_shape *s);

/* Writes "[32, 13, 13]" into buf (always terminated); returns buf. */
char *nn_shape_format(const nn_shape *s, char *buf, size_t n);

/* What the layer table infers for one layer of a network at creation: its
 * input and output shapes, parameter counts and the workspace it needs. */
typedef struct {
    nn_shape in, out;
    size_t n_w, n_b;        /* trained weights and biases */
    size_t n_state;         /* kept but not trained (running statistics) */
    size_t saved_per_row, saved_fixed; /* training workspace floats */
    size_t fan_in, fan_out; /* for initialisation; 0 when n_w is 0 */
    size_t scratch;         /* floats of per-worker scratch it needs */
    double flops_per_row;   /* forward + backward, for the thread count */
    bool has_act;           /* keeps a pre-activation Z apart from A */
} nn_layer_info;

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
    nn_shape input_shape;
    size_t inputs;    /* nn_shape_size(&input_shape) */
    size_t n_layers;
    nn_layer_spec *layers; /* n_layers entries */
    nn_layer_info *info;   /* n_layers entries, inferred at creation */
    nn_loss_kind loss;
    size_t n_params;
    float *params;    /* the one block of weights and biases */
    size_t *w_offset; /* W[k] = params + w_offset[k] */
    size_t *b_offset; /* b[k] = params + b_offset[k] */
    size_t max_width; /* largest size of a layer boundary, inputs included */
    size_t n_state;   /* floats of state (batchnorm running statistics) */
    float *state;     /* layer k's at state + s_offset[k]; NULL when none */
    size_t *s_offset;
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

/* nn_network_create over an input of any shape ("/input_shape" names a bad
 * one). Each layer's shape is inferred from the one before; a layer that
 * cannot take its input fails naming "/layers/K/…" with the shape it got
 * and the one it needs. */
nn_status nn_network_create_shaped(nn_network **out, nn_model_type type,
                                   const nn_shape *input,
                                   const nn_layer_spec *layers,
                                   size_t n_layers, nn_loss_kind loss,
                                   nn_error *err);

/* What nn_network_create_shaped would check, without allocating: NN_OK
 * with the parameter count in *n_params, or its error. */
nn_status nn_network_check(nn_model_type type, const nn_shape *input,
                           const nn_layer_spec *layers, size_t n_layers,
                           nn_loss_kind loss, size_t *n_params, nn_error *err);

/* Frees net and all it owns; NULL is fine. */
void nn_network_free(nn_network *net);

/* A deep copy of net (weights, normalisation, classes). */
nn_status nn_network_clone(nn_network **out, const nn_network *net,
                           nn_error *err);

/* Number of outputs (the size of the last layer's output shape). */
size_t nn_network_outputs(const nn_network *net);

/* Fills weights with `kind` drawing from rng, layer by layer; biases become
 * 0. With each layer's fan_in and fan_out: zeros: all 0; uniform:
 * U(±1/√in); xavier: U(±√(6/(in+out))); he: N(0, √(2/in)). */
void nn_network_init(nn_network *net, nn_init_kind kind, nn_rng *rng);

/* Parses "zeros", "uniform", "xavier" or "he". */
nn_status nn_init_parse(const char *name, nn_init_kind *out, const char *field,
                        nn_error *err);
const char *nn_init_name(nn_init_kind kind);

/* Copies hand-given weights into layer k: W has info[k].n_w entries (a
 * dense layer's in×out row-major), b has info[k].n_b. NN_ERR_INVALID for a
 * bad k or a non-finite value. */
nn_status nn_network_set_layer(nn_network *net, size_t k, const float *W,
                               const float *b, nn_error *err);

/* Copies hand-given state into layer k (info[k].n_state floats: a
 * batchnorm's running mean, then its running variance, which must be
 * ≥ 0). NN_ERR_INVALID naming "/weights/K/running_…" otherwise. */
nn_status nn_network_set_state(nn_network *net, size_t k, const float *state,
                               nn_error *err);

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

/* Layer k's weighted sums Z[k] and activations A[k] (rows × the size of
 * its output shape, of the last nn_forward with ws, row-major), owned by
 * ws; NULL for a bad k. */
const float *nn_workspace_z(const nn_workspace *ws, size_t k);
const float *nn_workspace_a(const nn_workspace *ws, size_t k);

/* Forward pass of rows ≤ max_rows examples X (rows×inputs, already
 * normalised). Returns the rows×outputs activations, owned by ws and valid
 * until its next use. */
const float *nn_forward(const nn_network *net, nn_workspace *ws,
                        const float *X, size_t rows);

/* A training pass: nn_forward with dropout active (masks drawn from seed,
 * the layer's index and the row's index row0 + r within the batch, so they
 * do not depend on how a batch is split over threads) and batchnorm on the
 * batch's own statistics, kept in ws for nn_backward and
 * nn_network_merge_state. ws must be a training workspace. */
const float *nn_forward_train(const nn_network *net, nn_workspace *ws,
                              const float *X, size_t rows, uint64_t seed,
                              size_t row0);

/* After training passes of one mini-batch split over n workspaces (rows[t]
 * examples in ws[t], 0 for an idle one): folds their batch statistics into
 * the network's running statistics, in workspace order. No-op for a
 * network without state. */
void nn_network_merge_state(nn_network *net, nn_workspace *const *ws,
                            const size_t *rows, size_t n);

/* After nn_forward or nn_forward_train on the same X, rows and ws (a training workspace):
 * computes the loss against targets Y (rows×outputs) and backpropagates.
 * Writes the gradient of scale × Σ_rows loss into grads (n_params floats in
 * the layout of params) — overwriting it, or adding to it when `accumulate`.
 * Returns Σ_rows loss (not scaled). */
double nn_backward(const nn_network *net, nn_workspace *ws, const float *X,
                   const float *Y, size_t rows, float scale, float *grads,
                   bool accumulate);

/* nn_backward for a language model (softmax cross-entropy at each of the
 * output's P positions) against sparse targets: targets has rows × P
 * class ids (or NN_NO_TARGET), never one-hot rows. Writes the gradient of
 * scale × Σ loss (scale 1/(B·P) for the mean per token of a batch of B);
 * adds to *correct (may be NULL) the positions predicted right. Returns
 * Σ loss over the scored positions, in nats. */
double nn_backward_tokens(const nn_network *net, nn_workspace *ws,
                          const float *X, const uint32_t *targets,
                          size_t rows, float scale, float *grads,
                          bool accumulate, size_t *correct);

/* After nn_forward of rows examples with ws: Σ loss of the scored
 * positions against sparse targets (rows × P ids or NN_NO_TARGET), adding
 * their count to *scored and the right predictions to *correct (either
 * may be NULL). */
double nn_forward_loss_tokens(const nn_network *net, const nn_workspace *ws,
                              const uint32_t *targets, size_t rows,
                              size_t *scored, size_t *correct);

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
