/* test_bad_input.c — every bad input is an error code naming the field,
 * never a crash or a leak (the ASan build checks the latter): network
 * definitions, training configurations, data, prediction inputs, and the
 * two ways a run ends early (divergence, a callback's stop). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* Expects nn_network_create to fail with code and field. */
static void assert_create_fails(nn_model_type type, size_t inputs,
                                const nn_layer_spec *layers, size_t n,
                                nn_loss_kind loss, nn_status code,
                                const char *field)
{
    nn_network *net = NULL;
    nn_error err;
    nn_error_clear(&err);
    nn_status st = nn_network_create(&net, type, inputs, layers, n, loss, &err);
    cr_assert_eq(st, code, "%s: got %s (%s)", field, nn_status_name(st),
                 err.message);
    cr_assert_null(net);
    cr_assert_eq(err.code, code);
    cr_assert_str_eq(err.field, field);
    cr_assert_neq(strlen(err.message), 0);
}

Test(bad_input, zero_width_layers)
{
    nn_layer_spec L[3] = {layer(4, NN_ACT_TANH, 0), layer(0, NN_ACT_TANH, 0),
                          layer(2, NN_ACT_SOFTMAX, 0)};
    assert_create_fails(NN_MODEL_MLP, 3, L, 3, NN_LOSS_CROSS_ENTROPY,
                        NN_ERR_INVALID, "/layers/1/units");
    L[1].units = 3;
    L[2].units = 0;
    assert_create_fails(NN_MODEL_MLP, 3, L, 3, NN_LOSS_CROSS_ENTROPY,
                        NN_ERR_INVALID, "/layers/2/units");
    assert_create_fails(NN_MODEL_MLP, 0, L, 1, NN_LOSS_MSE, NN_ERR_INVALID,
                        "/inputs");
}

Test(bad_input, no_layers)
{
    nn_layer_spec L[1] = {layer(1, NN_ACT_LINEAR, 0)};
    assert_create_fails(NN_MODEL_MLP, 3, L, 0, NN_LOSS_MSE, NN_ERR_INVALID,
                        "/layers");
    assert_create_fails(NN_MODEL_MLP, 3, NULL, 2, NN_LOSS_MSE, NN_ERR_INVALID,
                        "/layers");
}

Test(bad_input, absurd_sizes)
{
    nn_layer_spec L[2] = {layer(1u << 30, NN_ACT_TANH, 0),
                          layer(1, NN_ACT_LINEAR, 0)};
    assert_create_fails(NN_MODEL_MLP, 3, L, 2, NN_LOSS_MSE, NN_ERR_TOO_LARGE,
                        "/layers/0/units");
    L[0].units = SIZE_MAX;
    assert_create_fails(NN_MODEL_MLP, 3, L, 2, NN_LOSS_MSE, NN_ERR_TOO_LARGE,
                        "/layers/0/units");
    L[0].units = 4;
    assert_create_fails(NN_MODEL_MLP, (size_t)1 << 40, L, 2, NN_LOSS_MSE,
                        NN_ERR_TOO_LARGE, "/inputs");
    assert_create_fails(NN_MODEL_MLP, SIZE_MAX, L, 2, NN_LOSS_MSE,
                        NN_ERR_TOO_LARGE, "/inputs");
    /* Each size within limits, their product (2^40 weights) not. */
    nn_layer_spec wide[2] = {layer(NN_MAX_UNITS, NN_ACT_TANH, 0),
                             layer(NN_MAX_UNITS, NN_ACT_LINEAR, 0)};
    assert_create_fails(NN_MODEL_MLP, NN_MAX_UNITS, wide, 2, NN_LOSS_MSE,
                        NN_ERR_TOO_LARGE, "/layers");
    /* Many layers just under the per-layer limit add up past the total. */
    nn_layer_spec many[NN_MAX_LAYERS];
    for (size_t k = 0; k < NN_MAX_LAYERS; k++)
        many[k] = layer(1u << 13, NN_ACT_RELU, 0); /* 2^26 weights each */
    assert_create_fails(NN_MODEL_MLP, 1u << 13, many, NN_MAX_LAYERS,
                        NN_LOSS_MSE, NN_ERR_TOO_LARGE, "/layers");
    nn_layer_spec *too_many = calloc(NN_MAX_LAYERS + 1, sizeof *too_many);
    cr_assert_not_null(too_many);
    for (size_t k = 0; k <= NN_MAX_LAYERS; k++)
        too_many[k] = layer(2, NN_ACT_RELU, 0);
    assert_create_fails(NN_MODEL_MLP, 2, too_many, NN_MAX_LAYERS + 1,
                        NN_LOSS_MSE, NN_ERR_TOO_LARGE, "/layers");
    free(too_many);
}

Test(bad_input, bad_activation_loss_and_type)
{
    nn_layer_spec L[2] = {layer(4, NN_ACT_SIGMOID, 0.0f),
                          layer(2, NN_ACT_SOFTMAX, 0)};
    assert_create_fails(NN_MODEL_MLP, 3, L, 2, NN_LOSS_CROSS_ENTROPY,
                        NN_ERR_INVALID, "/layers/0/activation");
    L[0] = layer(4, NN_ACT_LEAKY_RELU, 1.0f);
    assert_create_fails(NN_MODEL_MLP, 3, L, 2, NN_LOSS_CROSS_ENTROPY,
                        NN_ERR_INVALID, "/layers/0/activation");
    L[0] = layer(4, (nn_act_kind)99, 0);
    assert_create_fails(NN_MODEL_MLP, 3, L, 2, NN_LOSS_CROSS_ENTROPY,
                        NN_ERR_INVALID, "/layers/0/activation");
    L[0] = layer(4, NN_ACT_TANH, 0);
    assert_create_fails(NN_MODEL_MLP, 3, L, 2, NN_LOSS_BCE, NN_ERR_INVALID,
                        "/loss");
    L[1] = layer(1, NN_ACT_SOFTMAX, 0);
    assert_create_fails(NN_MODEL_MLP, 3, L, 2, NN_LOSS_CROSS_ENTROPY,
                        NN_ERR_INVALID, "/loss");
    L[1] = layer(2, NN_ACT_SIGMOID, 1);
    assert_create_fails(NN_MODEL_MLP, 3, L, 2, NN_LOSS_CROSS_ENTROPY,
                        NN_ERR_INVALID, "/loss");
    assert_create_fails(NN_MODEL_MLP, 3, L, 2, (nn_loss_kind)7,
                        NN_ERR_INVALID, "/loss");
    assert_create_fails((nn_model_type)5, 3, L, 2, NN_LOSS_MSE,
                        NN_ERR_INVALID, "/type");
    nn_layer_spec P[1] = {layer(1, NN_ACT_RELU, 0)};
    assert_create_fails(NN_MODEL_PERCEPTRON, 3, P, 1, NN_LOSS_MSE,
                        NN_ERR_INVALID, "/activation");
}

Test(bad_input, hand_given_weights)
{
    nn_layer_spec L[2] = {layer(2, NN_ACT_TANH, 0), layer(1, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 2, L, 2, NN_LOSS_MSE);
    float W[4] = {1, 2, 3, 4}, b[2] = {0, 0};
    nn_error err;
    cr_assert_eq(nn_network_set_layer(net, 2, W, b, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/weights");
    W[3] = NAN;
    cr_assert_eq(nn_network_set_layer(net, 0, W, b, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/weights/0/W");
    W[3] = 4;
    b[1] = -INFINITY;
    cr_assert_eq(nn_network_set_layer(net, 0, W, b, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/weights/0/b");
    for (size_t i = 0; i < net->n_params; i++) /* nothing was copied */
        cr_assert(ieee_ulp_eq(flt, net->params[i], 0.0f, 0));
    float nan_shift[2] = {0, NAN}, one[2] = {1, 1};
    cr_assert_eq(nn_network_set_norm(net, NN_NORM_STANDARD, nan_shift, one,
                                     &err),
                 NN_ERR_INVALID);
    cr_assert_eq(net->norm.kind, NN_NORM_NONE);
    nn_network_free(net);
}

Test(bad_input, workspace_sizes)
{
    nn_layer_spec L[1] = {layer(2, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 3, L, 1, NN_LOSS_MSE);
    nn_workspace *ws = NULL;
    nn_error err;
    cr_assert_eq(nn_workspace_create(&ws, net, 0, false, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/batch_size");
    cr_assert_eq(nn_workspace_create(&ws, net, (size_t)NN_MAX_BATCH + 1, true,
                                     &err),
                 NN_ERR_TOO_LARGE);
    cr_assert_eq(nn_workspace_create(&ws, net, SIZE_MAX, true, &err),
                 NN_ERR_TOO_LARGE);
    cr_assert_null(ws);
    nn_network_free(net);
}

/* A tiny valid regression set-up, for breaking one thing at a time. */
#define ROWS 8
static float X[ROWS * 3], Y[ROWS * 2];

static nn_network *small_net(void)
{
    nn_layer_spec L[2] = {layer(4, NN_ACT_TANH, 0), layer(2, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 3, L, 2, NN_LOSS_MSE);
    init_net(net, 1, 0.1f);
    return net;
}

static nn_data small_data(void)
{
    nn_rng rng;
    nn_rng_seed(&rng, 3);
    fill_uniform(X, ROWS * 3, -1, 1, &rng);
    fill_uniform(Y, ROWS * 2, -1, 1, &rng);
    return (nn_data){.rows = ROWS, .in_dim = 3, .out_dim = 2, .X = X, .Y = Y};
}

/* Expects nn_trainer_create to fail with code naming field; when
 * message_part is given the message must contain it. */
static void assert_trainer_fails(const nn_data *d, const nn_train_config *cfg,
                                 nn_status code, const char *field,
                                 const char *message_part)
{
    nn_network *net = small_net();
    nn_trainer *tr = NULL;
    nn_error err;
    nn_error_clear(&err);
    nn_status st = nn_trainer_create(&tr, net, d, cfg, &err);
    cr_assert_eq(st, code, "%s: got %s (%s)", field, nn_status_name(st),
                 err.message);
    cr_assert_null(tr);
    cr_assert_str_eq(err.field, field, "field %s, expected %s", err.field,
                     field);
    if (message_part)
        cr_assert(strstr(err.message, message_part) != NULL,
                  "message '%s' lacks '%s'", err.message, message_part);
    nn_network_free(net);
}

Test(bad_input, training_configuration)
{
    nn_data d = small_data();
    nn_train_config base = plain_config(NN_OPT_SGD, 0.1f, 4, 10), c;
    c = base, c.batch_size = 0;
    assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/batch_size", NULL);
    c = base, c.batch_size = (size_t)NN_MAX_BATCH + 1;
    assert_trainer_fails(&d, &c, NN_ERR_TOO_LARGE, "/batch_size", NULL);
    c = base, c.epochs = 0;
    assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/epochs", NULL);
    const float bad_lr[] = {0.0f, -0.1f, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad_lr / sizeof *bad_lr; i++) {
        for (int kind = 0; kind < 2; kind++) {
            c = base, c.optim.kind = (nn_opt_kind)kind;
            c.optim.learning_rate = bad_lr[i];
            assert_trainer_fails(&d, &c, NN_ERR_INVALID,
                                 "/optimizer/learning_rate", NULL);
        }
    }
    const float bad_mu[] = {1.0f, 1.5f, -0.1f, NAN};
    for (size_t i = 0; i < sizeof bad_mu / sizeof *bad_mu; i++) {
        c = base, c.optim.momentum = bad_mu[i];
        assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/optimizer/momentum",
                             NULL);
    }
    const float bad_decay[] = {0.0f, 1.01f, NAN};
    for (size_t i = 0; i < sizeof bad_decay / sizeof *bad_decay; i++) {
        c = base, c.optim.lr_decay = bad_decay[i];
        assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/optimizer/lr_decay",
                             NULL);
    }
    c = base, c.optim.nesterov = true;
    assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/optimizer/nesterov", NULL);
    c = base, c.optim.kind = NN_OPT_ADAM, c.optim.beta1 = 1.0f;
    assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/optimizer/beta1", NULL);
    c = base, c.optim.kind = NN_OPT_ADAM, c.optim.beta2 = NAN;
    assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/optimizer/beta2", NULL);
    c = base, c.optim.kind = NN_OPT_ADAM, c.optim.epsilon = 0.0f;
    assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/optimizer/epsilon", NULL);
    c = base, c.optim.kind = (nn_opt_kind)9;
    assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/optimizer/name", NULL);
    const float bad_split[] = {1.0f, 1.5f, -0.1f, NAN};
    for (size_t i = 0; i < sizeof bad_split / sizeof *bad_split; i++) {
        c = base, c.validation_split = bad_split[i];
        assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/validation_split",
                             NULL);
    }
    c = base, c.min_delta = -1.0f;
    assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/early_stopping/min_delta",
                         NULL);
    c = base, c.threads = NN_MAX_THREADS + 1;
    assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/threads", NULL);
    c = base, c.normalize = (nn_norm_kind)3;
    assert_trainer_fails(&d, &c, NN_ERR_INVALID, "/normalize", NULL);
}

Test(bad_input, data_shape_and_values)
{
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.1f, 4, 10);
    nn_data d = small_data(), e;
    e = d, e.in_dim = 4;
    assert_trainer_fails(&e, &cfg, NN_ERR_INVALID, "/dataset", NULL);
    e = d, e.out_dim = 1;
    assert_trainer_fails(&e, &cfg, NN_ERR_INVALID, "/dataset", NULL);
    e = d, e.rows = 0;
    assert_trainer_fails(&e, &cfg, NN_ERR_INVALID, "/dataset", NULL);
    e = d, e.X = NULL;
    assert_trainer_fails(&e, &cfg, NN_ERR_INVALID, "/dataset", NULL);
    assert_trainer_fails(NULL, &cfg, NN_ERR_INVALID, "/dataset", NULL);
    e = d, e.rows = SIZE_MAX / 2;
    assert_trainer_fails(&e, &cfg, NN_ERR_TOO_LARGE, "/dataset", NULL);

    X[5 * 3 + 2] = NAN;
    assert_trainer_fails(&d, &cfg, NN_ERR_INVALID, "/dataset",
                         "row 5 column 2");
    d = small_data();
    X[7 * 3 + 0] = INFINITY;
    assert_trainer_fails(&d, &cfg, NN_ERR_INVALID, "/dataset",
                         "row 7 column 0");
    d = small_data();
    Y[3 * 2 + 1] = -INFINITY;
    assert_trainer_fails(&d, &cfg, NN_ERR_INVALID, "/dataset",
                         "row 3 column 1");
}

/* A trainer too large to allocate is refused before allocating, and what
 * it had allocated by then is freed (ASan's leak check). */
Test(bad_input, trainer_workspace_too_large)
{
    nn_layer_spec L[1] = {layer(1, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 4096, L, 1, NN_LOSS_MSE);
    float *x = calloc(4096, sizeof *x), y[1] = {0};
    cr_assert_not_null(x);
    nn_data d = {.rows = 1, .in_dim = 4096, .out_dim = 1, .X = x, .Y = y};
    nn_train_config cfg = plain_config(NN_OPT_ADAM, 0.1f, NN_MAX_BATCH, 1);
    cfg.threads = 1;
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(nn_trainer_create(&tr, net, &d, &cfg, &err), NN_ERR_TOO_LARGE,
                 "%s", err.message);
    cr_assert_null(tr);
    free(x);
    nn_network_free(net);
}

Test(bad_input, nan_input_to_predict)
{
    nn_network *net = small_net();
    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, net, 2, false, NULL), NN_OK);
    float in[3 * 3] = {0, 1, 2, 3, 4, 5, 6, NAN, 8}, out[3 * 2];
    nn_error err;
    cr_assert_eq(nn_predict(net, ws, in, 3, out, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/inputs/2/1", "the third chunk's row");
    in[7] = 7;
    in[0] = -INFINITY;
    cr_assert_eq(nn_predict(net, ws, in, 3, out, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/inputs/0/0");
    in[0] = 0;
    cr_assert_eq(nn_predict(net, ws, in, 3, out, &err), NN_OK);
    nn_workspace_free(ws);
    nn_network_free(net);
}

/* An absurd learning rate on large targets: the loss overflows and the run
 * ends with NN_ERR_DIVERGED, a message saying so, and no epoch counted. */
Test(bad_input, divergence_is_reported)
{
    nn_layer_spec L[1] = {layer(1, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 1, L, 1, NN_LOSS_MSE);
    float x[4] = {1, 2, 3, 4}, y[4] = {1e6f, 2e6f, 3e6f, 4e6f};
    nn_data d = {.rows = 4, .in_dim = 1, .out_dim = 1, .X = x, .Y = y};
    nn_train_config cfg = plain_config(NN_OPT_SGD, 1e30f, 1, 10);
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(nn_trainer_create(&tr, net, &d, &cfg, &err), NN_OK);
    nn_train_result res;
    nn_error_clear(&err);
    nn_status st = nn_trainer_run(tr, NULL, NULL, &res, &err);
    cr_assert_eq(st, NN_ERR_DIVERGED, "got %s", nn_status_name(st));
    cr_assert_eq(err.code, NN_ERR_DIVERGED);
    cr_assert(strstr(err.message, "diverged") != NULL, "message: %s",
              err.message);
    cr_assert_eq(res.epochs_done, 0);
    cr_assert_eq(nn_trainer_epoch(tr), 0);
    nn_trainer_free(tr);
    nn_network_free(net);
}

static bool keep_loss(const nn_epoch_stats *st, void *user)
{
    ((double *)user)[st->epoch - 1] = st->loss;
    return true;
}

/* An infinite loss is divergence as much as a NaN one. One row, one step
 * per epoch, η = 1e30, x = 1, y = 1e6: epoch 1 takes w = b = 0 to 1e36;
 * epoch 2's loss is ½(2e36)² = 2e72 (finite in double) and its step
 * overflows w and b to −∞ in float; epoch 3's output is −∞ and its loss
 * +∞ (not NaN): the run must stop there, after 2 epochs. */
Test(bad_input, infinite_loss_is_divergence)
{
    nn_layer_spec L[1] = {layer(1, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 1, L, 1, NN_LOSS_MSE);
    float x[1] = {1}, y[1] = {1e6f};
    nn_data d = {.rows = 1, .in_dim = 1, .out_dim = 1, .X = x, .Y = y};
    nn_train_config cfg = plain_config(NN_OPT_SGD, 1e30f, 1, 10);
    nn_trainer *tr = NULL;
    cr_assert_eq(nn_trainer_create(&tr, net, &d, &cfg, NULL), NN_OK);
    double loss[10] = {0};
    nn_train_result res;
    nn_error err;
    cr_assert_eq(nn_trainer_run(tr, keep_loss, loss, &res, &err),
                 NN_ERR_DIVERGED, "%s", err.message);
    cr_assert_eq(res.epochs_done, 2);
    cr_assert_float_eq(loss[1], 2e72, 1e66);
    cr_assert(isinf(net->params[0]) && net->params[0] < 0, "w = %g",
              (double)net->params[0]);
    nn_trainer_free(tr);
    nn_network_free(net);
}

static bool stop_after_third(const nn_epoch_stats *st, void *user)
{
    (*(int *)user)++;
    return st->epoch < 3;
}

Test(bad_input, callback_stops_training)
{
    nn_network *net = small_net();
    nn_data d = small_data();
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.01f, 4, 10);
    nn_trainer *tr = NULL;
    cr_assert_eq(nn_trainer_create(&tr, net, &d, &cfg, NULL), NN_OK);
    int calls = 0;
    nn_train_result res;
    nn_error err;
    cr_assert_eq(nn_trainer_run(tr, stop_after_third, &calls, &res, &err),
                 NN_ERR_STOPPED);
    cr_assert_eq(err.code, NN_ERR_STOPPED);
    cr_assert_eq(calls, 3);
    cr_assert_eq(res.epochs_done, 3);
    cr_assert_eq(res.last.epoch, 3);
    cr_assert_eq(nn_trainer_epoch(tr), 3);
    cr_assert_not(res.early_stopped);
    nn_trainer_free(tr);
    nn_network_free(net);
}

/* nn_error may be NULL everywhere; failures still return their code. */
Test(bad_input, null_error_record)
{
    nn_network *net = NULL;
    nn_layer_spec L[1] = {layer(0, NN_ACT_LINEAR, 0)};
    cr_assert_eq(nn_network_create(&net, NN_MODEL_MLP, 1, L, 1, NN_LOSS_MSE,
                                   NULL),
                 NN_ERR_INVALID);
    cr_assert_eq(nn_model_load(&net, (const unsigned char *)"short", 5, NULL),
                 NN_ERR_FORMAT);
    cr_assert_null(net);
    cr_assert_str_eq(nn_status_name(NN_ERR_DIVERGED), "diverged");
    cr_assert_str_eq(nn_status_name(NN_ERR_FORMAT), "bad_format");
    nn_error_clear(NULL);
}
