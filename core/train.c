/* train.c — the trainer's set-up: configuration and data checks, the
 * validation split, input normalisation and per-thread buffers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn_blas.h"
#include "nn_limits.h"
#include "trainer_internal.h"

nn_train_config nn_train_defaults(void)
{
    return (nn_train_config){.epochs = 100,
                             .batch_size = 32,
                             .optim = nn_optim_defaults(),
                             .normalize = NN_NORM_STANDARD,
                             .validation_split = 0.0f,
                             .shuffle = true,
                             .seed = 1,
                             .patience = 0,
                             .min_delta = 0.0f,
                             .threads = 0};
}

nn_status nn_trainer_check_config(const nn_network *net,
                                  const nn_train_config *c, nn_error *err)
{
    if (c->epochs == 0)
        return nn_fail(err, NN_ERR_INVALID, "/epochs", "epochs must be ≥ 1");
    if (c->batch_size == 0)
        return nn_fail(err, NN_ERR_INVALID, "/batch_size",
                       "batch_size must be ≥ 1");
    if (c->batch_size > NN_MAX_BATCH)
        return nn_fail(err, NN_ERR_TOO_LARGE, "/batch_size",
                       "batch_size must be ≤ %u", NN_MAX_BATCH);
    if (!(c->validation_split >= 0.0f && c->validation_split < 1.0f))
        return nn_fail(err, NN_ERR_INVALID, "/validation_split",
                       "validation_split must be in [0, 1)");
    if (!(isfinite(c->min_delta) && c->min_delta >= 0.0f))
        return nn_fail(err, NN_ERR_INVALID, "/early_stopping/min_delta",
                       "min_delta must be a number ≥ 0");
    if (!(isfinite(c->clip_grad_norm) && c->clip_grad_norm >= 0.0f))
        return nn_fail(err, NN_ERR_INVALID, "/clip_grad_norm",
                       "clip_grad_norm must be a number ≥ 0 (0: off)");
    if (c->epoch_steps > NN_MAX_STEPS)
        return nn_fail(err, NN_ERR_INVALID, "/epoch_steps",
                       "epoch_steps must be ≤ %u", NN_MAX_STEPS);
    if (c->threads > NN_MAX_THREADS)
        return nn_fail(err, NN_ERR_INVALID, "/threads",
                       "threads must be ≤ %d", NN_MAX_THREADS);
    if ((unsigned)c->normalize > NN_NORM_MINMAX)
        return nn_fail(err, NN_ERR_INVALID, "/normalize",
                       "unknown normalization");
    if (net->type == NN_MODEL_PERCEPTRON)
        return NN_OK; /* the rule has no optimizer and no penalty */
    nn_status st = nn_regularization_check(&c->reg, err);
    if (st == NN_OK)
        st = nn_optim_check(&c->optim, "/optimizer", err);
    return st != NN_OK ? st : nn_lr_schedule_check(&c->schedule, &c->optim, err);
}

static nn_status check_data(const nn_network *net, const nn_data *d,
                            nn_error *err)
{
    if (!d || d->rows == 0 || !d->X || !d->Y)
        return nn_fail(err, NN_ERR_INVALID, "/dataset", "the data set is empty");
    if (d->in_dim != net->inputs)
        return nn_fail(err, NN_ERR_INVALID, "/dataset",
                       "the data set has %zu inputs, the model %zu",
                       d->in_dim, net->inputs);
    if (d->out_dim != nn_network_outputs(net))
        return nn_fail(err, NN_ERR_INVALID, "/dataset",
                       "the data set has %zu outputs, the model %zu",
                       d->out_dim, nn_network_outputs(net));
    size_t nx, ny;
    if (!nn_size_mul(d->rows, d->in_dim, &nx) ||
        !nn_size_mul(d->rows, d->out_dim, &ny) || nx > NN_MAX_ELEMENTS ||
        ny > NN_MAX_ELEMENTS)
        return nn_fail(err, NN_ERR_TOO_LARGE, "/dataset",
                       "the data set is too large");
    for (size_t i = 0; i < nx; i++)
        if (!isfinite(d->X[i]))
            return nn_fail(err, NN_ERR_INVALID, "/dataset",
                           "input row %zu column %zu is not a finite number",
                           i / d->in_dim, i % d->in_dim);
    for (size_t i = 0; i < ny; i++)
        if (!isfinite(d->Y[i]))
            return nn_fail(err, NN_ERR_INVALID, "/dataset",
                           "target row %zu column %zu is not a finite number",
                           i / d->out_dim, i % d->out_dim);
    return NN_OK;
}

/* Splits rows into training and validation sets by a permutation drawn
 * from its own RNG (seed-derived), so a resumed run recomputes it exactly;
 * each set keeps the rows' original order. */
size_t nn_train_held_out(const nn_train_config *cfg, size_t n,
                         size_t context)
{
    size_t n_val = (size_t)((double)n * cfg->validation_split);
    if (!context && n > 0 && n_val >= n)
        n_val = n - 1;
    return n_val;
}

static nn_status make_split(nn_trainer *tr, nn_error *err)
{
    size_t rows = tr->data.rows;
    size_t n_val = nn_train_held_out(&tr->cfg, rows, 0);
    tr->n_val = n_val;
    tr->n_train = rows - n_val;
    tr->train_idx = malloc(rows * sizeof *tr->train_idx);
    tr->order = malloc(rows * sizeof *tr->order);
    unsigned char *is_val = calloc(rows, 1);
    if (!tr->train_idx || !tr->order || !is_val) {
        free(is_val);
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    nn_rng split;
    nn_rng_seed(&split, tr->cfg.seed ^ 0x5eed5117ull);
    for (size_t i = 0; i < rows; i++)
        tr->order[i] = i;
    nn_rng_shuffle(&split, tr->order, rows);
    for (size_t i = 0; i < n_val; i++)
        is_val[tr->order[i]] = 1;
    tr->val_idx = tr->train_idx + tr->n_train;
    size_t t = 0, v = 0;
    for (size_t i = 0; i < rows; i++) {
        if (is_val[i])
            tr->val_idx[v++] = i;
        else
            tr->train_idx[t++] = i;
    }
    free(is_val);
    return NN_OK;
}

/* Fits shift and scale on the training rows (in double), so that
 * (x − shift)·scale has mean 0 and std 1 (standard) or spans [0, 1]
 * (minmax); a constant feature gets scale 1. */
static nn_status fit_norm(nn_trainer *tr, nn_error *err)
{
    nn_norm_kind kind = tr->cfg.normalize;
    size_t in = tr->data.in_dim;
    if (kind == NN_NORM_NONE)
        return nn_network_set_norm(tr->net, NN_NORM_NONE, NULL, NULL, err);
    double *acc = calloc(2 * in, sizeof *acc);
    float *shift = malloc(2 * in * sizeof *shift);
    if (!acc || !shift) {
        free(acc);
        free(shift);
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    float *scale = shift + in;
    const float *first = tr->data.X + tr->train_idx[0] * in;
    for (size_t j = 0; j < in; j++) /* minmax starts from the first row */
        acc[j] = acc[in + j] = kind == NN_NORM_MINMAX ? first[j] : 0.0;
    for (size_t n = 0; n < tr->n_train; n++) {
        const float *x = tr->data.X + tr->train_idx[n] * in;
        for (size_t j = 0; j < in; j++) {
            if (kind == NN_NORM_MINMAX) {
                acc[j] = x[j] < acc[j] ? x[j] : acc[j];
                acc[in + j] = x[j] > acc[in + j] ? x[j] : acc[in + j];
            } else {
                acc[j] += x[j];
                acc[in + j] += (double)x[j] * x[j];
            }
        }
    }
    for (size_t j = 0; j < in; j++) {
        double lo = acc[j], spread = acc[in + j] - acc[j];
        if (kind == NN_NORM_STANDARD) {
            lo = acc[j] / (double)tr->n_train;
            double var = acc[in + j] / (double)tr->n_train - lo * lo;
            spread = var > 0 ? sqrt(var) : 0;
        }
        shift[j] = (float)lo;
        scale[j] = spread > 1e-12 ? (float)(1.0 / spread) : 1.0f;
    }
    free(acc);
    nn_status st = nn_network_set_norm(tr->net, kind, shift, scale, err);
    free(shift);
    return st;
}

/* Threads that pay off: each must get ≥ ~4 MFLOP of work per mini-batch
 * (a few tens of µs), or the synchronisation costs more than it saves. */
static unsigned choose_threads(const nn_network *net,
                               const nn_train_config *c)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned want = c->threads ? c->threads : (unsigned)(cores > 0 ? cores : 1);
    if (net->type == NN_MODEL_PERCEPTRON)
        return 1;
    double flops_per_row = 0;
    for (size_t k = 0; k < net->n_layers; k++)
        flops_per_row += net->info[k].flops_per_row;
    double pays = flops_per_row * (double)c->batch_size / 4e6;
    unsigned t = pays < 1 ? 1 : pays > want ? want : (unsigned)pays;
    if (t > c->batch_size)
        t = (unsigned)c->batch_size;
    return t ? t : 1;
}

static nn_status make_workers(nn_trainer *tr, nn_error *err)
{
    size_t in = tr->net->inputs, outs = nn_network_outputs(tr->net);
    size_t B = tr->cfg.batch_size;
    tr->shard_rows = (B + tr->threads - 1) / tr->threads;
    tr->workers = calloc(tr->threads, sizeof *tr->workers);
    if (!tr->workers)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    for (unsigned t = 0; t < tr->threads; t++) {
        nn_worker *w = &tr->workers[t];
        w->tr = tr;
        w->id = t;
        nn_status st = nn_workspace_create(&w->ws, tr->net, tr->shard_rows,
                                           true, err);
        if (st != NN_OK)
            return st;
        w->xb = aligned_alloc(64, ((tr->shard_rows * in + 15) & ~(size_t)15) * sizeof(float));
        w->grads = aligned_alloc(64, ((tr->net->n_params + 15) & ~(size_t)15) * sizeof(float));
        bool ok = w->xb && w->grads;
        if (tr->text) {
            w->tb = malloc(tr->shard_rows * in * sizeof *w->tb);
            w->draws = tr->cfg.epoch_steps ? malloc(B * sizeof *w->draws)
                                           : NULL;
            ok = ok && w->tb && (w->draws || !tr->cfg.epoch_steps);
        } else {
            w->yb = malloc(tr->shard_rows * outs * sizeof(float));
            ok = ok && w->yb;
        }
        if (!ok)
            return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    return NN_OK;
}

nn_status nn_trainer_alloc(nn_trainer **out, nn_network *net,
                           const nn_train_config *cfg, nn_error *err)
{
    nn_trainer *tr = calloc(1, sizeof *tr);
    if (!tr)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    tr->net = net;
    tr->cfg = *cfg;
    tr->best = INFINITY;
    tr->threads = choose_threads(net, cfg);
    nn_rng_seed(&tr->rng, cfg->seed);
    *out = tr;
    return NN_OK;
}

nn_status nn_trainer_finish(nn_trainer *tr, nn_status st, nn_trainer **out,
                            nn_error *err)
{
    if (st == NN_OK && tr->net->type != NN_MODEL_PERCEPTRON)
        st = nn_optimizer_init(&tr->opt, &tr->cfg.optim, tr->net->n_params,
                               err);
    if (st == NN_OK)
        st = make_workers(tr, err);
    if (st != NN_OK) {
        nn_trainer_free(tr);
        return st;
    }
    *out = tr;
    return NN_OK;
}

nn_status nn_trainer_create(nn_trainer **out, nn_network *net,
                            const nn_data *data, const nn_train_config *cfg,
                            nn_error *err)
{
    nn_status st = nn_trainer_check_config(net, cfg, err);
    if (st == NN_OK && cfg->epoch_steps)
        st = nn_fail(err, NN_ERR_INVALID, "/epoch_steps",
                     "epoch_steps is for sequence jobs on a text");
    if (st == NN_OK)
        st = check_data(net, data, err);
    nn_trainer *tr = NULL;
    if (st == NN_OK)
        st = nn_trainer_alloc(&tr, net, cfg, err);
    if (st != NN_OK)
        return st;
    tr->data = *data;
    st = make_split(tr, err);
    tr->steps_per_epoch = nn_train_steps_per_epoch(cfg, data->rows, 0);
    if (st == NN_OK)
        st = fit_norm(tr, err);
    return nn_trainer_finish(tr, st, out, err);
}

void nn_trainer_free(nn_trainer *tr)
{
    if (!tr)
        return;
    for (unsigned t = 0; tr->workers && t < tr->threads; t++) {
        nn_workspace_free(tr->workers[t].ws);
        free(tr->workers[t].xb);
        free(tr->workers[t].yb);
        free(tr->workers[t].tb);
        free(tr->workers[t].draws);
        free(tr->workers[t].grads);
    }
    free(tr->workers);
    nn_optimizer_release(&tr->opt);
    free(tr->train_idx);
    free(tr->order);
    free(tr);
}

unsigned nn_trainer_threads(const nn_trainer *tr)
{
    return tr->threads;
}

size_t nn_trainer_epoch(const nn_trainer *tr)
{
    return tr->epoch;
}

size_t nn_trainer_train_rows(const nn_trainer *tr)
{
    return tr->n_train;
}

size_t nn_trainer_steps_per_epoch(const nn_trainer *tr)
{
    return tr->steps_per_epoch;
}

uint64_t nn_trainer_total_steps(const nn_trainer *tr)
{
    return (uint64_t)tr->steps_per_epoch * tr->cfg.epochs;
}

size_t nn_train_steps_per_epoch(const nn_train_config *cfg, size_t n,
                                size_t context)
{
    size_t B = cfg->batch_size ? cfg->batch_size : 1;
    size_t n_train = n - nn_train_held_out(cfg, n, context);
    if (!context)
        return (n_train + B - 1) / B;
    if (cfg->epoch_steps)
        return cfg->epoch_steps;
    size_t windows = n_train > context ? n_train - context : 0;
    return (windows + B - 1) / B;
}

float nn_train_epoch_lr(const nn_train_config *cfg, size_t steps_per_epoch,
                        size_t epoch)
{
    uint64_t step = (uint64_t)epoch * steps_per_epoch;
    return nn_optim_step_lr(&cfg->optim, &cfg->schedule, epoch,
                            step ? step - 1 : 0,
                            (uint64_t)steps_per_epoch * cfg->epochs);
}
