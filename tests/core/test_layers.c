/* test_layers.c — each layer kind alone, through the layer table: shapes
 * and parameter counts, the errors a bad definition gets, and backward
 * against central finite differences of J = Σ R ∘ A(x) for a fixed random
 * R, with respect to the input and to every parameter.
 *
 * Tolerances (as in test_gradcheck.c): EPS 5e-3 on a float forward;
 * normwise  max|a − n| / max(max|a|, max|n|, 1e-3) < 1e-3, per entry
 * |a − n| ≤ 1e-2 · max(|a|, |n|) + 1e-4. Observed normwise errors are
 * stated in the comment of each case's call. Inputs of maxpool are distinct
 * values 0.02 apart, so no ±EPS step changes a window's maximum.
 * Observed (NN_TEST_VERBOSE=1 prints them): normwise errors 9e-7 to 4e-5,
 * the largest for conv2d 4×4 stride 3 same with a sigmoid. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "layers/layer.h"

#define EPS 5e-3f
#define NORM_TOL 1e-3
#define ELEM_REL 1e-2
#define ELEM_ABS 1e-4

static nn_layer_spec pool(nn_layer_kind kind, size_t size, size_t stride)
{
    return (nn_layer_spec){.kind = kind, .size = size, .stride = stride};
}

/* A layer of kind with no fields but a dropout rate (and a linear
 * activation, which batchnorm needs). */
static nn_layer_spec simple(nn_layer_kind kind, float rate)
{
    return (nn_layer_spec){.kind = kind, .rate = rate,
                           .act = act(NN_ACT_LINEAR, 0)};
}

/* One layer's buffers for rows examples, and its J = Σ R ∘ A. */
typedef struct {
    nn_network *net;
    const nn_layer_ops *ops;
    size_t rows, in, out;
    float *X, *Z, *A, *R, *dY, *dX, *dW, *db, *scratch, *saved;
    bool training;
} rig;

static void setup(rig *b, const nn_layer_spec *spec, nn_shape in,
                  size_t rows, bool training, bool distinct)
{
    nn_error err;
    b->net = NULL;
    cr_assert_eq(nn_network_create_shaped(&b->net, NN_MODEL_MLP, &in, spec, 1,
                                          NN_LOSS_MSE, &err),
                 NN_OK, "%s (%s)", err.message, err.field);
    const nn_layer_info *li = &b->net->info[0];
    b->ops = nn_layer_table[spec->kind];
    b->rows = rows;
    b->in = nn_shape_size(&li->in);
    b->out = nn_shape_size(&li->out);
    b->training = training;
    size_t nx = rows * b->in, ny = rows * b->out;
    b->X = malloc(nx * sizeof(float));
    b->dX = malloc(nx * sizeof(float));
    b->Z = malloc(ny * sizeof(float));
    b->A = malloc(ny * sizeof(float));
    b->R = malloc(ny * sizeof(float));
    b->dY = malloc(ny * sizeof(float));
    b->dW = malloc((li->n_w + li->n_b + 1) * sizeof(float));
    b->db = b->dW + li->n_w;
    b->scratch = malloc((li->scratch + 1) * sizeof(float));
    b->saved = malloc((rows * li->saved_per_row + li->saved_fixed + 1) *
                      sizeof(float));
    cr_assert(b->X && b->dX && b->Z && b->A && b->R && b->dY && b->dW &&
              b->scratch && b->saved);
    nn_rng rng;
    nn_rng_seed(&rng, 99);
    fill_uniform(b->net->params, b->net->n_params, -0.5f, 0.5f, &rng);
    if (spec->kind == NN_LAYER_BATCHNORM)
        fill_uniform(b->net->params, li->n_w, 0.5f, 1.5f, &rng); /* γ */
    size_t half = b->net->n_state / 2; /* running μ, then σ² */
    fill_uniform(b->net->state, half, -0.5f, 0.5f, &rng);
    fill_uniform(b->net->state + half, half, 0.5f, 2.0f, &rng);
    fill_uniform(b->R, ny, -1, 1, &rng);
    if (!distinct) {
        fill_uniform(b->X, nx, -1, 1, &rng);
        return;
    }
    size_t *perm = malloc(nx * sizeof *perm);
    cr_assert_not_null(perm);
    for (size_t i = 0; i < nx; i++)
        perm[i] = i;
    nn_rng_shuffle(&rng, perm, nx);
    for (size_t i = 0; i < nx; i++)
        b->X[i] = -1.0f + 0.02f * (float)perm[i];
    free(perm);
}

static nn_layer_ctx ctx(const rig *b)
{
    const nn_network *net = b->net;
    return (nn_layer_ctx){.spec = &net->layers[0], .info = &net->info[0],
                          .W = net->params + net->w_offset[0],
                          .b = net->params + net->b_offset[0],
                          .state = net->state, .scratch = b->scratch,
                          .saved = b->saved, .training = b->training,
                          .seed = 1234, .row0 = 0};
}

static double J(rig *b)
{
    nn_layer_ctx c = ctx(b);
    b->ops->forward(&c, b->Z, b->A, b->X, b->rows);
    double s = 0;
    for (size_t i = 0; i < b->rows * b->out; i++)
        s += (double)b->R[i] * b->A[i];
    return s;
}

/* Compares analytic ana[0..n) with central differences of J in v[0..n);
 * returns the normwise error. */
static double compare(rig *b, float *v, const float *ana, size_t n,
                      const char *name, const char *what)
{
    double maxdiff = 0, maxabs = 1e-3;
    for (size_t i = 0; i < n; i++) {
        float keep = v[i];
        v[i] = keep + EPS;
        double jp = J(b);
        v[i] = keep - EPS;
        double jm = J(b);
        v[i] = keep;
        double num = (jp - jm) / (2.0 * EPS), a = ana[i];
        cr_assert(isfinite(a), "%s: %s %zu is %g", name, what, i, a);
        cr_assert_leq(fabs(a - num), ELEM_REL * fmax(fabs(a), fabs(num)) + ELEM_ABS,
                      "%s: %s %zu analytic %.7g numeric %.7g", name, what, i,
                      a, num);
        maxdiff = fmax(maxdiff, fabs(a - num));
        maxabs = fmax(maxabs, fmax(fabs(a), fabs(num)));
    }
    return maxdiff / maxabs;
}

/* Checks dX and dW, db of one layer; returns the worst normwise error. */
static double layer_gradcheck(const char *name, nn_layer_spec spec,
                              nn_shape in, size_t rows, bool training,
                              bool distinct)
{
    rig b;
    setup(&b, &spec, in, rows, training, distinct);
    const nn_layer_info *li = &b.net->info[0];
    J(&b);
    memcpy(b.dY, b.R, b.rows * b.out * sizeof(float));
    for (size_t i = 0; i < li->n_w + li->n_b; i++)
        b.dW[i] = NAN; /* accumulate = false must overwrite */
    nn_layer_ctx c = ctx(&b);
    b.ops->backward(&c, b.dX, b.dY, false, b.X, b.Z, b.A, b.rows, b.dW, b.db,
                    false);
    float *dX = malloc(b.rows * b.in * sizeof *dX);
    float *dP = malloc((b.net->n_params + 1) * sizeof *dP);
    cr_assert(dX && dP);
    memcpy(dX, b.dX, b.rows * b.in * sizeof *dX);
    memcpy(dP, b.dW, b.net->n_params * sizeof *dP);
    double e = compare(&b, b.X, dX, b.rows * b.in, name, "input");
    cr_assert_lt(e, NORM_TOL, "%s: input gradient normwise error %.3g", name, e);
    double ep = compare(&b, b.net->params, dP, b.net->n_params, name,
                        "parameter");
    cr_assert_lt(ep, NORM_TOL, "%s: parameter normwise error %.3g", name, ep);
    if (getenv("NN_TEST_VERBOSE"))
        fprintf(stderr, "%s: normwise error input %.2e, parameters %.2e\n",
                name, e, ep);
    free(dX);
    free(dP);
    free(b.X), free(b.dX), free(b.Z), free(b.A), free(b.R), free(b.dY);
    free(b.dW), free(b.scratch), free(b.saved);
    nn_network_free(b.net);
    return fmax(e, ep);
}

Test(layers, conv2d_gradients)
{
    layer_gradcheck("conv2d 3x3 valid tanh",
                    conv(3, 3, 3, 1, NN_PAD_VALID, NN_ACT_TANH),
                    image(2, 5, 6), 3, true, false);
    layer_gradcheck("conv2d 3x2 stride 2 same tanh on 7x9",
                    conv(4, 3, 2, 2, NN_PAD_SAME, NN_ACT_TANH),
                    image(2, 7, 9), 2, true, false);
    layer_gradcheck("conv2d 4x4 stride 3 same sigmoid on 5x8",
                    conv(2, 4, 4, 3, NN_PAD_SAME, NN_ACT_SIGMOID),
                    image(3, 5, 8), 2, true, false);
    layer_gradcheck("conv2d 3x3, no training pass: columns built again",
                    conv(3, 3, 3, 1, NN_PAD_VALID, NN_ACT_TANH),
                    image(2, 5, 6), 3, false, false);
    layer_gradcheck("conv2d 1x1 linear", conv(3, 1, 1, 1, NN_PAD_VALID,
                                              NN_ACT_LINEAR),
                    image(2, 3, 4), 2, true, false);
}

Test(layers, pool_gradients)
{
    layer_gradcheck("maxpool 2", pool(NN_LAYER_MAXPOOL2D, 2, 2),
                    image(2, 6, 7), 2, true, true);
    layer_gradcheck("maxpool 2, no training pass: argmax found again",
                    pool(NN_LAYER_MAXPOOL2D, 2, 2), image(2, 6, 7), 2, false,
                    true);
    layer_gradcheck("maxpool 3 stride 1 (overlapping)",
                    pool(NN_LAYER_MAXPOOL2D, 3, 1), image(1, 5, 6), 2, true,
                    true);
    layer_gradcheck("avgpool 2", pool(NN_LAYER_AVGPOOL2D, 2, 2),
                    image(2, 6, 7), 2, true, false);
    layer_gradcheck("avgpool 3 stride 2", pool(NN_LAYER_AVGPOOL2D, 3, 2),
                    image(3, 7, 5), 2, true, false);
}

/* The 2×2 stride 2 pool (its own vectorised loop) takes a tie's first
 * largest, in row order, as every other window size does; the offsets a
 * training pass saves match what backward finds again without them. */
Test(layers, maxpool_2x2_ties_go_to_the_first_largest)
{
    rig b;
    nn_layer_spec spec = pool(NN_LAYER_MAXPOOL2D, 2, 2);
    setup(&b, &spec, image(1, 2, 6), 1, true, false);
    const float x[12] = {1, 1, 3, 2, -1, -2,  /* windows: 1 1 / 1 0, */
                         1, 0, 3, 3, -3, -1}; /* 3 2 / 3 3, -1 -2 / -3 -1 */
    memcpy(b.X, x, sizeof x);
    nn_layer_ctx c = ctx(&b);
    b.ops->forward(&c, b.Z, b.A, b.X, 1);
    const uint32_t *arg = (const uint32_t *)b.saved;
    cr_assert(b.A[0] == 1 && b.A[1] == 3 && b.A[2] == -1, "A = %g %g %g",
              (double)b.A[0], (double)b.A[1], (double)b.A[2]);
    cr_assert(arg[0] == 0 && arg[1] == 2 && arg[2] == 4, "argmax %u %u %u",
              arg[0], arg[1], arg[2]);
    float saved_dx[12];
    const float dy[3] = {1, 2, 4};
    memcpy(b.dY, dy, sizeof dy);
    b.ops->backward(&c, b.dX, b.dY, true, b.X, b.Z, b.A, 1, b.dW, b.db,
                    false);
    memcpy(saved_dx, b.dX, sizeof saved_dx);
    c.training = false; /* backward finds each window's argmax again */
    b.ops->backward(&c, b.dX, b.dY, true, b.X, b.Z, b.A, 1, b.dW, b.db,
                    false);
    cr_assert(memcmp(saved_dx, b.dX, sizeof saved_dx) == 0);
    cr_assert(b.dX[0] == 1 && b.dX[2] == 2 && b.dX[4] == 4);
    free(b.X), free(b.dX), free(b.Z), free(b.A), free(b.R), free(b.dY);
    free(b.dW), free(b.scratch), free(b.saved);
    nn_network_free(b.net);
}

Test(layers, flatten_dropout_batchnorm_gradients)
{
    layer_gradcheck("flatten", simple(NN_LAYER_FLATTEN, 0), image(2, 3, 4), 2,
                    true, false);
    layer_gradcheck("dropout 0.4, fixed mask", simple(NN_LAYER_DROPOUT, 0.4f),
                    image(2, 3, 4), 3, true, false);
    layer_gradcheck("dropout predicting", simple(NN_LAYER_DROPOUT, 0.4f),
                    nn_shape_vector(7), 3, false, false);
    layer_gradcheck("batchnorm image, training",
                    simple(NN_LAYER_BATCHNORM, 0), image(3, 2, 3), 4, true,
                    false);
    layer_gradcheck("batchnorm vector, training",
                    simple(NN_LAYER_BATCHNORM, 0), nn_shape_vector(5), 6, true,
                    false);
    nn_layer_spec bn_tanh = simple(NN_LAYER_BATCHNORM, 0);
    bn_tanh.act = act(NN_ACT_TANH, 0);
    layer_gradcheck("batchnorm + tanh, training", bn_tanh, image(2, 3, 2), 3,
                    true, false);
    layer_gradcheck("batchnorm predicting (running statistics)",
                    simple(NN_LAYER_BATCHNORM, 0), image(2, 2, 2), 3, false,
                    false);
}

/* Expects nn_network_create_shaped to fail with code at field, the message
 * containing `needle` (the shapes involved). */
static void assert_refused(nn_shape in, const nn_layer_spec *L, size_t n,
                           nn_status code, const char *field,
                           const char *needle)
{
    nn_network *net = NULL;
    nn_error err;
    nn_error_clear(&err);
    nn_status st = nn_network_create_shaped(&net, NN_MODEL_MLP, &in, L, n,
                                            NN_LOSS_MSE, &err);
    cr_assert_eq(st, code, "%s: got %s (%s)", field, nn_status_name(st),
                 err.message);
    cr_assert_null(net);
    cr_assert_str_eq(err.field, field, "message: %s", err.message);
    if (needle)
        cr_assert(strstr(err.message, needle), "%s: '%s' lacks '%s'", field,
                  err.message, needle);
}

Test(layers, shapes_and_parameter_counts)
{
    nn_layer_spec L[7] = {conv(32, 3, 3, 1, NN_PAD_VALID, NN_ACT_RELU),
                          pool(NN_LAYER_MAXPOOL2D, 2, 2),
                          conv(64, 3, 3, 1, NN_PAD_VALID, NN_ACT_RELU),
                          pool(NN_LAYER_MAXPOOL2D, 2, 2),
                          simple(NN_LAYER_FLATTEN, 0),
                          layer(128, NN_ACT_RELU, 0),
                          layer(10, NN_ACT_SOFTMAX, 0)};
    nn_shape in = image(1, 28, 28);
    nn_network *net = NULL;
    nn_error err;
    cr_assert_eq(nn_network_create_shaped(&net, NN_MODEL_MLP, &in, L, 7,
                                          NN_LOSS_CROSS_ENTROPY, &err),
                 NN_OK, "%s", err.message);
    const char *want[7] = {"[32, 26, 26]", "[32, 13, 13]", "[64, 11, 11]",
                           "[64, 5, 5]", "[1600]", "[128]", "[10]"};
    size_t params[7] = {320, 0, 18496, 0, 0, 204928, 1290}, total = 0;
    for (size_t k = 0; k < 7; k++) {
        char got[64];
        nn_shape_format(&net->info[k].out, got, sizeof got);
        cr_assert_str_eq(got, want[k], "layer %zu", k);
        cr_assert_eq(net->info[k].n_w + net->info[k].n_b, params[k],
                     "layer %zu", k);
        total += params[k];
    }
    cr_assert_eq(net->n_params, total);
    cr_assert_eq(nn_network_outputs(net), 10);
    nn_network_free(net);

    nn_layer_spec S[2] = {conv(5, 3, 2, 2, NN_PAD_SAME, NN_ACT_TANH),
                          simple(NN_LAYER_BATCHNORM, 0)};
    in = image(2, 7, 9);
    cr_assert_eq(nn_network_create_shaped(&net, NN_MODEL_MLP, &in, S, 2,
                                          NN_LOSS_MSE, &err),
                 NN_OK, "%s", err.message);
    cr_assert_eq(net->info[0].out.dim[1], 4, "⌈7/2⌉");
    cr_assert_eq(net->info[0].out.dim[2], 5, "⌈9/2⌉");
    cr_assert_eq(net->n_state, 10, "running mean and variance of 5 channels");
    cr_assert_eq(net->params[net->w_offset[1]], 1.0f, "γ starts at 1");
    cr_assert_eq(net->state[5], 1.0f, "running variance starts at 1");
    nn_network_free(net);
}

Test(layers, bad_definitions_name_the_field_and_shapes)
{
    nn_layer_spec big[1] = {conv(2, 5, 5, 1, NN_PAD_VALID, NN_ACT_RELU)};
    assert_refused(image(1, 3, 3), big, 1, NN_ERR_INVALID, "/layers/0/kernel",
                   "[1, 3, 3]");
    nn_layer_spec rect[1] = {conv(2, 2, 5, 1, NN_PAD_VALID, NN_ACT_RELU)};
    assert_refused(image(1, 4, 4), rect, 1, NN_ERR_INVALID, "/layers/0/kernel",
                   "at most 4×4");
    nn_layer_spec stride0[2] = {simple(NN_LAYER_FLATTEN, 0),
                                conv(2, 1, 1, 0, NN_PAD_VALID, NN_ACT_RELU)};
    assert_refused(image(1, 4, 4), stride0 + 1, 1, NN_ERR_INVALID,
                   "/layers/0/stride", NULL);
    nn_layer_spec dense_on_image[1] = {layer(3, NN_ACT_LINEAR, 0)};
    assert_refused(image(1, 4, 4), dense_on_image, 1, NN_ERR_INVALID,
                   "/layers/0/type", "flatten");
    nn_layer_spec conv_on_vector[2] = {simple(NN_LAYER_FLATTEN, 0),
                                       conv(2, 1, 1, 1, NN_PAD_VALID,
                                            NN_ACT_RELU)};
    assert_refused(image(1, 4, 4), conv_on_vector, 2, NN_ERR_INVALID,
                   "/layers/1/type", "[16]");
    nn_layer_spec drop1[2] = {simple(NN_LAYER_FLATTEN, 0),
                              simple(NN_LAYER_DROPOUT, 1.0f)};
    assert_refused(image(1, 4, 4), drop1, 2, NN_ERR_INVALID, "/layers/1/rate",
                   NULL);
    drop1[1].rate = NAN;
    assert_refused(image(1, 4, 4), drop1, 2, NN_ERR_INVALID, "/layers/1/rate",
                   NULL);
    nn_layer_spec absurd[1] = {conv(1000000000, 3, 3, 1, NN_PAD_SAME,
                                    NN_ACT_RELU)};
    assert_refused(image(3, 32, 32), absurd, 1, NN_ERR_TOO_LARGE,
                   "/layers/0/filters", NULL);
    nn_layer_spec softmax[1] = {conv(2, 1, 1, 1, NN_PAD_VALID,
                                     NN_ACT_SOFTMAX)};
    assert_refused(image(1, 4, 4), softmax, 1, NN_ERR_INVALID,
                   "/layers/0/activation", NULL);
    nn_layer_spec window[2] = {conv(2, 3, 3, 1, NN_PAD_VALID, NN_ACT_RELU),
                               pool(NN_LAYER_MAXPOOL2D, 3, 3)};
    assert_refused(image(1, 4, 4), window, 2, NN_ERR_INVALID, "/layers/1/size",
                   "[2, 2, 2]");
    window[1].size = 0;
    assert_refused(image(1, 4, 4), window, 2, NN_ERR_INVALID, "/layers/1/size",
                   NULL);
    window[1] = pool(NN_LAYER_AVGPOOL2D, 2, 0);
    assert_refused(image(1, 4, 4), window, 2, NN_ERR_INVALID,
                   "/layers/1/stride", NULL);
    nn_layer_spec huge_out[1] = {conv(4096, 1, 1, 1, NN_PAD_SAME,
                                      NN_ACT_RELU)};
    assert_refused(image(1, 1024, 1024), huge_out, 1, NN_ERR_TOO_LARGE,
                   "/layers/0", NULL);
    assert_refused(image(0, 4, 4), huge_out, 1, NN_ERR_INVALID,
                   "/input_shape", NULL);
    nn_layer_spec bad_kind[1] = {simple((nn_layer_kind)99, 0)};
    assert_refused(nn_shape_vector(3), bad_kind, 1, NN_ERR_INVALID,
                   "/layers/0/type", NULL);
}
