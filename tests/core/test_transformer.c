/* test_transformer.c — the transformer's pieces in networks: layernorm
 * (values against a double reference, shapes, refusals) and GELU in a dense
 * layer, with gradient checks of whole stacks (seq_gradcheck: every
 * parameter against central differences of the loss, step 5e-3, per entry
 * |a − n| ≤ 1e-2·max(|a|, |n|) + 1e-4, normwise < 1e-3; observed with
 * NN_TEST_VERBOSE=1 in the commit that adds each check). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static nn_layer_spec layernorm(void)
{
    return (nn_layer_spec){.kind = NN_LAYER_LAYERNORM};
}

static nn_layer_spec embedding(size_t dim, size_t vocab)
{
    return (nn_layer_spec){.kind = NN_LAYER_EMBEDDING, .units = dim,
                           .vocab = vocab, .positions = true};
}

static nn_shape sequence(size_t T, size_t D)
{
    return (nn_shape){.rank = 2, .dim = {T, D, 0}};
}

Test(transformer, layernorm_and_gelu_gradients)
{
    nn_layer_spec vec[3] = {layer(6, NN_ACT_GELU, 0), layernorm(),
                            layer(3, NN_ACT_SOFTMAX, 0)};
    seq_gradcheck("dense gelu → layernorm → dense", nn_shape_vector(4), vec,
                  3, 4, 0);
    nn_layer_spec lm[4] = {embedding(5, 7), layernorm(),
                           layer(6, NN_ACT_GELU, 0),
                           layer(7, NN_ACT_SOFTMAX, 0)};
    seq_gradcheck("embedding → layernorm → dense gelu → dense every position",
                  nn_shape_vector(4), lm, 4, 3, 7);
    nn_layer_spec seq[2] = {layernorm(), layer(3, NN_ACT_SOFTMAX, 0)};
    seq_gradcheck("layernorm of a sequence → dense", sequence(3, 5), seq, 2,
                  2, 0);
}

/* γ x̂ + β per position, against the definition in double; a constant
 * position normalises to β exactly (eps keeps it finite). */
Test(transformer, layernorm_values)
{
    nn_layer_spec L[1] = {layernorm()};
    nn_network *net = shaped_net(sequence(3, 4), L, 1, NN_LOSS_MSE);
    cr_assert_eq(net->n_params, 8);
    cr_assert_eq(net->info[0].n_w, 0);
    float *g = net->params + net->b_offset[0], *beta = g + 4;
    for (size_t i = 0; i < 4; i++)
        cr_assert_float_eq(g[i], 1.0f, 0, "γ starts at 1");
    const float gv[4] = {1, 2, -0.5f, 0.25f}, bv[4] = {0.1f, 0, -1, 3};
    memcpy(g, gv, sizeof gv);
    memcpy(beta, bv, sizeof bv);
    const float X[2 * 12] = {1, 2, 3, 4, -1, 0.5f, 7, 2, 5, 5, 5, 5,
                             0, 0, 0, 1e-3f, 100, -100, 3, 0, 2, 2, 2, 2};
    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, net, 2, false, NULL), NN_OK);
    const float *A = nn_forward(net, ws, X, 2);
    for (size_t n = 0; n < 6; n++) {
        const float *x = X + 4 * n;
        double m = (x[0] + x[1] + x[2] + x[3]) / 4.0, v = 0;
        for (size_t i = 0; i < 4; i++)
            v += (x[i] - m) * (x[i] - m) / 4.0;
        for (size_t i = 0; i < 4; i++) {
            double want = (x[i] - m) / sqrt(v + 1e-5) * gv[i] + bv[i];
            cr_assert_float_eq(A[4 * n + i], want, 2e-5 * (1 + fabs(want)),
                               "position %zu feature %zu", n, i);
        }
    }
    for (size_t i = 0; i < 4; i++)
        cr_assert_float_eq(A[8 + i], bv[i], 0, "constant position → β");
    nn_workspace_free(ws);
    nn_network_free(net);
}

Test(transformer, layernorm_refuses_an_image)
{
    nn_layer_spec L[1] = {layernorm()};
    nn_shape img = image(2, 3, 3);
    nn_network *net = NULL;
    nn_error err;
    cr_assert_eq(nn_network_create_shaped(&net, NN_MODEL_MLP, &img, L, 1,
                                          NN_LOSS_MSE, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/layers/0/type");
    cr_assert_null(net);
    nn_layer_kind kind;
    cr_assert_eq(nn_layer_kind_parse("layernorm", &kind, "/t", NULL), NN_OK);
    cr_assert_eq(kind, NN_LAYER_LAYERNORM);
}
