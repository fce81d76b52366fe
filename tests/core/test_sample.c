/* test_sample.c — generation from a language model: the state carried
 * token by token gives the logits a full forward pass over the same
 * prefix gives (rnn, lstm, gru, stacked with dense and dropout, past the
 * window); a window slides for a model with learned positions; transformer
 * blocks' cached keys and values give what the window re-run gives; the same
 * seed gives the same text; greedy equals top_k 1; top-k never draws
 * outside the k best; the callback streams each token; bad input names
 * its field. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define V 9
#define LONG 16

static nn_network *random_net(size_t T, const nn_layer_spec *L, size_t n,
                              uint64_t seed)
{
    nn_network *net = shaped_net(nn_shape_vector(T), L, n,
                                 NN_LOSS_CROSS_ENTROPY);
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    fill_uniform(net->params, net->n_params, -0.6f, 0.6f, &rng);
    return net;
}

/* embedding 6 → kind 10 → dropout → dense 7 tanh → gru 5 → dense V. */
static size_t stack_of(nn_layer_kind kind, nn_layer_spec *L)
{
    L[0] = (nn_layer_spec){.kind = NN_LAYER_EMBEDDING, .units = 6, .vocab = V};
    L[1] = (nn_layer_spec){.kind = kind, .units = 10, .return_sequences = true};
    L[2] = (nn_layer_spec){.kind = NN_LAYER_DROPOUT, .rate = 0.3f};
    L[3] = layer(7, NN_ACT_TANH, 0);
    L[4] = (nn_layer_spec){.kind = NN_LAYER_GRU, .units = 5,
                           .return_sequences = true};
    L[5] = layer(V, NN_ACT_SOFTMAX, 0);
    return 6;
}

/* Feeds seq[0..n) into a generator over a net of context 4 and compares
 * each step's logits with a forward pass over the whole sequence through
 * the same layers at context LONG (the same parameters: nothing in them
 * depends on T without learned positions). */
static void assert_carry_matches_forward(nn_layer_kind kind)
{
    nn_layer_spec L[6];
    size_t n = stack_of(kind, L);
    nn_network *short_net = random_net(4, L, n, 21 + kind);
    nn_network *long_net = random_net(LONG, L, n, 0);
    cr_assert_eq(short_net->n_params, long_net->n_params);
    memcpy(long_net->params, short_net->params,
           short_net->n_params * sizeof(float));
    cr_assert(nn_generate_carries_state(short_net));
    uint32_t seq[12];
    float x[LONG] = {0};
    nn_rng rng;
    nn_rng_seed(&rng, 5);
    for (size_t i = 0; i < 12; i++)
        x[i] = (float)(seq[i] = (uint32_t)nn_rng_below(&rng, V));
    nn_workspace *ws = NULL;
    nn_error err;
    cr_assert_eq(nn_workspace_create(&ws, long_net, 1, false, &err), NN_OK);
    nn_forward(long_net, ws, x, 1);
    const float *z = nn_workspace_z(ws, n - 1);
    nn_sample_config cfg = {.temperature = 1.0f};
    nn_generator *g = NULL;
    cr_assert_eq(nn_generator_create(&g, short_net, &cfg, &err), NN_OK);
    cr_assert_null(nn_generator_logits(g));
    for (size_t i = 0; i < 12; i++) { /* past the window of 4 */
        cr_assert_eq(nn_generator_feed(g, seq[i], &err), NN_OK);
        const float *got = nn_generator_logits(g);
        for (size_t v = 0; v < V; v++)
            cr_assert_float_eq(got[v], z[i * V + v], 1e-5,
                               "%s: step %zu logit %zu: %g vs %g",
                               nn_layer_kind_name(kind), i, v,
                               (double)got[v], (double)z[i * V + v]);
    }
    nn_generator_free(g);
    nn_workspace_free(ws);
    nn_network_free(short_net);
    nn_network_free(long_net);
}

Test(sample, carried_state_equals_a_forward_pass)
{
    assert_carry_matches_forward(NN_LAYER_RNN);
    assert_carry_matches_forward(NN_LAYER_LSTM);
    assert_carry_matches_forward(NN_LAYER_GRU);
}

/* Feeds n ids into a generator over net (context T ≤ 8) and compares each
 * step's logits with a forward pass over the window of the last ≤ T ids,
 * read at its last id: within tol while fewer than T ids were fed (0:
 * bit-identical), bit-identical after (the window re-run). */
static void assert_window_logits(const nn_network *net, size_t n, double tol)
{
    size_t T = net->inputs, last = net->n_layers - 1;
    nn_workspace *ws = NULL;
    nn_error err;
    cr_assert_eq(nn_workspace_create(&ws, net, 1, false, &err), NN_OK);
    nn_sample_config cfg = {0};
    nn_generator *g = NULL;
    cr_assert_eq(nn_generator_create(&g, net, &cfg, &err), NN_OK);
    const uint32_t seq[12] = {3, 1, 4, 1, 5, 8, 2, 6, 5, 3, 5, 8};
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(nn_generator_feed(g, seq[i], &err), NN_OK);
        size_t first = i < T ? 0 : i + 1 - T, w = i + 1 - first;
        float x[8] = {0};
        for (size_t t = 0; t < w; t++)
            x[t] = (float)seq[first + t];
        nn_forward(net, ws, x, 1);
        const float *z = nn_workspace_z(ws, last) + (w - 1) * V;
        for (size_t v = 0; v < V; v++) {
            float got = nn_generator_logits(g)[v];
            if (i < T && tol > 0)
                cr_assert_float_eq(got, z[v], tol * (1 + fabsf(z[v])),
                                   "step %zu logit %zu", i, v);
            else
                cr_assert(ieee_ulp_eq(flt, got, z[v], 0),
                          "step %zu logit %zu", i, v);
        }
    }
    nn_generator_free(g);
    nn_workspace_free(ws);
}

/* Learned positions: the window of the last ≤ 4 ids is re-run, the
 * logits read at its last id. */
Test(sample, window_slides_with_learned_positions)
{
    nn_layer_spec L[3] = {
        {.kind = NN_LAYER_EMBEDDING, .units = 6, .vocab = V, .positions = true},
        {.kind = NN_LAYER_LSTM, .units = 8, .return_sequences = true},
        layer(V, NN_ACT_SOFTMAX, 0)};
    nn_network *net = random_net(4, L, 3, 8);
    cr_assert_not(nn_generate_carries_state(net));
    cr_assert_not(nn_generate_caches(net));
    assert_window_logits(net, 7, 0);
    nn_network_free(net);
}

/* Transformer blocks: one position per token from the key/value cache
 * while the window fills (within 1e-5 of the window re-run: other sgemm
 * shapes, other orders of the sums), then the window slides; with and
 * without learned positions. */
Test(sample, cached_keys_and_values_equal_a_window_re_run)
{
    for (int positions = 0; positions <= 1; positions++) {
        nn_layer_spec L[6] = {
            {.kind = NN_LAYER_EMBEDDING, .units = 8, .vocab = V,
             .positions = positions},
            {.kind = NN_LAYER_TRANSFORMER_BLOCK, .heads = 2, .mlp_ratio = 4},
            {.kind = NN_LAYER_DROPOUT, .rate = 0.2f},
            {.kind = NN_LAYER_TRANSFORMER_BLOCK, .heads = 4, .mlp_ratio = 2},
            {.kind = NN_LAYER_LAYERNORM},
            layer(V, NN_ACT_SOFTMAX, 0)};
        nn_network *net = random_net(5, L, 6, 31 + (uint64_t)positions);
        cr_assert(nn_generate_caches(net));
        cr_assert_not(nn_generate_carries_state(net));
        assert_window_logits(net, 12, 1e-5);
        nn_network_free(net);
    }
}

static nn_network *lstm_lm(void)
{
    nn_layer_spec L[6];
    return random_net(4, L, stack_of(NN_LAYER_LSTM, L), 77);
}

static void generate(const nn_network *net, nn_sample_config cfg,
                     uint32_t *out, size_t n)
{
    const uint32_t prompt[3] = {1, 2, 3};
    size_t got = 0;
    nn_error err;
    cr_assert_eq(nn_generate(net, prompt, 3, n, &cfg, out, &got, NULL, NULL,
                             &err), NN_OK, "%s", err.message);
    cr_assert_eq(got, n);
}

Test(sample, same_seed_same_tokens_greedy_is_top_k_1)
{
    nn_network *net = lstm_lm();
    uint32_t a[40], b[40], c[40];
    nn_sample_config cfg = {.temperature = 1.5f, .top_k = 0, .seed = 9};
    generate(net, cfg, a, 40);
    generate(net, cfg, b, 40);
    cr_assert(memcmp(a, b, sizeof a) == 0, "same seed, other tokens");
    cfg.seed = 10;
    generate(net, cfg, c, 40);
    cr_assert(memcmp(a, c, sizeof a) != 0, "the seed changes nothing");
    generate(net, (nn_sample_config){.temperature = 0, .seed = 1}, a, 40);
    generate(net, (nn_sample_config){.temperature = 2, .top_k = 1, .seed = 2},
             b, 40);
    cr_assert(memcmp(a, b, sizeof a) == 0, "greedy differs from top_k 1");
    nn_network_free(net);
}

/* Without memory, the logits after a token depend on that token alone:
 * each drawn token must be among the 3 best after the token before. */
Test(sample, top_k_never_leaves_the_k_best)
{
    nn_layer_spec L[2] = {
        {.kind = NN_LAYER_EMBEDDING, .units = 5, .vocab = V},
        layer(V, NN_ACT_SOFTMAX, 0)};
    nn_network *net = random_net(4, L, 2, 3);
    float table[V][V];
    nn_sample_config cfg = {.temperature = 5.0f, .top_k = 3, .seed = 4};
    nn_error err;
    for (uint32_t a = 0; a < V; a++) {
        nn_generator *g = NULL;
        cr_assert_eq(nn_generator_create(&g, net, &cfg, &err), NN_OK);
        cr_assert_eq(nn_generator_feed(g, a, &err), NN_OK);
        memcpy(table[a], nn_generator_logits(g), sizeof table[a]);
        nn_generator_free(g);
    }
    uint32_t out[300];
    const uint32_t prompt[1] = {0};
    cr_assert_eq(nn_generate(net, prompt, 1, 300, &cfg, out, NULL, NULL, NULL,
                             &err), NN_OK);
    size_t seen[V] = {0}, distinct = 0;
    for (size_t i = 0; i < 300; i++) {
        const float *z = table[i ? out[i - 1] : 0];
        size_t above = 0; /* logits larger than the drawn one's */
        for (size_t v = 0; v < V; v++)
            above += z[v] > z[out[i]];
        cr_assert_lt(above, 3, "token %zu: id %u is not among the 3 best", i,
                     (unsigned)out[i]);
        distinct += seen[out[i]]++ == 0;
    }
    cr_assert_gt(distinct, 3, "a hot top-3 draw visits more than 3 ids");
    nn_network_free(net);
}

typedef struct {
    uint32_t ids[8];
    size_t calls;
} stream;

static bool collect(uint32_t id, size_t index, void *user)
{
    stream *s = user;
    cr_assert_eq(index, s->calls, "tokens come in order");
    s->ids[s->calls++] = id;
    return s->calls < 5; /* stop after the fifth */
}

Test(sample, callback_streams_each_token_and_can_stop)
{
    nn_network *net = lstm_lm();
    uint32_t out[8];
    stream s = {0};
    size_t n = 0;
    const uint32_t prompt[2] = {4, 4};
    nn_sample_config cfg = {.temperature = 1, .seed = 3};
    nn_error err;
    cr_assert_eq(nn_generate(net, prompt, 2, 8, &cfg, out, &n, collect, &s,
                             &err), NN_OK);
    cr_assert_eq(n, 5);
    cr_assert_eq(s.calls, 5);
    cr_assert(memcmp(s.ids, out, 5 * sizeof *out) == 0);
    nn_network_free(net);
}

Test(sample, bad_input_names_the_field)
{
    nn_network *net = lstm_lm();
    nn_sample_config cfg = {.temperature = 1};
    uint32_t out[4];
    const uint32_t bad[2] = {1, V};
    nn_error err;
    cr_assert_eq(nn_generate(net, bad, 0, 4, &cfg, out, NULL, NULL, NULL, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/prompt");
    cr_assert_eq(nn_generate(net, bad, 2, 4, &cfg, out, NULL, NULL, NULL, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/prompt");
    cfg.temperature = -0.5f;
    cr_assert_eq(nn_generate(net, bad, 1, 4, &cfg, out, NULL, NULL, NULL, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/temperature");
    nn_network_free(net);
    nn_layer_spec L[2] = {layer(4, NN_ACT_TANH, 0), layer(V, NN_ACT_SOFTMAX, 0)};
    net = make_net(NN_MODEL_MLP, 4, L, 2, NN_LOSS_CROSS_ENTROPY);
    cfg.temperature = 1;
    cr_assert_eq(nn_generate(net, bad, 1, 4, &cfg, out, NULL, NULL, NULL, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/model");
    nn_network_free(net);
}
