/* test_activation.c — every activation and its derivative at known points,
 * the kinks, softmax's stability and Jacobian-vector product, and the
 * parsing and checking of activation names and parameters. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <string.h>

#include "helpers.h"

/* Tolerances: values built from one libm call are within 4 ulps of the
 * double reference rounded to float; derivatives of sigmoid/tanh (a few
 * float operations more) within 1e-6 absolute. */
#define ULPS 4
#define DERIV_EPS 1e-6

static float val(nn_act_kind kind, float param, float x)
{
    nn_activation a = act(kind, param);
    return nn_activation_value(&a, x);
}

static float der(nn_act_kind kind, float param, float x)
{
    nn_activation a = act(kind, param);
    return nn_activation_derivative(&a, x);
}

Test(activation, step_and_sign_values_and_kinks)
{
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_STEP, 0, 0.0f), 0.0f, 0), "step(0)");
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_STEP, 0, -0.0f), 0.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_STEP, 0, 1e-30f), 1.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_STEP, 0, -3.0f), 0.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_STEP, 0, 2.5f), 1.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_SIGN, 0, 0.0f), -1.0f, 0), "sign(0)");
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_SIGN, 0, 1e-30f), 1.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_SIGN, 0, -7.0f), -1.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_SIGN, 0, 7.0f), 1.0f, 0));
    /* sign = 2·step − 1 everywhere; both derivatives are 0 everywhere. */
    const float xs[] = {-2.0f, -1e-6f, 0.0f, 1e-6f, 3.0f};
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
        cr_assert(ieee_ulp_eq(flt, val(NN_ACT_SIGN, 0, xs[i]),
                              2 * val(NN_ACT_STEP, 0, xs[i]) - 1, 0));
        cr_assert(ieee_ulp_eq(flt, der(NN_ACT_STEP, 0, xs[i]), 0.0f, 0));
        cr_assert(ieee_ulp_eq(flt, der(NN_ACT_SIGN, 0, xs[i]), 0.0f, 0));
    }
}

Test(activation, sigmoid_with_steepness)
{
    const float ks[] = {1.0f, 3.0f}, xs[] = {-4.0f, -0.5f, 0.0f, 0.25f, 2.0f};
    for (size_t a = 0; a < 2; a++) {
        for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
            double k = ks[a], x = xs[i], s = 1.0 / (1.0 + exp(-k * x));
            cr_assert(ieee_ulp_eq(flt, val(NN_ACT_SIGMOID, ks[a], xs[i]),
                                  (float)s, ULPS),
                      "sigmoid k=%g at %g", k, x);
            cr_assert_float_eq(der(NN_ACT_SIGMOID, ks[a], xs[i]),
                               k * s * (1 - s), DERIV_EPS,
                               "sigmoid' k=%g at %g", k, x);
        }
    }
    /* Fixed points: σ(0) = 1/2, σ'(0) = k/4; k = 3 is steeper than k = 1. */
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_SIGMOID, 3, 0), 0.5f, 0));
    cr_assert(ieee_ulp_eq(flt, der(NN_ACT_SIGMOID, 3, 0), 0.75f, 1));
    cr_assert(ieee_ulp_eq(flt, der(NN_ACT_SIGMOID, 1, 0), 0.25f, 1));
    cr_assert_gt(val(NN_ACT_SIGMOID, 3, 1), val(NN_ACT_SIGMOID, 1, 1));
    /* No overflow far out: saturates to exactly 0 and 1, derivative 0. */
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_SIGMOID, 1, -200.0f), 0.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_SIGMOID, 1, 200.0f), 1.0f, 0));
    cr_assert(ieee_ulp_eq(flt, der(NN_ACT_SIGMOID, 1, -200.0f), 0.0f, 0));
}

Test(activation, tanh_relu_leaky_linear)
{
    const float xs[] = {-3.0f, -0.5f, 0.0f, 0.5f, 2.0f};
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
        double x = xs[i], t = tanh(x);
        cr_assert(ieee_ulp_eq(flt, val(NN_ACT_TANH, 0, xs[i]), (float)t, ULPS));
        cr_assert_float_eq(der(NN_ACT_TANH, 0, xs[i]), 1 - t * t, DERIV_EPS);
        cr_assert(ieee_ulp_eq(flt, val(NN_ACT_LINEAR, 0, xs[i]), xs[i], 0));
        cr_assert(ieee_ulp_eq(flt, der(NN_ACT_LINEAR, 0, xs[i]), 1.0f, 0));
    }
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_RELU, 0, -2.0f), 0.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_RELU, 0, 0.0f), 0.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_RELU, 0, 1.5f), 1.5f, 0));
    cr_assert(ieee_ulp_eq(flt, der(NN_ACT_RELU, 0, -2.0f), 0.0f, 0));
    cr_assert(ieee_ulp_eq(flt, der(NN_ACT_RELU, 0, 0.0f), 0.0f, 0), "relu'(0)");
    cr_assert(ieee_ulp_eq(flt, der(NN_ACT_RELU, 0, 1.5f), 1.0f, 0));
    const float alpha = 0.1f;
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_LEAKY_RELU, alpha, -2.0f),
                          alpha * -2.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_LEAKY_RELU, alpha, 0.0f), 0.0f, 0));
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_LEAKY_RELU, alpha, 3.0f), 3.0f, 0));
    cr_assert(ieee_ulp_eq(flt, der(NN_ACT_LEAKY_RELU, alpha, -2.0f), alpha, 0));
    cr_assert(ieee_ulp_eq(flt, der(NN_ACT_LEAKY_RELU, alpha, 0.0f), alpha, 0),
              "leaky_relu'(0) = alpha");
    cr_assert(ieee_ulp_eq(flt, der(NN_ACT_LEAKY_RELU, alpha, 3.0f), 1.0f, 0));
    /* max(αx, x) with α = 0: relu. */
    cr_assert(ieee_ulp_eq(flt, val(NN_ACT_LEAKY_RELU, 0.0f, -2.0f), 0.0f, 0));
}

/* The block functions agree with the scalar ones (forward, and backward as
 * dy ∘ g'(z)), also when the output aliases the input. */
Test(activation, block_forward_backward_match_scalar)
{
    const nn_activation acts[] = {
        act(NN_ACT_STEP, 0),    act(NN_ACT_SIGN, 0),
        act(NN_ACT_SIGMOID, 1), act(NN_ACT_SIGMOID, 3),
        act(NN_ACT_TANH, 0),    act(NN_ACT_RELU, 0),
        act(NN_ACT_LEAKY_RELU, 0.2f), act(NN_ACT_LINEAR, 0),
    };
    const float z[6] = {-2.0f, -0.5f, 0.0f, 0.0f, 0.75f, 3.0f};
    const float dy[6] = {0.5f, -1.0f, 2.0f, 1.0f, -0.25f, 1.5f};
    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        float y[6], dz[6], inplace[6];
        nn_activation_forward(&acts[a], y, z, 2, 3);
        memcpy(inplace, z, sizeof inplace);
        nn_activation_forward(&acts[a], inplace, inplace, 2, 3);
        nn_activation_backward(&acts[a], dz, dy, z, y, 2, 3);
        for (int i = 0; i < 6; i++) {
            float v = nn_activation_value(&acts[a], z[i]);
            float d = dy[i] * nn_activation_derivative(&acts[a], z[i]);
            cr_assert(ieee_ulp_eq(flt, y[i], v, 0), "%s forward [%d]",
                      nn_activation_name(acts[a].kind), i);
            cr_assert(ieee_ulp_eq(flt, inplace[i], v, 0));
            cr_assert_float_eq(dz[i], d, 1e-6, "%s backward [%d]: %g vs %g",
                               nn_activation_name(acts[a].kind), i,
                               (double)dz[i], (double)d);
        }
        memcpy(inplace, dy, sizeof inplace); /* dz may alias dy */
        nn_activation_backward(&acts[a], inplace, inplace, z, y, 2, 3);
        for (int i = 0; i < 6; i++)
            cr_assert(ieee_ulp_eq(flt, inplace[i], dz[i], 0));
    }
}

Test(activation, softmax_rows_sum_to_one_and_match_reference)
{
    nn_activation sm = act(NN_ACT_SOFTMAX, 0);
    const float z[2 * 3] = {1.0f, 2.0f, 3.0f, -1.0f, 0.0f, 0.5f};
    float y[6];
    nn_activation_forward(&sm, y, z, 2, 3);
    for (int r = 0; r < 2; r++) {
        double sum = 0, ez[3], es = 0;
        for (int j = 0; j < 3; j++)
            es += ez[j] = exp(z[r * 3 + j]);
        for (int j = 0; j < 3; j++) {
            sum += y[r * 3 + j];
            cr_assert(ieee_ulp_eq(flt, y[r * 3 + j], (float)(ez[j] / es), 4),
                      "softmax row %d col %d", r, j);
        }
        cr_assert_float_eq(sum, 1.0, 1e-6);
    }
    /* Each row is independent: a constant added to one row changes nothing. */
    const float shifted[6] = {101.0f, 102.0f, 103.0f, -1.0f, 0.0f, 0.5f};
    float y2[6];
    nn_activation_forward(&sm, y2, shifted, 2, 3);
    for (int i = 0; i < 6; i++)
        cr_assert_float_eq(y2[i], y[i], 1e-6);
}

Test(activation, softmax_is_stable_for_large_inputs)
{
    nn_activation sm = act(NN_ACT_SOFTMAX, 0);
    float z[2 * 2] = {1000.0f, 1001.0f, -1000.0f, -1001.0f}, y[4];
    nn_activation_forward(&sm, y, z, 2, 2);
    double e = exp(-1.0), lo = e / (1 + e), hi = 1 / (1 + e);
    cr_assert(ieee_ulp_eq(flt, y[0], (float)lo, 4), "y0 = %g", (double)y[0]);
    cr_assert(ieee_ulp_eq(flt, y[1], (float)hi, 4), "y1 = %g", (double)y[1]);
    cr_assert(ieee_ulp_eq(flt, y[2], (float)hi, 4));
    cr_assert(ieee_ulp_eq(flt, y[3], (float)lo, 4));
    /* y may alias z. */
    nn_activation_forward(&sm, z, z, 2, 2);
    for (int i = 0; i < 4; i++)
        cr_assert(ieee_ulp_eq(flt, z[i], y[i], 0));
}

/* dz_i = Σ_j J_ij dy_j with J_ij = y_i (δ_ij − y_j), written out in full. */
Test(activation, softmax_backward_is_jacobian_vector_product)
{
    nn_activation sm = act(NN_ACT_SOFTMAX, 0);
    const float z[2 * 4] = {0.3f, -1.2f, 2.0f, 0.0f, 1.0f, 1.0f, -0.5f, 4.0f};
    const float dy[2 * 4] = {1.0f, -2.0f, 0.5f, 3.0f, -1.0f, 0.0f, 2.0f, 0.25f};
    float y[8], dz[8];
    nn_activation_forward(&sm, y, z, 2, 4);
    nn_activation_backward(&sm, dz, dy, z, y, 2, 4);
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < 4; i++) {
            double s = 0;
            for (int j = 0; j < 4; j++) {
                double J = (double)y[r * 4 + i] *
                           ((i == j ? 1.0 : 0.0) - (double)y[r * 4 + j]);
                s += J * dy[r * 4 + j];
            }
            cr_assert_float_eq(dz[r * 4 + i], s, 1e-6,
                               "row %d: dz[%d] = %g, J·dy = %g", r, i,
                               (double)dz[r * 4 + i], s);
        }
    }
}

/* GELU's tanh form against PyTorch 1.13's F.gelu(approximate="tanh") in
 * float64 (values and autograd derivatives, printed with %.9g): within
 * 2e-6 absolute (a few float operations around one expf). A block of
 * values through nn_activation_forward/backward agrees with the scalar
 * calls exactly. */
Test(activation, gelu_matches_pytorch_tanh_form)
{
    const float xs[8] = {-3, -1, -0.5f, 0, 0.5f, 1, 2, 4};
    const double y[8] = {-0.00363739208, -0.158808009, -0.15428599, 0,
                         0.34571401,     0.841191991,  1.95459769, 3.99992975};
    const double d[8] = {-0.0115841666, -0.0829640838, 0.132630096, 0.5,
                         0.867369904,   1.08296408,    1.08609926, 1.00033512};
    float block[8], dblock[8], ones[8];
    nn_activation g = act(NN_ACT_GELU, 0);
    for (size_t i = 0; i < 8; i++) {
        cr_assert_float_eq(val(NN_ACT_GELU, 0, xs[i]), y[i], 2e-6,
                           "gelu(%g)", (double)xs[i]);
        cr_assert_float_eq(der(NN_ACT_GELU, 0, xs[i]), d[i], 2e-6,
                           "gelu'(%g)", (double)xs[i]);
        ones[i] = 1.0f;
    }
    /* a fine grid against the definition in double */
    for (float x = -8.0f; x <= 8.0f; x += 1.0f / 512) {
        double u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
        double t = tanh(u), ref = 0.5 * x * (1 + t);
        double dref = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.7978845608028654 *
                                          (1 + 3 * 0.044715 * x * x);
        cr_assert_float_eq(val(NN_ACT_GELU, 0, x), ref, 3e-7 * (1 + fabs(x)),
                           "gelu(%g)", (double)x);
        cr_assert_float_eq(der(NN_ACT_GELU, 0, x), dref, 1e-6 * (1 + fabs(x)),
                           "gelu'(%g)", (double)x);
    }
    /* the tanh the forward keeps gives the backward it recomputes */
    float th[8], kept[8], again[8];
    nn_gelu_forward(block, th, xs, 8);
    nn_gelu_backward(kept, ones, xs, th, 8);
    nn_gelu_backward(again, ones, xs, NULL, 8);
    for (size_t i = 0; i < 8; i++)
        cr_assert(ieee_ulp_eq(flt, kept[i], again[i], 0), "kept tanh %zu", i);
    nn_activation_forward(&g, block, xs, 2, 4);
    nn_activation_backward(&g, dblock, ones, xs, block, 2, 4);
    for (size_t i = 0; i < 8; i++) {
        cr_assert(ieee_ulp_eq(flt, block[i], val(NN_ACT_GELU, 0, xs[i]), 0));
        cr_assert(ieee_ulp_eq(flt, dblock[i], der(NN_ACT_GELU, 0, xs[i]), 0));
    }
}

Test(activation, parse_names_and_defaults)
{
    static const char *names[] = {"step", "sign", "sigmoid", "tanh", "relu",
                                  "leaky_relu", "linear", "softmax", "gelu"};
    for (int k = 0; k < NN_ACT_COUNT; k++) {
        nn_activation a = act(NN_ACT_LINEAR, 99);
        nn_error err;
        cr_assert_eq(nn_activation_parse(names[k], &a, "/x", &err), NN_OK);
        cr_assert_eq(a.kind, (nn_act_kind)k);
        cr_assert_str_eq(nn_activation_name(a.kind), names[k]);
        cr_assert(ieee_ulp_eq(flt, a.param,
                              nn_activation_default_param(a.kind), 0));
    }
    cr_assert(ieee_ulp_eq(flt, nn_activation_default_param(NN_ACT_SIGMOID),
                          1.0f, 0));
    cr_assert(ieee_ulp_eq(flt, nn_activation_default_param(NN_ACT_LEAKY_RELU),
                          0.01f, 0));
    cr_assert(ieee_ulp_eq(flt, nn_activation_default_param(NN_ACT_RELU), 0.0f,
                          0));
    cr_assert_str_eq(nn_activation_name((nn_act_kind)42), "?");
}

Test(activation, parse_rejects_unknown_names_with_field)
{
    const char *bad[] = {"Relu", "softplus", "", "sigmoid ", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        nn_activation a;
        nn_error err;
        nn_error_clear(&err);
        nn_status st = nn_activation_parse(bad[i], &a, "/layers/2/activation",
                                           &err);
        cr_assert_eq(st, NN_ERR_INVALID, "'%s' accepted", bad[i]);
        cr_assert_eq(err.code, NN_ERR_INVALID);
        cr_assert_str_eq(err.field, "/layers/2/activation");
        cr_assert_neq(strlen(err.message), 0);
    }
    nn_activation a; /* err may be NULL */
    cr_assert_eq(nn_activation_parse("nope", &a, "/f", NULL), NN_ERR_INVALID);
}

Test(activation, check_rejects_bad_parameters)
{
    struct {
        nn_activation a;
        nn_status want;
    } cases[] = {
        {{NN_ACT_SIGMOID, 1.0f}, NN_OK},
        {{NN_ACT_SIGMOID, 2.5f}, NN_OK},
        {{NN_ACT_SIGMOID, 0.0f}, NN_ERR_INVALID},
        {{NN_ACT_SIGMOID, -1.0f}, NN_ERR_INVALID},
        {{NN_ACT_SIGMOID, NAN}, NN_ERR_INVALID},
        {{NN_ACT_SIGMOID, INFINITY}, NN_ERR_INVALID},
        {{NN_ACT_LEAKY_RELU, 0.0f}, NN_OK},
        {{NN_ACT_LEAKY_RELU, 0.99f}, NN_OK},
        {{NN_ACT_LEAKY_RELU, 1.0f}, NN_ERR_INVALID},
        {{NN_ACT_LEAKY_RELU, -0.01f}, NN_ERR_INVALID},
        {{NN_ACT_LEAKY_RELU, NAN}, NN_ERR_INVALID},
        {{NN_ACT_RELU, 0.0f}, NN_OK},
        {{NN_ACT_COUNT, 0.0f}, NN_ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        nn_error err;
        nn_error_clear(&err);
        nn_status st = nn_activation_check(&cases[i].a, "/layers/0/activation",
                                           &err);
        cr_assert_eq(st, cases[i].want, "case %zu: %s", i, err.message);
        if (st != NN_OK)
            cr_assert_str_eq(err.field, "/layers/0/activation");
    }
}
