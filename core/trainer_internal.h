/* trainer_internal.h — internal: the trainer's state, shared by train.c
 * (set-up), train_run.c (the loop and its threads) and checkpoint.c. */
#ifndef NN_TRAINER_INTERNAL_H
#define NN_TRAINER_INTERNAL_H

#include <pthread.h>

#include "barrier.h"
#include "nn_train.h"

/* What one thread owns: its shard's gathered batch, workspace, gradients
 * and the figures of its last shard. */
typedef struct {
    struct nn_trainer *tr;
    unsigned id;
    pthread_t thread;
    nn_workspace *ws;
    float *xb, *yb;     /* gathered, normalised shard: rows × in / × out */
    float *grads;       /* n_params */
    size_t rows;        /* rows in the shard just processed */
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

#endif
