/* test_transformer.c — the transformer in networks: layernorm (values
 * against a double reference, shapes, refusals), GELU in a dense layer, and
 * transformer_block (a whole 2-block model, PyTorch's parameter counts,
 * refusals naming the field before allocation, the prediction path against
 * the training path, causality, save and load), with gradient checks of
 * whole stacks (seq_gradcheck: every
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

static nn_layer_spec block(size_t heads, size_t ratio)
{
    return (nn_layer_spec){.kind = NN_LAYER_TRANSFORMER_BLOCK,
                           .heads = heads, .mlp_ratio = ratio};
}

/* The model of the issue, small: embedding with learned positions → two
 * blocks → layernorm → dense vocab softmax at every position. */
static size_t tiny_gpt(nn_layer_spec *L, size_t dim, size_t vocab,
                       size_t heads)
{
    L[0] = embedding(dim, vocab);
    L[1] = block(heads, 4);
    L[2] = block(heads, 2);
    L[3] = layernorm();
    L[4] = layer(vocab, NN_ACT_SOFTMAX, 0);
    return 5;
}

Test(transformer, two_block_model_gradients)
{
    nn_layer_spec L[5];
    size_t n = tiny_gpt(L, 8, 5, 2);
    double e = seq_gradcheck("embedding → 2 blocks → layernorm → dense",
                             nn_shape_vector(4), L, n, 3, 5);
    cr_assert_gt(e, 0.0, "the check compared something");
    /* one head of the whole width, and a head per feature */
    L[1].heads = 1;
    L[2].heads = 8;
    seq_gradcheck("2 blocks of 1 and 8 heads", nn_shape_vector(5), L, n, 2, 5);
    /* a block as the first layer: its dX is not wanted */
    nn_layer_spec first[2] = {block(2, 3), layer(3, NN_ACT_SOFTMAX, 0)};
    seq_gradcheck("block on vectors → dense", sequence(4, 6), first, 2, 3, 0);
}

/* PyTorch's count per block, 12·D² + 13·D for mlp_ratio 4; the summary's
 * output shape is the input's. */
Test(transformer, shapes_and_parameter_counts)
{
    nn_layer_spec L[5];
    size_t n = tiny_gpt(L, 128, 65, 4);
    L[2].mlp_ratio = 4;
    nn_network *net = shaped_net(nn_shape_vector(64), L, n,
                                 NN_LOSS_CROSS_ENTROPY);
    size_t per_block = 12 * 128 * 128 + 13 * 128;
    cr_assert_eq(net->info[1].n_w + net->info[1].n_b, per_block);
    cr_assert_eq(net->info[1].out.rank, 2);
    cr_assert_eq(net->info[1].out.dim[0], 64);
    cr_assert_eq(net->info[1].out.dim[1], 128);
    /* embedding, positions, two blocks, layernorm, the vocabulary head */
    cr_assert_eq(net->n_params, 65 * 128 + 64 * 128 + 2 * per_block +
                                    2 * 128 + 128 * 65 + 65);
    const float *b = net->params + net->b_offset[1];
    cr_assert_float_eq(b[0], 1.0f, 0, "ln1 γ starts at 1");
    cr_assert_float_eq(b[6 * 128], 1.0f, 0, "ln2 γ starts at 1");
    cr_assert_float_eq(b[128], 0.0f, 0, "ln1 β starts at 0");
    nn_network_free(net);
}

static void assert_refused(nn_shape in, const nn_layer_spec *L, size_t n,
                           nn_status code, const char *field)
{
    nn_network *net = NULL;
    nn_error err;
    size_t count = 0;
    cr_assert_eq(nn_network_check(NN_MODEL_MLP, &in, L, n, NN_LOSS_MSE,
                                  &count, &err),
                 code, "%s", field);
    cr_assert_str_eq(err.field, field);
    cr_assert_eq(nn_network_create_shaped(&net, NN_MODEL_MLP, &in, L, n,
                                          NN_LOSS_MSE, &err),
                 code, "%s", field);
    cr_assert_str_eq(err.field, field);
    cr_assert_null(net);
}

Test(transformer, bad_blocks_name_the_field)
{
    nn_shape ids = nn_shape_vector(6);
    nn_layer_spec L[2] = {embedding(12, 5), block(5, 4)};
    assert_refused(ids, L, 2, NN_ERR_INVALID, "/layers/1/heads");
    L[1].heads = 0;
    assert_refused(ids, L, 2, NN_ERR_INVALID, "/layers/1/heads");
    L[1].heads = 24;
    assert_refused(ids, L, 2, NN_ERR_INVALID, "/layers/1/heads");
    L[1] = block(3, 0);
    assert_refused(ids, L, 2, NN_ERR_INVALID, "/layers/1/mlp_ratio");
    L[1] = block(3, 1u << 19);
    assert_refused(ids, L, 2, NN_ERR_TOO_LARGE, "/layers/1/mlp_ratio");
    L[1] = block(3, 4);
    L[1].rate = 0.1f;
    assert_refused(ids, L, 2, NN_ERR_INVALID, "/layers/1/dropout");
    nn_layer_spec on_vector[1] = {block(2, 4)};
    assert_refused(nn_shape_vector(8), on_vector, 1, NN_ERR_INVALID,
                   "/layers/0/type");
    nn_layer_kind kind;
    cr_assert_eq(nn_layer_kind_parse("transformer_block", &kind, "/t", NULL),
                 NN_OK);
    cr_assert_eq(kind, NN_LAYER_TRANSFORMER_BLOCK);
}

/* Predictions (row by row in scratch) agree with the training pass (rows
 * batched); a later token changes no earlier position's output. */
Test(transformer, prediction_path_and_causality)
{
    nn_layer_spec L[5];
    size_t n = tiny_gpt(L, 8, 6, 2);
    grad_stack s = seq_stack(nn_shape_vector(5), L, n, 3, 6);
    float *before = assert_paths_agree(&s, "2 blocks");
    nn_workspace *pw = NULL;
    cr_assert_eq(nn_workspace_create(&pw, s.net, 3, false, NULL), NN_OK);
    memcpy(before, nn_forward(s.net, pw, s.X, 3), 3 * 5 * 6 * sizeof *before);
    s.X[4] = s.X[4] == 0.0f ? 1.0f : 0.0f; /* row 0's last token */
    const float *after = nn_forward(s.net, pw, s.X, 3);
    for (size_t i = 0; i < 4 * 6; i++)
        cr_assert(after[i] == before[i], "position %zu moved", i / 6);
    bool moved = false;
    for (size_t i = 4 * 6; i < 5 * 6; i++)
        moved |= after[i] != before[i];
    cr_assert(moved, "the changed position's own output moves");
    for (size_t i = 5 * 6; i < 3 * 5 * 6; i++)
        cr_assert(after[i] == before[i], "another row moved");
    nn_workspace_free(pw);
    free(before);
    stack_free(&s);
}

Test(transformer, save_and_load_keep_the_blocks)
{
    nn_layer_spec L[5];
    size_t n = tiny_gpt(L, 8, 5, 4);
    grad_stack s = seq_stack(nn_shape_vector(6), L, n, 2, 5);
    nn_network *back = assert_round_trip(s.net);
    cr_assert_eq(back->layers[2].heads, 4);
    cr_assert_eq(back->layers[2].mlp_ratio, 2);
    nn_network_free(back);
    stack_free(&s);
}
