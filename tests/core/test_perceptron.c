/* test_perceptron.c — Rosenblatt's rule: the logic gates it learns, XOR
 * which it cannot, ±1 targets with a sign output, hand-given NOR weights,
 * and the update rule itself on a tiny example. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static const float X2[4 * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
static const float AND[4] = {0, 0, 0, 1}, OR[4] = {0, 1, 1, 1};
static const float NAND[4] = {1, 1, 1, 0}, NOR[4] = {1, 0, 0, 0};
static const float XOR[4] = {0, 1, 1, 0};

typedef struct {
    size_t epochs;
    size_t mistakes[256];
    double loss[256];
} history;

static bool record(const nn_epoch_stats *st, void *user)
{
    history *h = user;
    cr_assert_eq(st->epoch, h->epochs + 1, "epochs count from 1");
    if (h->epochs < 256) {
        h->mistakes[h->epochs] = st->mistakes;
        h->loss[h->epochs] = st->loss;
    }
    h->epochs++;
    return true;
}

static nn_network *perceptron(size_t inputs, nn_act_kind kind)
{
    nn_layer_spec L[1] = {layer(1, kind, 0)};
    /* The loss is ignored for a perceptron: cross_entropy would not even
     * suit a one-unit output, yet creation succeeds. */
    return make_net(NN_MODEL_PERCEPTRON, inputs, L, 1, NN_LOSS_CROSS_ENTROPY);
}

/* Trains a fresh perceptron with the rule on rows examples; returns the
 * result and the history through h. */
static nn_status train(nn_network *net, const float *X, const float *Y,
                       size_t rows, size_t epochs, history *h,
                       nn_train_result *res)
{
    nn_data d = {.rows = rows, .in_dim = net->inputs, .out_dim = 1,
                 .X = X, .Y = Y, .classification = true};
    /* An optimizer makes no sense for a perceptron and is not checked:
     * a zero learning rate must not be refused. */
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.0f, 32, epochs);
    nn_trainer *tr = NULL;
    nn_error err;
    nn_status st = nn_trainer_create(&tr, net, &d, &cfg, &err);
    cr_assert_eq(st, NN_OK, "trainer: %s (%s)", err.message, err.field);
    cr_assert_eq(nn_trainer_threads(tr), 1);
    memset(h, 0, sizeof *h);
    st = nn_trainer_run(tr, record, h, res, &err);
    nn_trainer_free(tr);
    return st;
}

static void predict(const nn_network *net, const float *X, size_t rows,
                    float *out)
{
    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, net, 3, false, NULL), NN_OK);
    nn_error err;
    cr_assert_eq(nn_predict(net, ws, X, rows, out, &err), NN_OK, "%s",
                 err.message);
    nn_workspace_free(ws);
}

static void learns_gate(const char *name, size_t inputs, const float *X,
                        const float *Y, size_t rows)
{
    nn_network *net = perceptron(inputs, NN_ACT_STEP);
    history h;
    nn_train_result res;
    cr_assert_eq(train(net, X, Y, rows, 100, &h, &res), NN_OK);
    cr_assert(res.converged, "%s did not converge", name);
    cr_assert_eq(res.last.mistakes, 0);
    cr_assert_eq(res.epochs_done, h.epochs);
    cr_assert_lt(res.epochs_done, 100);
    cr_assert_gt(h.mistakes[0], 0, "%s: weights start at 0, so the first "
                                   "epoch must make a mistake", name);
    for (size_t e = 0; e < h.epochs; e++) /* the loss is the mistake count */
        cr_assert(ieee_ulp_eq(dbl, h.loss[e], (double)h.mistakes[e], 0));
    for (size_t e = 0; e + 1 < h.epochs; e++)
        cr_assert_gt(h.mistakes[e], 0, "%s stopped late", name);
    cr_assert(ieee_ulp_eq(dbl, res.last.accuracy, 1.0, 0));
    float out[4];
    predict(net, X, rows, out);
    for (size_t r = 0; r < rows; r++)
        cr_assert(ieee_ulp_eq(flt, out[r], Y[r], 0), "%s row %zu: %g", name,
                  r, (double)out[r]);
    nn_network_free(net);
}

Test(perceptron, learns_and_or_nand_nor)
{
    learns_gate("AND", 2, X2, AND, 4);
    learns_gate("OR", 2, X2, OR, 4);
    learns_gate("NAND", 2, X2, NAND, 4);
    learns_gate("NOR", 2, X2, NOR, 4);
}

Test(perceptron, learns_not)
{
    const float X[2] = {0, 1}, Y[2] = {1, 0};
    learns_gate("NOT", 1, X, Y, 2);
}

Test(perceptron, cannot_learn_xor)
{
    nn_network *net = perceptron(2, NN_ACT_STEP);
    history h;
    nn_train_result res;
    cr_assert_eq(train(net, X2, XOR, 4, 100, &h, &res), NN_OK,
                 "hitting the epoch limit is not an error");
    cr_assert_not(res.converged);
    cr_assert_eq(res.epochs_done, 100);
    cr_assert_eq(h.epochs, 100);
    for (size_t e = 0; e < 100; e++)
        cr_assert_gt(h.mistakes[e], 0, "epoch %zu made no mistake", e + 1);
    cr_assert_lt(res.last.accuracy, 1.0);
    nn_network_free(net);
}

Test(perceptron, sign_output_with_plus_minus_one_targets)
{
    const float Y_and[4] = {-1, -1, -1, 1}, Y_or[4] = {-1, 1, 1, 1};
    const float *Ys[2] = {Y_and, Y_or};
    for (int g = 0; g < 2; g++) {
        nn_network *net = perceptron(2, NN_ACT_SIGN);
        history h;
        nn_train_result res;
        cr_assert_eq(train(net, X2, Ys[g], 4, 100, &h, &res), NN_OK);
        cr_assert(res.converged);
        cr_assert_eq(res.last.mistakes, 0);
        cr_assert(ieee_ulp_eq(dbl, res.last.accuracy, 1.0, 0),
                  "accuracy with ±1 targets and a sign output");
        float out[4];
        predict(net, X2, 4, out);
        for (int r = 0; r < 4; r++)
            cr_assert(ieee_ulp_eq(flt, out[r], Ys[g][r], 0));
        nn_network_free(net);
    }
    nn_network *net = perceptron(2, NN_ACT_SIGN);
    history h;
    nn_train_result res;
    const float Y_xor[4] = {-1, 1, 1, -1};
    cr_assert_eq(train(net, X2, Y_xor, 4, 50, &h, &res), NN_OK);
    cr_assert_not(res.converged);
    cr_assert_eq(res.epochs_done, 50);
    nn_network_free(net);
}

/* w0 = 0.5 (the bias), w1 = w2 = −1 with a step output computes NOR. */
Test(perceptron, hand_given_nor_weights)
{
    nn_network *net = perceptron(2, NN_ACT_STEP);
    const float W[2] = {-1, -1}, b[1] = {0.5f};
    nn_error err;
    cr_assert_eq(nn_network_set_layer(net, 0, W, b, &err), NN_OK, "%s",
                 err.message);
    float out[4];
    predict(net, X2, 4, out);
    for (int r = 0; r < 4; r++)
        cr_assert(ieee_ulp_eq(flt, out[r], NOR[r], 0), "NOR row %d: %g", r,
                  (double)out[r]);
    for (int r = 0; r < 4; r++)
        cr_assert_eq(nn_output_class(net, &out[r]), (size_t)NOR[r]);
    nn_network_free(net);
}

/* The rule by hand, weights from 0: (1, 2) → 1 is a mistake (0 ≤ 0), so
 * w = (1, 2), b = 1; (−1, −1) → 0: s = −2, t·s = 2 > 0, no update;
 * (0.5, 0) → 0: s = 1.5, t·s < 0, so w = (0.5, 2), b = 0. */
Test(perceptron, epoch_applies_the_rule)
{
    nn_network *net = perceptron(2, NN_ACT_STEP);
    const float X[3 * 2] = {1, 2, -1, -1, 0.5f, 0};
    const float Y[3] = {1, 0, 0};
    float *W = net->params + net->w_offset[0], *b = net->params + net->b_offset[0];
    cr_assert_eq(nn_perceptron_epoch(net, X, Y, 1, NULL), 1);
    cr_assert(ieee_ulp_eq(flt, W[0], 1.0f, 0), "first mistake adds y·x");
    cr_assert(ieee_ulp_eq(flt, W[1], 2.0f, 0));
    cr_assert(ieee_ulp_eq(flt, b[0], 1.0f, 0));
    memset(net->params, 0, net->n_params * sizeof *net->params);
    cr_assert_eq(nn_perceptron_epoch(net, X, Y, 3, NULL), 2);
    cr_assert(ieee_ulp_eq(flt, W[0], 0.5f, 0));
    cr_assert(ieee_ulp_eq(flt, W[1], 2.0f, 0));
    cr_assert(ieee_ulp_eq(flt, b[0], 0.0f, 0));
    /* A pass with no mistake changes nothing. */
    const float Xok[2] = {1, 1}, Yok[1] = {1};
    cr_assert_eq(nn_perceptron_epoch(net, Xok, Yok, 1, NULL), 0);
    cr_assert(ieee_ulp_eq(flt, W[0], 0.5f, 0));
    nn_network_free(net);
}

/* The trainer normalises the inputs it feeds the rule and stores the
 * normalisation in the model, so nn_predict on raw inputs agrees. */
Test(perceptron, learns_with_standard_normalisation)
{
    const float X[4 * 2] = {10, 100, 10, 300, 30, 100, 30, 300};
    nn_network *net = perceptron(2, NN_ACT_STEP);
    nn_data d = {.rows = 4, .in_dim = 2, .out_dim = 1, .X = X, .Y = AND,
                 .classification = true};
    nn_train_config cfg = plain_config(NN_OPT_SGD, 0.01f, 2, 100);
    cfg.normalize = NN_NORM_STANDARD;
    nn_trainer *tr = NULL;
    cr_assert_eq(nn_trainer_create(&tr, net, &d, &cfg, NULL), NN_OK);
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, NULL), NN_OK);
    cr_assert(res.converged);
    nn_trainer_free(tr);
    cr_assert_eq(net->norm.kind, NN_NORM_STANDARD);
    cr_assert(ieee_ulp_eq(flt, net->norm.shift[0], 20.0f, 0));
    cr_assert(ieee_ulp_eq(flt, net->norm.shift[1], 200.0f, 0));
    float out[4];
    predict(net, X, 4, out);
    for (int r = 0; r < 4; r++)
        cr_assert(ieee_ulp_eq(flt, out[r], AND[r], 0), "row %d", r);
    nn_network_free(net);
}

/* The visiting order is idx; −1/+1 targets work like 0/1 ones. Order
 * (2, 0): (0.5, 0) → −1 with s = 0 is a mistake: w = (−0.5, 0), b = −1;
 * then (1, 2) → +1: s = −1.5, mistake: w = (0.5, 2), b = 0. */
Test(perceptron, epoch_follows_index_order)
{
    nn_network *net = perceptron(2, NN_ACT_SIGN);
    const float X[3 * 2] = {1, 2, -1, -1, 0.5f, 0};
    const float Y[3] = {1, -1, -1};
    const size_t idx[2] = {2, 0};
    float *W = net->params + net->w_offset[0], *b = net->params + net->b_offset[0];
    cr_assert_eq(nn_perceptron_epoch(net, X, Y, 2, idx), 2);
    cr_assert(ieee_ulp_eq(flt, W[0], 0.5f, 0));
    cr_assert(ieee_ulp_eq(flt, W[1], 2.0f, 0));
    cr_assert(ieee_ulp_eq(flt, b[0], 0.0f, 0));
    nn_network_free(net);
}

/* Several outputs are independent perceptrons sharing the inputs: AND and
 * OR at once, W laid out in×out. */
Test(perceptron, several_outputs_learn_independently)
{
    nn_layer_spec L[1] = {layer(2, NN_ACT_STEP, 0)};
    nn_network *net = make_net(NN_MODEL_PERCEPTRON, 2, L, 1, NN_LOSS_MSE);
    float Y[4 * 2];
    for (int r = 0; r < 4; r++) {
        Y[2 * r] = AND[r];
        Y[2 * r + 1] = OR[r];
    }
    size_t mistakes = 0;
    for (int e = 0; e < 100; e++)
        if ((mistakes = nn_perceptron_epoch(net, X2, Y, 4, NULL)) == 0)
            break;
    cr_assert_eq(mistakes, 0);
    float out[8];
    predict(net, X2, 4, out);
    for (int i = 0; i < 8; i++)
        cr_assert(ieee_ulp_eq(flt, out[i], Y[i], 0), "output %d", i);
    nn_network_free(net);
}

Test(perceptron, definition_must_be_one_step_or_sign_layer)
{
    nn_network *net = NULL;
    nn_error err;
    nn_layer_spec sig[1] = {layer(1, NN_ACT_SIGMOID, 1)};
    cr_assert_eq(nn_network_create(&net, NN_MODEL_PERCEPTRON, 2, sig, 1,
                                   NN_LOSS_MSE, &err),
                 NN_ERR_INVALID);
    cr_assert_null(net);
    nn_layer_spec two[2] = {layer(2, NN_ACT_STEP, 0), layer(1, NN_ACT_STEP, 0)};
    cr_assert_eq(nn_network_create(&net, NN_MODEL_PERCEPTRON, 2, two, 2,
                                   NN_LOSS_MSE, &err),
                 NN_ERR_INVALID);
    cr_assert_null(net);
}
