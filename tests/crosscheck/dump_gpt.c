/* dump_gpt.c — `make crosscheck`'s libnn side for the transformer: builds
 * a small GPT from a seed (token ids → embedding with learned positions →
 * two transformer blocks → layernorm → dense softmax at every position),
 * runs one training pass and prints, as dump_cnn.c does, everything
 * tests/crosscheck/torch_crosscheck_gpt.py needs to repeat it with a
 * nanoGPT-style PyTorch model and the same weights:
 *   <name> <count> <values…>   one array per line, %.9g
 * Usage: nn-crosscheck-gpt CASE: case 0 blocks of 4 and 2 heads,
 * mlp_ratio 4; case 1 of 1 and 8 heads, mlp_ratio 2 and 3. */
#include <stdio.h>
#include <stdlib.h>

#include "dump_io.h"
#include "nn.h"

#define ROWS 3
#define STEPS 8
#define VOCAB 11
#define DIM 16

static size_t stack(int which, nn_layer_spec *L, nn_shape *in)
{
    static const size_t heads[2][2] = {{4, 2}, {1, 8}};
    static const size_t ratio[2][2] = {{4, 4}, {2, 3}};
    *in = nn_shape_vector(STEPS);
    L[0] = (nn_layer_spec){.kind = NN_LAYER_EMBEDDING, .units = DIM,
                           .vocab = VOCAB, .positions = true};
    for (int k = 0; k < 2; k++)
        L[1 + k] = (nn_layer_spec){.kind = NN_LAYER_TRANSFORMER_BLOCK,
                                   .heads = heads[which % 2][k],
                                   .mlp_ratio = ratio[which % 2][k]};
    L[3] = (nn_layer_spec){.kind = NN_LAYER_LAYERNORM};
    L[4] = (nn_layer_spec){.units = VOCAB, .act = {NN_ACT_SOFTMAX, 0}};
    return 5;
}

/* X: token ids; Y: one next token per position. */
static void fill_data(int which, const nn_network *net, float *X, float *Y,
                      size_t rows, nn_rng *rng)
{
    (void)which, (void)net;
    for (size_t i = 0; i < rows * STEPS; i++) {
        X[i] = (float)nn_rng_below(rng, VOCAB);
        Y[i * VOCAB + nn_rng_below(rng, VOCAB)] = 1.0f;
    }
}

int main(int argc, char **argv)
{
    int which = argc > 1 ? atoi(argv[1]) : 0;
    return dump_run(which, stack, 777 + (uint64_t)which, ROWS, fill_data);
}
