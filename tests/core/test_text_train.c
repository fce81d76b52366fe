/* test_text_train.c — a language model trained on a text through
 * nn_trainer_create_tokens: windows of context + 1 ids, sparse targets,
 * loss per token. A small text is learned far below its unigram entropy;
 * val_loss scores every target of the held-out block once (checked
 * against an independent count on a model without memory); same seed →
 * bit-identical weights; a resumed run ends where an uninterrupted one
 * does; bad texts and models are errors naming the field. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define T 8
#define N 700
#define V 11 /* distinct characters of the phrase */
static const char phrase[] = "the cat sat on the mat. ";
static uint32_t ids[N];
static const nn_tokens text = {.ids = ids, .n = N, .vocab = V};

static void setup(void)
{
    char seen[V + 1] = {0};
    size_t n = 0, len = strlen(phrase);
    for (size_t i = 0; i < N; i++) {
        char c = phrase[i % len];
        if (!strchr(seen, c))
            seen[n++] = c;
        ids[i] = (uint32_t)(strchr(seen, c) - seen);
    }
    cr_assert_eq(n, V);
}

/* embedding 8 → lstm of `units` (return_sequences) → dense V softmax,
 * or, with units 0, a model that sees only the current token. */
static nn_network *lm_of(uint64_t seed, size_t units)
{
    bool lstm = units > 0;
    nn_layer_spec L[3] = {
        {.kind = NN_LAYER_EMBEDDING, .units = 8, .vocab = V},
        {.kind = NN_LAYER_LSTM, .units = units, .return_sequences = true},
        layer(V, NN_ACT_SOFTMAX, 0)};
    if (!lstm)
        L[1] = L[2];
    nn_network *net = shaped_net(nn_shape_vector(T), L, lstm ? 3 : 2,
                                 NN_LOSS_CROSS_ENTROPY);
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    nn_network_init(net, NN_INIT_XAVIER, &rng);
    return net;
}

static nn_network *lm(uint64_t seed, bool lstm)
{
    return lm_of(seed, lstm ? 16 : 0);
}

static nn_train_config config(size_t epochs)
{
    nn_train_config cfg = plain_config(NN_OPT_ADAM, 0.02f, 16, epochs);
    cfg.shuffle = true;
    cfg.seed = 11;
    cfg.validation_split = 0.1f; /* 70 tokens: 69 targets, 8 ∤ 69 */
    return cfg;
}

static bool keep_last(const nn_epoch_stats *st, void *user)
{
    *(nn_epoch_stats *)user = *st;
    return true;
}

static nn_epoch_stats train(nn_network *net, const nn_train_config *cfg)
{
    nn_trainer *tr = NULL;
    nn_error err;
    nn_epoch_stats last = {0};
    cr_assert_eq(nn_trainer_create_tokens(&tr, net, &text, cfg, &err), NN_OK,
                 "%s (%s)", err.message, err.field);
    cr_assert_eq(nn_trainer_run(tr, keep_last, &last, NULL, &err), NN_OK,
                 "%s", err.message);
    nn_trainer_free(tr);
    return last;
}

/* The phrase's unigram entropy in nats. */
static double unigram_entropy(void)
{
    double count[V] = {0}, h = 0;
    for (size_t i = 0; i < N; i++)
        count[ids[i]]++;
    for (size_t v = 0; v < V; v++)
        h -= count[v] / N * log(count[v] / N);
    return h;
}

/* 630 training tokens (622 windows, 39 steps an epoch), 12 epochs. */
Test(text_train, learns_far_below_the_unigram_entropy, .init = setup)
{
    nn_network *net = lm(2, true);
    nn_train_config cfg = config(12);
    nn_epoch_stats st = train(net, &cfg);
    double h = unigram_entropy();
    cr_assert_gt(h, 2.0, "the phrase's unigram entropy is %g nats", h);
    cr_assert_lt(st.loss, h / 4, "training loss %g nats per token", st.loss);
    cr_assert_lt(st.val_loss, h / 4, "val_loss %g nats per token",
                 st.val_loss);
    cr_assert_gt(st.val_accuracy, 0.8, "val accuracy %g", st.val_accuracy);
    if (getenv("NN_TEST_VERBOSE"))
        fprintf(stderr, "text lstm: unigram %.3f, loss %.4f, val %.4f, "
                "val acc %.3f nats\n", h, st.loss, st.val_loss,
                st.val_accuracy);
    nn_network_free(net);
}

/* Without memory the model's prediction at a position is a function of
 * that position's token: P[a] from a window of a's. val_loss must be the
 * mean of −log P[prev][next] over the block's 69 consecutive pairs, each
 * once, and val_accuracy the share whose argmax is next. */
Test(text_train, val_loss_scores_the_whole_block_once, .init = setup)
{
    nn_network *net = lm(5, false);
    nn_train_config cfg = config(2);
    nn_epoch_stats st = train(net, &cfg);
    float P[V][V], x[T], out[T * V];
    nn_workspace *ws = NULL;
    nn_error err;
    cr_assert_eq(nn_workspace_create(&ws, net, 1, false, &err), NN_OK);
    for (size_t a = 0; a < V; a++) {
        for (size_t t = 0; t < T; t++)
            x[t] = (float)a;
        cr_assert_eq(nn_predict(net, ws, x, 1, out, &err), NN_OK);
        memcpy(P[a], out + 3 * V, sizeof P[a]); /* any position */
    }
    size_t start = N - 70, right = 0;
    double loss = 0;
    for (size_t i = start; i + 1 < N; i++) {
        const float *p = P[ids[i]];
        loss -= log((double)p[ids[i + 1]]);
        size_t best = 0;
        for (size_t j = 1; j < V; j++)
            best = p[j] > p[best] ? j : best;
        right += best == ids[i + 1];
    }
    cr_assert_float_eq(st.val_loss, loss / 69, 1e-5 * loss / 69,
                       "val_loss %.9g, the block's mean %.9g", st.val_loss,
                       loss / 69);
    cr_assert_float_eq(st.val_accuracy, (double)right / 69, 1e-12);

    /* nn_text_score over the same block scores it the same way. */
    nn_tokens block = {.ids = ids + start, .n = 70, .vocab = V};
    double score, acc;
    cr_assert_eq(nn_text_score(net, ws, &block, &score, &acc, &err), NN_OK,
                 "%s", err.message);
    /* Float32 products batched differently (the trainer scores several
     * windows a product, this one at a time) round differently on some
     * BLAS kernels (2e-9 apart on an AMD EPYC); another choice of windows
     * would move the mean by far more than 1e-7. */
    cr_assert_float_eq(score, st.val_loss, 1e-7 * score,
                       "nn_text_score %.12g, the trainer %.12g", score,
                       st.val_loss);
    cr_assert_float_eq(acc, st.val_accuracy, 1e-12);
    block.n = T; /* shorter than a window */
    cr_assert_eq(nn_text_score(net, ws, &block, &score, NULL, &err),
                 NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/dataset");
    nn_workspace_free(ws);
    nn_network_free(net);
}

/* Two runs of a 64-unit lstm (wide enough that two threads pay off). */
static void assert_same_run(nn_train_config cfg)
{
    nn_network *a = lm_of(3, 64), *b = lm_of(3, 64);
    nn_epoch_stats sa = train(a, &cfg), sb = train(b, &cfg);
    cr_assert(memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0,
              "same seed, other weights (threads %u, epoch_steps %zu)",
              cfg.threads, cfg.epoch_steps);
    cr_assert(ieee_ulp_eq(dbl, sa.val_loss, sb.val_loss, 0));
    nn_network_free(a);
    nn_network_free(b);
}

Test(text_train, same_seed_same_weights, .init = setup)
{
    nn_train_config cfg = config(2);
    cfg.threads = 2;
    nn_network *net = lm_of(3, 64);
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(nn_trainer_create_tokens(&tr, net, &text, &cfg, &err), NN_OK);
    cr_assert_eq(nn_trainer_threads(tr), 2, "the run is data parallel");
    nn_trainer_free(tr);
    nn_network_free(net);
    assert_same_run(cfg);
    cfg.epoch_steps = 7;
    assert_same_run(cfg);
}

static nn_status make_text(nn_trainer **tr, nn_network *net,
                           const nn_train_config *cfg, const void *tok,
                           nn_error *err)
{
    return nn_trainer_create_tokens(tr, net, tok, cfg, err);
}

/* Stopped after epoch 2 of 4, checkpointed, restored into a fresh trainer
 * and network: the same weights as four epochs in one go, for a shuffled
 * pass and for drawn windows (epoch_steps). */
static void resume_matches(size_t epoch_steps)
{
    nn_train_config cfg = config(4);
    cfg.epoch_steps = epoch_steps;
    nn_network *ref = lm(4, true), *a = lm(4, true), *b = lm(40, true);
    train(ref, &cfg);
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(nn_trainer_create_tokens(&tr, a, &text, &cfg, &err), NN_OK);
    cr_assert_eq(nn_trainer_steps_per_epoch(tr), epoch_steps ? epoch_steps : 39);
    nn_trainer_free(tr);
    assert_resume_matches(make_text, &text, &cfg, ref, a, b, 2,
                          epoch_steps ? "drawn windows" : "a shuffled pass");
    nn_network_free(ref);
    nn_network_free(a);
    nn_network_free(b);
}

Test(text_train, resume_equals_uninterrupted, .init = setup)
{
    resume_matches(0);
    resume_matches(5);
}

static void assert_refused(nn_network *net, const nn_tokens *tok,
                           const nn_train_config *cfg, const char *field)
{
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(nn_trainer_create_tokens(&tr, net, tok, cfg, &err),
                 NN_ERR_INVALID, "accepted, expected an error at %s", field);
    cr_assert_null(tr);
    cr_assert_str_eq(err.field, field, "%s", err.message);
}

Test(text_train, bad_texts_and_models_name_the_field, .init = setup)
{
    nn_network *net = lm(1, true);
    nn_train_config cfg = config(1);
    nn_tokens tok = text;
    tok.n = T; /* shorter than one window */
    assert_refused(net, &tok, &cfg, "/context");
    tok.n = 60; /* 54 training tokens, 6 held out: too few for a window */
    assert_refused(net, &tok, &cfg, "/validation_split");
    tok = text;
    tok.vocab = V + 1;
    assert_refused(net, &tok, &cfg, "/dataset");
    uint32_t bad[N];
    memcpy(bad, ids, sizeof bad);
    bad[123] = V; /* an id outside the vocabulary */
    tok = (nn_tokens){.ids = bad, .n = N, .vocab = V};
    assert_refused(net, &tok, &cfg, "/dataset");
    tok.n = 0;
    assert_refused(net, &tok, &cfg, "/dataset");
    cfg.normalize = NN_NORM_STANDARD;
    assert_refused(net, &text, &cfg, "/normalize");
    cfg = config(1);
    cfg.epoch_steps = NN_MAX_STEPS + 1ull;
    assert_refused(net, &text, &cfg, "/epoch_steps");
    nn_network_free(net);

    nn_layer_spec L[2] = {layer(4, NN_ACT_TANH, 0), layer(V, NN_ACT_SOFTMAX, 0)};
    net = make_net(NN_MODEL_MLP, T, L, 2, NN_LOSS_CROSS_ENTROPY);
    cfg = config(1);
    assert_refused(net, &text, &cfg, "/model"); /* no embedding */
    nn_network_free(net);

    float X[4] = {0}, Y[4] = {1, 0, 1, 0};
    nn_data d = {.rows = 2, .in_dim = 2, .out_dim = 2, .X = X, .Y = Y};
    net = make_net(NN_MODEL_MLP, 2, L + 1, 1, NN_LOSS_MSE);
    nn_trainer *tr = NULL;
    nn_error err;
    cfg = plain_config(NN_OPT_SGD, 0.1f, 2, 1);
    cfg.epoch_steps = 3;
    cr_assert_eq(nn_trainer_create(&tr, net, &d, &cfg, &err), NN_ERR_INVALID);
    cr_assert_str_eq(err.field, "/epoch_steps");
    nn_network_free(net);
}
