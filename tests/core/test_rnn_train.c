/* test_rnn_train.c — a character LSTM trained by the trainer: windows of
 * a repeating text (token ids in, the next ids one-hot per position out)
 * through embedding → lstm → dense softmax at every position. It learns
 * the text (loss per token far below the unigram entropy), the same seed
 * gives bit-identical weights, and two data-parallel threads match one
 * up to the order of the sums. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define T 8
#define ROWS 120
static const char text[] = "the cat sat on the mat. ";
#define V 11 /* distinct characters of text */

static float X[ROWS * T], Y[ROWS * T * V];
static const nn_data data = {.rows = ROWS, .in_dim = T, .out_dim = T * V,
                             .X = X, .Y = Y};

/* The id of c: its rank among the text's distinct characters. */
static size_t token(char c)
{
    char seen[V + 1] = {0};
    size_t n = 0;
    for (const char *p = text; *p; p++)
        if (!strchr(seen, *p))
            seen[n++] = *p;
    cr_assert_eq(n, V);
    return (size_t)(strchr(seen, c) - seen);
}

static void make_windows(void)
{
    size_t len = strlen(text);
    memset(Y, 0, sizeof Y);
    for (size_t r = 0; r < ROWS; r++)
        for (size_t t = 0; t < T; t++) {
            X[r * T + t] = (float)token(text[(r + t) % len]);
            Y[(r * T + t) * V + token(text[(r + t + 1) % len])] = 1.0f;
        }
}

static nn_network *char_lstm(uint64_t seed)
{
    nn_layer_spec L[3] = {
        {.kind = NN_LAYER_EMBEDDING, .units = 8, .vocab = V},
        {.kind = NN_LAYER_LSTM, .units = 16, .return_sequences = true},
        layer(V, NN_ACT_SOFTMAX, 0)};
    nn_shape in = nn_shape_vector(T);
    nn_network *net = NULL;
    nn_error err;
    cr_assert_eq(nn_network_create_shaped(&net, NN_MODEL_MLP, &in, L, 3,
                                          NN_LOSS_CROSS_ENTROPY, &err),
                 NN_OK, "%s (%s)", err.message, err.field);
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    nn_network_init(net, NN_INIT_XAVIER, &rng);
    return net;
}

static nn_train_result train(nn_network *net, unsigned threads,
                             nn_opt_kind opt, float lr, size_t epochs)
{
    nn_train_config cfg = nn_train_defaults();
    cfg.epochs = epochs;
    cfg.batch_size = 16;
    cfg.seed = 3;
    cfg.threads = threads;
    cfg.normalize = NN_NORM_NONE; /* ids stay ids */
    cfg.optim.kind = opt;
    cfg.optim.learning_rate = lr;
    nn_trainer *tr = NULL;
    nn_error err;
    nn_train_result res;
    cr_assert_eq(nn_trainer_create(&tr, net, &data, &cfg, &err), NN_OK, "%s",
                 err.message);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, &err), NN_OK, "%s",
                 err.message);
    nn_trainer_free(tr);
    return res;
}

Test(rnn_train, char_lstm_learns_and_is_deterministic, .init = make_windows)
{
    nn_network *a = char_lstm(9), *b = char_lstm(9);
    nn_train_result ra = train(a, 1, NN_OPT_ADAM, 0.02f, 40);
    train(b, 1, NN_OPT_ADAM, 0.02f, 40);
    cr_assert_eq(memcmp(a->params, b->params, a->n_params * sizeof(float)),
                 0, "same seed, other weights");
    /* the loss of a row sums its T positions; the text's unigram entropy
     * is about 2.2 nats per character */
    double per_token = ra.last.loss / T;
    cr_assert_lt(per_token, 0.3, "loss per token %g nats", per_token);
    if (getenv("NN_TEST_VERBOSE"))
        fprintf(stderr, "char lstm: %g nats per token after 40 epochs\n",
                per_token);
    nn_network_free(a);
    nn_network_free(b);
}

Test(rnn_train, two_threads_match_one, .init = make_windows)
{
    nn_network *one = char_lstm(4), *two = char_lstm(4);
    train(one, 1, NN_OPT_SGD, 0.1f, 3);
    train(two, 2, NN_OPT_SGD, 0.1f, 3);
    for (size_t i = 0; i < one->n_params; i++)
        cr_assert_float_eq(one->params[i], two->params[i], 1e-4,
                           "parameter %zu", i);
    nn_network_free(one);
    nn_network_free(two);
}
