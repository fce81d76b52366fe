/* test_train.c — the training loop's features: what an epoch reports,
 * validation, early stopping, input normalisation, shuffling, and that
 * gradient descent actually fits a known function. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define MAX_EPOCHS 64

typedef struct {
    size_t n;
    nn_epoch_stats st[MAX_EPOCHS];
} history;

static bool record(const nn_epoch_stats *st, void *user)
{
    history *h = user;
    cr_assert_eq(st->epoch, h->n + 1, "epochs count from 1, one by one");
    cr_assert_geq(st->elapsed_ms, 0.0);
    if (h->n < MAX_EPOCHS)
        h->st[h->n] = *st;
    h->n++;
    return true;
}

static nn_trainer *make_trainer(nn_network *net, const nn_data *d,
                                const nn_train_config *cfg)
{
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(nn_trainer_create(&tr, net, d, cfg, &err), NN_OK, "%s (%s)",
                 err.message, err.field);
    cr_assert_eq(nn_trainer_epoch(tr), 0);
    return tr;
}

/* 40 rows, 3 features, 3 classes, a 3-5-3 softmax classifier. */
#define ROWS 40
static float X[ROWS * 3], Y[ROWS * 3];

static nn_network *classifier(uint64_t seed)
{
    make_teacher_data(X, Y, ROWS, 3, 3, 5);
    nn_layer_spec L[2] = {layer(5, NN_ACT_TANH, 0), layer(3, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 3, L, 2, NN_LOSS_CROSS_ENTROPY);
    init_net(net, seed, 0.1f);
    return net;
}

static const nn_data cls = {.rows = ROWS, .in_dim = 3, .out_dim = 3, .X = X,
                            .Y = Y, .classification = true};

Test(train, validation_split_reports_finite_validation)
{
    nn_network *net = classifier(1);
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.1f, 8, 4);
    cfg.validation_split = 0.25f;
    cfg.shuffle = true;
    nn_trainer *tr = make_trainer(net, &cls, &cfg);
    history h = {0};
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, record, &h, &res, NULL), NN_OK);
    cr_assert_eq(h.n, 4);
    for (size_t e = 0; e < h.n; e++) {
        const nn_epoch_stats *s = &h.st[e];
        cr_assert(isfinite(s->loss) && s->loss > 0);
        cr_assert(isfinite(s->val_loss) && s->val_loss > 0);
        cr_assert(s->accuracy >= 0 && s->accuracy <= 1);
        cr_assert(s->val_accuracy >= 0 && s->val_accuracy <= 1);
        /* 10 validation rows: the accuracy is a multiple of 1/10. */
        double k = s->val_accuracy * 10;
        cr_assert_float_eq(k, round(k), 1e-9);
    }
    cr_assert(ieee_ulp_eq(dbl, res.last.val_loss, h.st[3].val_loss, 0));
    nn_trainer_free(tr);
    nn_network_free(net);
}

Test(train, no_validation_means_nan)
{
    nn_network *net = classifier(1);
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.1f, 8, 2);
    nn_trainer *tr = make_trainer(net, &cls, &cfg);
    history h = {0};
    cr_assert_eq(nn_trainer_run(tr, record, &h, NULL, NULL), NN_OK);
    for (size_t e = 0; e < h.n; e++) {
        cr_assert(isnan(h.st[e].val_loss));
        cr_assert(isnan(h.st[e].val_accuracy));
        cr_assert(isfinite(h.st[e].accuracy), "a classifier's accuracy");
    }
    nn_trainer_free(tr);
    /* Regression: no accuracy at all, but a validation loss. */
    nn_data reg = cls;
    reg.classification = false;
    cfg.validation_split = 0.5f;
    tr = make_trainer(net, &reg, &cfg);
    h.n = 0;
    cr_assert_eq(nn_trainer_run(tr, record, &h, NULL, NULL), NN_OK);
    for (size_t e = 0; e < h.n; e++) {
        cr_assert(isnan(h.st[e].accuracy));
        cr_assert(isnan(h.st[e].val_accuracy));
        cr_assert(isfinite(h.st[e].val_loss));
    }
    nn_trainer_free(tr);
    nn_network_free(net);
}

/* With a learning rate too small to move any weight, the epoch's reported
 * loss is the mean per-row loss over the training rows and val_loss the
 * mean over the others: n_train·loss + n_val·val_loss must equal the loss
 * summed over all rows, computed here from nn_predict (normalisation
 * included); likewise for the counts of correct classes. */
Test(train, reported_figures_are_per_row_means)
{
    nn_network *net = classifier(2);
    float *before = params_copy(net);
    nn_train_config cfg = plain_config(NN_OPT_SGD, 1e-30f, 7, 1);
    cfg.validation_split = 0.3f; /* 12 validation rows, 28 training */
    cfg.normalize = NN_NORM_STANDARD;
    nn_trainer *tr = make_trainer(net, &cls, &cfg);
    history h = {0};
    cr_assert_eq(nn_trainer_run(tr, record, &h, NULL, NULL), NN_OK);
    cr_assert(memcmp(before, net->params, net->n_params * sizeof(float)) == 0,
              "a learning rate of 1e-30 moved the weights");
    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, net, ROWS, false, NULL), NN_OK);
    float o[ROWS * 3];
    cr_assert_eq(nn_predict(net, ws, X, ROWS, o, NULL), NN_OK);
    double total = 0;
    size_t correct = 0;
    for (size_t r = 0; r < ROWS; r++) {
        for (int j = 0; j < 3; j++)
            total -= Y[r * 3 + j] * log(o[r * 3 + j]);
        correct += nn_output_class(net, o + r * 3) ==
                   nn_target_class(net, Y + r * 3);
    }
    const nn_epoch_stats *s = &h.st[0];
    double sum = 28 * s->loss + 12 * s->val_loss;
    cr_assert_float_eq(sum, total, 1e-5 * total, "losses %g + %g vs %g",
                       28 * s->loss, 12 * s->val_loss, total);
    cr_assert_float_eq(28 * s->accuracy + 12 * s->val_accuracy,
                       (double)correct, 1e-9);
    nn_workspace_free(ws);
    nn_trainer_free(tr);
    nn_network_free(net);
    free(before);
}

Test(train, early_stopping_on_a_plateau)
{
    nn_network *net = classifier(3);
    nn_train_config cfg = plain_config(NN_OPT_SGD, 1e-6f, 8, 50);
    cfg.patience = 3;
    cfg.min_delta = 1e-2f; /* no epoch improves the loss by this much */
    nn_trainer *tr = make_trainer(net, &cls, &cfg);
    history h = {0};
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, record, &h, &res, NULL), NN_OK);
    cr_assert(res.early_stopped);
    cr_assert_eq(res.epochs_done, 4, "best at epoch 1, then 3 stale epochs");
    cr_assert_eq(h.n, 4);
    cr_assert_eq(nn_trainer_epoch(tr), 4);
    cr_assert_not(res.converged, "converged is for perceptrons");
    nn_trainer_free(tr);

    /* With validation rows, the validation loss is what is watched. */
    cfg.validation_split = 0.25f;
    tr = make_trainer(net, &cls, &cfg);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, NULL), NN_OK);
    cr_assert(res.early_stopped);
    cr_assert_eq(res.epochs_done, 4);
    nn_trainer_free(tr);
    nn_network_free(net);
}

/* The epoch at which the documented rule stops, applied to a history of
 * monitored losses: an epoch improves when its loss is below the best so
 * far minus min_delta; patience epochs in a row without one stop the run.
 * 0 when it never stops. */
static size_t rule_stop(const double *loss, size_t n, size_t patience,
                        double min_delta)
{
    double best = INFINITY;
    size_t stale = 0;
    for (size_t e = 0; e < n; e++) {
        if (loss[e] < best - min_delta) {
            best = loss[e];
            stale = 0;
        } else if (++stale >= patience) {
            return e + 1;
        }
    }
    return 0;
}

/* With validation rows, early stopping watches the validation loss, not
 * the training loss. Random labels make the two part ways: the training
 * loss keeps falling (memorisation) while the validation loss rises. */
Test(train, early_stopping_watches_validation_loss)
{
    nn_rng rng;
    nn_rng_seed(&rng, 77);
    fill_uniform(X, ROWS * 3, -1, 1, &rng);
    fill_one_hot(Y, ROWS, 3, &rng);
    nn_layer_spec L[2] = {layer(32, NN_ACT_TANH, 0),
                          layer(3, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 3, L, 2, NN_LOSS_CROSS_ENTROPY);
    init_net(net, 77, 0.1f);
    nn_network *twin = make_net(NN_MODEL_MLP, 3, L, 2, NN_LOSS_CROSS_ENTROPY);
    memcpy(twin->params, net->params, net->n_params * sizeof(float));
    nn_train_config cfg = plain_config(NN_OPT_ADAM, 0.03f, 8, MAX_EPOCHS);
    cfg.validation_split = 0.25f;
    /* First the whole history, without early stopping. */
    nn_trainer *tr = make_trainer(twin, &cls, &cfg);
    history full = {0};
    cr_assert_eq(nn_trainer_run(tr, record, &full, NULL, NULL), NN_OK);
    nn_trainer_free(tr);
    double train[MAX_EPOCHS], val[MAX_EPOCHS];
    for (size_t e = 0; e < MAX_EPOCHS; e++) {
        train[e] = full.st[e].loss;
        val[e] = full.st[e].val_loss;
    }
    size_t by_val = rule_stop(val, MAX_EPOCHS, 3, 0);
    size_t by_train = rule_stop(train, MAX_EPOCHS, 3, 0);
    cr_assert_gt(by_val, 0, "the validation loss never stalls here");
    cr_assert_neq(by_val, by_train, "this data does not tell the two apart");
    /* Then the same run with patience 3. */
    cfg.patience = 3;
    tr = make_trainer(net, &cls, &cfg);
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, NULL), NN_OK);
    cr_assert(res.early_stopped);
    cr_assert_eq(res.epochs_done, by_val, "stopped after epoch %zu; the "
                 "validation loss says %zu, the training loss %zu",
                 res.epochs_done, by_val, by_train);
    nn_trainer_free(tr);
    nn_network_free(net);
    nn_network_free(twin);
}

Test(train, no_early_stop_while_improving_or_without_patience)
{
    nn_network *net = classifier(4);
    nn_train_config cfg = plain_config(NN_OPT_ADAM, 0.05f, 8, 12);
    cfg.patience = 3;
    nn_trainer *tr = make_trainer(net, &cls, &cfg);
    nn_train_result res;
    history h = {0};
    cr_assert_eq(nn_trainer_run(tr, record, &h, &res, NULL), NN_OK);
    cr_assert_not(res.early_stopped);
    cr_assert_eq(res.epochs_done, 12);
    cr_assert_lt(h.st[11].loss, h.st[0].loss, "training lowers the loss");
    nn_trainer_free(tr);

    cfg = plain_config(NN_OPT_SGD, 1e-6f, 8, 12); /* plateau, patience 0 */
    tr = make_trainer(net, &cls, &cfg);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, NULL), NN_OK);
    cr_assert_not(res.early_stopped);
    cr_assert_eq(res.epochs_done, 12);
    /* Once done, running again does nothing. */
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, NULL), NN_OK);
    cr_assert_eq(res.epochs_done, 0);
    cr_assert_eq(nn_trainer_epoch(tr), 12);
    nn_trainer_free(tr);
    nn_network_free(net);
}

/* Feature 0: 2, 1, 6, 3 (mean 3, population std √3.5, min 1, range 5);
 * feature 1 constant 7 (scale 1); feature 2: 0, −4, 4, 0 (mean 0, std
 * √8, min −4, range 8). No extreme sits in the first row. */
static const float NX[4 * 3] = {2, 7, 0, 1, 7, -4, 6, 7, 4, 3, 7, 0};
static const float NY[4] = {0, 1, 0, 1};

static nn_network *fit_norm(nn_norm_kind kind)
{
    nn_layer_spec L[1] = {layer(1, NN_ACT_SIGMOID, 1)};
    nn_network *net = make_net(NN_MODEL_MLP, 3, L, 1, NN_LOSS_BCE);
    nn_data d = {.rows = 4, .in_dim = 3, .out_dim = 1, .X = NX, .Y = NY};
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.1f, 4, 1);
    cfg.normalize = kind;
    nn_trainer *tr = make_trainer(net, &d, &cfg);
    nn_trainer_free(tr); /* the fit happens at create */
    return net;
}

Test(train, standard_normalisation_is_mean_and_std)
{
    nn_network *net = fit_norm(NN_NORM_STANDARD);
    cr_assert_eq(net->norm.kind, NN_NORM_STANDARD);
    const float shift[3] = {3, 7, 0};
    const double std[3] = {sqrt(3.5), 1, sqrt(8.0)};
    for (int j = 0; j < 3; j++) {
        cr_assert(ieee_ulp_eq(flt, net->norm.shift[j], shift[j], 1),
                  "shift[%d] = %g", j, (double)net->norm.shift[j]);
        cr_assert(ieee_ulp_eq(flt, net->norm.scale[j], (float)(1 / std[j]), 2),
                  "scale[%d] = %g", j, (double)net->norm.scale[j]);
    }
    nn_network_free(net);
}

Test(train, minmax_normalisation_is_min_and_range)
{
    nn_network *net = fit_norm(NN_NORM_MINMAX);
    cr_assert_eq(net->norm.kind, NN_NORM_MINMAX);
    const float shift[3] = {1, 7, -4}, scale[3] = {0.2f, 1, 0.125f};
    for (int j = 0; j < 3; j++) {
        cr_assert(ieee_ulp_eq(flt, net->norm.shift[j], shift[j], 0),
                  "shift[%d] = %g", j, (double)net->norm.shift[j]);
        cr_assert(ieee_ulp_eq(flt, net->norm.scale[j], scale[j], 1),
                  "scale[%d] = %g", j, (double)net->norm.scale[j]);
    }
    nn_network_free(net);
}

Test(train, no_normalisation_drops_it)
{
    nn_network *net = fit_norm(NN_NORM_MINMAX);
    nn_data d = {.rows = 4, .in_dim = 3, .out_dim = 1, .X = NX, .Y = NY};
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.1f, 4, 1);
    nn_trainer *tr = make_trainer(net, &d, &cfg); /* normalize none */
    cr_assert_eq(net->norm.kind, NN_NORM_NONE);
    cr_assert_null(net->norm.shift);
    cr_assert_null(net->norm.scale);
    nn_trainer_free(tr);
    nn_network_free(net);
}

/* Shuffling changes the order of the mini-batches, hence the weights;
 * without it, the order is fixed and two runs agree. */
Test(train, shuffle_changes_batch_order)
{
    nn_network *a = classifier(6), *b = classifier(6), *c = classifier(6);
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.1f, 4, 2);
    nn_trainer *tr = make_trainer(a, &cls, &cfg);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, NULL), NN_OK);
    nn_trainer_free(tr);
    tr = make_trainer(b, &cls, &cfg);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, NULL), NN_OK);
    nn_trainer_free(tr);
    cfg.shuffle = true;
    tr = make_trainer(c, &cls, &cfg);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, NULL), NN_OK);
    nn_trainer_free(tr);
    size_t bytes = a->n_params * sizeof(float);
    cr_assert(memcmp(a->params, b->params, bytes) == 0);
    cr_assert(memcmp(a->params, c->params, bytes) != 0);
    nn_network_free(a);
    nn_network_free(b);
    nn_network_free(c);
}

/* Full-batch gradient descent on y = 2x − 1 with a linear unit converges
 * to w = 2, b = −1 (to 1e-3). With batch = all rows and plain sgd, each
 * step is w ← w − η·mean((o − y)·x): a wrong scale or sign would not get
 * there. */
Test(train, sgd_fits_a_line)
{
    nn_layer_spec L[1] = {layer(1, NN_ACT_LINEAR, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 1, L, 1, NN_LOSS_MSE);
    float x[5] = {-1, -0.5f, 0, 0.5f, 1}, y[5];
    for (int i = 0; i < 5; i++)
        y[i] = 2 * x[i] - 1;
    nn_data d = {.rows = 5, .in_dim = 1, .out_dim = 1, .X = x, .Y = y};
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.5f, 5, 200);
    nn_trainer *tr = make_trainer(net, &d, &cfg);
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, NULL), NN_OK);
    cr_assert_float_eq(net->params[0], 2.0f, 1e-3, "w = %g",
                       (double)net->params[0]);
    cr_assert_float_eq(net->params[1], -1.0f, 1e-3, "b = %g",
                       (double)net->params[1]);
    cr_assert_lt(res.last.loss, 1e-6);
    nn_trainer_free(tr);

    /* One step by hand from w = b = 0: mean((o − y)·x) = −mean(2x² − x) =
     * −1, mean(o − y) = 1 ⇒ w = 0.5, b = −0.5 with η = 0.5. */
    memset(net->params, 0, 2 * sizeof(float));
    cfg.epochs = 1;
    tr = make_trainer(net, &d, &cfg);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, NULL), NN_OK);
    cr_assert(ieee_ulp_eq(flt, net->params[0], 0.5f, 2), "w = %g",
              (double)net->params[0]);
    cr_assert(ieee_ulp_eq(flt, net->params[1], -0.5f, 2), "b = %g",
              (double)net->params[1]);
    nn_trainer_free(tr);

    /* With lr_decay 0.5, epoch 2 steps with η = 0.25 from (0.5, −0.5):
     * o − y = −1.5x + 0.5, so mean((o − y)·x) = −0.75 and mean(o − y) =
     * 0.5 ⇒ w = 0.6875, b = −0.625. */
    memset(net->params, 0, 2 * sizeof(float));
    cfg.epochs = 2;
    cfg.optim.lr_decay = 0.5f;
    tr = make_trainer(net, &d, &cfg);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, NULL), NN_OK);
    cr_assert(ieee_ulp_eq(flt, net->params[0], 0.6875f, 4), "w = %g",
              (double)net->params[0]);
    cr_assert(ieee_ulp_eq(flt, net->params[1], -0.625f, 4), "b = %g",
              (double)net->params[1]);
    nn_trainer_free(tr);
    nn_network_free(net);
}

/* A batch larger than the data set is one batch of all rows; asking for
 * more threads than pay off on a tiny net gets one. */
Test(train, batch_larger_than_data_and_thread_request)
{
    nn_network *net = classifier(7), *twin = classifier(7);
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.1f, 1000, 3);
    cfg.threads = 8;
    nn_trainer *tr = make_trainer(net, &cls, &cfg);
    cr_assert_eq(nn_trainer_threads(tr), 1);
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, NULL), NN_OK);
    cr_assert(isfinite(res.last.loss));
    nn_trainer_free(tr);
    cfg.batch_size = ROWS;
    tr = make_trainer(twin, &cls, &cfg);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, NULL), NN_OK);
    nn_trainer_free(tr);
    cr_assert(memcmp(net->params, twin->params,
                     net->n_params * sizeof(float)) == 0);
    nn_network_free(net);
    nn_network_free(twin);
}

Test(train, defaults_are_documented_values)
{
    nn_train_config c = nn_train_defaults();
    cr_assert_eq(c.epochs, 100);
    cr_assert_eq(c.batch_size, 32);
    cr_assert_eq(c.optim.kind, NN_OPT_SGD);
    cr_assert(ieee_ulp_eq(flt, c.optim.learning_rate, 0.01f, 0));
    cr_assert(ieee_ulp_eq(flt, c.optim.momentum, 0.0f, 0));
    cr_assert_eq(c.normalize, NN_NORM_STANDARD);
    cr_assert(ieee_ulp_eq(flt, c.validation_split, 0.0f, 0));
    cr_assert(c.shuffle);
    cr_assert_eq(c.seed, 1);
    cr_assert_eq(c.patience, 0);
    cr_assert_eq(c.threads, 0);
}
