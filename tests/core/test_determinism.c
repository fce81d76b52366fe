/* test_determinism.c — the same seed and thread count give bit-identical
 * weights; two threads compute the same step as one (up to rounding); a
 * saved and loaded model predicts bit for bit like the original; many
 * threads may predict with one network at once. (Comparisons are made and
 * everything freed before asserting, so a failure reports no leaks.) */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* 64-256-128-4 with batch 128 is ~38 MFLOP per batch, enough for the
 * trainer's "≥ ~4 MFLOP per thread" rule to grant two threads. */
#define IN 64
#define CLASSES 4
#define ROWS 512

typedef struct {
    float X[ROWS * IN], Y[ROWS * CLASSES];
} dataset;

static dataset *make_data(uint64_t seed)
{
    dataset *d = malloc(sizeof *d);
    cr_assert_not_null(d);
    make_teacher_data(d->X, d->Y, ROWS, IN, CLASSES, seed);
    return d;
}

static nn_network *make_big_net(uint64_t seed)
{
    nn_layer_spec L[3] = {layer(256, NN_ACT_RELU, 0), layer(128, NN_ACT_TANH, 0),
                          layer(CLASSES, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, IN, L, 3, NN_LOSS_CROSS_ENTROPY);
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    nn_network_init(net, NN_INIT_HE, &rng);
    return net;
}

static nn_train_config big_config(unsigned threads, nn_opt_kind kind)
{
    nn_train_config cfg = nn_train_defaults();
    cfg.epochs = 3;
    cfg.batch_size = 128;
    cfg.threads = threads;
    cfg.seed = 42;
    cfg.optim.kind = kind;
    cfg.optim.learning_rate = kind == NN_OPT_ADAM ? 1e-3f : 0.05f;
    cfg.optim.momentum = kind == NN_OPT_ADAM ? 0.0f : 0.9f;
    cfg.validation_split = 0.125f;
    return cfg; /* shuffled, standard normalisation */
}

/* Trains a fresh big net (init seed) and returns it. */
static nn_network *train_big(const dataset *d, const nn_train_config *cfg,
                             uint64_t seed, unsigned want_threads)
{
    nn_network *net = make_big_net(seed);
    nn_data data = {.rows = ROWS, .in_dim = IN, .out_dim = CLASSES,
                    .X = d->X, .Y = d->Y, .classification = true};
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(nn_trainer_create(&tr, net, &data, cfg, &err), NN_OK, "%s",
                 err.message);
    cr_assert_eq(nn_trainer_threads(tr), want_threads);
    nn_train_result res;
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, &res, &err), NN_OK, "%s",
                 err.message);
    cr_assert_eq(res.epochs_done, cfg->epochs);
    cr_assert(isfinite(res.last.loss));
    nn_trainer_free(tr);
    return net;
}

Test(determinism, same_seed_same_threads_bit_identical)
{
    dataset *d = make_data(1);
    for (int k = 0; k < 2; k++) {
        nn_train_config cfg = big_config(2, k ? NN_OPT_ADAM : NN_OPT_SGD);
        nn_network *a = train_big(d, &cfg, 7, 2);
        nn_network *b = train_big(d, &cfg, 7, 2);
        nn_network *init = make_big_net(7);
        size_t bytes = a->n_params * sizeof *a->params;
        bool same = memcmp(a->params, b->params, bytes) == 0;
        /* ... and the comparison is not vacuous: training moved the
         * weights away from their initial values, and another shuffling
         * seed gives other weights. */
        bool moved = memcmp(a->params, init->params, bytes) != 0;
        cfg.seed = 43;
        nn_network *c = train_big(d, &cfg, 7, 2);
        bool other = memcmp(a->params, c->params, bytes) != 0;
        nn_network_free(a);
        nn_network_free(b);
        nn_network_free(c);
        nn_network_free(init);
        if (!same)
            free(d);
        cr_assert(same, "%s: two runs with seed 42 and 2 threads differ",
                  nn_optim_name(cfg.optim.kind));
        cr_assert(moved);
        cr_assert(other);
    }
    free(d);
}

/* Data parallelism changes only the order of float sums: after one epoch
 * of plain sgd, two threads and one agree to 1e-4 absolute (weights are
 * O(0.1); a lost or double-counted shard moves them by O(1e-2)). */
Test(determinism, two_threads_match_one_thread)
{
    dataset *d = make_data(2);
    nn_train_config cfg = big_config(1, NN_OPT_SGD);
    cfg.optim.momentum = 0.0f;
    cfg.optim.learning_rate = 0.5f;
    cfg.epochs = 1;
    nn_network *one = train_big(d, &cfg, 3, 1);
    cfg.threads = 2;
    nn_network *two = train_big(d, &cfg, 3, 2);
    nn_network *init = make_big_net(3);
    double maxdiff = 0, maxmove = 0;
    for (size_t i = 0; i < one->n_params; i++) {
        maxdiff = fmax(maxdiff, fabsf(one->params[i] - two->params[i]));
        maxmove = fmax(maxmove, fabsf(one->params[i] - init->params[i]));
    }
    cr_assert_lt(maxdiff, 1e-4, "1 and 2 threads differ by %g", maxdiff);
    cr_assert_gt(maxmove, 1e-2, "training barely moved the weights (%g)",
                 maxmove);
    nn_network_free(one);
    nn_network_free(two);
    nn_network_free(init);
    free(d);
}

/* Batches that are not a multiple of the thread count, and a last batch
 * of a single row (448 training rows = 3 × 149 + 1), so one thread has no
 * rows at all in it: still deterministic, and still the same arithmetic
 * as one thread (plain sgd, 1e-4 as above). */
Test(determinism, ragged_batches)
{
    dataset *d = make_data(3);
    nn_train_config cfg = big_config(2, NN_OPT_ADAM);
    cfg.batch_size = 149;
    cfg.epochs = 2;
    nn_network *a = train_big(d, &cfg, 9, 2);
    nn_network *b = train_big(d, &cfg, 9, 2);
    bool same = memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0;
    nn_network_free(a);
    nn_network_free(b);

    cfg = big_config(1, NN_OPT_SGD);
    cfg.batch_size = 149;
    cfg.epochs = 1;
    cfg.optim.momentum = 0.0f;
    cfg.optim.learning_rate = 0.5f;
    nn_network *one = train_big(d, &cfg, 9, 1);
    cfg.threads = 2;
    nn_network *two = train_big(d, &cfg, 9, 2);
    double maxdiff = 0;
    for (size_t i = 0; i < one->n_params; i++)
        maxdiff = fmax(maxdiff, fabsf(one->params[i] - two->params[i]));
    nn_network_free(one);
    nn_network_free(two);
    free(d);
    cr_assert(same, "adam, batch 149, 2 threads: two runs differ");
    cr_assert_lt(maxdiff, 1e-4, "1 and 2 threads differ by %g", maxdiff);
}

Test(determinism, save_load_predicts_bit_identically)
{
    dataset *d = make_data(4);
    nn_train_config cfg = big_config(2, NN_OPT_SGD);
    cfg.epochs = 1;
    nn_network *net = train_big(d, &cfg, 5, 2);
    const char *names[CLASSES] = {"north", "east", "south", "west"};
    cr_assert_eq(nn_network_set_classes(net, names, CLASSES, NULL), NN_OK);
    cr_assert_eq(net->norm.kind, NN_NORM_STANDARD);

    unsigned char *buf = NULL;
    size_t len = 0;
    nn_error err;
    cr_assert_eq(nn_model_save(net, &buf, &len, &err), NN_OK, "%s",
                 err.message);
    nn_network *back = NULL;
    cr_assert_eq(nn_model_load(&back, buf, len, &err), NN_OK, "%s",
                 err.message);

    cr_assert_eq(back->type, net->type);
    cr_assert_eq(back->inputs, net->inputs);
    cr_assert_eq(back->loss, net->loss);
    cr_assert_eq(back->n_layers, net->n_layers);
    for (size_t k = 0; k < net->n_layers; k++) {
        cr_assert_eq(back->layers[k].units, net->layers[k].units);
        cr_assert_eq(back->layers[k].act.kind, net->layers[k].act.kind);
        cr_assert(ieee_ulp_eq(flt, back->layers[k].act.param,
                              net->layers[k].act.param, 0));
    }
    cr_assert_eq(back->n_params, net->n_params);
    cr_assert(memcmp(back->params, net->params,
                     net->n_params * sizeof(float)) == 0);
    cr_assert_eq(back->norm.kind, NN_NORM_STANDARD);
    cr_assert(memcmp(back->norm.shift, net->norm.shift, IN * sizeof(float)) == 0);
    cr_assert(memcmp(back->norm.scale, net->norm.scale, IN * sizeof(float)) == 0);
    cr_assert_eq(back->n_classes, CLASSES);
    for (size_t c = 0; c < CLASSES; c++)
        cr_assert_str_eq(back->classes[c], names[c]);

    /* Raw inputs through both, with workspaces of the same size:
     * normalisation included, bit for bit. (A different chunk size may
     * change the BLAS kernel's summation order, so there only to 1e-5.) */
    float *o1 = malloc(ROWS * CLASSES * sizeof *o1);
    float *o2 = malloc(ROWS * CLASSES * sizeof *o2);
    cr_assert(o1 && o2);
    nn_workspace *w1 = NULL, *w2 = NULL;
    cr_assert_eq(nn_workspace_create(&w1, net, 100, false, NULL), NN_OK);
    cr_assert_eq(nn_workspace_create(&w2, back, 100, false, NULL), NN_OK);
    cr_assert_eq(nn_predict(net, w1, d->X, ROWS, o1, NULL), NN_OK);
    cr_assert_eq(nn_predict(back, w2, d->X, ROWS, o2, NULL), NN_OK);
    cr_assert(memcmp(o1, o2, ROWS * CLASSES * sizeof *o1) == 0);
    nn_workspace_free(w2);
    cr_assert_eq(nn_workspace_create(&w2, back, 37, false, NULL), NN_OK);
    cr_assert_eq(nn_predict(back, w2, d->X, ROWS, o2, NULL), NN_OK);
    for (size_t i = 0; i < ROWS * CLASSES; i++)
        cr_assert_float_eq(o1[i], o2[i], 1e-5, "output %zu", i);

    /* Saving the loaded model gives the same bytes. */
    unsigned char *buf2 = NULL;
    size_t len2 = 0;
    cr_assert_eq(nn_model_save(back, &buf2, &len2, NULL), NN_OK);
    cr_assert_eq(len2, len);
    cr_assert(memcmp(buf, buf2, len) == 0);

    free(buf);
    free(buf2);
    free(o1);
    free(o2);
    nn_workspace_free(w1);
    nn_workspace_free(w2);
    nn_network_free(net);
    nn_network_free(back);
    free(d);
}

/* The prediction of a chunked nn_predict equals one forward pass over the
 * same normalised rows; workspace size does not matter. */
Test(determinism, predict_chunks_match_single_forward)
{
    nn_layer_spec L[2] = {layer(5, NN_ACT_TANH, 0), layer(3, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 4, L, 2, NN_LOSS_CROSS_ENTROPY);
    init_net(net, 8, 0.3f);
    const float shift[4] = {1, -2, 0.5f, 0}, scale[4] = {0.5f, 2, 1, 4};
    cr_assert_eq(nn_network_set_norm(net, NN_NORM_STANDARD, shift, scale, NULL),
                 NN_OK);
    enum { R = 10 };
    float X[R * 4], Xn[R * 4], o[R * 3], ref[R * 3];
    nn_rng rng;
    nn_rng_seed(&rng, 8);
    fill_uniform(X, R * 4, -3, 3, &rng);
    for (int i = 0; i < R * 4; i++)
        Xn[i] = (X[i] - shift[i % 4]) * scale[i % 4];
    nn_workspace *big = NULL, *small = NULL;
    cr_assert_eq(nn_workspace_create(&big, net, R, false, NULL), NN_OK);
    cr_assert_eq(nn_workspace_create(&small, net, 3, false, NULL), NN_OK);
    cr_assert_eq(nn_workspace_rows(small), 3);
    memcpy(ref, nn_forward(net, big, Xn, R), sizeof ref);
    cr_assert_eq(nn_predict(net, small, X, R, o, NULL), NN_OK);
    for (int i = 0; i < R * 3; i++)
        cr_assert(ieee_ulp_eq(flt, o[i], ref[i], 0), "output %d", i);
    nn_workspace_free(big);
    nn_workspace_free(small);
    nn_network_free(net);
}

/* One network, read-only, shared by four threads predicting at once, each
 * with its own workspace: every thread gets the single-threaded answer. */
typedef struct {
    const nn_network *net;
    const float *X;
    float out[ROWS * CLASSES];
    nn_status st;
} predict_job;

static void *predict_thread(void *arg)
{
    predict_job *job = arg;
    nn_workspace *ws = NULL;
    job->st = nn_workspace_create(&ws, job->net, 64, false, NULL);
    for (int rep = 0; rep < 5 && job->st == NN_OK; rep++)
        job->st = nn_predict(job->net, ws, job->X, ROWS, job->out, NULL);
    nn_workspace_free(ws);
    return NULL;
}

Test(determinism, concurrent_predictions_share_one_network)
{
    dataset *d = make_data(6);
    nn_network *net = make_big_net(6);
    const float shift[IN] = {0}, scale[IN] = {[0 ... IN - 1] = 2.0f};
    cr_assert_eq(nn_network_set_norm(net, NN_NORM_STANDARD, shift, scale, NULL),
                 NN_OK);
    enum { T = 4 };
    predict_job *jobs = calloc(T + 1, sizeof *jobs);
    cr_assert_not_null(jobs);
    for (int t = 0; t <= T; t++)
        jobs[t] = (predict_job){.net = net, .X = d->X};
    predict_thread(&jobs[T]); /* the reference, alone */
    pthread_t th[T];
    for (int t = 0; t < T; t++)
        cr_assert_eq(pthread_create(&th[t], NULL, predict_thread, &jobs[t]), 0);
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    bool ok = jobs[T].st == NN_OK;
    for (int t = 0; t < T; t++)
        ok = ok && jobs[t].st == NN_OK &&
             memcmp(jobs[t].out, jobs[T].out, sizeof jobs[t].out) == 0;
    free(jobs);
    nn_network_free(net);
    free(d);
    cr_assert(ok, "a thread's predictions differ from the single-threaded "
                  "ones");
}
