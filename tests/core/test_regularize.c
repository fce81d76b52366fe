/* test_regularize.c — L1/L2 weight penalties: the gradient nn_regularize
 * adds (weights only, never biases, any split of the range), what a
 * trainer does with it under sgd and Adam, and the configuration check. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <string.h>

#include "helpers.h"

/* A 2-3-1 network with weights ±(k+1)/10 by index and biases 0.5. */
static nn_network *small_net(void)
{
    nn_layer_spec L[2] = {layer(3, NN_ACT_TANH, 0), layer(1, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 2, L, 2, NN_LOSS_MSE);
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] = (i % 2 ? -1.0f : 1.0f) * (float)(i + 1) / 10.0f;
    for (size_t k = 0; k < 2; k++)
        for (size_t j = 0; j < L[k].units; j++)
            net->params[net->b_offset[k] + j] = 0.5f;
    return net;
}

static bool is_bias(const nn_network *net, size_t i)
{
    for (size_t k = 0; k < net->n_layers; k++)
        if (i >= net->b_offset[k] && i < net->b_offset[k] + net->layers[k].units)
            return true;
    return false;
}

Test(regularize, gradient_on_weights_only)
{
    nn_network *net = small_net();
    nn_regularization r = {.l1 = 0.5f, .l2 = 0.25f};
    float g[13] = {0};
    cr_assert_eq(net->n_params, 13);
    nn_regularize(net, &r, net->params, g, 0, net->n_params);
    for (size_t i = 0; i < net->n_params; i++) {
        float w = net->params[i];
        float want = is_bias(net, i) ? 0.0f
                                     : 0.5f * (w > 0 ? 1.0f : -1.0f) + 0.25f * w;
        cr_assert(ieee_ulp_eq(flt, g[i], want, 1), "param %zu: %g, want %g", i,
                  (double)g[i], (double)want);
    }
    nn_network_free(net);
}

Test(regularize, split_ranges_add_up_to_the_whole)
{
    nn_network *net = small_net();
    nn_regularization r = {.l1 = 0.1f, .l2 = 2.0f};
    float whole[13] = {0}, parts[13] = {0};
    nn_regularize(net, &r, net->params, whole, 0, 13);
    size_t cuts[] = {0, 5, 6, 9, 13}; /* through W[0], b[0] and W[1] */
    for (size_t c = 0; c + 1 < 5; c++)
        nn_regularize(net, &r, net->params, parts, cuts[c], cuts[c + 1]);
    cr_assert_arr_eq(whole, parts, sizeof whole);
    nn_network_free(net);
}

Test(regularize, zero_penalty_leaves_gradients_alone)
{
    nn_network *net = small_net();
    nn_regularization r = {0};
    float g[13];
    for (size_t i = 0; i < 13; i++)
        g[i] = (float)i;
    nn_regularize(net, &r, net->params, g, 0, 13);
    for (size_t i = 0; i < 13; i++)
        cr_assert_eq(g[i], (float)i);
    nn_network_free(net);
}

/* Inputs and targets all zero with a linear 2-1 network: the data gives
 * the weights no gradient at all, so what they do is the penalty alone;
 * the bias follows its own data gradient, the same with or without. */
static float X0[4 * 2], Y0[4];
static const nn_data zeros = {.rows = 4, .in_dim = 2, .out_dim = 1, .X = X0,
                              .Y = Y0};

static nn_network *train_zeros(nn_opt_kind kind, nn_regularization reg)
{
    nn_layer_spec L[1] = {layer(1, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 2, L, 1, NN_LOSS_MSE);
    float W[2] = {1.0f, -2.0f}, b[1] = {0.5f};
    nn_error err;
    cr_assert_eq(nn_network_set_layer(net, 0, W, b, &err), NN_OK);
    nn_train_config cfg = plain_config(kind, 0.1f, 4, 3);
    cfg.reg = reg;
    nn_trainer *tr = NULL;
    cr_assert_eq(nn_trainer_create(&tr, net, &zeros, &cfg, &err), NN_OK, "%s",
                 err.message);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, &err), NN_OK, "%s",
                 err.message);
    nn_trainer_free(tr);
    return net;
}

Test(regularize, sgd_l2_decays_weights_geometrically)
{
    nn_network *plain = train_zeros(NN_OPT_SGD, (nn_regularization){0});
    nn_network *net = train_zeros(NN_OPT_SGD, (nn_regularization){.l2 = 0.5f});
    float f = powf(1.0f - 0.1f * 0.5f, 3); /* three steps of w(1 − ηλ) */
    cr_assert_float_eq(plain->params[0], 1.0f, 1e-7, "no penalty: unchanged");
    cr_assert_float_eq(net->params[0], 1.0f * f, 1e-6);
    cr_assert_float_eq(net->params[1], -2.0f * f, 1e-6);
    cr_assert_eq(net->params[2], plain->params[2], "the bias is not penalised");
    cr_assert_neq(net->params[2], 0.5f, "the bias did train");
    nn_network_free(plain);
    nn_network_free(net);
}

Test(regularize, sgd_l1_moves_weights_by_constant_steps)
{
    nn_network *net = train_zeros(NN_OPT_SGD, (nn_regularization){.l1 = 0.5f});
    cr_assert_float_eq(net->params[0], 1.0f - 3 * 0.1f * 0.5f, 1e-6);
    cr_assert_float_eq(net->params[1], -2.0f + 3 * 0.1f * 0.5f, 1e-6);
    nn_network_free(net);
}

Test(regularize, adam_sees_the_penalty_too)
{
    nn_network *plain = train_zeros(NN_OPT_ADAM, (nn_regularization){0});
    nn_network *net = train_zeros(NN_OPT_ADAM, (nn_regularization){.l2 = 0.1f});
    cr_assert_eq(plain->params[0], 1.0f, "a zero gradient moves no weight");
    cr_assert_lt(fabsf(net->params[0]), 1.0f);
    cr_assert_lt(fabsf(net->params[1]), 2.0f);
    cr_assert_eq(net->params[2], plain->params[2], "the bias is not penalised");
    nn_network_free(plain);
    nn_network_free(net);
}

Test(regularize, negative_or_nan_is_invalid)
{
    nn_layer_spec L[1] = {layer(1, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 2, L, 1, NN_LOSS_MSE);
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.1f, 4, 1);
    nn_trainer *tr = NULL;
    nn_error err;
    cfg.reg.l1 = -0.1f;
    cr_assert_eq(nn_trainer_create(&tr, net, &zeros, &cfg, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/regularization/l1");
    cfg.reg = (nn_regularization){.l2 = NAN};
    cr_assert_eq(nn_trainer_create(&tr, net, &zeros, &cfg, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/regularization/l2");
    cr_assert_null(tr);
    nn_network_free(net);
}
