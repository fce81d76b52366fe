/* test_loss.c — mse, softmax cross-entropy and sigmoid binary
 * cross-entropy at hand-computed points, their starting gradients, and
 * which output layers each loss accepts. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <string.h>

#include "helpers.h"

/* Losses come back as double sums: compared to 1e-6 relative to the hand
 * value. Gradients are float: 1e-6 absolute. */
#define LOSS_REL 1e-6
#define GRAD_EPS 1e-6

static void assert_loss(double got, double want, const char *what)
{
    cr_assert_float_eq(got, want, LOSS_REL * fmax(1.0, fabs(want)),
                       "%s: loss %.12g, expected %.12g", what, got, want);
}

Test(loss, mse_linear_output)
{
    nn_activation lin = act(NN_ACT_LINEAR, 0);
    const float z[4] = {1.0f, 2.0f, 0.0f, -1.0f}; /* 2 rows × 2 */
    const float y[4] = {0.0f, 2.0f, 1.0f, 1.0f};
    float dz[4];
    /* row 0: ½(1² + 0²) = 0.5; row 1: ½(1² + 2²) = 2.5 */
    double J = nn_loss_eval(NN_LOSS_MSE, &lin, z, z, y, 2, 2, 0.5f, dz);
    assert_loss(J, 3.0, "mse");
    const float want[4] = {0.5f, 0.0f, -0.5f, -1.0f}; /* 0.5 · (o − y) */
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(dz[i], want[i], GRAD_EPS, "dz[%d]", i);
    /* dz may be NULL: the loss alone. */
    assert_loss(nn_loss_eval(NN_LOSS_MSE, &lin, z, z, y, 2, 2, 0.5f, NULL),
                3.0, "mse without dz");
}

Test(loss, mse_sigmoid_output_chains_through_derivative)
{
    nn_activation sg = act(NN_ACT_SIGMOID, 2.0f);
    const float z[2] = {0.0f, 1.0f}, y[2] = {1.0f, 0.0f};
    float o[2], dz[2];
    nn_activation_forward(&sg, o, z, 1, 2);
    double s1 = 1 / (1 + exp(-2.0));
    double want = 0.5 * (0.5 - 1) * (0.5 - 1) + 0.5 * s1 * s1;
    assert_loss(nn_loss_eval(NN_LOSS_MSE, &sg, z, o, y, 1, 2, 1.0f, dz), want,
                "mse sigmoid");
    /* ∂/∂z = (o − y) · k σ (1 − σ) */
    cr_assert_float_eq(dz[0], (0.5 - 1) * 2 * 0.25, GRAD_EPS);
    cr_assert_float_eq(dz[1], s1 * 2 * s1 * (1 - s1), GRAD_EPS);
}

Test(loss, cross_entropy_with_softmax)
{
    nn_activation sm = act(NN_ACT_SOFTMAX, 0);
    const float z[3] = {1.0f, 2.0f, 3.0f}, y[3] = {0.0f, 0.0f, 1.0f};
    float p[3], dz[3];
    nn_activation_forward(&sm, p, z, 1, 3);
    /* −log p_3 = log(e¹ + e² + e³) − 3 = log(1 + e^−1 + e^−2) */
    double want = log(1 + exp(-1.0) + exp(-2.0));
    assert_loss(nn_loss_eval(NN_LOSS_CROSS_ENTROPY, &sm, z, p, y, 1, 3, 0.25f,
                             dz),
                want, "cross_entropy");
    for (int j = 0; j < 3; j++) /* scale · (p − y) */
        cr_assert_float_eq(dz[j], 0.25 * (p[j] - y[j]), GRAD_EPS);
    cr_assert_float_eq(want, 0.40760596444, 1e-10);
}

Test(loss, cross_entropy_is_stable_and_sums_rows)
{
    nn_activation sm = act(NN_ACT_SOFTMAX, 0);
    /* Row 0 has huge logits; row 1 soft targets summing to 1. */
    const float z[4] = {1000.0f, 1001.0f, 0.0f, 0.0f};
    const float y[4] = {1.0f, 0.0f, 0.25f, 0.75f};
    float p[4], dz[4];
    nn_activation_forward(&sm, p, z, 2, 2);
    double J = nn_loss_eval(NN_LOSS_CROSS_ENTROPY, &sm, z, p, y, 2, 2, 1.0f,
                            dz);
    cr_assert(isfinite(J));
    assert_loss(J, log(1 + exp(1.0)) + log(2.0), "stable cross_entropy");
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(dz[i], p[i] - y[i], GRAD_EPS);
}

/* The documented formula −Σ y_j log softmax(z)_j holds for targets that do
 * not sum to 1 as well; its gradient is then p·Σy − y. */
Test(loss, cross_entropy_unnormalised_targets)
{
    nn_activation sm = act(NN_ACT_SOFTMAX, 0);
    const float z[3] = {0.5f, -1.0f, 2.0f}, y[3] = {0.5f, 0.0f, 1.5f};
    float p[3], dz[3];
    nn_activation_forward(&sm, p, z, 1, 3);
    double lse = log(exp(0.5) + exp(-1.0) + exp(2.0));
    double want = 0.5 * (lse - 0.5) + 1.5 * (lse - 2.0);
    assert_loss(nn_loss_eval(NN_LOSS_CROSS_ENTROPY, &sm, z, p, y, 1, 3, 1.0f,
                             dz),
                want, "cross_entropy, Σy = 2");
    for (int j = 0; j < 3; j++)
        cr_assert_float_eq(dz[j], 2.0 * p[j] - y[j], GRAD_EPS);
}

Test(loss, bce_with_sigmoid)
{
    nn_activation s1 = act(NN_ACT_SIGMOID, 1.0f), s3 = act(NN_ACT_SIGMOID, 3.0f);
    const float z[3] = {0.0f, 2.0f, -1.0f}, y[3] = {1.0f, 0.0f, 0.3f};
    float o[3], dz[3];
    nn_activation_forward(&s1, o, z, 3, 1);
    /* −log σ(0) = log 2; −log(1 − σ(2)) = log(1 + e²);
     * y = 0.3 at z = −1: −[0.3 log σ(−1) + 0.7 log σ(1)] */
    double sm1 = 1 / (1 + exp(1.0));
    double want = log(2.0) + log(1 + exp(2.0)) -
                  (0.3 * log(sm1) + 0.7 * log(1 - sm1));
    assert_loss(nn_loss_eval(NN_LOSS_BCE, &s1, z, o, y, 3, 1, 0.5f, dz), want,
                "bce k=1");
    for (int i = 0; i < 3; i++) /* scale · k · (σ − y) */
        cr_assert_float_eq(dz[i], 0.5 * (o[i] - y[i]), GRAD_EPS);

    /* k = 3: u = 3z. At z = 1, y = 1: log(1 + e^−3). */
    const float z3[1] = {1.0f}, y3[1] = {1.0f};
    float o3[1], dz3[1];
    nn_activation_forward(&s3, o3, z3, 1, 1);
    assert_loss(nn_loss_eval(NN_LOSS_BCE, &s3, z3, o3, y3, 1, 1, 1.0f, dz3),
                log1p(exp(-3.0)), "bce k=3");
    cr_assert_float_eq(dz3[0], 3 * (o3[0] - 1.0), GRAD_EPS);
}

Test(loss, bce_is_stable_for_saturated_logits)
{
    nn_activation s1 = act(NN_ACT_SIGMOID, 1.0f);
    const float z[2] = {100.0f, -100.0f}, y[2] = {0.0f, 1.0f};
    float o[2];
    nn_activation_forward(&s1, o, z, 2, 1); /* o = 1 and 0 exactly */
    double J = nn_loss_eval(NN_LOSS_BCE, &s1, z, o, y, 2, 1, 1.0f, NULL);
    cr_assert(isfinite(J), "saturated bce is %g", J);
    assert_loss(J, 200.0, "saturated bce");
}

Test(loss, check_pairs_losses_with_outputs)
{
    const nn_activation sm = act(NN_ACT_SOFTMAX, 0), sg = act(NN_ACT_SIGMOID, 1);
    const nn_activation th = act(NN_ACT_TANH, 0), lin = act(NN_ACT_LINEAR, 0);
    struct {
        nn_loss_kind loss;
        const nn_activation *out;
        size_t units;
        nn_status want;
    } cases[] = {
        {NN_LOSS_CROSS_ENTROPY, &sm, 3, NN_OK},
        {NN_LOSS_CROSS_ENTROPY, &sm, 1, NN_ERR_INVALID},
        {NN_LOSS_CROSS_ENTROPY, &sg, 3, NN_ERR_INVALID},
        {NN_LOSS_CROSS_ENTROPY, &lin, 3, NN_ERR_INVALID},
        {NN_LOSS_BCE, &sg, 1, NN_OK},
        {NN_LOSS_BCE, &sg, 4, NN_OK},
        {NN_LOSS_BCE, &sm, 2, NN_ERR_INVALID},
        {NN_LOSS_BCE, &th, 1, NN_ERR_INVALID},
        {NN_LOSS_MSE, &lin, 1, NN_OK},
        {NN_LOSS_MSE, &th, 2, NN_OK},
        {NN_LOSS_MSE, &sg, 2, NN_OK},
        {NN_LOSS_MSE, &sm, 2, NN_OK},
        {NN_LOSS_MSE, &sm, 1, NN_ERR_INVALID},
        {NN_LOSS_COUNT, &lin, 1, NN_ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        nn_error err;
        nn_error_clear(&err);
        nn_status st = nn_loss_check(cases[i].loss, cases[i].out,
                                     cases[i].units, "/loss", &err);
        cr_assert_eq(st, cases[i].want, "case %zu: got %s", i,
                     nn_status_name(st));
        if (st != NN_OK)
            cr_assert_str_eq(err.field, "/loss");
    }
}

Test(loss, parse_and_names)
{
    static const char *names[] = {"mse", "cross_entropy",
                                  "binary_cross_entropy"};
    for (int k = 0; k < NN_LOSS_COUNT; k++) {
        nn_loss_kind got = NN_LOSS_COUNT;
        cr_assert_eq(nn_loss_parse(names[k], &got, "/loss", NULL), NN_OK);
        cr_assert_eq(got, (nn_loss_kind)k);
        cr_assert_str_eq(nn_loss_name(got), names[k]);
    }
    nn_error err;
    nn_loss_kind got;
    cr_assert_eq(nn_loss_parse("bce", &got, "/loss", &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/loss");
    cr_assert_eq(nn_loss_parse(NULL, &got, "/loss", &err), NN_ERR_INVALID);
}

/* Sparse targets give the dense one-hot loss and gradient; a row marked
 * NN_NO_TARGET adds nothing (zero gradient) and is not counted. */
Test(loss, sparse_cross_entropy_equals_one_hot)
{
    nn_activation sm = act(NN_ACT_SOFTMAX, 0);
    const float z[9] = {1.0f, -2.0f, 0.5f, 3.0f, 3.0f, -1.0f, 0.0f, 0.2f, 9.0f};
    float p[9], y[9] = {0}, dz_dense[9], dz[9];
    nn_activation_forward(&sm, p, z, 3, 3);
    const uint32_t targets[3] = {2, 0, NN_NO_TARGET};
    y[2] = y[3] = 1.0f;
    double dense = nn_loss_eval(NN_LOSS_CROSS_ENTROPY, &sm, z, p, y, 2, 3,
                                0.5f, dz_dense);
    size_t scored = 0, correct = 0;
    memset(dz, 0x7f, sizeof dz);
    double sparse = nn_sparse_ce(z, p, targets, 3, 3, 0.5f, dz, &scored,
                                 &correct);
    assert_loss(sparse, dense, "sparse vs one-hot");
    assert_loss(sparse, log(exp(1.0) + exp(-2.0) + exp(0.5)) - 0.5 +
                            log(2 * exp(3.0) + exp(-1.0)) - 3.0,
                "by hand");
    for (int i = 0; i < 6; i++)
        cr_assert_float_eq(dz[i], dz_dense[i], GRAD_EPS, "dz[%d]", i);
    for (int i = 6; i < 9; i++)
        cr_assert(ieee_ulp_eq(flt, dz[i], 0.0f, 0), "unscored dz[%d]", i);
    cr_assert_eq(scored, 2);
    cr_assert_eq(correct, 1, "row 1's argmax is its target (a tie: first)");
}
