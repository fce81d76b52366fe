/* test_checkpoint.c — a run stopped, checkpointed and resumed (in the same
 * trainer or in a fresh one) ends with exactly the weights of an
 * uninterrupted run; checkpoints that do not fit are refused. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define IN 6
#define CLASSES 3
#define ROWS 90

static float X[ROWS * IN], Y[ROWS * CLASSES];

static void setup(void)
{
    make_teacher_data(X, Y, ROWS, IN, CLASSES, 99);
}

static const nn_data data = {.rows = ROWS, .in_dim = IN, .out_dim = CLASSES,
                             .X = X, .Y = Y, .classification = true};

static nn_network *fresh_net(uint64_t seed)
{
    nn_layer_spec L[2] = {layer(10, NN_ACT_TANH, 0),
                          layer(CLASSES, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, IN, L, 2, NN_LOSS_CROSS_ENTROPY);
    init_net(net, seed, 0.0f);
    return net;
}

/* Shuffled, validated, normalised, early stopping armed but patient:
 * every piece of resumable state is in play. */
static nn_train_config config(nn_opt_kind kind)
{
    nn_train_config cfg = nn_train_defaults();
    cfg.epochs = 5;
    cfg.batch_size = 16;
    cfg.seed = 2024;
    cfg.validation_split = 0.2f;
    cfg.patience = 50;
    cfg.min_delta = 1e-4f;
    cfg.optim.kind = kind;
    cfg.optim.learning_rate = kind == NN_OPT_ADAM ? 0.01f : 0.1f;
    cfg.optim.momentum = kind == NN_OPT_ADAM ? 0.0f : 0.9f;
    cfg.optim.lr_decay = 0.8f; /* epoch 4 of a resumed run must use η·0.8³ */
    return cfg;
}

static nn_trainer *trainer(nn_network *net, const nn_train_config *cfg)
{
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(nn_trainer_create(&tr, net, &data, cfg, &err), NN_OK, "%s",
                 err.message);
    return tr;
}

static bool stop_at(const nn_epoch_stats *st, void *user)
{
    return st->epoch < *(size_t *)user;
}

static bool keep_last(const nn_epoch_stats *st, void *user)
{
    *(nn_epoch_stats *)user = *st;
    return true;
}

static void resume_matches_uninterrupted(nn_opt_kind kind)
{
    nn_train_config cfg = config(kind);
    const char *opt = nn_optim_name(kind);
    nn_error err;

    /* Reference: five epochs in one go. */
    nn_network *ref = fresh_net(1);
    nn_trainer *tr = trainer(ref, &cfg);
    nn_epoch_stats ref_last;
    cr_assert_eq(nn_trainer_run(tr, keep_last, &ref_last, NULL, &err), NN_OK);
    cr_assert_eq(ref_last.epoch, 5);
    nn_trainer_free(tr);

    /* Three epochs, stopped by the callback; checkpoint; two more. */
    nn_network *a = fresh_net(1);
    tr = trainer(a, &cfg);
    size_t stop = 3;
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, stop_at, &stop, &res, &err),
                 NN_ERR_STOPPED);
    cr_assert_eq(res.epochs_done, 3);
    cr_assert_eq(nn_trainer_epoch(tr), 3);
    unsigned char *ckpt = NULL;
    size_t len = 0;
    cr_assert_eq(nn_trainer_checkpoint(tr, &ckpt, &len, &err), NN_OK, "%s",
                 err.message);
    float *at3 = params_copy(a);
    nn_epoch_stats a_last;
    cr_assert_eq(nn_trainer_run(tr, keep_last, &a_last, &res, &err), NN_OK);
    cr_assert_eq(res.epochs_done, 2);
    cr_assert_eq(nn_trainer_epoch(tr), 5);
    nn_trainer_free(tr);
    cr_assert(memcmp(a->params, ref->params, a->n_params * sizeof(float)) == 0,
              "%s: stopping and going on changed the weights", opt);
    cr_assert(memcmp(a->params, at3, a->n_params * sizeof(float)) != 0);

    /* A fresh network (other weights, other normalisation) and trainer,
     * restored from the checkpoint, runs epochs 4 and 5 to the same end. */
    nn_network *b = fresh_net(777);
    tr = trainer(b, &cfg);
    cr_assert_eq(nn_trainer_restore(tr, ckpt, len, &err), NN_OK, "%s: %s",
                 opt, err.message);
    cr_assert_eq(nn_trainer_epoch(tr), 3);
    cr_assert(memcmp(b->params, at3, b->n_params * sizeof(float)) == 0);
    nn_epoch_stats b_last;
    cr_assert_eq(nn_trainer_run(tr, keep_last, &b_last, &res, &err), NN_OK);
    cr_assert_eq(res.epochs_done, 2);
    cr_assert_eq(b_last.epoch, 5);
    cr_assert(memcmp(b->params, a->params, a->n_params * sizeof(float)) == 0,
              "%s: the restored run ends with other weights", opt);
    cr_assert(memcmp(b->norm.shift, a->norm.shift, IN * sizeof(float)) == 0);
    cr_assert(memcmp(b->norm.scale, a->norm.scale, IN * sizeof(float)) == 0);
    cr_assert(ieee_ulp_eq(dbl, b_last.loss, ref_last.loss, 0));
    cr_assert(ieee_ulp_eq(dbl, b_last.val_loss, ref_last.val_loss, 0));
    cr_assert(ieee_ulp_eq(dbl, b_last.val_accuracy, ref_last.val_accuracy, 0));
    nn_trainer_free(tr);

    free(ckpt);
    free(at3);
    nn_network_free(ref);
    nn_network_free(a);
    nn_network_free(b);
}

Test(checkpoint, resume_sgd_momentum, .init = setup)
{
    resume_matches_uninterrupted(NN_OPT_SGD);
}

Test(checkpoint, resume_adam, .init = setup)
{
    resume_matches_uninterrupted(NN_OPT_ADAM);
}

/* Early-stopping state travels too: a resumed run stops at the same epoch
 * as an uninterrupted one. */
Test(checkpoint, resume_keeps_early_stopping_state, .init = setup)
{
    nn_train_config cfg = config(NN_OPT_SGD);
    cfg.optim.learning_rate = 1e-6f; /* a plateau */
    cfg.optim.momentum = 0.0f;
    cfg.patience = 4;
    cfg.min_delta = 0.5f;
    cfg.epochs = 50;
    nn_network *ref = fresh_net(3);
    nn_trainer *tr = trainer(ref, &cfg);
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, NULL), NN_OK);
    cr_assert(res.early_stopped);
    cr_assert_eq(res.epochs_done, 5); /* best at 1, 4 stale epochs */
    nn_trainer_free(tr);

    nn_network *a = fresh_net(3);
    tr = trainer(a, &cfg);
    size_t stop = 3;
    cr_assert_eq(nn_trainer_run(tr, stop_at, &stop, NULL, NULL), NN_ERR_STOPPED);
    unsigned char *ckpt = NULL;
    size_t len = 0;
    cr_assert_eq(nn_trainer_checkpoint(tr, &ckpt, &len, NULL), NN_OK);
    nn_trainer_free(tr);
    nn_network *b = fresh_net(4);
    tr = trainer(b, &cfg);
    cr_assert_eq(nn_trainer_restore(tr, ckpt, len, NULL), NN_OK);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, NULL), NN_OK);
    cr_assert(res.early_stopped);
    cr_assert_eq(res.epochs_done, 2);
    cr_assert_eq(nn_trainer_epoch(tr), 5);
    nn_trainer_free(tr);
    free(ckpt);
    nn_network_free(ref);
    nn_network_free(a);
    nn_network_free(b);
}

static unsigned char *checkpoint_of(nn_opt_kind kind, size_t *len)
{
    nn_train_config cfg = config(kind);
    cfg.epochs = 1;
    nn_network *net = fresh_net(1);
    nn_trainer *tr = trainer(net, &cfg);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, NULL), NN_OK);
    unsigned char *buf = NULL;
    cr_assert_eq(nn_trainer_checkpoint(tr, &buf, len, NULL), NN_OK);
    nn_trainer_free(tr);
    nn_network_free(net);
    return buf;
}

/* Restoring must fail with NN_ERR_FORMAT and leave the trainer usable. */
static void assert_refused(nn_trainer *tr, const unsigned char *buf,
                           size_t len, const char *what)
{
    nn_error err;
    nn_error_clear(&err);
    nn_status st = nn_trainer_restore(tr, buf, len, &err);
    cr_assert_eq(st, NN_ERR_FORMAT, "%s: got %s", what, nn_status_name(st));
    cr_assert_eq(err.code, NN_ERR_FORMAT);
    cr_assert_neq(strlen(err.message), 0);
    cr_assert_eq(nn_trainer_epoch(tr), 0, "%s: a refused restore moved the "
                                          "epoch", what);
}

Test(checkpoint, refuses_truncated_and_corrupt, .init = setup)
{
    size_t len = 0;
    unsigned char *buf = checkpoint_of(NN_OPT_ADAM, &len);
    nn_train_config cfg = config(NN_OPT_ADAM);
    nn_network *net = fresh_net(1);
    nn_trainer *tr = trainer(net, &cfg);
    for (size_t n = 0; n < len; n += (n < 64 ? 1 : 7))
        assert_refused(tr, buf, n, "truncated");
    assert_refused(tr, NULL, 0, "NULL");
    unsigned char *copy = malloc(len);
    cr_assert_not_null(copy);
    for (size_t i = 0; i < len; i += (i < 64 ? 1 : 5)) {
        memcpy(copy, buf, len);
        copy[i] ^= 0x40;
        assert_refused(tr, copy, len, "flipped byte");
    }
    memcpy(copy, buf, len);
    copy[0] = 'X'; /* bad magic, resealed */
    reseal(copy, len);
    assert_refused(tr, copy, len, "bad magic");
    /* A model is not a checkpoint. */
    unsigned char *model = NULL;
    size_t model_len = 0;
    cr_assert_eq(nn_model_save(net, &model, &model_len, NULL), NN_OK);
    assert_refused(tr, model, model_len, "a model");
    /* Still usable after all that. */
    cr_assert_eq(nn_trainer_restore(tr, buf, len, NULL), NN_OK);
    cr_assert_eq(nn_trainer_epoch(tr), 1);
    free(model);
    free(copy);
    free(buf);
    nn_trainer_free(tr);
    nn_network_free(net);
}

/* A checkpoint with bytes inserted before its checksum (resealed) is
 * refused, and refusing it changes nothing: not the epoch, not the
 * weights, not the normalisation. */
Test(checkpoint, refused_restore_changes_nothing, .init = setup)
{
    size_t len = 0;
    unsigned char *buf = checkpoint_of(NN_OPT_SGD, &len);
    unsigned char *longer = malloc(len + 4);
    cr_assert_not_null(longer);
    memcpy(longer, buf, len - 8);
    memset(longer + len - 8, 0, 4);
    reseal(longer, len + 4);
    nn_train_config cfg = config(NN_OPT_SGD);
    nn_network *net = fresh_net(555);
    nn_trainer *tr = trainer(net, &cfg);
    float *w = params_copy(net);
    float shift[IN];
    memcpy(shift, net->norm.shift, sizeof shift);
    nn_error err;
    nn_status st = nn_trainer_restore(tr, longer, len + 4, &err);
    bool same_w = memcmp(w, net->params, net->n_params * sizeof(float)) == 0;
    bool same_norm = memcmp(shift, net->norm.shift, sizeof shift) == 0;
    size_t epoch = nn_trainer_epoch(tr);
    nn_trainer_free(tr);
    nn_network_free(net);
    free(w);
    free(longer);
    free(buf);
    cr_assert_eq(st, NN_ERR_FORMAT, "trailing bytes: %s", nn_status_name(st));
    cr_assert_eq(epoch, 0);
    cr_assert(same_w, "a refused restore overwrote the weights");
    cr_assert(same_norm, "a refused restore overwrote the normalisation");
}

Test(checkpoint, refuses_other_optimizer_shape_or_split, .init = setup)
{
    size_t len = 0;
    unsigned char *sgd = checkpoint_of(NN_OPT_SGD, &len);

    nn_train_config cfg = config(NN_OPT_ADAM);
    nn_network *net = fresh_net(1);
    nn_trainer *tr = trainer(net, &cfg);
    assert_refused(tr, sgd, len, "sgd state into adam");
    nn_trainer_free(tr);

    cfg = config(NN_OPT_SGD);
    cfg.validation_split = 0.5f;
    tr = trainer(net, &cfg);
    assert_refused(tr, sgd, len, "another validation split");
    nn_trainer_free(tr);
    nn_network_free(net);

    nn_layer_spec L[2] = {layer(11, NN_ACT_TANH, 0),
                          layer(CLASSES, NN_ACT_SOFTMAX, 0)};
    net = make_net(NN_MODEL_MLP, IN, L, 2, NN_LOSS_CROSS_ENTROPY);
    cfg = config(NN_OPT_SGD);
    tr = trainer(net, &cfg);
    assert_refused(tr, sgd, len, "another network shape");
    nn_trainer_free(tr);
    nn_network_free(net);

    nn_layer_spec R[2] = {layer(10, NN_ACT_RELU, 0),
                          layer(CLASSES, NN_ACT_SOFTMAX, 0)};
    net = make_net(NN_MODEL_MLP, IN, R, 2, NN_LOSS_CROSS_ENTROPY);
    tr = trainer(net, &cfg);
    assert_refused(tr, sgd, len, "another activation");
    nn_trainer_free(tr);
    nn_network_free(net);
    free(sgd);
}

/* The same shape with another activation parameter or another loss is
 * another network: its checkpoint does not fit. */
Test(checkpoint, refuses_other_activation_parameter_or_loss)
{
    static const float SX[4 * 2] = {0, 0, 0, 1, 1, 0, 1, 1}, SY[4] = {0, 1, 1, 1};
    nn_data d = {.rows = 4, .in_dim = 2, .out_dim = 1, .X = SX, .Y = SY};
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.1f, 4, 2);
    nn_layer_spec k1[1] = {layer(1, NN_ACT_SIGMOID, 1.0f)};
    nn_network *a = make_net(NN_MODEL_MLP, 2, k1, 1, NN_LOSS_BCE);
    nn_trainer *tr = NULL;
    cr_assert_eq(nn_trainer_create(&tr, a, &d, &cfg, NULL), NN_OK);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, NULL), NN_OK);
    unsigned char *ckpt = NULL;
    size_t len = 0;
    cr_assert_eq(nn_trainer_checkpoint(tr, &ckpt, &len, NULL), NN_OK);
    nn_trainer_free(tr);

    nn_layer_spec k3[1] = {layer(1, NN_ACT_SIGMOID, 3.0f)};
    nn_network *b = make_net(NN_MODEL_MLP, 2, k3, 1, NN_LOSS_BCE);
    cr_assert_eq(nn_trainer_create(&tr, b, &d, &cfg, NULL), NN_OK);
    nn_status st_k = nn_trainer_restore(tr, ckpt, len, NULL);
    nn_trainer_free(tr);
    nn_network *c = make_net(NN_MODEL_MLP, 2, k1, 1, NN_LOSS_MSE);
    cr_assert_eq(nn_trainer_create(&tr, c, &d, &cfg, NULL), NN_OK);
    nn_status st_loss = nn_trainer_restore(tr, ckpt, len, NULL);
    nn_trainer_free(tr);
    nn_network_free(a);
    nn_network_free(b);
    nn_network_free(c);
    free(ckpt);
    cr_assert_eq(st_k, NN_ERR_FORMAT, "sigmoid k = 1 restored into k = 3");
    cr_assert_eq(st_loss, NN_ERR_FORMAT, "bce restored into mse");
}

/* A perceptron's run resumes too (it has no optimizer state): XOR never
 * converges, so all 10 epochs run; stopped at 4 and restored into a fresh
 * trainer, it ends with the same weights. */
Test(checkpoint, resume_perceptron)
{
    static const float PX[4 * 2] = {0, 0, 0, 1, 1, 0, 1, 1}, PY[4] = {0, 1, 1, 0};
    nn_data d = {.rows = 4, .in_dim = 2, .out_dim = 1, .X = PX, .Y = PY,
                 .classification = true};
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.1f, 4, 10);
    cfg.shuffle = true;
    nn_layer_spec L[1] = {layer(1, NN_ACT_STEP, 0)};
    nn_network *ref = make_net(NN_MODEL_PERCEPTRON, 2, L, 1, NN_LOSS_MSE);
    nn_network *a = make_net(NN_MODEL_PERCEPTRON, 2, L, 1, NN_LOSS_MSE);
    nn_network *b = make_net(NN_MODEL_PERCEPTRON, 2, L, 1, NN_LOSS_MSE);
    nn_trainer *tr = NULL;
    cr_assert_eq(nn_trainer_create(&tr, ref, &d, &cfg, NULL), NN_OK);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, NULL), NN_OK);
    nn_trainer_free(tr);
    cr_assert_eq(nn_trainer_create(&tr, a, &d, &cfg, NULL), NN_OK);
    size_t stop = 4;
    cr_assert_eq(nn_trainer_run(tr, stop_at, &stop, NULL, NULL),
                 NN_ERR_STOPPED);
    unsigned char *ckpt = NULL;
    size_t len = 0;
    cr_assert_eq(nn_trainer_checkpoint(tr, &ckpt, &len, NULL), NN_OK);
    nn_trainer_free(tr);
    cr_assert_eq(nn_trainer_create(&tr, b, &d, &cfg, NULL), NN_OK);
    cr_assert_eq(nn_trainer_restore(tr, ckpt, len, NULL), NN_OK);
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, NULL), NN_OK);
    cr_assert_eq(res.epochs_done, 6);
    cr_assert_not(res.converged);
    cr_assert(memcmp(b->params, ref->params, 3 * sizeof(float)) == 0);
    nn_trainer_free(tr);
    free(ckpt);
    nn_network_free(ref);
    nn_network_free(a);
    nn_network_free(b);
}
