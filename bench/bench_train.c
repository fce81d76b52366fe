/* bench_train.c — trains an MLP (or, with --model, any network the API
 * takes) on Fashion-MNIST with libnn and reports
 * throughput, accuracy and achieved GFLOP/s; `make bench` runs it beside
 * the PyTorch reference (bench/torch_ref.py). The last line printed is
 *   RESULT samples_per_s=<n> test_acc=<x> gflops=<g>
 * Run with --help for the flags. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "gpt_bench.h"
#include "model_file.h"
#include "sgemm_rate.h"
#include "text_bench.h"
#include "nn.h"

#define FMNIST "/usr/share/datasets/fashion-mnist"
#define MAX_HIDDEN 32

typedef struct {
    size_t hidden[MAX_HIDDEN], n_hidden;
    nn_train_config cfg;
    const char *train_csv, *test_csv, *data_dir, *model;
    size_t limit;
    int quiet, sgemm_rate, test_each_epoch;
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bench-train [options]\n"
            "  --layers 256,128     hidden layer widths (relu); output is "
            "softmax over 10 classes\n"
            "  --model FILE.json    the network a POST /v1/models body "
            "defines instead\n"
            "                       (its init and seed draw the weights)\n"
            "  --batch 128          mini-batch size\n"
            "  --epochs N           epochs (default 1)\n"
            "  --threads T          training threads (0 = as many as pay "
            "off)\n"
            "  --optimizer sgd|adam optimizer (default sgd)\n"
            "  --lr X               learning rate (default 0.05)\n"
            "  --momentum M         sgd momentum (default 0.9)\n"
            "  --lr-decay D         learning rate × D after each epoch "
            "(default 1)\n"
            "  --seed S             seed for init and shuffling (default 1)\n"
            "  --normalize none|standard|minmax (default standard)\n"
            "  --data DIR           IDX files (default " FMNIST ")\n"
            "  --train-csv F        a CSV instead (header, numeric columns, "
            "class label last)\n"
            "  --test-csv F         its test set (optional)\n"
            "  --limit N            use only the first N rows of each set\n"
            "  --quiet              no per-epoch lines\n"
            "  --test-each-epoch    each epoch's line has the test accuracy "
            "(not timed)\n"
            "  --sgemm-rate         also time BLAS alone at the step's shapes "
            "(1 and 2 threads;\n"
            "                       conv2d: each shape, and batched)\n"
            "  --text FILE          a character LSTM on a text instead "
            "(--text FILE --help)\n"
            "  --gpt FILE           nanoGPT's baby GPT on a text instead "
            "(--gpt FILE --help)\n");
}

static int parse_layers(const char *s, options *o)
{
    o->n_hidden = 0;
    while (*s) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || v == 0 || o->n_hidden == MAX_HIDDEN)
            return -1;
        o->hidden[o->n_hidden++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"layers", 1, 0, 'l'},    {"batch", 1, 0, 'b'},
        {"epochs", 1, 0, 'e'},    {"threads", 1, 0, 't'},
        {"optimizer", 1, 0, 'o'}, {"lr", 1, 0, 'r'},
        {"momentum", 1, 0, 'm'},  {"seed", 1, 0, 's'},
        {"normalize", 1, 0, 'n'}, {"data", 1, 0, 'd'},
        {"train-csv", 1, 0, 'T'}, {"test-csv", 1, 0, 'V'},
        {"limit", 1, 0, 'L'},     {"quiet", 0, 0, 'q'},
        {"sgemm-rate", 0, 0, 'g'}, {"lr-decay", 1, 0, 'D'},
        {"help", 0, 0, 'h'},      {"model", 1, 0, 'M'},
        {"test-each-epoch", 0, 0, 'E'},
        {0, 0, 0, 0}};
    nn_error err;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'l': if (parse_layers(optarg, o)) return -1; break;
        case 'b': o->cfg.batch_size = strtoul(optarg, NULL, 10); break;
        case 'e': o->cfg.epochs = strtoul(optarg, NULL, 10); break;
        case 't': o->cfg.threads = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'o':
            if (nn_optim_parse(optarg, &o->cfg.optim.kind, "--optimizer", &err))
                return fprintf(stderr, "%s\n", err.message), -1;
            break;
        case 'r': o->cfg.optim.learning_rate = strtof(optarg, NULL); break;
        case 'm': o->cfg.optim.momentum = strtof(optarg, NULL); break;
        case 'D': o->cfg.optim.lr_decay = strtof(optarg, NULL); break;
        case 's': o->cfg.seed = strtoull(optarg, NULL, 10); break;
        case 'n':
            if (nn_norm_parse(optarg, &o->cfg.normalize, "--normalize", &err))
                return fprintf(stderr, "%s\n", err.message), -1;
            break;
        case 'd': o->data_dir = optarg; break;
        case 'T': o->train_csv = optarg; break;
        case 'V': o->test_csv = optarg; break;
        case 'L': o->limit = strtoul(optarg, NULL, 10); break;
        case 'q': o->quiet = 1; break;
        case 'M': o->model = optarg; break;
        case 'g': o->sgemm_rate = 1; break;
        case 'E': o->test_each_epoch = 1; break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    return optind == argc ? 0 : -1;
}

static int load(const options *o, bench_set *train, bench_set *test)
{
    char msg[256], a[512], b[512];
    int rc;
    if (o->train_csv || o->test_csv) {
        rc = o->train_csv ? 0 : -1;
        if (rc)
            snprintf(msg, sizeof msg, "--test-csv needs --train-csv");
        if (!rc)
            rc = bench_load_csv(train, o->train_csv, o->limit, NULL, msg,
                                sizeof msg);
        if (!rc && o->test_csv)
            rc = bench_load_csv(test, o->test_csv, o->limit, train, msg,
                                sizeof msg);
    } else {
        snprintf(a, sizeof a, "%s/train-images-idx3-ubyte.gz", o->data_dir);
        snprintf(b, sizeof b, "%s/train-labels-idx1-ubyte.gz", o->data_dir);
        rc = bench_load_idx(train, a, b, o->limit, msg, sizeof msg);
        snprintf(a, sizeof a, "%s/t10k-images-idx3-ubyte.gz", o->data_dir);
        snprintf(b, sizeof b, "%s/t10k-labels-idx1-ubyte.gz", o->data_dir);
        if (!rc)
            rc = bench_load_idx(test, a, b, o->limit, msg, sizeof msg);
    }
    if (rc)
        fprintf(stderr, "bench-train: %s\n", msg);
    return rc;
}

static double test_accuracy(const nn_network *net, const bench_set *test)
{
    if (test->rows == 0)
        return NAN;
    nn_workspace *ws = NULL;
    float *out = malloc(test->rows * test->classes * sizeof *out);
    nn_error err;
    double acc = NAN;
    if (out && nn_workspace_create(&ws, net, 1000, false, &err) == NN_OK &&
        nn_predict(net, ws, test->X, test->rows, out, &err) == NN_OK) {
        size_t right = 0;
        for (size_t r = 0; r < test->rows; r++)
            right += nn_output_class(net, out + r * test->classes) ==
                     nn_target_class(net, test->Y + r * test->classes);
        acc = (double)right / (double)test->rows;
    }
    nn_workspace_free(ws);
    free(out);
    return acc;
}

typedef struct {
    double train_ms;
    int quiet;
    const nn_network *net;  /* with test: the test accuracy of every epoch */
    const bench_set *test;  /* (NULL: not measured) */
    double *epoch_ms; /* each epoch's time, for the median (NULL: none) */
    size_t n, cap;
} progress;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median epoch time: unlike the sum, one epoch descheduled on a busy
 * machine barely moves it. NAN without epochs. */
static double median_epoch_ms(progress *p)
{
    if (!p->n)
        return NAN;
    qsort(p->epoch_ms, p->n, sizeof *p->epoch_ms, cmp_double);
    return p->n % 2 ? p->epoch_ms[p->n / 2]
                    : (p->epoch_ms[p->n / 2 - 1] + p->epoch_ms[p->n / 2]) / 2;
}

static bool on_epoch(const nn_epoch_stats *st, void *user)
{
    progress *p = user;
    p->train_ms += st->elapsed_ms;
    if (p->n < p->cap)
        p->epoch_ms[p->n++] = st->elapsed_ms;
    if (p->quiet)
        return true;
    printf("epoch %zu loss %.4f accuracy %.4f time %.3f ms", st->epoch,
           st->loss, st->accuracy, st->elapsed_ms);
    if (p->test) /* after the epoch's clock stopped: not in its time */
        printf(" test_acc %.4f", test_accuracy(p->net, p->test));
    printf("\n");
    fflush(stdout);
    return true;
}


/* The network to train: --model's file, or the --layers preset (relu
 * layers, a softmax output, He weights from --seed). */
static nn_network *make_network(const options *o, const bench_set *tr,
                                const nn_layer_spec *layers)
{
    nn_network *net = NULL;
    nn_error err;
    char msg[512];
    if (o->model) {
        if (bench_model_file(o->model, &net, msg, sizeof msg)) {
            fprintf(stderr, "bench-train: %s\n", msg);
            return NULL;
        }
        if (net->inputs == tr->cols && nn_network_outputs(net) == tr->classes)
            return net;
        fprintf(stderr, "bench-train: %s has %zu inputs and %zu outputs, the "
                        "data %zu and %zu\n",
                o->model, net->inputs, nn_network_outputs(net), tr->cols,
                tr->classes);
        nn_network_free(net);
        return NULL;
    }
    if (nn_network_create(&net, NN_MODEL_MLP, tr->cols, layers,
                          o->n_hidden + 1, NN_LOSS_CROSS_ENTROPY, &err)) {
        fprintf(stderr, "bench-train: %s\n", err.message);
        return NULL;
    }
    nn_rng rng;
    nn_rng_seed(&rng, o->cfg.seed);
    nn_network_init(net, NN_INIT_HE, &rng);
    return net;
}

/* Floating-point operations of the products of one training step at
 * batch rows, per example: what the GFLOP/s figure counts, against the
 * sgemm rate at the same shapes (the other layers' work is not counted). */
static double flops_per_example(const nn_network *net, size_t batch)
{
    gemm_shape shapes[GEMM_MAX_SHAPES];
    size_t n = gemm_step_shapes(net, batch, false, shapes, GEMM_MAX_SHAPES);
    double f = 0;
    for (size_t i = 0; i < n; i++)
        f += gemm_flops(&shapes[i]) * (double)shapes[i].per_step;
    return f / (double)batch;
}

static int train(const options *o, const bench_set *tr, const bench_set *te)
{
    nn_layer_spec layers[MAX_HIDDEN + 1];
    for (size_t k = 0; k < o->n_hidden; k++)
        layers[k] = (nn_layer_spec){.units = o->hidden[k],
                                    .act = {NN_ACT_RELU, 0}};
    layers[o->n_hidden] = (nn_layer_spec){.units = tr->classes,
                                          .act = {NN_ACT_SOFTMAX, 0}};
    nn_trainer *trainer = NULL;
    nn_error err;
    nn_data data = {tr->rows, tr->cols, tr->classes, tr->X, tr->Y, true};
    size_t cap = o->cfg.epochs ? o->cfg.epochs : 1;
    progress p = {.quiet = o->quiet, .epoch_ms = calloc(cap, sizeof(double))};
    if (p.epoch_ms)
        p.cap = cap; /* without it, no median: the run still goes on */
    nn_train_result res;
    int rc = -1;
    nn_network *net = make_network(o, tr, layers);
    if (!net)
        return -1;
    p.net = net;
    p.test = o->test_each_epoch && te->rows ? te : NULL;
    if (nn_trainer_create(&trainer, net, &data, &o->cfg, &err) ||
        nn_trainer_run(trainer, on_epoch, &p, &res, &err))
        goto out;
    double sps = (double)tr->rows * res.epochs_done / (p.train_ms / 1e3);
    printf("threads %u, %zu parameters, %.2f ms training\n",
           nn_trainer_threads(trainer), net->n_params, p.train_ms);
    printf("median epoch %.4f ms over %zu epochs\n", median_epoch_ms(&p), p.n);
    if (o->sgemm_rate)
        sgemm_report(net, o->cfg.batch_size);
    printf("RESULT samples_per_s=%.0f test_acc=%.4f gflops=%.1f\n", sps,
           test_accuracy(net, te),
           sps * flops_per_example(net, o->cfg.batch_size) / 1e9);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "bench-train: %s%s%s\n", err.message,
                err.field[0] ? " at " : "", err.field);
    nn_trainer_free(trainer);
    nn_network_free(net);
    free(p.epoch_ms);
    return rc;
}

int main(int argc, char **argv)
{
    options o = {.hidden = {256, 128}, .n_hidden = 2, .data_dir = FMNIST};
    o.cfg = nn_train_defaults();
    o.cfg.epochs = 1;
    o.cfg.batch_size = 128;
    o.cfg.optim.learning_rate = 0.05f;
    o.cfg.optim.momentum = 0.9f;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--text") == 0)
            return bench_text_main(argc, argv);
        else if (strcmp(argv[i], "--gpt") == 0)
            return bench_gpt_main(argc, argv);
    if (parse_options(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    bench_set train_set = {0}, test_set = {0};
    int rc = load(&o, &train_set, &test_set) ? 1 : 0;
    if (!rc)
        rc = train(&o, &train_set, &test_set) ? 1 : 0;
    bench_set_free(&train_set);
    bench_set_free(&test_set);
    return rc;
}
