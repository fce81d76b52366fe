/* nn_train.h — data sets as the core sees them, and the training loop.
 *
 * The trainer owns everything a run needs — optimizer state, the RNG, the
 * validation split, per-thread workspaces and gradient blocks — allocated
 * once in nn_trainer_create, so no allocation happens while it trains. A
 * mini-batch is split by rows over the trainer's threads (data parallel,
 * BLAS single-threaded inside each); their gradients are summed in a fixed
 * order, so the same seed and thread count give bit-identical weights. */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_error.h"
#include "nn_network.h"
#include "nn_optim.h"
#include "nn_regularize.h"

/* A data set viewed, not owned: X is rows×in_dim, Y rows×out_dim (one-hot
 * rows for classification), both row-major float32. */
typedef struct {
    size_t rows, in_dim, out_dim;
    const float *X;
    const float *Y;
    bool classification; /* report accuracy */
} nn_data;

typedef struct {
    size_t epochs;       /* ≥ 1: epochs to run in total (a resumed run too) */
    size_t batch_size;   /* ≥ 1; the last batch of an epoch may be smaller */
    nn_optim_config optim;
    nn_lr_schedule schedule; /* per optimizer step; all zero for none */
    float clip_grad_norm; /* > 0: rescale each step's whole gradient (after
                             the penalties) to this global L2 norm at most,
                             as PyTorch's clip_grad_norm_; 0 = off */
    nn_regularization reg; /* weight penalties for gradient training */
    nn_norm_kind normalize; /* fitted on the training rows at create */
    float validation_split; /* in [0, 1): share of rows held out */
    bool shuffle;           /* reshuffle training rows every epoch */
    uint64_t seed;
    size_t patience;   /* early stopping after this many epochs without */
    float min_delta;   /* an improvement > min_delta; 0 = no early stop */
    unsigned threads;  /* 0 = as many as pay off, up to the cores online */
} nn_train_config;

/* epochs 100, batch 32, sgd η 0.01, no schedule, no clipping, no
 * regularisation, standard normalisation, no validation, shuffle, seed 1,
 * no early stopping, threads 0. */
nn_train_config nn_train_defaults(void);

/* What one epoch did; val_* and accuracies are NAN when not measured. */
typedef struct {
    size_t epoch; /* from 1 */
    double loss, val_loss;
    double accuracy, val_accuracy;
    double elapsed_ms; /* wall time of this epoch, validation included */
    size_t mistakes;   /* perceptron only */
} nn_epoch_stats;

/* Called after every epoch (from the thread that called run); returning
 * false stops training after that epoch with NN_ERR_STOPPED. */
typedef bool (*nn_epoch_fn)(const nn_epoch_stats *stats, void *user);

typedef struct {
    size_t epochs_done;
    bool early_stopped;
    bool converged; /* perceptron: a pass without mistakes */
    nn_epoch_stats last;
} nn_train_result;

typedef struct nn_trainer nn_trainer;

/* Prepares to train net (which the trainer modifies in place and does not
 * own) on data. Validates the configuration (fields "/epochs",
 * "/batch_size", "/optimizer/…", "/validation_split", …), the data's shape
 * against the network ("/dataset") and that every value is finite (naming
 * the row and column). Fits the normalisation on the training rows and
 * stores it in net. A perceptron is trained by Rosenblatt's rule and takes
 * no optimizer. */
nn_status nn_trainer_create(nn_trainer **out, nn_network *net,
                            const nn_data *data, const nn_train_config *cfg,
                            nn_error *err);
void nn_trainer_free(nn_trainer *tr);

/* Threads the trainer will use (after the "pays off" rule). */
unsigned nn_trainer_threads(const nn_trainer *tr);

/* Epochs completed so far (0 for a new trainer, more after a restore). */
size_t nn_trainer_epoch(const nn_trainer *tr);

/* Rows an epoch trains on: the data's rows less the validation split. */
size_t nn_trainer_train_rows(const nn_trainer *tr);

/* Optimizer steps per epoch, and in the whole run (epochs × that): the
 * S a cosine schedule ends at. */
size_t nn_trainer_steps_per_epoch(const nn_trainer *tr);
uint64_t nn_trainer_total_steps(const nn_trainer *tr);

/* Trains from the next epoch up to cfg.epochs, calling cb (may be NULL)
 * after each. Ends with NN_OK (all epochs, early stop, or a converged
 * perceptron), NN_ERR_STOPPED (cb returned false), NN_ERR_DIVERGED (loss not
 * finite; the network keeps the last finite epoch's weights is NOT
 * guaranteed) or NN_ERR_THREAD. result may be NULL. */
nn_status nn_trainer_run(nn_trainer *tr, nn_epoch_fn cb, void *user,
                         nn_train_result *result, nn_error *err);

/* Serialises the trainer's resumable state (epoch, RNG, optimizer step
 * counter — which places a resumed run on its learning-rate schedule — and
 * moments, early-stopping state) together with the network into a malloc'd buffer
 * the caller frees. */
nn_status nn_trainer_checkpoint(const nn_trainer *tr, unsigned char **buf,
                                size_t *len, nn_error *err);

/* Restores a checkpoint into a trainer made by nn_trainer_create with the
 * same network shape, data and configuration: weights, normalisation,
 * epoch, RNG and optimizer state. NN_ERR_FORMAT if it does not fit. */
nn_status nn_trainer_restore(nn_trainer *tr, const unsigned char *buf,
                             size_t len, nn_error *err);

#endif
