/* test_gradcheck.c — backpropagation against central finite differences.
 *
 * The analytic gradient is nn_forward + nn_backward with scale = 1/B and
 * accumulate = false. The numeric one perturbs each parameter by ±EPS and
 * differentiates J = nn_forward_loss / B (float forward, as the library
 * computes it). Tolerances, stated once:
 *   normwise:  max_i |a_i − n_i| / max(max|a|, max|n|, 1e-3) < NORM_TOL
 *   per entry: |a_i − n_i| ≤ ELEM_REL · max(|a_i|, |n_i|) + ELEM_ABS
 * (Observed errors are ~1e-5 normwise: float round-off over 2·EPS plus
 * EPS² truncation.) Nets with relu/leaky units are drawn (by seed) so that
 * every such unit's pre-activation is at least MARGIN away from the kink
 * and no such layer is entirely dead, and every perturbation is checked not
 * to move any unit across its kink. Every layer must receive a non-zero
 * gradient, so that no case passes vacuously. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define EPS 5e-3f
#define NORM_TOL 1e-3
#define ELEM_REL 1e-2
#define ELEM_ABS 1e-4
#define MARGIN 0.05
#define BATCH 4

static bool is_kinked(nn_act_kind k)
{
    return k == NN_ACT_RELU || k == NN_ACT_LEAKY_RELU;
}

/* Smallest |z| over the relu/leaky units of a reference forward pass; 0
 * when a relu/leaky layer has no unit above its kink in any row. */
static double kink_margin(const nn_network *net, const double *Z, size_t rows)
{
    double m = INFINITY;
    size_t off = 0;
    for (size_t k = 0; k < net->n_layers; k++) {
        size_t n = rows * net->layers[k].units;
        bool alive = false;
        if (is_kinked(net->layers[k].act.kind)) {
            for (size_t i = 0; i < n; i++) {
                m = fmin(m, fabs(Z[off + i]));
                alive |= Z[off + i] > 0;
            }
            if (!alive)
                return 0;
        }
        off += n;
    }
    return m;
}

static bool same_kink_sides(const nn_network *net, const double *Z0,
                            const double *Z1, size_t rows)
{
    size_t off = 0;
    for (size_t k = 0; k < net->n_layers; k++) {
        size_t n = rows * net->layers[k].units;
        if (is_kinked(net->layers[k].act.kind))
            for (size_t i = 0; i < n; i++)
                if ((Z0[off + i] > 0) != (Z1[off + i] > 0))
                    return false;
        off += n;
    }
    return true;
}

static void fill_targets(const nn_network *net, float *Y, size_t rows,
                         nn_rng *rng)
{
    size_t outs = nn_network_outputs(net);
    nn_act_kind out = net->layers[net->n_layers - 1].act.kind;
    if (net->loss == NN_LOSS_CROSS_ENTROPY) {
        fill_one_hot(Y, rows, outs, rng);
    } else if (net->loss == NN_LOSS_BCE) {
        for (size_t i = 0; i < rows * outs; i++)
            Y[i] = (float)nn_rng_below(rng, 2);
    } else if (out == NN_ACT_SIGMOID || out == NN_ACT_SOFTMAX) {
        fill_uniform(Y, rows * outs, 0, 1, rng);
    } else {
        fill_uniform(Y, rows * outs, -1, 1, rng);
    }
}

/* The loss of the reference forward pass, summed over rows, in double. */
static double ref_loss(const nn_network *net, const double *O, const float *Y,
                       size_t rows)
{
    size_t n = rows * nn_network_outputs(net);
    double J = 0;
    for (size_t i = 0; i < n; i++) {
        if (net->loss == NN_LOSS_CROSS_ENTROPY)
            J -= Y[i] * log(O[i]);
        else if (net->loss == NN_LOSS_BCE)
            J -= Y[i] * log(O[i]) + (1 - Y[i]) * log(1 - O[i]);
        else
            J += 0.5 * (O[i] - Y[i]) * (O[i] - Y[i]);
    }
    return J;
}

typedef struct {
    nn_network *net;
    float *X, *Y;
    double *Z, *A, *Zp;
    size_t rows;
} fixture;

/* Draws weights, biases, inputs and targets from seeds ≥ seed until the
 * relu/leaky units (if any) are MARGIN away from their kink. */
static void make_fixture(fixture *f, const char *name, size_t inputs,
                         const nn_layer_spec *layers, size_t n_layers,
                         nn_loss_kind loss, size_t rows, uint64_t seed)
{
    f->net = make_net(NN_MODEL_MLP, inputs, layers, n_layers, loss);
    f->rows = rows;
    size_t outs = nn_network_outputs(f->net), zs = rows * units_total(f->net);
    f->X = malloc(rows * inputs * sizeof *f->X);
    f->Y = malloc(rows * outs * sizeof *f->Y);
    f->Z = malloc(zs * sizeof *f->Z);
    f->A = malloc(zs * sizeof *f->A);
    f->Zp = malloc(zs * sizeof *f->Zp);
    cr_assert(f->X && f->Y && f->Z && f->A && f->Zp);
    for (uint64_t s = seed; s < seed + 1000; s++) {
        nn_rng rng;
        nn_rng_seed(&rng, s * 7919);
        init_net(f->net, s, 0.5f);
        fill_uniform(f->X, rows * inputs, -1, 1, &rng);
        fill_targets(f->net, f->Y, rows, &rng);
        ref_forward(f->net, f->X, rows, f->Z, f->A);
        if (kink_margin(f->net, f->Z, rows) > MARGIN)
            return;
    }
    cr_fatal("%s: no seed puts every relu unit %g from its kink", name,
                   MARGIN);
}

static void free_fixture(fixture *f)
{
    nn_network_free(f->net);
    free(f->X);
    free(f->Y);
    free(f->Z);
    free(f->A);
    free(f->Zp);
}

/* Numeric gradient of J = Σ loss / rows by central differences. */
static void numeric_grad(fixture *f, nn_workspace *ws, float *num)
{
    nn_network *net = f->net;
    for (size_t i = 0; i < net->n_params; i++) {
        float p = net->params[i];
        double J[2];
        for (int s = 0; s < 2; s++) {
            net->params[i] = s ? p - EPS : p + EPS;
            nn_forward(net, ws, f->X, f->rows);
            J[s] = nn_forward_loss(net, ws, f->Y, f->rows) / (double)f->rows;
            ref_forward(net, f->X, f->rows, f->Zp, f->A);
            cr_assert(same_kink_sides(net, f->Z, f->Zp, f->rows),
                      "perturbing parameter %zu crosses a kink", i);
        }
        net->params[i] = p;
        num[i] = (float)((J[0] - J[1]) / (2.0 * (double)EPS));
    }
}

static void gradcheck_rows(const char *name, size_t inputs,
                           const nn_layer_spec *layers, size_t n_layers,
                           nn_loss_kind loss, size_t rows, uint64_t seed)
{
    fixture f;
    make_fixture(&f, name, inputs, layers, n_layers, loss, rows, seed);
    nn_network *net = f.net;
    size_t P = net->n_params, outs = nn_network_outputs(net);
    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, net, rows, true, NULL), NN_OK);
    float *ana = malloc(P * sizeof *ana), *num = malloc(P * sizeof *num);
    cr_assert(ana && num);
    for (size_t i = 0; i < P; i++)
        ana[i] = NAN; /* accumulate = false must overwrite this */

    /* The forward pass and its loss agree with the reference. */
    const float *o = nn_forward(net, ws, f.X, rows);
    const double *O = ref_forward(net, f.X, rows, f.Z, f.A);
    for (size_t i = 0; i < rows * outs; i++)
        cr_assert_float_eq(o[i], O[i], 1e-5 * fmax(1, fabs(O[i])),
                           "%s: output %zu is %g, reference %g", name, i,
                           (double)o[i], O[i]);
    double J = nn_forward_loss(net, ws, f.Y, rows);
    double Jref = ref_loss(net, O, f.Y, rows);
    cr_assert_float_eq(J, Jref, 1e-5 * fmax(1, fabs(Jref)),
                       "%s: loss %g, reference %g", name, J, Jref);
    double Jb = nn_backward(net, ws, f.X, f.Y, rows, 1.0f / (float)rows, ana,
                            false);
    cr_assert_float_eq(Jb, J, 1e-9 * fmax(1, fabs(J)),
                       "%s: nn_backward returns the unscaled Σ loss", name);

    numeric_grad(&f, ws, num);
    double maxdiff = 0, maxabs = 1e-3;
    size_t worst = 0;
    for (size_t i = 0; i < P; i++) {
        double a = ana[i], n = num[i], d = fabs(a - n);
        cr_assert(isfinite(a), "%s: analytic gradient %zu is %g", name, i, a);
        if (d > maxdiff) {
            maxdiff = d;
            worst = i;
        }
        maxabs = fmax(maxabs, fmax(fabs(a), fabs(n)));
        cr_assert_leq(d, ELEM_REL * fmax(fabs(a), fabs(n)) + ELEM_ABS,
                      "%s: parameter %zu analytic %.7g numeric %.7g", name, i,
                      a, n);
    }
    for (size_t k = 0; k < net->n_layers; k++) {
        size_t begin = net->w_offset[k], end = net->b_offset[k];
        double m = 0;
        for (size_t i = begin; i < end; i++)
            m = fmax(m, fabsf(ana[i]));
        cr_assert_gt(m, 1e-4, "%s: layer %zu gets no gradient", name, k);
    }
    cr_assert_lt(maxdiff / maxabs, NORM_TOL,
                 "%s: normwise error %.3g (parameter %zu: analytic %.7g, "
                 "numeric %.7g)",
                 name, maxdiff / maxabs, worst, (double)ana[worst],
                 (double)num[worst]);
    free(ana);
    free(num);
    nn_workspace_free(ws);
    free_fixture(&f);
}

static void gradcheck(const char *name, size_t inputs,
                      const nn_layer_spec *layers, size_t n_layers,
                      nn_loss_kind loss, uint64_t seed)
{
    gradcheck_rows(name, inputs, layers, n_layers, loss, BATCH, seed);
}

/* Every differentiable activation, with its parameter. */
static const struct {
    const char *name;
    nn_act_kind kind;
    float param;
} acts[] = {
    {"sigmoid k=1", NN_ACT_SIGMOID, 1.0f},
    {"sigmoid k=2.5", NN_ACT_SIGMOID, 2.5f},
    {"tanh", NN_ACT_TANH, 0},
    {"relu", NN_ACT_RELU, 0},
    {"leaky_relu a=0.1", NN_ACT_LEAKY_RELU, 0.1f},
    {"linear", NN_ACT_LINEAR, 0},
    {"softmax", NN_ACT_SOFTMAX, 0},
};
#define N_ACTS (sizeof acts / sizeof *acts)

Test(gradcheck, hidden_activation_linear_output_mse)
{
    for (size_t a = 0; a < N_ACTS; a++) {
        nn_layer_spec L[2] = {layer(6, acts[a].kind, acts[a].param),
                              layer(3, NN_ACT_LINEAR, 0)};
        gradcheck(acts[a].name, 4, L, 2, NN_LOSS_MSE, 10 + a);
    }
}

Test(gradcheck, output_activation_mse)
{
    for (size_t a = 0; a < N_ACTS; a++) {
        nn_layer_spec L[2] = {layer(5, NN_ACT_TANH, 0),
                              layer(3, acts[a].kind, acts[a].param)};
        gradcheck(acts[a].name, 4, L, 2, NN_LOSS_MSE, 20 + a);
    }
}

Test(gradcheck, softmax_output_cross_entropy)
{
    for (size_t a = 0; a < N_ACTS; a++) {
        nn_layer_spec L[2] = {layer(6, acts[a].kind, acts[a].param),
                              layer(3, NN_ACT_SOFTMAX, 0)};
        gradcheck(acts[a].name, 4, L, 2, NN_LOSS_CROSS_ENTROPY, 30 + a);
    }
}

Test(gradcheck, sigmoid_output_bce)
{
    const float ks[] = {1.0f, 2.5f};
    for (size_t k = 0; k < 2; k++) {
        for (size_t a = 0; a < N_ACTS; a++) {
            char name[64];
            snprintf(name, sizeof name, "%s → sigmoid k=%g", acts[a].name,
                     (double)ks[k]);
            nn_layer_spec L[2] = {layer(6, acts[a].kind, acts[a].param),
                                  layer(2, NN_ACT_SIGMOID, ks[k])};
            gradcheck(name, 4, L, 2, NN_LOSS_BCE, 40 + 10 * k + a);
        }
    }
}

Test(gradcheck, single_layer_networks)
{
    nn_layer_spec ce[1] = {layer(3, NN_ACT_SOFTMAX, 0)};
    gradcheck("3→softmax 3, cross_entropy", 3, ce, 1, NN_LOSS_CROSS_ENTROPY, 1);
    nn_layer_spec bce[1] = {layer(1, NN_ACT_SIGMOID, 2.5f)};
    gradcheck("3→sigmoid 1, bce", 3, bce, 1, NN_LOSS_BCE, 2);
    nn_layer_spec mse[1] = {layer(2, NN_ACT_LINEAR, 0)};
    gradcheck("3→linear 2, mse", 3, mse, 1, NN_LOSS_MSE, 3);
}

Test(gradcheck, deep_mixed_widths_5_7_3_4)
{
    nn_layer_spec a[3] = {layer(7, NN_ACT_TANH, 0), layer(3, NN_ACT_RELU, 0),
                          layer(4, NN_ACT_SOFTMAX, 0)};
    gradcheck("5-7-3-4 tanh relu softmax, ce", 5, a, 3,
              NN_LOSS_CROSS_ENTROPY, 100);
    nn_layer_spec b[3] = {layer(7, NN_ACT_LEAKY_RELU, 0.05f),
                          layer(3, NN_ACT_SIGMOID, 2.5f),
                          layer(4, NN_ACT_LINEAR, 0)};
    gradcheck("5-7-3-4 leaky sigmoid linear, mse", 5, b, 3, NN_LOSS_MSE, 200);
    nn_layer_spec c[3] = {layer(7, NN_ACT_SOFTMAX, 0),
                          layer(3, NN_ACT_TANH, 0),
                          layer(4, NN_ACT_SIGMOID, 1.0f)};
    gradcheck("5-7-3-4 softmax tanh sigmoid, bce", 5, c, 3, NN_LOSS_BCE, 300);
}

Test(gradcheck, deep_mixed_widths_3_1_6_2)
{
    nn_layer_spec a[3] = {layer(1, NN_ACT_TANH, 0),
                          layer(6, NN_ACT_LEAKY_RELU, 0.2f),
                          layer(2, NN_ACT_SIGMOID, 1.0f)};
    gradcheck("3-1-6-2 tanh leaky sigmoid, bce", 3, a, 3, NN_LOSS_BCE, 400);
    nn_layer_spec b[3] = {layer(1, NN_ACT_SIGMOID, 2.5f),
                          layer(6, NN_ACT_LINEAR, 0),
                          layer(2, NN_ACT_SOFTMAX, 0)};
    gradcheck("3-1-6-2 sigmoid linear softmax, ce", 3, b, 3,
              NN_LOSS_CROSS_ENTROPY, 500);
    nn_layer_spec c[3] = {layer(1, NN_ACT_RELU, 0), layer(6, NN_ACT_TANH, 0),
                          layer(2, NN_ACT_RELU, 0)};
    gradcheck("3-1-6-2 relu tanh relu, mse", 3, c, 3, NN_LOSS_MSE, 600);
}

Test(gradcheck, four_hidden_layers)
{
    nn_layer_spec L[5] = {layer(8, NN_ACT_RELU, 0), layer(5, NN_ACT_TANH, 0),
                          layer(9, NN_ACT_SIGMOID, 1.0f),
                          layer(4, NN_ACT_LEAKY_RELU, 0.01f),
                          layer(3, NN_ACT_SOFTMAX, 0)};
    gradcheck("6-8-5-9-4-3, ce", 6, L, 5, NN_LOSS_CROSS_ENTROPY, 700);
}

/* The 1/B scale is the caller's: one row, and an odd number of rows. */
Test(gradcheck, batch_of_one_and_of_seven)
{
    nn_layer_spec L[2] = {layer(5, NN_ACT_TANH, 0),
                          layer(3, NN_ACT_SOFTMAX, 0)};
    gradcheck_rows("batch 1", 4, L, 2, NN_LOSS_CROSS_ENTROPY, 1, 800);
    gradcheck_rows("batch 7", 4, L, 2, NN_LOSS_CROSS_ENTROPY, 7, 900);
}

/* accumulate = true adds the new gradient to what grads held. The sums are
 * formed in a different order, so 1e-6 relative to the larger term. */
Test(gradcheck, accumulate_adds_to_existing_gradients)
{
    nn_layer_spec L[3] = {layer(7, NN_ACT_TANH, 0),
                          layer(3, NN_ACT_SIGMOID, 1.0f),
                          layer(4, NN_ACT_SOFTMAX, 0)};
    fixture f;
    make_fixture(&f, "accumulate", 5, L, 3, NN_LOSS_CROSS_ENTROPY, BATCH, 77);
    size_t P = f.net->n_params;
    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, f.net, BATCH, true, NULL), NN_OK);
    float *g = malloc(P * sizeof *g), *acc = malloc(P * sizeof *acc);
    float *g0 = malloc(P * sizeof *g0);
    cr_assert(g && acc && g0);
    nn_rng rng;
    nn_rng_seed(&rng, 5);
    fill_uniform(g0, P, -2, 2, &rng);
    memcpy(acc, g0, P * sizeof *acc);

    nn_forward(f.net, ws, f.X, BATCH);
    nn_backward(f.net, ws, f.X, f.Y, BATCH, 0.25f, g, false);
    nn_forward(f.net, ws, f.X, BATCH);
    nn_backward(f.net, ws, f.X, f.Y, BATCH, 0.25f, acc, true);
    double gmax = 0;
    for (size_t i = 0; i < P; i++)
        gmax = fmax(gmax, fabsf(g[i]));
    cr_assert_gt(gmax, 1e-3, "the gradient must not vanish for this test");
    for (size_t i = 0; i < P; i++) {
        double want = (double)g0[i] + g[i];
        cr_assert_float_eq(acc[i], want,
                           1e-6 * fmax(fabsf(g0[i]), fabsf(g[i])) + 1e-7,
                           "parameter %zu: %g + %g gave %g", i, (double)g0[i],
                           (double)g[i], (double)acc[i]);
    }
    /* Twice accumulated from zero is twice the gradient. */
    memset(acc, 0, P * sizeof *acc);
    for (int t = 0; t < 2; t++) {
        nn_forward(f.net, ws, f.X, BATCH);
        nn_backward(f.net, ws, f.X, f.Y, BATCH, 0.25f, acc, true);
    }
    for (size_t i = 0; i < P; i++)
        cr_assert_float_eq(acc[i], 2.0 * g[i], 1e-6 * fabsf(g[i]) + 1e-7);
    free(g);
    free(acc);
    free(g0);
    nn_workspace_free(ws);
    free_fixture(&f);
}
