/* test_rnn.c — the sequence layers (embedding, rnn, lstm, gru, dense at
 * every position): gradient checks through time of whole stacks
 * (nn_forward_train + nn_backward against central differences of the
 * loss, every parameter), with return_sequences both ways and windows of
 * several steps; the prediction path (row by row in scratch) against the
 * training path (rows batched); shapes and refusals; save and load.
 *
 * Tolerances as in test_gradcheck.c: per entry |a − n| ≤ 1e-2 · max(|a|,
 * |n|) + 1e-4, normwise max|a − n| / max(max|a|, max|n|, 1e-3) < 1e-3,
 * with EPS 5e-3 (float forward). There is no kink in tanh or σ, so every
 * entry is checked. Observed (NN_TEST_VERBOSE=1): normwise 1e-5 to 1e-4. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "layers/recurrent.h"

static nn_layer_spec embedding(size_t dim, size_t vocab, bool positions)
{
    return (nn_layer_spec){.kind = NN_LAYER_EMBEDDING, .units = dim,
                           .vocab = vocab, .positions = positions};
}

static nn_layer_spec recurrent(nn_layer_kind kind, size_t units,
                               bool sequences)
{
    return (nn_layer_spec){.kind = kind, .units = units,
                           .return_sequences = sequences};
}

static nn_network *shaped(nn_shape in, const nn_layer_spec *L, size_t n)
{
    return shaped_net(in, L, n, NN_LOSS_CROSS_ENTROPY);
}

static nn_shape sequence(size_t T, size_t D)
{
    return (nn_shape){.rank = 2, .dim = {T, D, 0}};
}

/* A kind over a window of T steps of D values, H units: to its last step
 * and from every step, each into a dense softmax. */
static void kind_gradchecks(nn_layer_kind kind, size_t T, size_t D, size_t H)
{
    char name[96];
    const char *k = nn_layer_kind_name(kind);
    for (int every = 0; every <= 1; every++) {
        nn_layer_spec L[2] = {recurrent(kind, H, every),
                              layer(every ? 4 : 3, NN_ACT_SOFTMAX, 0)};
        snprintf(name, sizeof name, "%s %zu steps → %s → dense", k, T,
                 every ? "every step" : "last");
        seq_gradcheck(name, sequence(T, D), L, 2, 3, 0);
    }
}

Test(rnn, rnn_gradients_through_time)
{
    kind_gradchecks(NN_LAYER_RNN, 5, 3, 4);
}

Test(rnn, lstm_gradients_through_time)
{
    kind_gradchecks(NN_LAYER_LSTM, 6, 2, 4);
}

Test(rnn, gru_gradients_through_time)
{
    kind_gradchecks(NN_LAYER_GRU, 5, 3, 4);
}

Test(rnn, embedding_stacks_gradients)
{
    nn_layer_spec lm[3] = {embedding(3, 7, true),
                           recurrent(NN_LAYER_LSTM, 4, true),
                           layer(7, NN_ACT_SOFTMAX, 0)};
    seq_gradcheck("embedding+positions → lstm → dense every step",
                       nn_shape_vector(5), lm, 3, 3, 7);
    nn_layer_spec deep[4] = {embedding(4, 6, false),
                             recurrent(NN_LAYER_GRU, 3, true),
                             recurrent(NN_LAYER_RNN, 4, false),
                             layer(6, NN_ACT_SOFTMAX, 0)};
    seq_gradcheck("embedding → gru → rnn last → dense",
                       nn_shape_vector(4), deep, 4, 2, 6);
}

/* Predictions (row by row) equal the training pass (rows batched). */
Test(rnn, prediction_path_matches_training_path)
{
    nn_layer_kind kinds[3] = {NN_LAYER_RNN, NN_LAYER_LSTM, NN_LAYER_GRU};
    for (size_t k = 0; k < 3; k++) {
        nn_layer_spec L[3] = {embedding(3, 5, true), recurrent(kinds[k], 4,
                                                               true),
                              layer(5, NN_ACT_SOFTMAX, 0)};
        grad_stack s = seq_stack(nn_shape_vector(6), L, 3, 4, 5);
        free(assert_paths_agree(&s, nn_layer_kind_name(kinds[k])));
        stack_free(&s);
    }
}

Test(rnn, shapes_parameters_and_refusals)
{
    nn_layer_spec L[3] = {embedding(8, 65, true),
                          recurrent(NN_LAYER_LSTM, 16, false),
                          layer(65, NN_ACT_SOFTMAX, 0)};
    nn_network *net = shaped(nn_shape_vector(10), L, 3);
    cr_assert_eq(net->info[0].out.rank, 2);
    cr_assert_eq(net->info[0].out.dim[0], 10);
    cr_assert_eq(net->info[0].out.dim[1], 8);
    cr_assert_eq(net->info[1].out.rank, 1);
    cr_assert_eq(net->info[1].out.dim[0], 16);
    /* PyTorch's counts: 65·8 + 10·8; 4·16·(8 + 16) + 2·4·16; 16·65 + 65 */
    cr_assert_eq(net->n_params, 600 + 1664 + 1105);
    nn_network_free(net);
    nn_layer_spec gru[1] = {recurrent(NN_LAYER_GRU, 5, true)};
    net = shaped_net(sequence(7, 3), gru, 1, NN_LOSS_MSE);
    cr_assert_eq(net->n_params, 3 * 5 * (3 + 5) + 2 * 3 * 5);
    cr_assert_eq(net->info[0].out.dim[0], 7);
    nn_network_free(net);

    nn_error err;
    nn_network *bad = NULL;
    nn_layer_spec on_vector[1] = {recurrent(NN_LAYER_RNN, 4, true)};
    nn_shape vec = nn_shape_vector(5);
    cr_assert_eq(nn_network_create_shaped(&bad, NN_MODEL_MLP, &vec,
                                          on_vector, 1, NN_LOSS_MSE, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/layers/0/type");
    nn_layer_spec no_vocab[1] = {embedding(4, 0, false)};
    cr_assert_eq(nn_network_create_shaped(&bad, NN_MODEL_MLP, &vec,
                                          no_vocab, 1, NN_LOSS_MSE, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/layers/0/vocab");
    nn_shape seq = sequence(3, 2);
    nn_layer_spec emb_on_seq[1] = {embedding(4, 5, false)};
    cr_assert_eq(nn_network_create_shaped(&bad, NN_MODEL_MLP, &seq,
                                          emb_on_seq, 1, NN_LOSS_MSE, &err),
                 NN_ERR_INVALID);
    cr_assert_null(bad);
}

/* An id that is no token looks up zeros (plus the position). */
Test(rnn, embedding_ignores_ids_out_of_range)
{
    nn_layer_spec L[1] = {embedding(2, 3, false)};
    nn_network *net = shaped_net(nn_shape_vector(4), L, 1, NN_LOSS_MSE);
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] = (float)(i + 1);
    nn_workspace *ws = NULL;
    cr_assert_eq(nn_workspace_create(&ws, net, 1, false, NULL), NN_OK);
    const float X[4] = {2, -1, 3, NAN};
    const float *A = nn_forward(net, ws, X, 1);
    const float want[8] = {5, 6, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < 8; i++)
        cr_assert_float_eq(A[i], want[i], 0, "entry %zu", i);
    nn_workspace_free(ws);
    nn_network_free(net);
}

Test(rnn, save_and_load_keep_the_sequence_fields)
{
    nn_layer_spec L[3] = {embedding(3, 5, true),
                          recurrent(NN_LAYER_GRU, 4, false),
                          layer(5, NN_ACT_SOFTMAX, 0)};
    grad_stack s = seq_stack(nn_shape_vector(6), L, 3, 2, 5);
    nn_network *back = assert_round_trip(s.net);
    nn_network_free(back);
    stack_free(&s);
}

/* The cells' tanh against tanh in double: a few float ulp everywhere,
 * odd, and exactly ±1 far out. */
Test(rnn, fast_tanh_is_accurate)
{
    double worst = 0;
    for (int i = -200000; i <= 200000; i++) {
        float x = (float)i * 1e-4f;
        double want = tanh((double)x), got = nn_tanhf(x);
        double err = fabs(got - want) / fmax(fabs(want), 1e-30);
        worst = err > worst ? err : worst;
        cr_assert(nn_tanhf(-x) == -nn_tanhf(x), "not odd at %g", (double)x);
    }
    cr_assert_lt(worst, 4e-7, "max relative error %g", worst);
    cr_assert(nn_tanhf(0.0f) == 0.0f);
    cr_assert(nn_tanhf(40.0f) == 1.0f);
    cr_assert(nn_tanhf(-1e30f) == -1.0f);
}
