/* train_run.c — the training loop: data-parallel mini-batch steps over the
 * trainer's threads, validation, early stopping, divergence, callbacks, and
 * the perceptron's epochs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn_blas.h"
#include "nn_limits.h"
#include "nn_perceptron.h"
#include "trainer_internal.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sync_threads(nn_trainer *tr)
{
    if (tr->threads > 1)
        nn_barrier_wait(&tr->barrier);
}

/* Copies rows[0..n) of the data set into the worker's batch buffers,
 * normalising inputs on the way. */
static void gather(const nn_trainer *tr, nn_worker *w, const size_t *rows,
                   size_t n)
{
    const nn_network *net = tr->net;
    size_t in = net->inputs, outs = tr->data.out_dim;
    const nn_norm *norm = &net->norm;
    for (size_t r = 0; r < n; r++) {
        const float *x = tr->data.X + rows[r] * in;
        float *dst = w->xb + r * in;
        if (r + 1 < n) { /* rows are scattered: fetch the next one early */
            const char *next = (const char *)(tr->data.X + rows[r + 1] * in);
            for (size_t off = 0; off < in * sizeof(float); off += 64)
                __builtin_prefetch(next + off);
        }
        if (norm->kind == NN_NORM_NONE)
            memcpy(dst, x, in * sizeof *dst);
        else
            for (size_t j = 0; j < in; j++)
                dst[j] = (x[j] - norm->shift[j]) * norm->scale[j];
        memcpy(w->yb + r * outs, tr->data.Y + rows[r] * outs,
               outs * sizeof *w->yb);
    }
}

static size_t count_correct(const nn_network *net, const float *o,
                            const float *y, size_t rows)
{
    size_t outs = nn_network_outputs(net), correct = 0;
    for (size_t r = 0; r < rows; r++)
        correct += nn_output_class(net, o + r * outs) ==
                   nn_target_class(net, y + r * outs);
    return correct;
}

/* Phase 1 of a step: this worker's share of batch[0..B) (rows, or a
 * text's window starts) forward and backward, its gradient (of the
 * batch's mean per row, or per token) into w->grads. */
static void shard_backprop(nn_trainer *tr, nn_worker *w, const size_t *batch,
                           size_t B, uint64_t seed)
{
    size_t lo = B * w->id / tr->threads, hi = B * (w->id + 1) / tr->threads;
    w->rows = hi - lo;
    w->loss = 0.0;
    w->correct = 0;
    if (w->rows == 0) { /* a last batch smaller than the thread count */
        memset(w->grads, 0, tr->net->n_params * sizeof *w->grads);
        return;
    }
    if (tr->text) {
        nn_text_gather(tr, w, batch + lo, w->rows);
        nn_forward_train(tr->net, w->ws, w->xb, w->rows, seed, lo);
        w->loss = nn_backward_tokens(
            tr->net, w->ws, w->xb, w->tb, w->rows,
            1.0f / (float)(B * tr->context), w->grads, false, &w->correct);
        return;
    }
    gather(tr, w, batch + lo, w->rows);
    const float *o = nn_forward_train(tr->net, w->ws, w->xb, w->rows, seed,
                                      lo);
    if (tr->data.classification)
        w->correct = count_correct(tr->net, o, w->yb, w->rows);
    w->loss = nn_backward(tr->net, w->ws, w->xb, w->yb, w->rows,
                          1.0f / (float)B, w->grads, false);
}

/* Sums every worker's gradient into worker 0's block over [b, e), in
 * worker order, and adds the weight penalties there. */
static void sum_block(nn_trainer *tr, size_t b, size_t e)
{
    float *g = tr->workers[0].grads;
    for (size_t t = 1; t < tr->threads; t++) {
        const float *gt = tr->workers[t].grads;
        for (size_t i = b; i < e; i++)
            g[i] += gt[i];
    }
    nn_regularize(tr->net, &tr->cfg.reg, tr->net->params, g, b, e);
}

/* Applies the step to [b, e) of the summed gradient, scaled by clip:
 * AdamW's weight decay, then the optimizer's update. */
static void apply_block(nn_trainer *tr, size_t b, size_t e, float clip)
{
    float *g = tr->workers[0].grads;
    if (clip != 1.0f)
        for (size_t i = b; i < e; i++)
            g[i] *= clip;
    nn_decay_weights(tr->net, nn_optimizer_decay_factor(&tr->opt),
                     tr->net->params, b, e);
    nn_optimizer_apply(&tr->opt, tr->net->params, g, b, e);
}

/* Phase 2: over this worker's range of parameters (16-float aligned and
 * disjoint), sums the gradients and applies the optimizer. Without
 * clipping both go a block at a time, so the summed gradient is still in
 * L1 when it is applied; with clipping every worker first leaves Σ g² of
 * its range, then all wait for the global norm (summed in worker order,
 * so the same thread count gives the same factor) before applying. */
static void shard_update(nn_trainer *tr, nn_worker *w)
{
    enum { BLOCK = 2048 };
    size_t P = tr->net->n_params, T = tr->threads;
    size_t lo = (P * w->id / T) & ~(size_t)15;
    size_t hi = w->id + 1 == T ? P : (P * (w->id + 1) / T) & ~(size_t)15;
    bool clipping = tr->cfg.clip_grad_norm > 0.0f;
    const float *g = tr->workers[0].grads;
    double sq = 0.0;
    for (size_t b = lo; b < hi; b += BLOCK) {
        size_t e = hi - b < BLOCK ? hi : b + BLOCK;
        sum_block(tr, b, e);
        if (!clipping)
            apply_block(tr, b, e, 1.0f);
        for (size_t i = b; clipping && i < e; i++)
            sq += (double)g[i] * g[i];
    }
    if (!clipping)
        return;
    w->sum_squares = sq;
    sync_threads(tr);
    double total = 0.0;
    for (unsigned t = 0; t < T; t++)
        total += tr->workers[t].sum_squares;
    float clip = nn_clip_factor(total, tr->cfg.clip_grad_norm);
    for (size_t b = lo; b < hi; b += BLOCK)
        apply_block(tr, b, hi - b < BLOCK ? hi : b + BLOCK, clip);
}

/* Worker 0, between a step's two phases: folds the shards' batch
 * statistics into the network's running statistics, in worker order. */
static void merge_state(nn_trainer *tr)
{
    nn_workspace *ws[NN_MAX_THREADS];
    size_t rows[NN_MAX_THREADS];
    for (unsigned t = 0; t < tr->threads; t++) {
        ws[t] = tr->workers[t].ws;
        rows[t] = tr->workers[t].rows;
    }
    nn_network_merge_state(tr->net, ws, rows, tr->threads);
}

/* The seed of a step's dropout masks: the job's seed, the epoch and the
 * batch, so a resumed run draws the same masks. */
static uint64_t step_seed(const nn_trainer *tr, size_t batch)
{
    return tr->cfg.seed ^ ((uint64_t)tr->epoch * 0xd1b54a32d192ed03ull) ^
           ((uint64_t)(batch + 1) * 0x94d049bb133111ebull);
}

/* Worker 0, before a step: its learning rate (schedule or per-epoch
 * decay), then the step counted. The other workers read the rate only
 * after the barrier that follows the step's backward phase. */
static void begin_step(nn_trainer *tr)
{
    tr->opt.cfg.learning_rate = nn_optim_step_lr(
        &tr->cfg.optim, &tr->cfg.schedule, tr->epoch + 1, tr->opt.t,
        nn_trainer_total_steps(tr));
    nn_optimizer_begin_step(&tr->opt);
}

/* The rows (or window starts) of step `step` of the epoch, their count
 * into *n. */
static const size_t *step_items(nn_trainer *tr, nn_worker *w, size_t step,
                                size_t *n)
{
    if (tr->text)
        return nn_text_step(tr, w, step, n);
    size_t B = tr->cfg.batch_size, start = step * B;
    *n = tr->n_train - start < B ? tr->n_train - start : B;
    return tr->order + start;
}

/* One epoch of steps_per_epoch steps, run by every worker in lock-step;
 * worker 0 keeps the totals in tr->epoch_loss, tr->epoch_correct and
 * tr->epoch_items. */
static void epoch_task(nn_trainer *tr, nn_worker *w)
{
    for (size_t batch = 0; batch < tr->steps_per_epoch; batch++) {
        size_t b;
        const size_t *items = step_items(tr, w, batch, &b);
        if (w->id == 0)
            begin_step(tr);
        shard_backprop(tr, w, items, b, step_seed(tr, batch));
        sync_threads(tr);
        double sum = 0.0;
        size_t right = 0;
        for (unsigned t = 0; t < tr->threads; t++) {
            sum += tr->workers[t].loss;
            right += tr->workers[t].correct;
        }
        if (!isfinite(sum)) { /* every worker sees the same sum and stops */
            if (w->id == 0) {
                tr->diverged = true;
                tr->diverged_batch = batch + 1;
            }
            return;
        }
        if (w->id == 0 && tr->net->n_state)
            merge_state(tr);
        shard_update(tr, w);
        sync_threads(tr);
        if (w->id == 0) {
            tr->epoch_loss += sum;
            tr->epoch_correct += right;
            tr->epoch_items += b;
        }
    }
}

/* Forward passes over this worker's share of rows[0..n); its loss and
 * correct count are left in w->loss and w->correct. */
static void eval_task(nn_trainer *tr, nn_worker *w, const size_t *rows,
                      size_t n)
{
    size_t lo = n * w->id / tr->threads, hi = n * (w->id + 1) / tr->threads;
    w->loss = 0.0;
    w->correct = 0;
    for (size_t s = lo; s < hi; s += tr->shard_rows) {
        size_t k = hi - s < tr->shard_rows ? hi - s : tr->shard_rows;
        gather(tr, w, rows + s, k);
        const float *o = nn_forward(tr->net, w->ws, w->xb, k);
        w->loss += nn_forward_loss(tr->net, w->ws, w->yb, k);
        w->correct += count_correct(tr->net, o, w->yb, k);
    }
    w->scored = hi - lo;
}

static void run_task(nn_trainer *tr, nn_worker *w)
{
    if (tr->task == TASK_EPOCH)
        epoch_task(tr, w);
    else if (tr->task == TASK_EVAL && tr->text)
        nn_text_eval(tr, w);
    else if (tr->task == TASK_EVAL)
        eval_task(tr, w, tr->val_idx, tr->n_val);
}

/* Waits until the pool is complete (true) or abandoned (false). */
static bool pass_gate(nn_trainer *tr)
{
    pthread_mutex_lock(&tr->gate_lock);
    while (tr->gate == 0)
        pthread_cond_wait(&tr->gate_cond, &tr->gate_lock);
    bool go = tr->gate > 0;
    pthread_mutex_unlock(&tr->gate_lock);
    return go;
}

static void open_gate(nn_trainer *tr, int value)
{
    pthread_mutex_lock(&tr->gate_lock);
    tr->gate = value;
    pthread_cond_broadcast(&tr->gate_cond);
    pthread_mutex_unlock(&tr->gate_lock);
}

static void *worker_main(void *arg)
{
    nn_worker *w = arg;
    nn_trainer *tr = w->tr;
    if (!pass_gate(tr))
        return NULL;
    for (;;) {
        nn_barrier_wait(&tr->barrier); /* a task is posted */
        if (tr->task == TASK_QUIT)
            return NULL;
        run_task(tr, w);
        nn_barrier_wait(&tr->barrier); /* every worker is done */
    }
}

/* Runs `task` on every worker, the calling thread being worker 0. */
static void post(nn_trainer *tr, nn_task task)
{
    tr->task = task;
    sync_threads(tr);
    if (task == TASK_QUIT)
        return;
    run_task(tr, &tr->workers[0]);
    sync_threads(tr);
}

/* Starts workers 1..threads−1. If one cannot start, those that did are
 * released through the gate and joined, and nothing is left running. */
static nn_status start_pool(nn_trainer *tr, nn_error *err)
{
    if (tr->threads < 2)
        return NN_OK;
    if (nn_barrier_init(&tr->barrier, tr->threads) != 0)
        return nn_fail(err, NN_ERR_THREAD, NULL, "cannot make a barrier");
    pthread_mutex_init(&tr->gate_lock, NULL);
    pthread_cond_init(&tr->gate_cond, NULL);
    tr->gate = 0;
    unsigned started = 1;
    while (started < tr->threads &&
           pthread_create(&tr->workers[started].thread, NULL, worker_main,
                          &tr->workers[started]) == 0)
        started++;
    open_gate(tr, started == tr->threads ? 1 : -1);
    if (started == tr->threads) {
        tr->pool_started = true;
        return NN_OK;
    }
    for (unsigned t = 1; t < started; t++)
        pthread_join(tr->workers[t].thread, NULL);
    nn_barrier_destroy(&tr->barrier);
    pthread_mutex_destroy(&tr->gate_lock);
    pthread_cond_destroy(&tr->gate_cond);
    return nn_fail(err, NN_ERR_THREAD, NULL,
                   "cannot start training thread %u of %u", started + 1,
                   tr->threads);
}

static void stop_pool(nn_trainer *tr)
{
    if (!tr->pool_started)
        return;
    post(tr, TASK_QUIT);
    for (unsigned t = 1; t < tr->threads; t++)
        pthread_join(tr->workers[t].thread, NULL);
    nn_barrier_destroy(&tr->barrier);
    pthread_mutex_destroy(&tr->gate_lock);
    pthread_cond_destroy(&tr->gate_cond);
    tr->pool_started = false;
}

/* Validation loss and accuracy after an epoch; NAN when there is none. */
static void validate(nn_trainer *tr, nn_epoch_stats *st)
{
    st->val_loss = st->val_accuracy = NAN;
    if (tr->n_val == 0)
        return;
    post(tr, TASK_EVAL);
    double loss = 0.0;
    size_t correct = 0, scored = 0;
    for (unsigned t = 0; t < tr->threads; t++) {
        loss += tr->workers[t].loss;
        correct += tr->workers[t].correct;
        scored += tr->workers[t].scored;
    }
    st->val_loss = loss / (double)scored;
    if (tr->data.classification || tr->text)
        st->val_accuracy = (double)correct / (double)scored;
}

/* This epoch's visiting order: the split's order, shuffled when asked.
 * Restarting from the fixed order makes the RNG the only state to save. */
static void prepare_order(nn_trainer *tr)
{
    if (tr->text) {
        nn_text_order(tr);
        return;
    }
    memcpy(tr->order, tr->train_idx, tr->n_train * sizeof *tr->order);
    if (tr->cfg.shuffle)
        nn_rng_shuffle(&tr->rng, tr->order, tr->n_train);
}

static nn_status gradient_epoch(nn_trainer *tr, nn_epoch_stats *st,
                                nn_error *err)
{
    tr->epoch_loss = 0.0;
    tr->epoch_correct = 0;
    tr->epoch_items = 0;
    post(tr, TASK_EPOCH);
    st->lr = tr->opt.cfg.learning_rate; /* set by the last begin_step */
    if (tr->diverged)
        return nn_fail(err, NN_ERR_DIVERGED, NULL,
                       "training diverged: the loss became NaN or infinite "
                       "in epoch %zu, batch %zu; try a smaller "
                       "learning_rate",
                       tr->epoch + 1, tr->diverged_batch);
    /* per row, or per token of a text's windows */
    double seen = (double)tr->epoch_items * (tr->text ? tr->context : 1);
    st->loss = tr->epoch_loss / seen;
    st->accuracy = tr->data.classification || tr->text
                       ? (double)tr->epoch_correct / seen
                       : NAN;
    validate(tr, st);
    return NN_OK;
}

/* One pass of Rosenblatt's rule in the epoch's order, gathered (and
 * normalised) a chunk at a time; then accuracy over the training rows. */
static nn_status perceptron_epoch(nn_trainer *tr, nn_epoch_stats *st)
{
    nn_worker *w = &tr->workers[0];
    size_t mistakes = 0;
    for (size_t s = 0; s < tr->n_train; s += tr->shard_rows) {
        size_t k = tr->n_train - s < tr->shard_rows ? tr->n_train - s
                                                    : tr->shard_rows;
        gather(tr, w, tr->order + s, k);
        mistakes += nn_perceptron_epoch(tr->net, w->xb, w->yb, k, NULL);
    }
    st->mistakes = mistakes;
    st->lr = NAN; /* Rosenblatt's rule steps by whole errors */
    st->loss = (double)mistakes;
    eval_task(tr, w, tr->train_idx, tr->n_train);
    st->accuracy = (double)w->correct / (double)tr->n_train;
    validate(tr, st);
    return NN_OK;
}

/* Early stopping on the validation loss (the training loss without a
 * validation set); true when patience has run out. */
static bool should_stop_early(nn_trainer *tr, const nn_epoch_stats *st)
{
    if (tr->cfg.patience == 0)
        return false;
    double monitored = tr->n_val ? st->val_loss : st->loss;
    if (monitored < tr->best - tr->cfg.min_delta) {
        tr->best = monitored;
        tr->stale = 0;
        return false;
    }
    return ++tr->stale >= tr->cfg.patience;
}

nn_status nn_trainer_run(nn_trainer *tr, nn_epoch_fn cb, void *user,
                         nn_train_result *result, nn_error *err)
{
    nn_train_result res = {0};
    bool perceptron = tr->net->type == NN_MODEL_PERCEPTRON;
    nn_blas_set_threads(1); /* the trainer owns the threads */
    tr->diverged = false;
    nn_status st = start_pool(tr, err);
    while (st == NN_OK && tr->epoch < tr->cfg.epochs) {
        nn_epoch_stats es = {.epoch = tr->epoch + 1};
        double t0 = now_ms();
        prepare_order(tr);
        st = perceptron ? perceptron_epoch(tr, &es)
                        : gradient_epoch(tr, &es, err);
        if (st != NN_OK)
            break;
        tr->epoch++;
        es.elapsed_ms = now_ms() - t0;
        res.epochs_done++;
        res.last = es;
        res.converged = perceptron && es.mistakes == 0;
        res.early_stopped = !perceptron && should_stop_early(tr, &es);
        if (cb && !cb(&es, user))
            st = nn_fail(err, NN_ERR_STOPPED, NULL,
                         "training was stopped after epoch %zu", tr->epoch);
        if (res.converged || res.early_stopped)
            break;
    }
    stop_pool(tr);
    if (result)
        *result = res;
    return st;
}
