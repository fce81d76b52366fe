/* test_cnn_train.c — training networks with every layer kind: batchnorm's
 * running statistics, dropout's masks, determinism (same seed and threads,
 * bit-identical weights and state), data-parallel threads, checkpoint/resume
 * and save/load with bit-identical predictions. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define ROWS 96
#define C 1
#define H 8
#define W 7
#define IN (C * H * W)
#define CLASSES 3

static float X[ROWS * IN], Y[ROWS * CLASSES];

/* Images whose class is the quadrant (of three) with the brightest mean. */
static void make_images(void)
{
    nn_rng rng;
    nn_rng_seed(&rng, 31);
    fill_uniform(X, ROWS * IN, 0, 1, &rng);
    memset(Y, 0, sizeof Y);
    for (size_t r = 0; r < ROWS; r++) {
        size_t cls = r % CLASSES;
        for (size_t h = 0; h < H / 2; h++)
            for (size_t w = 0; w < W / 2; w++)
                X[r * IN + (h + (cls & 1) * H / 2) * W + w + (cls >> 1) * W / 2] +=
                    1.0f;
        Y[r * CLASSES + cls] = 1.0f;
    }
}

static const nn_data data = {.rows = ROWS, .in_dim = IN, .out_dim = CLASSES,
                             .X = X, .Y = Y, .classification = true};

static nn_layer_spec spec(nn_layer_kind k)
{
    nn_act_kind a = k == NN_LAYER_BATCHNORM ? NN_ACT_LINEAR : NN_ACT_RELU;
    return (nn_layer_spec){.kind = k, .size = 2, .stride = 2, .rate = 0.25f,
                           .filters = 4, .kernel_h = 3, .kernel_w = 3,
                           .padding = NN_PAD_SAME, .act = act(a, 0)};
}

/* conv2d (same) → batchnorm → maxpool → conv2d (valid) → avgpool (size 1,
 * stride 2) → flatten → dropout → dense softmax: every kind, with or
 * without the kinds whose training pass differs from prediction. */
static nn_network *cnn(bool with_bn_dropout, uint64_t seed)
{
    nn_layer_spec L[8];
    size_t n = 0;
    L[n] = spec(NN_LAYER_CONV2D);
    L[n++].stride = 1;
    if (with_bn_dropout)
        L[n++] = spec(NN_LAYER_BATCHNORM);
    L[n++] = spec(NN_LAYER_MAXPOOL2D);
    L[n] = spec(NN_LAYER_CONV2D);
    L[n].padding = NN_PAD_VALID;
    L[n].stride = 1;
    L[n++].act = act(NN_ACT_TANH, 0);
    L[n] = spec(NN_LAYER_AVGPOOL2D);
    L[n++].size = 1;
    L[n++] = spec(NN_LAYER_FLATTEN);
    if (with_bn_dropout)
        L[n++] = spec(NN_LAYER_DROPOUT);
    L[n++] = layer(CLASSES, NN_ACT_SOFTMAX, 0);
    nn_shape in = {.rank = 3, .dim = {C, H, W}};
    nn_network *net = NULL;
    nn_error err;
    cr_assert_eq(nn_network_create_shaped(&net, NN_MODEL_MLP, &in, L, n,
                                          NN_LOSS_CROSS_ENTROPY, &err),
                 NN_OK, "%s (%s)", err.message, err.field);
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    nn_network_init(net, NN_INIT_HE, &rng);
    return net;
}

static nn_train_config config(unsigned threads, size_t epochs)
{
    nn_train_config cfg = nn_train_defaults();
    cfg.epochs = epochs;
    cfg.batch_size = 16;
    cfg.seed = 5;
    cfg.validation_split = 0.25f;
    cfg.threads = threads;
    cfg.optim.kind = NN_OPT_ADAM;
    cfg.optim.learning_rate = 0.01f;
    return cfg;
}

static nn_train_result train(nn_network *net, const nn_train_config *cfg)
{
    nn_trainer *tr = NULL;
    nn_error err;
    nn_train_result res;
    cr_assert_eq(nn_trainer_create(&tr, net, &data, cfg, &err), NN_OK, "%s",
                 err.message);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, &err), NN_OK, "%s",
                 err.message);
    nn_trainer_free(tr);
    return res;
}

static bool same_net(const nn_network *a, const nn_network *b)
{
    return a->n_params == b->n_params && a->n_state == b->n_state &&
           memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0 &&
           (a->n_state == 0 ||
            memcmp(a->state, b->state, a->n_state * sizeof(float)) == 0);
}

Test(cnn_train, learns_and_is_deterministic, .init = make_images)
{
    for (unsigned threads = 1; threads <= 2; threads++) {
        nn_network *a = cnn(true, 3), *b = cnn(true, 3);
        nn_train_config cfg = config(threads, 12);
        nn_train_result ra = train(a, &cfg);
        train(b, &cfg);
        cr_assert(same_net(a, b), "threads %u: same seed, other weights",
                  threads);
        cr_assert_gt(ra.last.val_accuracy, 0.9, "threads %u: val accuracy %g",
                     threads, ra.last.val_accuracy);
        nn_network_free(a);
        nn_network_free(b);
    }
}

/* Without batchnorm (whose statistics are per shard) two threads compute
 * the same gradients as one, up to the order of the sums. Dropout's masks
 * do not depend on the split. */
Test(cnn_train, two_threads_match_one, .init = make_images)
{
    nn_layer_spec L[4] = {spec(NN_LAYER_CONV2D), spec(NN_LAYER_FLATTEN),
                          spec(NN_LAYER_DROPOUT),
                          layer(CLASSES, NN_ACT_SOFTMAX, 0)};
    nn_shape in = {.rank = 3, .dim = {C, H, W}};
    nn_network *net[2];
    for (int t = 0; t < 2; t++) {
        net[t] = NULL;
        cr_assert_eq(nn_network_create_shaped(&net[t], NN_MODEL_MLP, &in, L, 4,
                                              NN_LOSS_CROSS_ENTROPY, NULL),
                     NN_OK);
        nn_rng rng;
        nn_rng_seed(&rng, 8);
        nn_network_init(net[t], NN_INIT_HE, &rng);
        nn_train_config cfg = config((unsigned)t + 1, 2);
        cfg.optim.kind = NN_OPT_SGD;
        cfg.optim.learning_rate = 0.05f;
        train(net[t], &cfg);
    }
    for (size_t i = 0; i < net[0]->n_params; i++)
        cr_assert_float_eq(net[0]->params[i], net[1]->params[i], 1e-4,
                           "parameter %zu", i);
    nn_network_free(net[0]);
    nn_network_free(net[1]);
}

Test(cnn_train, resume_from_checkpoint_is_bit_identical, .init = make_images)
{
    nn_network *ref = cnn(true, 4), *net = cnn(true, 4);
    nn_train_config cfg = config(2, 4);
    train(ref, &cfg);
    nn_trainer *tr = NULL;
    nn_error err;
    cfg.epochs = 2;
    cr_assert_eq(nn_trainer_create(&tr, net, &data, &cfg, &err), NN_OK);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, &err), NN_OK);
    unsigned char *ck = NULL;
    size_t len = 0;
    cr_assert_eq(nn_trainer_checkpoint(tr, &ck, &len, &err), NN_OK);
    nn_trainer_free(tr);
    nn_network_free(net);

    net = cnn(true, 99); /* other weights and state: the checkpoint's win */
    cfg.epochs = 4;
    cr_assert_eq(nn_trainer_create(&tr, net, &data, &cfg, &err), NN_OK);
    cr_assert_eq(nn_trainer_restore(tr, ck, len, &err), NN_OK, "%s",
                 err.message);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, &err), NN_OK);
    cr_assert(same_net(ref, net), "resumed run differs from uninterrupted");
    nn_trainer_free(tr);
    free(ck);
    nn_network_free(ref);
    nn_network_free(net);
}

Test(cnn_train, save_load_predicts_bit_identically, .init = make_images)
{
    nn_network *net = cnn(true, 6);
    nn_train_config cfg = config(1, 3);
    train(net, &cfg);
    unsigned char *buf = NULL;
    size_t len = 0;
    nn_network *back = NULL;
    nn_error err;
    cr_assert_eq(nn_model_save(net, &buf, &len, &err), NN_OK);
    cr_assert_eq(nn_model_load(&back, buf, len, &err), NN_OK, "%s",
                 err.message);
    cr_assert(same_net(net, back));
    cr_assert_eq(back->input_shape.rank, 3);
    cr_assert_eq(back->input_shape.dim[1], H);
    for (size_t k = 0; k < net->n_layers; k++)
        cr_assert(nn_layer_spec_equal(&net->layers[k], &back->layers[k]));
    float out[2][ROWS * CLASSES];
    const nn_network *nets[2] = {net, back};
    for (int i = 0; i < 2; i++) {
        nn_workspace *ws = NULL;
        cr_assert_eq(nn_workspace_create(&ws, nets[i], 7, false, NULL), NN_OK);
        cr_assert_eq(nn_predict(nets[i], ws, X, ROWS, out[i], &err), NN_OK);
        nn_workspace_free(ws);
    }
    cr_assert(memcmp(out[0], out[1], sizeof out[0]) == 0);
    nn_network *copy = NULL;
    cr_assert_eq(nn_network_clone(&copy, net, &err), NN_OK);
    cr_assert(same_net(net, copy), "a clone keeps weights and state");
    nn_network_free(copy);
    free(buf);
    nn_network_free(net);
    nn_network_free(back);
}

/* One step of a batchnorm-first network with one and with two threads:
 * running mean ← 0.9·0 + 0.1·μ, running variance ← 0.9·1 + 0.1·s² (the
 * unbiased variance of the batch), per channel — the same for any split. */
Test(cnn_train, batchnorm_running_statistics, .init = make_images)
{
    for (unsigned threads = 1; threads <= 2; threads++) {
        nn_layer_spec L[3] = {spec(NN_LAYER_BATCHNORM), spec(NN_LAYER_FLATTEN),
                              layer(CLASSES, NN_ACT_SOFTMAX, 0)};
        nn_shape in = {.rank = 3, .dim = {C, H, W}};
        nn_network *net = NULL;
        cr_assert_eq(nn_network_create_shaped(&net, NN_MODEL_MLP, &in, L, 3,
                                              NN_LOSS_CROSS_ENTROPY, NULL),
                     NN_OK);
        nn_train_config cfg = config(threads, 1);
        cfg.batch_size = ROWS;
        cfg.validation_split = 0;
        cfg.normalize = NN_NORM_NONE;
        train(net, &cfg);
        double s = 0, s2 = 0, n = ROWS * IN;
        for (size_t i = 0; i < ROWS * IN; i++)
            s += X[i];
        double mean = s / n;
        for (size_t i = 0; i < ROWS * IN; i++)
            s2 += (X[i] - mean) * (X[i] - mean);
        cr_assert_float_eq(net->state[0], 0.1 * mean, 1e-6, "threads %u",
                           threads);
        cr_assert_float_eq(net->state[1], 0.9 + 0.1 * s2 / (n - 1), 1e-6,
                           "threads %u", threads);
        nn_network_free(net);
    }
}

/* Training passes drop about `rate` of the values and scale the rest; the
 * mask of a row depends on the seed and the row's index in the batch, not
 * on which slice of the batch a call got; prediction passes values on. */
Test(cnn_train, dropout_masks)
{
    nn_layer_spec L[1] = {spec(NN_LAYER_DROPOUT)};
    L[0].rate = 0.3f;
    nn_network *net = make_net(NN_MODEL_MLP, 1000, L, 1, NN_LOSS_MSE);
    float *ones = malloc(4 * 1000 * sizeof *ones), *all = malloc(4000 * 4);
    cr_assert(ones && all);
    for (size_t i = 0; i < 4000; i++)
        ones[i] = 1.0f;
    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, net, 4, true, NULL), NN_OK);
    memcpy(all, nn_forward_train(net, ws, ones, 4, 42, 0), 4000 * 4);
    size_t zeros = 0;
    for (size_t i = 0; i < 4000; i++) {
        cr_assert(all[i] == 0.0f || fabsf(all[i] - 1.0f / 0.7f) < 1e-6);
        zeros += all[i] == 0.0f;
    }
    cr_assert(zeros > 1000 && zeros < 1400, "%zu of 4000 dropped", zeros);
    cr_assert(memcmp(all, all + 1000, 4000) != 0, "rows get their own masks");
    const float *tail = nn_forward_train(net, ws, ones, 2, 42, 2);
    cr_assert(memcmp(tail, all + 2000, 2000 * 4) == 0,
              "rows 2 and 3 alone get the masks they had in the batch");
    const float *other = nn_forward_train(net, ws, ones, 1, 43, 0);
    cr_assert(memcmp(other, all, 4000) != 0, "another step, other masks");
    const float *pred = nn_forward(net, ws, ones, 4);
    cr_assert(memcmp(pred, ones, 4000 * 4) == 0, "predicting keeps all");
    nn_workspace_free(ws);
    nn_network_free(net);
    free(ones);
    free(all);
}
