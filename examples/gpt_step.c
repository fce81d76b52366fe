/* gpt_step.c — `make gpt-step`: the time of one training step of nanoGPT's
 * "baby GPT" shape through libnn (token ids → embedding with learned
 * positions, width 128 → 4 transformer blocks of 4 heads, mlp_ratio 4 →
 * layernorm → dense 65 softmax at each of 64 positions; batch 12), on
 * random tokens (the time does not depend on them):
 *   - forward + backward (nn_forward_train, nn_backward) on one thread;
 *   - a trainer step (the same split over 1 and 2 data-parallel threads,
 *     plus the gradients' sum and an Adam update), from epochs of STEPS;
 *   - generation (nn_generate, greedy): T − 1 tokens after a one-token
 *     prompt, from the blocks' key/value cache, and 64 more past the
 *     window, each a re-run of the whole window.
 * Prints the median wall time over REPEATS of each, in ms, tokens per
 * second, and the CPU time a step took (all threads' together, from
 * CLOCK_PROCESS_CPUTIME_ID), which a loaded machine inflates less. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nn.h"

#define T 64
#define V 65
#define B 12
#define STEPS 10
#define REPEATS 9

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static double cpu_ms(void)
{
    return clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, by_value);
    return v[n / 2];
}

static nn_network *baby_gpt(void)
{
    nn_layer_spec L[7] = {{.kind = NN_LAYER_EMBEDDING, .units = 128,
                           .vocab = V, .positions = true}};
    for (int k = 1; k <= 4; k++)
        L[k] = (nn_layer_spec){.kind = NN_LAYER_TRANSFORMER_BLOCK, .heads = 4,
                               .mlp_ratio = 4};
    L[5] = (nn_layer_spec){.kind = NN_LAYER_LAYERNORM};
    L[6] = (nn_layer_spec){.units = V, .act = {NN_ACT_SOFTMAX, 0}};
    nn_shape in = nn_shape_vector(T);
    nn_network *net = NULL;
    nn_error err;
    if (nn_network_create_shaped(&net, NN_MODEL_MLP, &in, L, 7,
                                 NN_LOSS_CROSS_ENTROPY, &err) != NN_OK) {
        fprintf(stderr, "gpt-step: %s (%s)\n", err.message, err.field);
        return NULL;
    }
    nn_rng rng;
    nn_rng_seed(&rng, 1);
    nn_network_init(net, NN_INIT_XAVIER, &rng);
    return net;
}

/* Median wall ms of forward + backward; *cpu the median CPU ms. */
static double fwd_bwd_ms(const nn_network *net, const float *X,
                         const float *Y, float *grads, double *cpu)
{
    nn_workspace *ws = NULL;
    if (nn_workspace_create(&ws, net, B, true, NULL) != NN_OK)
        return -1;
    double t[REPEATS], c[REPEATS];
    for (int i = -2; i < REPEATS; i++) { /* two to warm up */
        double t0 = now_ms(), c0 = cpu_ms();
        nn_forward_train(net, ws, X, B, 1, 0);
        nn_backward(net, ws, X, Y, B, 1.0f / B, grads, false);
        if (i >= 0)
            t[i] = now_ms() - t0, c[i] = cpu_ms() - c0;
    }
    nn_workspace_free(ws);
    *cpu = median(c, REPEATS);
    return median(t, REPEATS);
}

/* CPU ms per token of n tokens generated after `prompt` ids. */
static double generate_ms(const nn_network *net, const uint32_t *prompt,
                          size_t n_prompt, size_t n)
{
    nn_sample_config cfg = {.temperature = 0.0f};
    nn_error err;
    double c0 = cpu_ms();
    if (nn_generate(net, prompt, n_prompt, n, &cfg, NULL, NULL, NULL, NULL,
                    &err) != NN_OK) {
        fprintf(stderr, "gpt-step: generate: %s\n", err.message);
        return -1;
    }
    return (cpu_ms() - c0) / (double)n;
}

static bool keep_ms(const nn_epoch_stats *st, void *user)
{
    ((double *)user)[st->epoch - 1] = st->elapsed_ms;
    return true;
}

/* Median wall ms of a step over epochs 2…; *cpu the mean CPU ms of a
 * step over the whole run. */
static double trainer_step_ms(nn_network *net, const nn_data *data,
                              unsigned threads, double *cpu)
{
    nn_train_config cfg = nn_train_defaults();
    cfg.epochs = REPEATS + 1;
    cfg.batch_size = B;
    cfg.threads = threads;
    cfg.normalize = NN_NORM_NONE;
    cfg.optim.kind = NN_OPT_ADAM;
    cfg.optim.learning_rate = 1e-3f;
    nn_trainer *tr = NULL;
    nn_error err;
    double ms[REPEATS + 1], c0 = cpu_ms();
    if (nn_trainer_create(&tr, net, data, &cfg, &err) != NN_OK ||
        nn_trainer_threads(tr) != threads ||
        nn_trainer_run(tr, keep_ms, ms, NULL, &err) != NN_OK) {
        fprintf(stderr, "gpt-step: %u threads: %s\n", threads, err.message);
        nn_trainer_free(tr);
        return -1;
    }
    nn_trainer_free(tr);
    *cpu = (cpu_ms() - c0) / ((REPEATS + 1) * STEPS);
    return median(ms + 1, REPEATS) / STEPS; /* epoch 1 warms up */
}

int main(void)
{
    nn_network *net = baby_gpt();
    size_t rows = B * STEPS;
    float *X = malloc(rows * T * sizeof *X);
    float *Y = calloc(rows * T * V, sizeof *Y);
    float *grads = net ? malloc(net->n_params * sizeof *grads) : NULL;
    if (!net || !X || !Y || !grads)
        return 1;
    nn_rng rng;
    nn_rng_seed(&rng, 2);
    for (size_t i = 0; i < rows * T; i++) {
        X[i] = (float)nn_rng_below(&rng, V);
        Y[i * V + nn_rng_below(&rng, V)] = 1.0f;
    }
    nn_blas_set_threads(1);
    printf("baby GPT: %zu parameters, batch %d × context %d\n", net->n_params,
           B, T);
    double cpu = 0, f = fwd_bwd_ms(net, X, Y, grads, &cpu);
    printf("forward+backward, 1 thread: %.1f ms (%.0f tokens/s), CPU %.1f "
           "ms\n", f, B * T * 1e3 / f, cpu);
    nn_data data = {.rows = rows, .in_dim = T, .out_dim = T * V, .X = X,
                    .Y = Y};
    for (unsigned threads = 1; threads <= 2; threads++) {
        double s = trainer_step_ms(net, &data, threads, &cpu);
        printf("trainer step (Adam), %u thread%s: %.1f ms (%.0f tokens/s), "
               "CPU %.1f ms\n", threads, threads > 1 ? "s" : "", s,
               B * T * 1e3 / s, cpu);
    }
    uint32_t prompt[T];
    for (size_t t = 0; t < T; t++)
        prompt[t] = (uint32_t)X[t];
    double cached = generate_ms(net, prompt, 1, T - 1);
    double window = generate_ms(net, prompt, T, 64);
    printf("generation, CPU per token: %.2f ms from the cache (%.0f "
           "tokens/s), %.2f ms re-running the window past it\n",
           cached, 1e3 / cached, window);
    nn_network_free(net);
    free(X), free(Y), free(grads);
    return 0;
}
