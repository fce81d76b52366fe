/* train_tokens.c — training a language model on a text (nn_tokens): the
 * checks, the held-out block, each step's windows (a shuffled pass, or
 * draws as nanoGPT's), gathering a shard of windows as ids, and scoring
 * the whole held-out block. The loop itself is train_run.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_sample.h"
#include "trainer_internal.h"

static nn_status check_text(const nn_network *net, const nn_tokens *tok,
                            const nn_train_config *cfg, nn_error *err)
{
    size_t V = 0;
    nn_status st = nn_language_model_vocab(net, &V, err);
    if (st != NN_OK)
        return st;
    if (!tok || !tok->ids || tok->n == 0)
        return nn_fail(err, NN_ERR_INVALID, "/dataset", "the text is empty");
    if (tok->vocab != V)
        return nn_fail(err, NN_ERR_INVALID, "/dataset",
                       "the text's vocabulary has %zu tokens, the model's "
                       "vocab_size is %zu", tok->vocab, V);
    for (size_t i = 0; i < tok->n; i++)
        if (tok->ids[i] >= V)
            return nn_fail(err, NN_ERR_INVALID, "/dataset",
                           "token %zu is id %u, outside the vocabulary of "
                           "%zu", i, (unsigned)tok->ids[i], V);
    if (cfg->normalize != NN_NORM_NONE)
        return nn_fail(err, NN_ERR_INVALID, "/normalize",
                       "token ids are not normalised: normalize must be "
                       "none for a text");
    return NN_OK;
}

/* The held-out block and the training windows; the pass order when an
 * epoch is a pass. */
static nn_status split_text(nn_trainer *tr, nn_error *err)
{
    size_t n = tr->tok.n, T = tr->context;
    tr->n_val = nn_train_held_out(&tr->cfg, n, T);
    tr->n_train = n - tr->n_val;
    if (tr->n_train < T + 1)
        return nn_fail(err, NN_ERR_INVALID, "/context",
                       "the training text has %zu tokens, fewer than one "
                       "window of context + 1 = %zu", tr->n_train, T + 1);
    if (tr->n_val > 0 && tr->n_val < T + 1)
        return nn_fail(err, NN_ERR_INVALID, "/validation_split",
                       "the held-out block has %zu tokens, fewer than one "
                       "window of context + 1 = %zu", tr->n_val, T + 1);
    tr->n_windows = tr->n_train - T;
    tr->steps_per_epoch = nn_train_steps_per_epoch(&tr->cfg, n, T);
    if (tr->cfg.epoch_steps)
        return NN_OK;
    tr->order = malloc(tr->n_windows * sizeof *tr->order);
    if (!tr->order)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    return NN_OK;
}

nn_status nn_trainer_create_tokens(nn_trainer **out, nn_network *net,
                                   const nn_tokens *tokens,
                                   const nn_train_config *cfg, nn_error *err)
{
    nn_status st = nn_trainer_check_config(net, cfg, err);
    if (st == NN_OK)
        st = check_text(net, tokens, cfg, err);
    nn_trainer *tr = NULL;
    if (st == NN_OK)
        st = nn_trainer_alloc(&tr, net, cfg, err);
    if (st != NN_OK)
        return st;
    tr->text = true;
    tr->tok = *tokens;
    tr->context = net->inputs;
    st = split_text(tr, err);
    if (st == NN_OK)
        st = nn_network_set_norm(net, NN_NORM_NONE, NULL, NULL, err);
    return nn_trainer_finish(tr, st, out, err);
}

const size_t *nn_text_step(nn_trainer *tr, nn_worker *w, size_t step,
                           size_t *n)
{
    size_t B = tr->cfg.batch_size;
    if (!tr->cfg.epoch_steps) {
        size_t start = step * B;
        *n = tr->n_windows - start < B ? tr->n_windows - start : B;
        return tr->order + start;
    }
    /* Every worker draws the same B starts from the step's own generator:
     * no shared state, and a resumed run draws them again. */
    nn_rng rng;
    nn_rng_seed(&rng, tr->cfg.seed ^ 0x7e47ull ^
                          ((uint64_t)tr->epoch * 0xd1b54a32d192ed03ull) ^
                          ((uint64_t)(step + 1) * 0x94d049bb133111ebull));
    for (size_t i = 0; i < B; i++)
        w->draws[i] = (size_t)nn_rng_below(&rng, tr->n_windows);
    *n = B;
    return w->draws;
}

void nn_text_order(nn_trainer *tr)
{
    if (tr->cfg.epoch_steps)
        return;
    for (size_t i = 0; i < tr->n_windows; i++)
        tr->order[i] = i;
    if (tr->cfg.shuffle)
        nn_rng_shuffle(&tr->rng, tr->order, tr->n_windows);
}

/* Window r of the shard: ids[s .. s+T) as inputs, ids[s+1 .. s+T] as
 * targets, the first `skip` of them not scored. */
static void gather_window(const nn_trainer *tr, nn_worker *w, size_t r,
                          const uint32_t *ids, size_t skip)
{
    size_t T = tr->context;
    float *x = w->xb + r * T;
    uint32_t *y = w->tb + r * T;
    for (size_t t = 0; t < T; t++) {
        x[t] = (float)ids[t];
        y[t] = t < skip ? NN_NO_TARGET : ids[t + 1];
    }
}

void nn_text_gather(const nn_trainer *tr, nn_worker *w, const size_t *starts,
                    size_t n)
{
    for (size_t r = 0; r < n; r++)
        gather_window(tr, w, r, tr->tok.ids + starts[r], 0);
}

/* Scoring window j of a block of m tokens ((m − 1 + T − 1) / T of them):
 * at offset j·T, except the last when T does not divide m − 1, which ends
 * at the block's end and skips the targets window j − 1 scored. */
static const uint32_t *score_window(const uint32_t *block, size_t m,
                                    size_t T, size_t j, size_t *skip)
{
    size_t off = j * T;
    *skip = 0;
    if (off + T + 1 > m) {
        *skip = off + T + 1 - m;
        off = m - T - 1;
    }
    return block + off;
}

static size_t score_windows(size_t m, size_t T)
{
    return (m - 1 + T - 1) / T;
}

void nn_text_eval(nn_trainer *tr, nn_worker *w)
{
    size_t T = tr->context, windows = score_windows(tr->n_val, T);
    size_t lo = windows * w->id / tr->threads;
    size_t hi = windows * (w->id + 1) / tr->threads;
    const uint32_t *block = tr->tok.ids + tr->n_train;
    w->loss = 0.0;
    w->scored = w->correct = 0;
    for (size_t s = lo; s < hi; s += tr->shard_rows) {
        size_t k = hi - s < tr->shard_rows ? hi - s : tr->shard_rows, skip;
        for (size_t r = 0; r < k; r++) {
            const uint32_t *ids = score_window(block, tr->n_val, T, s + r,
                                               &skip);
            gather_window(tr, w, r, ids, skip);
        }
        nn_forward(tr->net, w->ws, w->xb, k);
        w->loss += nn_forward_loss_tokens(tr->net, w->ws, w->tb, k,
                                          &w->scored, &w->correct);
    }
}

nn_status nn_text_score(const nn_network *net, nn_workspace *ws,
                        const nn_tokens *text, double *loss,
                        double *accuracy, nn_error *err)
{
    size_t V = 0, T = net->inputs, rows = nn_workspace_rows(ws), skip;
    nn_status st = nn_language_model_vocab(net, &V, err);
    if (st != NN_OK)
        return st;
    if (!text || !text->ids || text->n < T + 1)
        return nn_fail(err, NN_ERR_INVALID, "/dataset",
                       "scoring needs a text of at least context + 1 = %zu "
                       "tokens", T + 1);
    float *x = malloc(rows * T * sizeof *x);
    uint32_t *y = malloc(rows * T * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    size_t windows = score_windows(text->n, T), scored = 0, correct = 0;
    double sum = 0.0;
    for (size_t s = 0; st == NN_OK && s < windows; s += rows) {
        size_t k = windows - s < rows ? windows - s : rows;
        for (size_t r = 0; r < k; r++) {
            const uint32_t *ids = score_window(text->ids, text->n, T, s + r,
                                               &skip);
            for (size_t t = 0; t < T; t++) {
                if (ids[t] >= V || ids[t + 1] >= V)
                    st = nn_fail(err, NN_ERR_INVALID, "/dataset",
                                 "a token id is outside the vocabulary of "
                                 "%zu", V);
                x[r * T + t] = (float)ids[t];
                y[r * T + t] = t < skip ? NN_NO_TARGET : ids[t + 1];
            }
        }
        if (st != NN_OK)
            break;
        nn_forward(net, ws, x, k);
        sum += nn_forward_loss_tokens(net, ws, y, k, &scored, &correct);
    }
    free(x);
    free(y);
    if (st == NN_OK) {
        *loss = sum / (double)scored;
        if (accuracy)
            *accuracy = (double)correct / (double)scored;
    }
    return st;
}
