/* dump_io.h — what the crosscheck dumpers (dump_cnn.c, dump_rnn.c,
 * dump_gpt.c) share: printing an array as one line the Python side reads,
 * and seeded fills. */
#ifndef CROSSCHECK_DUMP_IO_H
#define CROSSCHECK_DUMP_IO_H

#include <stdio.h>
#include <stdlib.h>

#include "nn.h"

/* "<name> <count> <values…>", each value %.9g. */
static inline void put(const char *name, const float *v, size_t n)
{
    printf("%s %zu", name, n);
    for (size_t i = 0; i < n; i++)
        printf(" %.9g", (double)v[i]);
    printf("\n");
}

/* v[0..n) uniform in [lo, hi). */
static inline void fill(float *v, size_t n, float lo, float hi, nn_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        v[i] = lo + (hi - lo) * nn_rng_uniform(rng);
}

/* The network of the stack L over input `in` (cross-entropy) and a
 * training workspace of rows; 0, or 1 after saying why on stderr. */
static inline int make_stack(const nn_shape *in, const nn_layer_spec *L,
                             size_t n, size_t rows, nn_network **net,
                             nn_workspace **ws)
{
    nn_error err;
    if (nn_network_create_shaped(net, NN_MODEL_MLP, in, L, n,
                                 NN_LOSS_CROSS_ENTROPY, &err) != NN_OK ||
        nn_workspace_create(ws, *net, rows, true, &err) != NN_OK) {
        fprintf(stderr, "crosscheck: %s (%s)\n", err.message, err.field);
        return 1;
    }
    return 0;
}

/* A dumper's stacks: case `which` into L (at most 16 layers) and its input
 * shape; returns the number of layers. */
typedef size_t (*dump_stack_fn)(int which, nn_layer_spec *L, nn_shape *in);

/* The network of case `which` with a workspace of rows, its parameters
 * uniform in ±0.5 from rng seeded with seed; 0, or 1 after saying why. */
static inline int dump_begin(int which, dump_stack_fn stack, uint64_t seed,
                             size_t rows, nn_network **net, nn_workspace **ws,
                             nn_rng *rng)
{
    nn_layer_spec L[16];
    nn_shape in;
    size_t n = stack(which, L, &in);
    if (make_stack(&in, L, n, rows, net, ws))
        return 1;
    nn_rng_seed(rng, seed);
    fill((*net)->params, (*net)->n_params, -0.5f, 0.5f, rng);
    return 0;
}

/* Weights and biases (or their gradients, p = the gradient block) of
 * every layer as <prefix>W<k> and <prefix>b<k>. */
static inline void put_params(const nn_network *net, const float *p,
                              const char *prefix)
{
    for (size_t k = 0; k < net->n_layers; k++) {
        char name[32];
        snprintf(name, sizeof name, "%sW%zu", prefix, k);
        put(name, p + net->w_offset[k], net->info[k].n_w);
        snprintf(name, sizeof name, "%sb%zu", prefix, k);
        put(name, p + net->b_offset[k], net->info[k].n_b);
    }
}

/* X, a zeroed Y and the gradient block for a batch of rows; 0 or 1. */
static inline int alloc_batch(const nn_network *net, size_t rows, float **X,
                              float **Y, float **grads)
{
    *X = malloc(rows * net->inputs * sizeof **X);
    *Y = calloc(rows * nn_network_outputs(net), sizeof **Y);
    *grads = malloc(net->n_params * sizeof **grads);
    return *X && *Y && *grads ? 0 : 1;
}

/* One training pass printed: the weights, X and Y, the outputs, the loss
 * averaged over rows, and the gradients of that mean (dW<k>, db<k>). */
static inline void dump_pass(const nn_network *net, nn_workspace *ws,
                             const float *X, const float *Y, size_t rows,
                             float *grads)
{
    size_t outs = nn_network_outputs(net);
    put("X", X, rows * net->inputs);
    put("Y", Y, rows * outs);
    put_params(net, net->params, "");
    put("out", nn_forward_train(net, ws, X, rows, 1, 0), rows * outs);
    double loss = nn_backward(net, ws, X, Y, rows, 1.0f / (float)rows, grads,
                              false);
    float mean_loss = (float)(loss / (double)rows);
    put("loss", &mean_loss, 1);
    put_params(net, grads, "d");
}

/* Fills a batch of rows for case `which`: X (inputs) and the zeroed
 * targets Y, drawing from rng. */
typedef void (*dump_fill_fn)(int which, const nn_network *net, float *X,
                             float *Y, size_t rows, nn_rng *rng);

/* A whole dumper: case `which`'s network (parameters from seed), its batch
 * of rows from fill_data, "case" and "rows", then dump_pass; 0, or 1 after
 * saying why. */
static inline int dump_run(int which, dump_stack_fn stack, uint64_t seed,
                           size_t rows, dump_fill_fn fill_data)
{
    nn_network *net = NULL;
    nn_workspace *ws = NULL;
    nn_rng rng;
    if (dump_begin(which, stack, seed, rows, &net, &ws, &rng))
        return 1;
    float *X, *Y, *grads;
    if (alloc_batch(net, rows, &X, &Y, &grads))
        return 1;
    fill_data(which, net, X, Y, rows, &rng);
    printf("case %d\nrows 1 %zu\n", which, rows);
    dump_pass(net, ws, X, Y, rows, grads);
    nn_workspace_free(ws);
    nn_network_free(net);
    free(X), free(Y), free(grads);
    return 0;
}

#endif
