/* test_trace.c — nn_trace keeps every layer's z and a: against the
 * independent double forward pass, across workspace chunks, with the
 * model's normalisation, and naming a bad input by its row in X. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>

#include "helpers.h"

#define ROWS 10

static nn_network *net_2_3_2(void)
{
    nn_layer_spec L[2] = {layer(3, NN_ACT_SIGMOID, 2.0f),
                          layer(2, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 2, L, 2, NN_LOSS_CROSS_ENTROPY);
    init_net(net, 3, 0.5f);
    return net;
}

/* Traces X with a workspace of ws_rows rows; checks against ref_forward
 * run on Xref (X as the network sees it, normalised). */
static void check_trace(nn_network *net, const float *X, const float *Xref,
                        size_t ws_rows)
{
    size_t w = nn_trace_width(net);
    cr_assert_eq(w, 5);
    float *Z = malloc(ROWS * w * sizeof *Z), *A = malloc(ROWS * w * sizeof *A);
    double *rz = malloc(ROWS * w * sizeof *rz), *ra = malloc(ROWS * w * sizeof *ra);
    nn_workspace *ws = NULL;
    nn_error err;
    cr_assert_eq(nn_workspace_create(&ws, net, ws_rows, false, &err), NN_OK);
    cr_assert_eq(nn_trace(net, ws, X, ROWS, Z, A, &err), NN_OK, "%s",
                 err.message);
    ref_forward(net, Xref, ROWS, rz, ra);
    for (size_t i = 0; i < ROWS * w; i++) {
        cr_assert_float_eq(Z[i], rz[i], 1e-5, "z %zu: %g vs %g", i,
                           (double)Z[i], rz[i]);
        cr_assert_float_eq(A[i], ra[i], 1e-5, "a %zu", i);
    }
    float out[ROWS * 2];
    cr_assert_eq(nn_predict(net, ws, X, ROWS, out, &err), NN_OK);
    for (size_t i = 0; i < ROWS * 2; i++)
        cr_assert_eq(out[i], A[ROWS * 3 + i], "the last block is the output");
    nn_workspace_free(ws);
    free(Z);
    free(A);
    free(rz);
    free(ra);
}

Test(trace, every_layer_matches_the_reference)
{
    nn_network *net = net_2_3_2();
    float X[ROWS * 2];
    nn_rng rng;
    nn_rng_seed(&rng, 9);
    fill_uniform(X, ROWS * 2, -2.0f, 2.0f, &rng);
    check_trace(net, X, X, ROWS);
    check_trace(net, X, X, 3); /* chunks of 3, 3, 3 and 1 rows */
    nn_network_free(net);
}

Test(trace, applies_the_model_normalisation)
{
    nn_network *net = net_2_3_2();
    float shift[2] = {1.0f, -1.0f}, scale[2] = {0.5f, 2.0f};
    nn_error err;
    cr_assert_eq(nn_network_set_norm(net, NN_NORM_STANDARD, shift, scale, &err),
                 NN_OK);
    float X[ROWS * 2], Xn[ROWS * 2];
    for (size_t i = 0; i < ROWS * 2; i++) {
        X[i] = (float)i / 3.0f;
        Xn[i] = (X[i] - shift[i % 2]) * scale[i % 2];
    }
    check_trace(net, X, Xn, 4);
    nn_network_free(net);
}

Test(trace, names_a_bad_input_by_its_row)
{
    nn_network *net = net_2_3_2();
    float X[ROWS * 2] = {0}, Z[ROWS * 5], A[ROWS * 5];
    X[7 * 2 + 1] = NAN;
    nn_workspace *ws = NULL;
    nn_error err;
    cr_assert_eq(nn_workspace_create(&ws, net, 3, false, &err), NN_OK);
    cr_assert_eq(nn_trace(net, ws, X, ROWS, Z, A, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/inputs/7/1");
    nn_workspace_free(ws);
    nn_network_free(net);
}
