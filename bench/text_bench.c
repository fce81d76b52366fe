/* text_bench.c — bench-train --text: a character LSTM (embedding → lstm →
 * dense softmax at every position) trained by libnn on a text file, as
 * bench/torch_ref.py --text trains the same model with nn.LSTM, so that
 * `make bench` can compare tokens/s and the validation loss after the same
 * token budget. Characters are bytes; the vocabulary is the file's
 * distinct bytes in order (nanoGPT's shakespeare_char: sorted(set(text))).
 * The first 90% trains (windows of context + 1 drawn uniformly, nanoGPT's
 * get_batch), the last 10% is scored whole after training
 * (nn_text_score). Throughput counts training steps only: context × batch
 * tokens a step. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn.h"
#include "text_bench.h"

typedef struct {
    const char *path;
    size_t context, embed, units, steps, every;
    nn_train_config cfg;
    int quiet;
} text_options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bench-train --text FILE [options]\n"
            "  --context 64     window (tokens of input per row)\n"
            "  --embed 64       embedding width\n"
            "  --units 256      lstm units\n"
            "  --batch 32       windows per step\n"
            "  --steps 200      optimizer steps\n"
            "  --every 50       steps between loss lines\n"
            "  --lr 0.002       adam's learning rate\n"
            "  --clip 1.0       clip_grad_norm (0: off)\n"
            "  --threads T      training threads (0 = as many as pay off)\n"
            "  --seed S         init and window draws (default 1)\n"
            "  --quiet          no per-interval lines\n");
}

static int parse(int argc, char **argv, text_options *o)
{
    static const struct option longs[] = {
        {"text", 1, 0, 'x'},  {"context", 1, 0, 'c'}, {"embed", 1, 0, 'E'},
        {"units", 1, 0, 'u'}, {"batch", 1, 0, 'b'},   {"steps", 1, 0, 'S'},
        {"every", 1, 0, 'v'}, {"lr", 1, 0, 'r'},      {"clip", 1, 0, 'C'},
        {"threads", 1, 0, 't'}, {"seed", 1, 0, 's'},  {"quiet", 0, 0, 'q'},
        {"help", 0, 0, 'h'},  {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;
        switch (c) {
        case 'x': o->path = optarg; break;
        case 'c': o->context = v; break;
        case 'E': o->embed = v; break;
        case 'u': o->units = v; break;
        case 'b': o->cfg.batch_size = v; break;
        case 'S': o->steps = v; break;
        case 'v': o->every = v; break;
        case 'r': o->cfg.optim.learning_rate = strtof(optarg, NULL); break;
        case 'C': o->cfg.clip_grad_norm = strtof(optarg, NULL); break;
        case 't': o->cfg.threads = (unsigned)v; break;
        case 's': o->cfg.seed = strtoull(optarg, NULL, 10); break;
        case 'q': o->quiet = 1; break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    return o->path && o->context && o->every && o->steps >= o->every &&
                   optind == argc
               ? 0
               : -1;
}

/* The file's bytes as ids into its sorted distinct bytes. */
static uint32_t *read_text(const char *path, size_t *n, size_t *vocab)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        unsigned char *more = len == cap ? realloc(buf, cap *= 2) : buf;
        if (!more)
            free(buf);
        buf = more;
    }
    fclose(f);
    uint32_t map[256] = {0}, *ids = buf ? malloc(len * sizeof *ids) : NULL;
    *vocab = 0;
    for (size_t i = 0; ids && i < len; i++)
        map[buf[i]] = 1;
    for (int c = 0; c < 256; c++)
        map[c] = map[c] ? (uint32_t)(*vocab)++ : 0;
    for (size_t i = 0; ids && i < len; i++)
        ids[i] = map[buf[i]];
    free(buf);
    *n = len;
    return ids;
}

/* PyTorch's default initialisation of the same modules, so both programs
 * start alike: nn.Embedding N(0, 1); nn.LSTM every weight and bias
 * U(±1/√H); nn.Linear weight and bias U(±1/√in). */
static void init_like_torch(nn_network *net, uint64_t seed)
{
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    for (size_t k = 0; k < net->n_layers; k++) {
        float *W = net->params + net->w_offset[k];
        float *b = net->params + net->b_offset[k];
        const nn_layer_info *li = &net->info[k];
        float bound = 1.0f / sqrtf((float)li->fan_in);
        for (size_t i = 0; i < li->n_w; i++)
            W[i] = k == 0 ? nn_rng_normal(&rng)
                          : bound * (2.0f * nn_rng_uniform(&rng) - 1.0f);
        for (size_t i = 0; i < li->n_b; i++)
            b[i] = bound * (2.0f * nn_rng_uniform(&rng) - 1.0f);
    }
}

static nn_network *char_lstm(const text_options *o, size_t V, nn_error *err)
{
    nn_layer_spec L[3] = {
        {.kind = NN_LAYER_EMBEDDING, .units = o->embed, .vocab = V},
        {.kind = NN_LAYER_LSTM, .units = o->units, .return_sequences = true},
        {.units = V, .act = {NN_ACT_SOFTMAX, 0}}};
    nn_shape in = nn_shape_vector(o->context);
    nn_network *net = NULL;
    if (nn_network_create_shaped(&net, NN_MODEL_MLP, &in, L, 3,
                                 NN_LOSS_CROSS_ENTROPY, err) != NN_OK)
        return NULL;
    init_like_torch(net, o->cfg.seed);
    return net;
}

typedef struct {
    double train_ms, last_loss;
    size_t every;
    int quiet;
} progress;

static bool on_interval(const nn_epoch_stats *st, void *user)
{
    progress *p = user;
    p->train_ms += st->elapsed_ms;
    p->last_loss = st->loss;
    if (!p->quiet)
        printf("step %zu loss %.4f (mean of the last %zu) %.1f ms\n",
               st->epoch * p->every, st->loss, p->every, st->elapsed_ms);
    fflush(stdout);
    return true;
}

/* Seconds of CPU time this process has used, every thread's. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds of wall time. */
static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(const text_options *o, const uint32_t *ids, size_t n,
               size_t V)
{
    nn_error err = {0};
    size_t n_train = n - n / 10;
    nn_tokens train = {ids, n_train, V}, val = {ids + n_train, n - n_train, V};
    nn_train_config cfg = o->cfg;
    cfg.epochs = o->steps / o->every;
    cfg.epoch_steps = o->every;
    nn_network *net = char_lstm(o, V, &err);
    nn_trainer *tr = NULL;
    nn_workspace *ws = NULL;
    progress p = {0, 0, o->every, o->quiet};
    double val_loss = 0, val_acc = 0, cpu = 0, score_s = 0;
    int rc = !net || nn_trainer_create_tokens(&tr, net, &train, &cfg, &err);
    if (!rc) {
        cpu = cpu_s();
        rc = nn_trainer_run(tr, on_interval, &p, NULL, &err);
        cpu = cpu_s() - cpu;
    }
    if (!rc) {
        score_s = wall_s();
        rc = nn_workspace_create(&ws, net, 64, false, &err) ||
             nn_text_score(net, ws, &val, &val_loss, &val_acc, &err);
        score_s = wall_s() - score_s;
    }
    if (rc) {
        fprintf(stderr, "bench-train: %s%s%s\n", err.message,
                err.field[0] ? " at " : "", err.field);
    } else {
        double tokens = (double)cfg.epochs * o->every * cfg.batch_size *
                        o->context;
        printf("threads %u, %zu parameters, vocabulary %zu, %zu training "
               "tokens, %zu held out, scored in %.1f s\n",
               nn_trainer_threads(tr), net->n_params, V, n_train, n - n_train,
               score_s);
        printf("RESULT tokens_per_s=%.0f tokens_per_cpu_s=%.0f "
               "train_loss=%.4f val_loss=%.4f val_acc=%.4f\n",
               tokens / (p.train_ms / 1e3), tokens / cpu, p.last_loss,
               val_loss, val_acc);
    }
    nn_workspace_free(ws);
    nn_trainer_free(tr);
    nn_network_free(net);
    return rc ? 1 : 0;
}

int bench_text_main(int argc, char **argv)
{
    text_options o = {.context = 64, .embed = 64, .units = 256, .steps = 200,
                      .every = 50};
    o.cfg = nn_train_defaults();
    o.cfg.batch_size = 32;
    o.cfg.normalize = NN_NORM_NONE;
    o.cfg.optim.kind = NN_OPT_ADAM;
    o.cfg.optim.learning_rate = 2e-3f;
    o.cfg.clip_grad_norm = 1.0f;
    if (parse(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    size_t n = 0, V = 0;
    uint32_t *ids = read_text(o.path, &n, &V);
    if (!ids || n < 2 * (o.context + 1) * 10) {
        fprintf(stderr, "bench-train: cannot read a long enough text from %s\n",
                o.path);
        free(ids);
        return 1;
    }
    int rc = run(&o, ids, n, V);
    free(ids);
    return rc;
}
