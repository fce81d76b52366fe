/* helpers.h — shared fixtures of the core unit tests: networks made with
 * asserted success, seeded random fills, an independent reference forward
 * pass and an independent FNV-1a to re-seal edited model buffers. */
#ifndef TESTS_CORE_HELPERS_H
#define TESTS_CORE_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn.h"

/* An activation of `kind` with parameter `param`. */
nn_activation act(nn_act_kind kind, float param);

/* A layer of `units` units with activation (kind, param). */
nn_layer_spec layer(size_t units, nn_act_kind kind, float param);

/* The image shape [c, h, w]. */
nn_shape image(size_t c, size_t h, size_t w);

/* A conv2d layer: filters of kh × kw every stride pixels, padding, an
 * activation of kind a (a sigmoid's steepness 1). */
nn_layer_spec conv(size_t filters, size_t kh, size_t kw, size_t stride,
                   nn_padding pad, nn_act_kind a);

/* nn_network_create that asserts success; the caller frees the network. */
nn_network *make_net(nn_model_type type, size_t inputs,
                     const nn_layer_spec *layers, size_t n_layers,
                     nn_loss_kind loss);

/* Xavier weights from seed and biases uniform in ±bias_range. */
void init_net(nn_network *net, uint64_t seed, float bias_range);

/* v[0..n) uniform in [lo, hi). */
void fill_uniform(float *v, size_t n, float lo, float hi, nn_rng *rng);

/* Rows of one-hot targets: row r gets a 1 in a random column. */
void fill_one_hot(float *Y, size_t rows, size_t cols, nn_rng *rng);

/* A synthetic classification set: X uniform in ±1, Y one-hot of the
 * argmax of X·T for a random teacher matrix T (in×classes). */
void make_teacher_data(float *X, float *Y, size_t rows, size_t in,
                       size_t classes, uint64_t seed);

/* A training config with normalize none, no shuffle, the given optimizer
 * kind and learning rate, batch and epochs; everything else default. */
nn_train_config plain_config(nn_opt_kind kind, float lr, size_t batch,
                             size_t epochs);

/* Total units over all layers (the size of ref_forward's Z and A blocks
 * per row). */
size_t units_total(const nn_network *net);

/* An independent forward pass in double: for layer k, its rows×units
 * pre-activations and activations are written at offset
 * rows × (units of layers before k) of Z and A. Returns a pointer into A
 * at the output layer. */
const double *ref_forward(const nn_network *net, const float *X, size_t rows,
                          double *Z, double *A);

/* 64-bit FNV-1a, written here from the published algorithm. */
uint64_t ref_fnv1a64(const unsigned char *p, size_t n);

/* Rewrites the trailing 8-byte little-endian checksum of a model or
 * checkpoint buffer after an edit, so that the loader reaches the edit. */
void reseal(unsigned char *buf, size_t len);

/* Little-endian stores into a byte buffer. */
void put_u32(unsigned char *p, uint32_t v);
void put_u64(unsigned char *p, uint64_t v);

/* Copies of a network's parameters, for comparisons after training. */
float *params_copy(const nn_network *net);

/* nn_network_create_shaped of a network that asserts success. */
nn_network *shaped_net(nn_shape in, const nn_layer_spec *L, size_t n,
                       nn_loss_kind loss);

/* A network with a training workspace and a batch, for gradient checks. */
typedef struct {
    nn_network *net;
    nn_workspace *ws;
    float *X, *Y;
    size_t rows;
} grad_stack;

/* The loss of the batch over its rows after a training pass (seed 77). */
double stack_loss(grad_stack *s);

/* The central difference of stack_loss in parameter i with step h. */
double stack_central(grad_stack *s, size_t i, float h);

/* Asserts entry i: |a − num| ≤ 1e-2 · max(|a|, |num|) + 1e-4, and folds
 * it into the normwise error's *maxdiff and *maxabs. */
void assert_grad_entry(const char *name, size_t i, double a, double num,
                       double *maxdiff, double *maxabs);

/* A stack over input `in` (cross-entropy, parameters uniform in ±0.5,
 * seed 21) with a training workspace of rows: X token ids below vocab
 * (vocab > 0) or uniform in ±1, Y one-hot per position of the output
 * [T, K] (or [K]). Free it with stack_free. */
grad_stack seq_stack(nn_shape in, const nn_layer_spec *L, size_t n,
                     size_t rows, size_t vocab);
void stack_free(grad_stack *s);

/* Checks every parameter of seq_stack(in, L, n, rows, vocab) against
 * central differences (step 5e-3) with assert_grad_entry, asserts a
 * normwise error below 1e-3 and that every layer with weights gets a
 * gradient; returns the normwise error (printed with NN_TEST_VERBOSE). */
double seq_gradcheck(const char *name, nn_shape in, const nn_layer_spec *L,
                     size_t n, size_t rows, size_t vocab);

/* Asserts that a prediction pass (nn_forward, a workspace of its own) of
 * the stack's batch equals its training pass within 1e-6 per entry;
 * returns a malloc'd copy of the training pass's outputs. */
float *assert_paths_agree(grad_stack *s, const char *name);

/* Saves net with nn_model_save and loads it back, asserting the same
 * layers (nn_layer_spec_equal) and bit-identical parameters; returns the
 * loaded network, which the caller frees. */
nn_network *assert_round_trip(const nn_network *net);

/* Asserts that every layer with weights got a gradient (some |entry| of
 * its weights above 1e-4), so that no check passes vacuously. */
void assert_layers_get_gradient(const char *name, const nn_network *net,
                                const float *grads);

/* Makes a trainer for net over the test's data under cfg. */
typedef nn_status (*make_trainer_fn)(nn_trainer **tr, nn_network *net,
                                     const nn_train_config *cfg,
                                     const void *data, nn_error *err);

/* Trains a for `stop` epochs of cfg (stopped by the callback),
 * checkpoints, restores into a fresh trainer over b (other weights) and
 * trains b to cfg's end; asserts b ends with ref's weights bit for bit
 * (ref trained by the caller in one go). what names the case. */
void assert_resume_matches(make_trainer_fn make, const void *data,
                           const nn_train_config *cfg, const nn_network *ref,
                           nn_network *a, nn_network *b, size_t stop,
                           const char *what);

#endif
