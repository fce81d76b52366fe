/* dump_rnn.c — `make crosscheck`'s libnn side for the sequence layers:
 * builds a small recurrent network from a seed, runs one training pass
 * (forward, loss, backward) and prints, as dump_cnn.c does, everything
 * tests/crosscheck/torch_crosscheck_rnn.py needs to repeat it with
 * PyTorch's nn.RNN, nn.LSTM and nn.GRU and the same weights:
 *   <name> <count> <values…>   one array per line, %.9g
 * Usage: nn-crosscheck-rnn CASE, CASE = 2·kind + variant: kind 0 rnn,
 * 1 lstm, 2 gru; variant 0 token ids → embedding with learned positions →
 * the layer with return_sequences → dense softmax at every position
 * (a language model), variant 1 a sequence of vectors → the layer's last
 * step → dense softmax. */
#include <stdio.h>
#include <stdlib.h>

#include "dump_io.h"
#include "nn.h"

#define ROWS 3
#define STEPS 5
#define VOCAB 7
#define DIM 4
#define HIDDEN 6

/* The case's stack; returns the number of layers written to L. */
static size_t stack(int which, nn_layer_spec *L, nn_shape *in)
{
    static const nn_layer_kind kinds[3] = {NN_LAYER_RNN, NN_LAYER_LSTM,
                                           NN_LAYER_GRU};
    nn_layer_kind kind = kinds[(which / 2) % 3];
    nn_activation softmax = {NN_ACT_SOFTMAX, 0};
    if (which % 2 == 0) {
        *in = nn_shape_vector(STEPS);
        L[0] = (nn_layer_spec){.kind = NN_LAYER_EMBEDDING, .units = DIM,
                               .vocab = VOCAB, .positions = true};
        L[1] = (nn_layer_spec){.kind = kind, .units = HIDDEN,
                               .return_sequences = true};
        L[2] = (nn_layer_spec){.units = VOCAB, .act = softmax};
        return 3;
    }
    *in = (nn_shape){.rank = 2, .dim = {STEPS, DIM, 0}};
    L[0] = (nn_layer_spec){.kind = kind, .units = HIDDEN};
    L[1] = (nn_layer_spec){.units = 3, .act = softmax};
    return 2;
}

/* X: token ids, or values in ±1; Y: one class per position (or row). */
static void fill_data(int which, const nn_network *net, float *X, float *Y,
                      size_t rows, nn_rng *rng)
{
    size_t outs = nn_network_outputs(net);
    size_t classes = which % 2 == 0 ? VOCAB : 3, per = outs / classes;
    for (size_t i = 0; i < rows * net->inputs; i++)
        X[i] = which % 2 == 0 ? (float)nn_rng_below(rng, VOCAB)
                              : -1.0f + 2.0f * nn_rng_uniform(rng);
    for (size_t p = 0; p < rows * per; p++)
        Y[p * classes + nn_rng_below(rng, classes)] = 1.0f;
}

int main(int argc, char **argv)
{
    int which = argc > 1 ? atoi(argv[1]) : 0;
    return dump_run(which, stack, 4242 + (uint64_t)which, ROWS, fill_data);
}
