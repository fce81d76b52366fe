/* test_network.c — network definitions: the parameter layout, weight
 * initialisation, deep copies, class names, the classes outputs and
 * targets stand for, and the names of init and normalisation kinds. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* 5-7-3-4: W0 5×7 at 0, b0 at 35, W1 7×3 at 42, b1 at 63, W2 3×4 at 66,
 * b2 at 78; 82 parameters; widest layer 7. */
Test(network, parameter_layout)
{
    nn_layer_spec L[3] = {layer(7, NN_ACT_TANH, 0), layer(3, NN_ACT_RELU, 0),
                          layer(4, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 5, L, 3, NN_LOSS_CROSS_ENTROPY);
    const size_t w[3] = {0, 42, 66}, b[3] = {35, 63, 78};
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(net->w_offset[k], w[k], "W[%d]", k);
        cr_assert_eq(net->b_offset[k], b[k], "b[%d]", k);
    }
    cr_assert_eq(net->n_params, 82);
    cr_assert_eq(net->max_width, 7);
    cr_assert_eq(nn_network_outputs(net), 4);
    cr_assert_eq(net->norm.kind, NN_NORM_NONE);
    for (size_t i = 0; i < net->n_params; i++)
        cr_assert(ieee_ulp_eq(flt, net->params[i], 0.0f, 0), "starts at 0");
    /* The caller's layer array is copied, not kept. */
    L[0].units = 99;
    cr_assert_eq(net->layers[0].units, 7);
    nn_network_free(net);
    nn_network_free(NULL);
}

/* Forward: each layer is Z = A W + b with W in×out row-major. A 2-3 linear
 * layer by hand: x = (1, 2), W = [[1, 2, 3], [4, 5, 6]], b = (0.5, 0, −1)
 * ⇒ z = (9.5, 12, 14). */
Test(network, forward_layout_by_hand)
{
    nn_layer_spec L[1] = {layer(3, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 2, L, 1, NN_LOSS_MSE);
    const float W[6] = {1, 2, 3, 4, 5, 6}, b[3] = {0.5f, 0, -1};
    cr_assert_eq(nn_network_set_layer(net, 0, W, b, NULL), NN_OK);
    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, net, 2, false, NULL), NN_OK);
    const float X[4] = {1, 2, -1, 0};
    const float *o = nn_forward(net, ws, X, 2);
    const float want[6] = {9.5f, 12, 14, -0.5f, -2, -4};
    for (int i = 0; i < 6; i++)
        cr_assert(ieee_ulp_eq(flt, o[i], want[i], 0), "o[%d] = %g", i,
                  (double)o[i]);
    nn_workspace_free(ws);
    nn_network_free(net);
}

static void assert_range(const nn_network *net, size_t k, double limit)
{
    size_t in = k ? net->layers[k - 1].units : net->inputs;
    const float *W = net->params + net->w_offset[k];
    double max = 0;
    for (size_t i = 0; i < in * net->layers[k].units; i++) {
        cr_assert_leq(fabsf(W[i]), limit, "layer %zu weight %zu", k, i);
        max = fmax(max, fabsf(W[i]));
    }
    cr_assert_gt(max, 0.8 * limit, "layer %zu never nears its limit", k);
    for (size_t j = 0; j < net->layers[k].units; j++)
        cr_assert(ieee_ulp_eq(flt, net->params[net->b_offset[k] + j], 0.0f, 0),
                  "biases start at 0");
}

Test(network, init_kinds)
{
    nn_layer_spec L[2] = {layer(30, NN_ACT_RELU, 0), layer(10, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 20, L, 2, NN_LOSS_MSE);
    nn_rng rng;
    nn_rng_seed(&rng, 1);
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] = 9; /* every weight and bias is overwritten */

    nn_network_init(net, NN_INIT_XAVIER, &rng);
    assert_range(net, 0, sqrt(6.0 / 50));
    assert_range(net, 1, sqrt(6.0 / 40));

    nn_network_init(net, NN_INIT_UNIFORM, &rng);
    assert_range(net, 0, 1 / sqrt(20.0));
    assert_range(net, 1, 1 / sqrt(30.0));

    nn_network_init(net, NN_INIT_HE, &rng); /* N(0, 2/in): 600 draws */
    double s2 = 0;
    for (size_t i = 0; i < 600; i++)
        s2 += (double)net->params[i] * net->params[i];
    cr_assert_float_eq(s2 / 600, 2.0 / 20, 0.02, "he variance %g", s2 / 600);

    nn_network_init(net, NN_INIT_ZEROS, &rng);
    for (size_t i = 0; i < net->n_params; i++)
        cr_assert(ieee_ulp_eq(flt, net->params[i], 0.0f, 0));

    /* The same seed gives the same weights. */
    nn_network *twin = make_net(NN_MODEL_MLP, 20, L, 2, NN_LOSS_MSE);
    nn_rng_seed(&rng, 5);
    nn_network_init(net, NN_INIT_XAVIER, &rng);
    nn_rng_seed(&rng, 5);
    nn_network_init(twin, NN_INIT_XAVIER, &rng);
    cr_assert(memcmp(net->params, twin->params,
                     net->n_params * sizeof(float)) == 0);
    nn_network_free(twin);
    nn_network_free(net);
}

Test(network, clone_is_deep)
{
    nn_layer_spec L[2] = {layer(4, NN_ACT_TANH, 0), layer(2, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 3, L, 2, NN_LOSS_CROSS_ENTROPY);
    init_net(net, 2, 0.5f);
    const float shift[3] = {1, 2, 3}, scale[3] = {4, 5, 6};
    cr_assert_eq(nn_network_set_norm(net, NN_NORM_STANDARD, shift, scale, NULL),
                 NN_OK);
    const char *names[2] = {"no", "yes"};
    cr_assert_eq(nn_network_set_classes(net, names, 2, NULL), NN_OK);
    nn_network *c = NULL;
    cr_assert_eq(nn_network_clone(&c, net, NULL), NN_OK);
    cr_assert(memcmp(c->params, net->params, net->n_params * sizeof(float)) == 0);
    cr_assert_neq(c->params, net->params);
    cr_assert_neq(c->norm.shift, net->norm.shift);
    cr_assert_neq(c->classes, net->classes);
    net->params[0] += 1;
    net->norm.shift[0] = 0;
    net->classes[0][0] = 'N';
    cr_assert(ieee_ulp_eq(flt, c->norm.shift[0], 1.0f, 0));
    cr_assert_str_eq(c->classes[0], "no");
    cr_assert(ieee_ulp_eq(flt, c->params[0], net->params[0] - 1, 0));
    cr_assert_eq(c->loss, NN_LOSS_CROSS_ENTROPY);
    nn_network_free(net);
    nn_network_free(c);
}

Test(network, class_names_are_copied_and_replaced)
{
    nn_layer_spec L[1] = {layer(3, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 2, L, 1, NN_LOSS_CROSS_ENTROPY);
    char a[8] = "red";
    const char *names[3] = {a, "green", NULL};
    cr_assert_eq(nn_network_set_classes(net, names, 3, NULL), NN_OK);
    a[0] = 'b';
    cr_assert_str_eq(net->classes[0], "red");
    cr_assert_str_eq(net->classes[2], "", "a NULL name becomes empty");
    cr_assert_eq(nn_network_set_classes(net, NULL, 0, NULL), NN_OK);
    cr_assert_eq(net->n_classes, 0);
    cr_assert_null(net->classes);
    nn_network_free(net);
}

Test(network, output_and_target_classes)
{
    const struct {
        nn_act_kind kind;
        float below, above; /* just either side of the threshold */
    } cases[] = {
        {NN_ACT_SIGMOID, 0.5f, 0.5001f}, {NN_ACT_STEP, 0.0f, 1.0f},
        {NN_ACT_LINEAR, 0.5f, 0.51f},    {NN_ACT_RELU, 0.5f, 0.6f},
        {NN_ACT_TANH, 0.0f, 0.001f},     {NN_ACT_SIGN, -1.0f, 1.0f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        nn_layer_spec L[1] = {layer(1, cases[i].kind,
                                    nn_activation_default_param(cases[i].kind))};
        nn_model_type type = cases[i].kind == NN_ACT_STEP ||
                                     cases[i].kind == NN_ACT_SIGN
                                 ? NN_MODEL_PERCEPTRON
                                 : NN_MODEL_MLP;
        nn_network *net = make_net(type, 2, L, 1, NN_LOSS_MSE);
        cr_assert_eq(nn_output_class(net, &cases[i].below), 0, "%s below",
                     nn_activation_name(cases[i].kind));
        cr_assert_eq(nn_output_class(net, &cases[i].above), 1, "%s above",
                     nn_activation_name(cases[i].kind));
        const float t0 = 0, t1 = 1, tm = -1, tp = 1;
        cr_assert_eq(nn_target_class(net, &t0), 0);
        cr_assert_eq(nn_target_class(net, &t1), 1);
        cr_assert_eq(nn_target_class(net, &tm), 0);
        cr_assert_eq(nn_target_class(net, &tp), 1);
        nn_network_free(net);
    }
    nn_layer_spec L[1] = {layer(4, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 2, L, 1, NN_LOSS_CROSS_ENTROPY);
    const float row[4] = {0.1f, 0.2f, 0.6f, 0.1f}, y[4] = {0, 0, 0, 1};
    cr_assert_eq(nn_output_class(net, row), 2);
    cr_assert_eq(nn_target_class(net, y), 3);
    nn_network_free(net);
}

Test(network, init_and_norm_names)
{
    static const char *inits[] = {"zeros", "uniform", "xavier", "he"};
    for (int k = 0; k < 4; k++) {
        nn_init_kind got;
        cr_assert_eq(nn_init_parse(inits[k], &got, "/init", NULL), NN_OK);
        cr_assert_eq(got, (nn_init_kind)k);
        cr_assert_str_eq(nn_init_name(got), inits[k]);
    }
    static const char *norms[] = {"none", "standard", "minmax"};
    for (int k = 0; k < 3; k++) {
        nn_norm_kind got;
        cr_assert_eq(nn_norm_parse(norms[k], &got, "/normalize", NULL), NN_OK);
        cr_assert_eq(got, (nn_norm_kind)k);
        cr_assert_str_eq(nn_norm_name(got), norms[k]);
    }
    nn_error err;
    nn_init_kind ik;
    nn_norm_kind nk;
    cr_assert_eq(nn_init_parse("glorot", &ik, "/init", &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/init");
    cr_assert_eq(nn_norm_parse("zscore", &nk, "/normalize", &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/normalize");
    cr_assert_str_eq(nn_init_name((nn_init_kind)9), "?");
    cr_assert_str_eq(nn_norm_name((nn_norm_kind)9), "?");
}
