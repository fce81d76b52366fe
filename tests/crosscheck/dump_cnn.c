/* dump_cnn.c — `make crosscheck`'s libnn side: builds a small CNN from a
 * seed, runs one training pass (forward, loss, backward, batchnorm's
 * running statistics) and prints everything tests/crosscheck/torch_crosscheck.py
 * needs to repeat it in PyTorch with the same weights and compare:
 *   <name> <count> <values…>   one array per line, %.9g
 * Usage: nn-crosscheck CASE, CASE 0 (conv2d → batchnorm relu → maxpool →
 * flatten → dense softmax) or 1 (conv2d stride 2 same → avgpool → flatten
 * → dense softmax). */
#include <stdio.h>
#include <stdlib.h>

#include "dump_io.h"
#include "nn.h"

#define ROWS 6

/* The two stacks; returns the number of layers written to L. */
static size_t stack(int which, nn_layer_spec *L, nn_shape *in)
{
    nn_activation lin = {NN_ACT_LINEAR, 0}, relu = {NN_ACT_RELU, 0};
    if (which == 0) {
        *in = (nn_shape){.rank = 3, .dim = {2, 9, 8}};
        L[0] = (nn_layer_spec){.kind = NN_LAYER_CONV2D, .filters = 4,
                               .kernel_h = 3, .kernel_w = 3, .stride = 1,
                               .padding = NN_PAD_VALID, .act = lin};
        L[1] = (nn_layer_spec){.kind = NN_LAYER_BATCHNORM, .act = relu};
        L[2] = (nn_layer_spec){.kind = NN_LAYER_MAXPOOL2D, .size = 2,
                               .stride = 2};
        L[3] = (nn_layer_spec){.kind = NN_LAYER_FLATTEN};
        L[4] = (nn_layer_spec){.units = 5, .act = {NN_ACT_SOFTMAX, 0}};
        return 5;
    }
    *in = (nn_shape){.rank = 3, .dim = {3, 7, 10}};
    L[0] = (nn_layer_spec){.kind = NN_LAYER_CONV2D, .filters = 3,
                           .kernel_h = 3, .kernel_w = 2, .stride = 2,
                           .padding = NN_PAD_SAME, .act = {NN_ACT_TANH, 0}};
    L[1] = (nn_layer_spec){.kind = NN_LAYER_AVGPOOL2D, .size = 2, .stride = 1};
    L[2] = (nn_layer_spec){.kind = NN_LAYER_FLATTEN};
    L[3] = (nn_layer_spec){.units = 4, .act = {NN_ACT_SOFTMAX, 0}};
    return 4;
}

int main(int argc, char **argv)
{
    int which = argc > 1 ? atoi(argv[1]) : 0;
    nn_network *net = NULL;
    nn_workspace *ws = NULL;
    nn_rng rng;
    if (dump_begin(which, stack, 2024 + (uint64_t)which, ROWS, &net, &ws, &rng))
        return 1;
    size_t outs = nn_network_outputs(net);
    float *X, *Y, *grads;
    if (alloc_batch(net, ROWS, &X, &Y, &grads))
        return 1;
    fill(X, ROWS * net->inputs, -1, 1, &rng);
    for (size_t r = 0; r < ROWS; r++)
        Y[r * outs + nn_rng_below(&rng, outs)] = 1.0f;
    printf("case %d\nrows 1 %d\n", which, ROWS);
    const nn_shape *in = &net->input_shape;
    put("input_shape", (float[]){(float)in->dim[0], (float)in->dim[1],
                                 (float)in->dim[2]}, 3);
    dump_pass(net, ws, X, Y, ROWS, grads);
    size_t rows = ROWS;
    nn_network_merge_state(net, &ws, &rows, 1);
    put("state", net->state, net->n_state);
    nn_workspace_free(ws);
    nn_network_free(net);
    free(X), free(Y), free(grads);
    return 0;
}
