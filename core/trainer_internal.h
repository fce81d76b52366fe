/* trainer_internal.h — internal: the trainer's state, shared by train.c
 * (set-up), train_run.c (the loop and its threads) and checkpoint.c. */
#ifndef NN_TRAINER_INTERNAL_H
#define NN_TRAINER_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "barrier.h"
#include "nn_train.h"

/* What one thread owns: its shard's gathered batch, workspace, gradients
 * and the figures of its last shard. */
typedef struct {
    struct nn_trainer *tr;
    unsigned id;
    pthread_t thread;
    nn_workspace *ws;
    float *xb, *yb;     /* gathered, normalised shard: rows × in / × out
                           (yb NULL for a text) */
    uint32_t *tb;       /* a text's shard of targets: rows × T, else NULL */
    size_t *draws;      /* a text with epoch_steps: a step's batch_size
                           window starts, else NULL */
    float *grads;       /* n_params */
    size_t rows;        /* rows in the shard just processed */
    size_t scored;      /* validation: targets (rows, or tokens) scored */
    double loss;        /* Σ loss over those rows */
    size_t correct;     /* of those rows, classified right */
    double sum_squares; /* Σ g² over its range of the summed gradient */
} nn_worker;

typedef enum { TASK_EPOCH, TASK_EVAL, TASK_QUIT } nn_task;

struct nn_trainer {
    nn_network *net;
    nn_data data;
    nn_train_config cfg;
    nn_optimizer opt;
    nn_rng rng;          /* shuffling; saved in checkpoints */
    size_t epoch;        /* completed */
    double best;         /* early stopping: best monitored loss */
    size_t stale;        /* epochs since best improved by > min_delta */

    size_t *train_idx, n_train; /* the split, in the seed's fixed order */
    size_t *val_idx, n_val;
    size_t *order;       /* this epoch's shuffled copy of train_idx */
    size_t shard_rows;   /* per-thread capacity */
    size_t steps_per_epoch; /* optimizer steps in an epoch */
    bool text;           /* training on tok (train_tokens.c), not data */
    nn_tokens tok;       /* n_train tokens, then the n_val held out */
    size_t context;      /* T: a window is T + 1 tokens */
    size_t n_windows;    /* training windows: n_train − T */
    size_t epoch_items;  /* worker 0: rows or windows trained this epoch */

    unsigned threads;
    nn_worker *workers;
    nn_barrier barrier;
    bool pool_started;
    pthread_mutex_t gate_lock; /* holds new workers until all have started */
    pthread_cond_t gate_cond;
    int gate;                  /* 0 wait, 1 go, −1 abort */
    nn_task task;
    bool diverged;       /* set by worker 0 when a batch loss is not finite */
    size_t diverged_batch;
    double epoch_loss;   /* worker 0's running totals of the epoch */
    size_t epoch_correct;
};

/* train.c: the configuration checks every trainer makes; a trainer with
 * the fields every kind shares set (net, cfg, threads, RNG); and, once
 * the split is made (st, the set-up's status so far), its optimizer and
 * workers: *out = tr on success, else tr freed and the error returned. */
nn_status nn_trainer_check_config(const nn_network *net,
                                  const nn_train_config *c, nn_error *err);
nn_status nn_trainer_alloc(nn_trainer **out, nn_network *net,
                           const nn_train_config *cfg, nn_error *err);
nn_status nn_trainer_finish(nn_trainer *tr, nn_status st, nn_trainer **out,
                            nn_error *err);

/* train.c: the items of n a trainer of cfg holds out for validation:
 * rows (context 0: at least one kept for training) or a text's tokens. */
size_t nn_train_held_out(const nn_train_config *cfg, size_t n,
                         size_t context);

/* train_tokens.c: a text's window starts of step `step` of the epoch
 * (its count into *n); a worker's shard of windows gathered (inputs into
 * w->xb as ids, targets into w->tb); the epoch's window order; a worker's
 * share of the held-out block scored into w->loss, w->scored and
 * w->correct. */
const size_t *nn_text_step(nn_trainer *tr, nn_worker *w, size_t step,
                           size_t *n);
void nn_text_gather(const nn_trainer *tr, nn_worker *w, const size_t *starts,
                    size_t n);
void nn_text_order(nn_trainer *tr);
void nn_text_eval(nn_trainer *tr, nn_worker *w);

#endif
