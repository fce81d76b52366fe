/* helpers.c — see helpers.h. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

nn_activation act(nn_act_kind kind, float param)
{
    return (nn_activation){.kind = kind, .param = param};
}

nn_layer_spec layer(size_t units, nn_act_kind kind, float param)
{
    return (nn_layer_spec){.units = units, .act = act(kind, param)};
}

nn_shape image(size_t c, size_t h, size_t w)
{
    return (nn_shape){.rank = 3, .dim = {c, h, w}};
}

nn_layer_spec conv(size_t filters, size_t kh, size_t kw, size_t stride,
                   nn_padding pad, nn_act_kind a)
{
    return (nn_layer_spec){.kind = NN_LAYER_CONV2D, .filters = filters,
                           .kernel_h = kh, .kernel_w = kw, .stride = stride,
                           .padding = pad,
                           .act = act(a, a == NN_ACT_SIGMOID ? 1.0f : 0)};
}

nn_network *make_net(nn_model_type type, size_t inputs,
                     const nn_layer_spec *layers, size_t n_layers,
                     nn_loss_kind loss)
{
    nn_network *net = NULL;
    nn_error err;
    nn_error_clear(&err);
    nn_status st = nn_network_create(&net, type, inputs, layers, n_layers,
                                     loss, &err);
    cr_assert_eq(st, NN_OK, "nn_network_create: %s (%s)", err.message,
                 err.field);
    cr_assert_not_null(net);
    return net;
}

void init_net(nn_network *net, uint64_t seed, float bias_range)
{
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    nn_network_init(net, NN_INIT_XAVIER, &rng);
    for (size_t k = 0; k < net->n_layers; k++)
        fill_uniform(net->params + net->b_offset[k], net->layers[k].units,
                     -bias_range, bias_range, &rng);
}

void fill_uniform(float *v, size_t n, float lo, float hi, nn_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        v[i] = lo + (hi - lo) * nn_rng_uniform(rng);
}

void fill_one_hot(float *Y, size_t rows, size_t cols, nn_rng *rng)
{
    memset(Y, 0, rows * cols * sizeof *Y);
    for (size_t r = 0; r < rows; r++)
        Y[r * cols + nn_rng_below(rng, cols)] = 1.0f;
}

void make_teacher_data(float *X, float *Y, size_t rows, size_t in,
                       size_t classes, uint64_t seed)
{
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    float *T = malloc(in * classes * sizeof *T);
    cr_assert_not_null(T);
    fill_uniform(T, in * classes, -1, 1, &rng);
    fill_uniform(X, rows * in, -1, 1, &rng);
    memset(Y, 0, rows * classes * sizeof *Y);
    for (size_t r = 0; r < rows; r++) {
        size_t best = 0;
        double best_s = -INFINITY;
        for (size_t c = 0; c < classes; c++) {
            double s = 0;
            for (size_t i = 0; i < in; i++)
                s += (double)X[r * in + i] * T[i * classes + c];
            if (s > best_s) {
                best_s = s;
                best = c;
            }
        }
        Y[r * classes + best] = 1.0f;
    }
    free(T);
}

nn_train_config plain_config(nn_opt_kind kind, float lr, size_t batch,
                             size_t epochs)
{
    nn_train_config cfg = nn_train_defaults();
    cfg.optim.kind = kind;
    cfg.optim.learning_rate = lr;
    cfg.batch_size = batch;
    cfg.epochs = epochs;
    cfg.normalize = NN_NORM_NONE;
    cfg.shuffle = false;
    return cfg;
}

size_t units_total(const nn_network *net)
{
    size_t n = 0;
    for (size_t k = 0; k < net->n_layers; k++)
        n += net->layers[k].units;
    return n;
}

static double ref_act(const nn_activation *a, double x)
{
    switch (a->kind) {
    case NN_ACT_STEP: return x > 0 ? 1.0 : 0.0;
    case NN_ACT_SIGN: return x > 0 ? 1.0 : -1.0;
    case NN_ACT_SIGMOID: return 1.0 / (1.0 + exp(-(double)a->param * x));
    case NN_ACT_TANH: return tanh(x);
    case NN_ACT_RELU: return x > 0 ? x : 0.0;
    case NN_ACT_LEAKY_RELU: return x > 0 ? x : (double)a->param * x;
    default: return x;
    }
}

const double *ref_forward(const nn_network *net, const float *X, size_t rows,
                          double *Z, double *A)
{
    size_t in = net->inputs, off = 0;
    const double *prev = NULL;
    for (size_t k = 0; k < net->n_layers; k++) {
        size_t out = net->layers[k].units;
        const float *W = net->params + net->w_offset[k];
        const float *b = net->params + net->b_offset[k];
        double *z = Z + off, *a = A + off;
        for (size_t r = 0; r < rows; r++) {
            for (size_t j = 0; j < out; j++) {
                double s = b[j];
                for (size_t i = 0; i < in; i++) {
                    double x = prev ? prev[r * in + i] : X[r * in + i];
                    s += x * W[i * out + j];
                }
                z[r * out + j] = s;
            }
            if (net->layers[k].act.kind == NN_ACT_SOFTMAX) {
                double max = z[r * out], sum = 0;
                for (size_t j = 1; j < out; j++)
                    max = fmax(max, z[r * out + j]);
                for (size_t j = 0; j < out; j++)
                    sum += exp(z[r * out + j] - max);
                for (size_t j = 0; j < out; j++)
                    a[r * out + j] = exp(z[r * out + j] - max) / sum;
            } else {
                for (size_t j = 0; j < out; j++)
                    a[r * out + j] =
                        ref_act(&net->layers[k].act, z[r * out + j]);
            }
        }
        prev = a;
        in = out;
        off += rows * out;
    }
    return prev;
}

uint64_t ref_fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull; /* offset basis */
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull; /* FNV prime 2^40 + 2^8 + 0xb3 */
    }
    return h;
}

void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

void reseal(unsigned char *buf, size_t len)
{
    cr_assert_geq(len, 8);
    put_u64(buf + len - 8, ref_fnv1a64(buf, len - 8));
}

float *params_copy(const nn_network *net)
{
    float *p = malloc(net->n_params * sizeof *p);
    cr_assert_not_null(p);
    memcpy(p, net->params, net->n_params * sizeof *p);
    return p;
}

double stack_loss(grad_stack *s)
{
    nn_forward_train(s->net, s->ws, s->X, s->rows, 77, 0);
    return nn_forward_loss(s->net, s->ws, s->Y, s->rows) / (double)s->rows;
}

double stack_central(grad_stack *s, size_t i, float h)
{
    float p = s->net->params[i];
    s->net->params[i] = p + h;
    double jp = stack_loss(s);
    s->net->params[i] = p - h;
    double jm = stack_loss(s);
    s->net->params[i] = p;
    return (jp - jm) / (2.0 * (double)h);
}

void assert_grad_entry(const char *name, size_t i, double a, double num,
                       double *maxdiff, double *maxabs)
{
    cr_assert_leq(fabs(a - num), 1e-2 * fmax(fabs(a), fabs(num)) + 1e-4,
                  "%s: parameter %zu analytic %.7g numeric %.7g", name, i, a,
                  num);
    *maxdiff = fmax(*maxdiff, fabs(a - num));
    *maxabs = fmax(*maxabs, fmax(fabs(a), fabs(num)));
}

void assert_layers_get_gradient(const char *name, const nn_network *net,
                                const float *grads)
{
    for (size_t k = 0; k < net->n_layers; k++) {
        double m = 0;
        for (size_t i = net->w_offset[k]; i < net->b_offset[k]; i++)
            m = fmax(m, fabsf(grads[i]));
        if (net->info[k].n_w)
            cr_assert_gt(m, 1e-4, "%s: layer %zu gets no gradient", name, k);
    }
}

nn_network *shaped_net(nn_shape in, const nn_layer_spec *L, size_t n,
                       nn_loss_kind loss)
{
    nn_network *net = NULL;
    nn_error err;
    cr_assert_eq(nn_network_create_shaped(&net, NN_MODEL_MLP, &in, L, n, loss,
                                          &err),
                 NN_OK, "%s (%s)", err.message, err.field);
    return net;
}

static bool stop_after(const nn_epoch_stats *st, void *user)
{
    return st->epoch < *(const size_t *)user;
}

void assert_resume_matches(make_trainer_fn make, const void *data,
                           const nn_train_config *cfg, const nn_network *ref,
                           nn_network *a, nn_network *b, size_t stop,
                           const char *what)
{
    nn_trainer *tr = NULL;
    nn_error err;
    cr_assert_eq(make(&tr, a, cfg, data, &err), NN_OK, "%s: %s", what,
                 err.message);
    cr_assert_eq(nn_trainer_run(tr, stop_after, &stop, NULL, &err),
                 NN_ERR_STOPPED);
    cr_assert_eq(nn_trainer_epoch(tr), stop);
    unsigned char *ck = NULL;
    size_t len = 0;
    cr_assert_eq(nn_trainer_checkpoint(tr, &ck, &len, &err), NN_OK);
    nn_trainer_free(tr);
    cr_assert_eq(make(&tr, b, cfg, data, &err), NN_OK);
    cr_assert_eq(nn_trainer_restore(tr, ck, len, &err), NN_OK, "%s: %s",
                 what, err.message);
    cr_assert_eq(nn_trainer_run(tr, NULL, NULL, NULL, &err), NN_OK);
    nn_trainer_free(tr);
    free(ck);
    cr_assert(memcmp(b->params, ref->params, ref->n_params * sizeof(float)) ==
                  0, "%s: the resumed run ends elsewhere", what);
}

grad_stack seq_stack(nn_shape in, const nn_layer_spec *L, size_t n,
                     size_t rows, size_t vocab)
{
    grad_stack s = {.net = shaped_net(in, L, n, NN_LOSS_CROSS_ENTROPY),
                    .rows = rows};
    nn_network *net = s.net;
    size_t outs = nn_network_outputs(net);
    const nn_shape *o = &net->info[n - 1].out;
    size_t K = o->dim[o->rank - 1];
    nn_rng rng;
    nn_rng_seed(&rng, 21);
    fill_uniform(net->params, net->n_params, -0.5f, 0.5f, &rng);
    s.X = malloc(rows * net->inputs * sizeof *s.X);
    s.Y = malloc(rows * outs * sizeof *s.Y);
    cr_assert(s.X && s.Y);
    fill_uniform(s.X, rows * net->inputs, vocab ? 0 : -1, vocab ? 1 : 1,
                 &rng);
    for (size_t i = 0; vocab && i < rows * net->inputs; i++)
        s.X[i] = floorf(s.X[i] * (float)vocab * 0.999f);
    fill_one_hot(s.Y, rows * outs / K, K, &rng);
    cr_assert_eq(nn_workspace_create(&s.ws, net, rows, true, NULL), NN_OK);
    return s;
}

void stack_free(grad_stack *s)
{
    nn_workspace_free(s->ws);
    nn_network_free(s->net);
    free(s->X), free(s->Y);
}

double seq_gradcheck(const char *name, nn_shape in, const nn_layer_spec *L,
                     size_t n, size_t rows, size_t vocab)
{
    grad_stack s = seq_stack(in, L, n, rows, vocab);
    nn_network *net = s.net;
    size_t P = net->n_params;
    float *ana = malloc(P * sizeof *ana);
    cr_assert(ana);
    nn_forward_train(net, s.ws, s.X, rows, 77, 0);
    nn_backward(net, s.ws, s.X, s.Y, rows, 1.0f / (float)rows, ana, false);
    double maxdiff = 0, maxabs = 1e-3;
    for (size_t i = 0; i < P; i++) {
        assert_grad_entry(name, i, ana[i], stack_central(&s, i, 5e-3f),
                          &maxdiff, &maxabs);
    }
    assert_layers_get_gradient(name, net, ana);
    double e = maxdiff / maxabs;
    cr_assert_lt(e, 1e-3, "%s: normwise error %.3g", name, e);
    if (getenv("NN_TEST_VERBOSE"))
        fprintf(stderr, "%s: normwise error %.2e over %zu parameters\n",
                name, e, P);
    free(ana);
    stack_free(&s);
    return e;
}


float *assert_paths_agree(grad_stack *s, const char *name)
{
    size_t n = s->rows * nn_network_outputs(s->net);
    float *train = malloc(n * sizeof *train);
    cr_assert(train);
    memcpy(train, nn_forward_train(s->net, s->ws, s->X, s->rows, 1, 0),
           n * sizeof *train);
    nn_workspace *pw = NULL;
    cr_assert_eq(nn_workspace_create(&pw, s->net, s->rows, false, NULL),
                 NN_OK);
    const float *pred = nn_forward(s->net, pw, s->X, s->rows);
    for (size_t i = 0; i < n; i++)
        cr_assert_float_eq(pred[i], train[i], 1e-6, "%s entry %zu", name, i);
    nn_workspace_free(pw);
    return train;
}

nn_network *assert_round_trip(const nn_network *net)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    nn_error err;
    cr_assert_eq(nn_model_save(net, &buf, &len, &err), NN_OK);
    nn_network *back = NULL;
    cr_assert_eq(nn_model_load(&back, buf, len, &err), NN_OK, "%s",
                 err.message);
    cr_assert_eq(back->n_layers, net->n_layers);
    for (size_t k = 0; k < net->n_layers; k++)
        cr_assert(nn_layer_spec_equal(&back->layers[k], &net->layers[k]),
                  "layer %zu", k);
    cr_assert_eq(memcmp(back->params, net->params,
                        net->n_params * sizeof(float)), 0);
    free(buf);
    return back;
}
