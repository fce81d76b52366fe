/* gpt_bench.c — bench-train --gpt: nanoGPT's "baby GPT" (token and
 * learned position embeddings, width 128 → 4 transformer blocks of 4
 * heads, mlp_ratio 4 → layernorm → dense softmax at each of 64 positions,
 * no dropout, biases everywhere) trained by libnn on a text file, as
 * bench/torch_gpt.py trains the same model in PyTorch, so that `make
 * bench` can compare training tokens/s, the validation loss after the same
 * steps and the generation rate. Both start from nanoGPT's initialisation
 * (N(0, 0.02), the residual projections N(0, 0.02/√(2·blocks)), biases 0,
 * layernorm γ 1) and train with nanoGPT's optimizer: AdamW β2 0.99, weight
 * decay on the matrices, warm-up then cosine to --min-lr at the last step,
 * clip_grad_norm. The first 90% trains on batches of uniformly drawn
 * windows, the last 10% is scored whole after training, and --sample
 * characters are generated after "ROMEO:" (the blocks' key/value cache while
 * the window fills, then window re-runs). Throughput counts training steps
 * only: context × batch tokens a step. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gpt_bench.h"
#include "nn.h"
#include "text_data.h"

#define MAX_BLOCKS 64

typedef struct {
    const char *path;
    size_t context, width, blocks, heads, steps, every, sample;
    nn_train_config cfg;
    int quiet;
} gpt_options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bench-train --gpt FILE [options]\n"
            "  --context 64        window (tokens of input per row)\n"
            "  --width 128         embedding width\n"
            "  --blocks 4          transformer blocks (at most 64)\n"
            "  --heads 4           attention heads per block\n"
            "  --batch 12          windows per step\n"
            "  --steps 250         optimizer steps\n"
            "  --every 50          steps between loss lines (dividing "
            "--steps)\n"
            "  --lr 0.001          AdamW's peak learning rate\n"
            "  --min-lr 0.0001     cosine decay's rate at the last step\n"
            "  --warmup 100        warm-up steps\n"
            "  --beta2 0.99        AdamW β2\n"
            "  --weight-decay 0.1  on the matrices (not biases, layernorm, "
            "positions)\n"
            "  --clip 1.0          clip_grad_norm (0: off)\n"
            "  --sample 200        characters generated after ROMEO:\n"
            "  --threads T         training threads (0 = as many as pay off)\n"
            "  --seed S            init and window draws (default 1)\n"
            "  --quiet             no per-interval lines\n");
}

static void set_option(gpt_options *o, int c, const char *arg)
{
    size_t v = arg ? strtoul(arg, NULL, 10) : 0;
    float f = arg ? strtof(arg, NULL) : 0.0f;
    switch (c) {
    case 'x': o->path = arg; break;
    case 'c': o->context = v; break;
    case 'w': o->width = v; break;
    case 'L': o->blocks = v; break;
    case 'H': o->heads = v; break;
    case 'b': o->cfg.batch_size = v; break;
    case 'S': o->steps = v; break;
    case 'v': o->every = v; break;
    case 'r': o->cfg.optim.learning_rate = f; break;
    case 'm': o->cfg.schedule.min_learning_rate = f; break;
    case 'W': o->cfg.schedule.warmup_steps = v; break;
    case '2': o->cfg.optim.beta2 = f; break;
    case 'd': o->cfg.optim.weight_decay = f; break;
    case 'C': o->cfg.clip_grad_norm = f; break;
    case 'g': o->sample = v; break;
    case 't': o->cfg.threads = (unsigned)v; break;
    case 's': o->cfg.seed = strtoull(arg, NULL, 10); break;
    case 'q': o->quiet = 1; break;
    }
}

static int parse(int argc, char **argv, gpt_options *o)
{
    static const struct option longs[] = {
        {"gpt", 1, 0, 'x'},    {"context", 1, 0, 'c'}, {"width", 1, 0, 'w'},
        {"blocks", 1, 0, 'L'}, {"heads", 1, 0, 'H'},   {"batch", 1, 0, 'b'},
        {"steps", 1, 0, 'S'},  {"every", 1, 0, 'v'},   {"lr", 1, 0, 'r'},
        {"min-lr", 1, 0, 'm'}, {"warmup", 1, 0, 'W'},  {"beta2", 1, 0, '2'},
        {"weight-decay", 1, 0, 'd'}, {"clip", 1, 0, 'C'},
        {"sample", 1, 0, 'g'}, {"threads", 1, 0, 't'}, {"seed", 1, 0, 's'},
        {"quiet", 0, 0, 'q'},  {"help", 0, 0, 'h'},    {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (c == '?')
            return -1;
        set_option(o, c, optarg);
    }
    return o->path && o->context && o->every && o->steps >= o->every &&
                   o->steps % o->every == 0 && optind == argc
               ? 0
               : -1;
}

/* n values of N(0, sd²) into x. */
static void normals(float *x, size_t n, float sd, nn_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = sd * nn_rng_normal(rng);
}

/* nanoGPT's _init_weights on libnn's layout: every matrix and both
 * embedding tables N(0, 0.02), the blocks' output projections (Wo, Wp)
 * N(0, 0.02/√(2·blocks)); biases zero and layernorm γ 1 as created. */
static void init_like_nanogpt(nn_network *net, const gpt_options *o)
{
    nn_rng rng;
    nn_rng_seed(&rng, o->cfg.seed);
    size_t D = o->width, M = 4 * D;
    float sd = 0.02f, sd_proj = 0.02f / sqrtf(2.0f * (float)o->blocks);
    for (size_t k = 0; k < net->n_layers; k++) {
        float *W = net->params + net->w_offset[k];
        const nn_layer_info *li = &net->info[k];
        if (k == 0) /* token table, then the positions (its bias) */
            normals(net->params + net->b_offset[0], li->n_b, sd, &rng);
        if (k == 0 || k == net->n_layers - 1) {
            normals(W, li->n_w, sd, &rng);
        } else if (k <= o->blocks) { /* Wqkv (D, 3D), Wo, Wfc, Wp */
            normals(W, 3 * D * D, sd, &rng);
            normals(W + 3 * D * D, D * D, sd_proj, &rng);
            normals(W + 4 * D * D, D * M, sd, &rng);
            normals(W + 4 * D * D + D * M, M * D, sd_proj, &rng);
        }
    }
}

static nn_network *baby_gpt(const gpt_options *o, size_t V, nn_error *err)
{
    nn_layer_spec L[3 + MAX_BLOCKS];
    size_t n = 0;
    L[n++] = (nn_layer_spec){.kind = NN_LAYER_EMBEDDING, .units = o->width,
                             .vocab = V, .positions = true};
    for (size_t k = 0; k < o->blocks; k++)
        L[n++] = (nn_layer_spec){.kind = NN_LAYER_TRANSFORMER_BLOCK,
                                 .heads = o->heads, .mlp_ratio = 4};
    L[n++] = (nn_layer_spec){.kind = NN_LAYER_LAYERNORM};
    L[n++] = (nn_layer_spec){.units = V, .act = {NN_ACT_SOFTMAX, 0}};
    nn_shape in = nn_shape_vector(o->context);
    nn_network *net = NULL;
    if (nn_network_create_shaped(&net, NN_MODEL_MLP, &in, L, n,
                                 NN_LOSS_CROSS_ENTROPY, err) != NN_OK)
        return NULL;
    init_like_nanogpt(net, o);
    return net;
}

/* Trains, scores the held-out block, samples and prints the RESULT line. */
static int run(const void *options, const uint32_t *ids, size_t n, size_t V,
               const unsigned char *chars)
{
    const gpt_options *o = options;
    nn_error err = {0};
    nn_network *net = o->blocks <= MAX_BLOCKS ? baby_gpt(o, V, &err) : NULL;
    text_result r;
    int rc = !net ? 1
                  : text_train(net, &o->cfg, o->context, o->steps, o->every,
                               o->quiet, ids, n, V, &r);
    if (!net)
        fprintf(stderr, "bench-train: %s\n",
                o->blocks <= MAX_BLOCKS ? err.message : "at most 64 blocks");
    if (!rc) {
        double gen = text_sample(net, chars, V, o->sample);
        text_print_result(&r);
        printf(" generated_per_s=%.0f\n", gen);
    }
    nn_network_free(net);
    return rc;
}

int bench_gpt_main(int argc, char **argv)
{
    gpt_options o = {.context = 64, .width = 128, .blocks = 4, .heads = 4,
                     .steps = 250, .every = 50, .sample = 200};
    o.cfg = nn_train_defaults();
    o.cfg.batch_size = 12;
    o.cfg.normalize = NN_NORM_NONE;
    o.cfg.optim.kind = NN_OPT_ADAMW;
    o.cfg.optim.learning_rate = 1e-3f;
    o.cfg.optim.beta2 = 0.99f;
    o.cfg.optim.weight_decay = 0.1f;
    o.cfg.schedule = (nn_lr_schedule){100, NN_LR_DECAY_COSINE, 1e-4f};
    o.cfg.clip_grad_norm = 1.0f;
    if (parse(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    return text_run_on(o.path, o.context, run, &o);
}
