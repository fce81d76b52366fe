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

/* A text as token ids, viewed, not owned: ids[0..n), each < vocab. A
 * language model trains on windows of context + 1 consecutive ids (the
 * context T is the network's input length): the first T are its input,
 * the last T the next-token targets of its T positions. */
typedef struct {
    const uint32_t *ids;
    size_t n;
    size_t vocab;
} nn_tokens;

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
    size_t epoch_steps; /* token data: > 0 makes an epoch exactly this many
                           steps of windows drawn uniformly (nanoGPT's
                           sampling); 0 one pass over every window */
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
    double lr; /* the learning rate the epoch's last step trained with
                  (nn_train_epoch_lr); NAN for a perceptron */
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
/* Prepares to train a language model on a text: net must take token ids
 * [T] through an embedding first and end in a [T, V] softmax with
 * cross_entropy (else NN_ERR_INVALID naming "/model"), V equal to
 * tokens->vocab ("/dataset"), every id < vocab ("/dataset", naming the
 * position), normalize none ("/normalize"). The last validation_split of
 * the text (⌊n · split⌋ tokens) is held out as one block; the training
 * text must hold one window of T + 1 tokens ("/context"), and so must a
 * held-out block that is not empty ("/validation_split").
 *
 * A step takes batch_size window starts: a slice of the epoch's shuffled
 * order of all n_train − T training windows (in order without shuffle), or
 * with cfg.epoch_steps, batch_size starts drawn uniformly from a generator
 * seeded by the job's seed, the epoch and the step (so a resumed run draws
 * the same). The loss is the sparse cross-entropy per token in nats, the
 * batch's mean over its B × T targets; an epoch reports the mean over its
 * tokens, and accuracy per token. val_loss and val_accuracy score every
 * target of the held-out block exactly once: windows at offsets 0, T, 2T, …
 * of the block, and when T does not divide (block − 1), one last window
 * ending at the block's end that scores only its targets not scored yet.
 * Threads, determinism, checkpoints and the rest are nn_trainer_create's;
 * tokens must outlive the trainer. */
nn_status nn_trainer_create_tokens(nn_trainer **out, nn_network *net,
                                   const nn_tokens *tokens,
                                   const nn_train_config *cfg, nn_error *err);
void nn_trainer_free(nn_trainer *tr);

/* Scores a whole text with a language model as a trainer scores its
 * held-out block: every one of its n − 1 next-token targets once (see
 * nn_trainer_create_tokens), with forward passes of up to ws's rows
 * windows. *loss gets the mean per token in nats, *accuracy (may be NULL)
 * the share predicted right. NN_ERR_INVALID naming "/model" (no language
 * model) or "/dataset" (fewer than context + 1 tokens, or an id outside
 * the vocabulary). */
nn_status nn_text_score(const nn_network *net, nn_workspace *ws,
                        const nn_tokens *text, double *loss,
                        double *accuracy, nn_error *err);

/* Threads the trainer will use (after the "pays off" rule). */
unsigned nn_trainer_threads(const nn_trainer *tr);

/* Epochs completed so far (0 for a new trainer, more after a restore). */
size_t nn_trainer_epoch(const nn_trainer *tr);

/* Rows an epoch trains on: the data's rows less the validation split
 * (for a text: its tokens before the held-out block). */
size_t nn_trainer_train_rows(const nn_trainer *tr);

/* Optimizer steps per epoch, and in the whole run (epochs × that): the
 * S a cosine schedule ends at. */
size_t nn_trainer_steps_per_epoch(const nn_trainer *tr);
uint64_t nn_trainer_total_steps(const nn_trainer *tr);

/* The optimizer steps in an epoch of cfg, as a trainer created with it
 * takes them, without making one: over n rows (context 0; the
 * validation_split share held out, at least one row kept) or over a text
 * of n tokens for a model of context T (its windows of T + 1 tokens before
 * the held-out block, batch_size a step; epoch_steps when set). 0 when
 * the text holds no window. */
size_t nn_train_steps_per_epoch(const nn_train_config *cfg, size_t n,
                                size_t context);

/* The learning rate the last step of epoch `epoch` (from 1) trains with
 * in a run of cfg->epochs epochs of steps_per_epoch steps each: the
 * schedule's at step epoch · steps_per_epoch − 1, or the per-epoch decay's
 * (nn_optim_step_lr) — what nn_epoch_stats.lr reports. */
float nn_train_epoch_lr(const nn_train_config *cfg, size_t steps_per_epoch,
                        size_t epoch);

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
