/* test_rnn_train.c — character models trained by the trainer: windows of
 * a repeating text (token ids in, the next ids one-hot per position out)
 * through embedding → lstm → dense softmax at every position, and through
 * embedding with learned positions → two transformer blocks → layernorm →
 * dense softmax. Each learns the text (loss per token far below the
 * unigram entropy), the same seed and threads give bit-identical weights,
 * and two data-parallel threads match one up to the order of the sums. */
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

static nn_network *seeded(const nn_layer_spec *L, size_t n, uint64_t seed)
{
    nn_network *net = shaped_net(nn_shape_vector(T), L, n,
                                 NN_LOSS_CROSS_ENTROPY);
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    nn_network_init(net, NN_INIT_XAVIER, &rng);
    return net;
}

static nn_network *char_lstm(uint64_t seed)
{
    nn_layer_spec L[3] = {
        {.kind = NN_LAYER_EMBEDDING, .units = 8, .vocab = V},
        {.kind = NN_LAYER_LSTM, .units = 16, .return_sequences = true},
        layer(V, NN_ACT_SOFTMAX, 0)};
    return seeded(L, 3, seed);
}

static nn_network *char_gpt(uint64_t seed)
{
    nn_layer_spec L[5] = {
        {.kind = NN_LAYER_EMBEDDING, .units = 16, .vocab = V,
         .positions = true},
        {.kind = NN_LAYER_TRANSFORMER_BLOCK, .heads = 2, .mlp_ratio = 4},
        {.kind = NN_LAYER_TRANSFORMER_BLOCK, .heads = 2, .mlp_ratio = 4},
        {.kind = NN_LAYER_LAYERNORM},
        layer(V, NN_ACT_SOFTMAX, 0)};
    return seeded(L, 5, seed);
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

/* Three SGD epochs on two threads end within 1e-4 of one thread's, and
 * away from where they started. */
static void threads_match(nn_network *(*make)(uint64_t seed))
{
    nn_network *one = make(4), *two = make(4), *start = make(4);
    train(one, 1, NN_OPT_SGD, 0.1f, 3);
    train(two, 2, NN_OPT_SGD, 0.1f, 3);
    bool moved = false;
    for (size_t i = 0; i < one->n_params; i++) {
        cr_assert_float_eq(one->params[i], two->params[i], 1e-4,
                           "parameter %zu", i);
        moved |= one->params[i] != start->params[i];
    }
    cr_assert(moved, "training changed the weights");
    nn_network_free(start);
    nn_network_free(one);
    nn_network_free(two);
}

Test(rnn_train, two_threads_match_one, .init = make_windows)
{
    threads_match(char_lstm);
}

Test(rnn_train, char_gpt_learns_and_is_deterministic, .init = make_windows)
{
    for (unsigned threads = 1; threads <= 2; threads++) {
        nn_network *a = char_gpt(9), *b = char_gpt(9);
        nn_train_result ra = train(a, threads, NN_OPT_ADAM, 0.01f, 30);
        train(b, threads, NN_OPT_ADAM, 0.01f, 30);
        cr_assert_eq(memcmp(a->params, b->params,
                            a->n_params * sizeof(float)),
                     0, "%u threads: same seed, other weights", threads);
        double per_token = ra.last.loss / T;
        cr_assert_lt(per_token, 0.3, "loss per token %g nats", per_token);
        if (getenv("NN_TEST_VERBOSE"))
            fprintf(stderr, "char gpt, %u threads: %g nats per token after "
                    "30 epochs\n", threads, per_token);
        nn_network_free(a);
        nn_network_free(b);
    }
}

Test(rnn_train, gpt_two_threads_match_one, .init = make_windows)
{
    threads_match(char_gpt);
}

static bool stop_at(const nn_epoch_stats *st, void *user)
{
    return st->epoch < *(size_t *)user;
}

static nn_trainer *gpt_trainer(nn_network *net, size_t epochs)
{
    nn_train_config cfg = nn_train_defaults();
    cfg.epochs = epochs;
    cfg.batch_size = 16;
    cfg.seed = 3;
    cfg.normalize = NN_NORM_NONE;
    cfg.optim.kind = NN_OPT_ADAM;
    cfg.optim.learning_rate = 0.01f;
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(nn_trainer_create(&tr, net, &data, &cfg, &err), NN_OK, "%s",
                 err.message);
    return tr;
}

/* Two epochs, a checkpoint, restored into a fresh network and trainer, two
 * more: the same weights as four in one go; a checkpoint of other heads is
 * refused. */
Test(rnn_train, gpt_resumes_from_a_checkpoint, .init = make_windows)
{
    nn_network *ref = char_gpt(5), *a = char_gpt(5), *b = char_gpt(6);
    nn_trainer *tr = gpt_trainer(ref, 4);
    nn_error err;
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, &err), NN_OK);
    nn_trainer_free(tr);
    tr = gpt_trainer(a, 4);
    size_t stop = 2;
    cr_assert_eq(nn_trainer_run(tr, stop_at, &stop, NULL, &err),
                 NN_ERR_STOPPED);
    unsigned char *ckpt = NULL;
    size_t len = 0;
    cr_assert_eq(nn_trainer_checkpoint(tr, &ckpt, &len, &err), NN_OK);
    nn_trainer_free(tr);
    tr = gpt_trainer(b, 4);
    cr_assert_eq(nn_trainer_restore(tr, ckpt, len, &err), NN_OK, "%s",
                 err.message);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, &err), NN_OK);
    nn_trainer_free(tr);
    cr_assert_eq(memcmp(b->params, ref->params, ref->n_params * sizeof(float)),
                 0, "the resumed run ends with other weights");
    nn_layer_spec *blk = &b->layers[1];
    blk->heads = 1; /* same parameter count, another model */
    tr = gpt_trainer(b, 4);
    cr_assert_eq(nn_trainer_restore(tr, ckpt, len, &err), NN_ERR_FORMAT);
    nn_trainer_free(tr);
    blk->heads = 2;
    free(ckpt);
    nn_network_free(ref);
    nn_network_free(a);
    nn_network_free(b);
}
