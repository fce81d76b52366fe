/* text_bench.c — bench-train --text: a character LSTM (embedding → lstm →
 * dense softmax at every position) trained by libnn on a text file, as
 * bench/torch_ref.py --text trains the same model with nn.LSTM, so that
 * `make bench` can compare tokens/s and the validation loss after the same
 * token budget. Characters are bytes; the vocabulary is the file's
 * distinct bytes in order (nanoGPT's shakespeare_char: sorted(set(text))).
 * The first 90% trains (windows of context + 1 drawn uniformly, nanoGPT's
 * get_batch), the last 10% is scored whole after training
 * (nn_text_score), and 200 characters are sampled after "ROMEO:"
 * (nn_generate: rate, first-token latency, the text). Throughput counts
 * training steps only: context × batch tokens a step. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn.h"
#include "text_bench.h"
#include "text_data.h"

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
            "  --every 50       steps between loss lines (dividing --steps)\n"
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
                   o->steps % o->every == 0 && optind == argc
               ? 0
               : -1;
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

static int run(const void *options, const uint32_t *ids, size_t n,
               size_t V, const unsigned char *chars)
{
    const text_options *o = options;
    nn_error err = {0};
    nn_network *net = char_lstm(o, V, &err);
    text_result r;
    int rc = !net ? 1
                  : text_train(net, &o->cfg, o->context, o->steps, o->every,
                               o->quiet, ids, n, V, &r);
    if (!net)
        fprintf(stderr, "bench-train: %s\n", err.message);
    if (!rc) {
        text_sample(net, chars, V, 200);
        text_print_result(&r);
        printf("\n");
    }
    nn_network_free(net);
    return rc;
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
    return text_run_on(o.path, o.context, run, &o);
}
