/* nn_optim.h — gradient-descent optimizers and their resumable state.
 *
 * sgd:  v ← μ v + g;  w ← w − η v           (μ = 0: plain w ← w − η g)
 *       nesterov: w ← w − η (g + μ v)       (PyTorch's formulation)
 * adam: m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
 *       w ← w − η m̂ / (√v̂ + ε), with bias-corrected m̂, v̂.
 * adamw: Adam with decoupled weight decay (Loshchilov & Hutter, as
 *       PyTorch's torch.optim.AdamW): w ← w (1 − η λ) first, then the Adam
 *       step. The decay touches weights only, never biases (the trainer
 *       applies it through nn_decay_weights over each layer's W block, as
 *       nanoGPT decays its matrices and embeddings but not its biases):
 *       shrinking a bias pulls an output towards 0 rather than limiting
 *       the model's capacity.
 * Each may decay η exponentially per epoch: epoch e (from 1) trains with
 * η · lr_decay^(e−1); or follow a schedule counted in optimizer steps
 * (nn_lr_schedule: linear warm-up, then constant or cosine down to a
 * minimum at the run's last step, as nanoGPT's get_lr). */
#ifndef NN_OPTIM_H
#define NN_OPTIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_error.h"

typedef enum { NN_OPT_SGD, NN_OPT_ADAM, NN_OPT_ADAMW } nn_opt_kind;

typedef struct {
    nn_opt_kind kind;
    float learning_rate;
    float momentum; /* sgd only */
    bool nesterov;  /* sgd only, needs momentum > 0 */
    float beta1, beta2, epsilon; /* adam and adamw */
    float weight_decay; /* adamw only: λ ≥ 0, with η λ ≤ 1 */
    float lr_decay; /* in (0, 1]; 1 keeps η constant */
} nn_optim_config;

typedef enum { NN_LR_DECAY_NONE, NN_LR_DECAY_COSINE } nn_lr_decay_kind;

/* A learning-rate schedule over a run's optimizer steps s = 0 … S−1
 * (nanoGPT's get_lr with lr_decay_iters = S − 1): while s < warmup_steps,
 * η (s + 1) / (warmup_steps + 1); after it η (decay none), or (cosine)
 * min + ½ (1 + cos(π r)) (η − min) with r = (s − warmup) / (S − 1 − warmup),
 * so the last step trains with exactly min_learning_rate. All zero is no
 * schedule. */
typedef struct {
    size_t warmup_steps;
    nn_lr_decay_kind decay;
    float min_learning_rate; /* cosine: 0 ≤ min ≤ η */
} nn_lr_schedule;

/* True when s changes η at all (warm-up steps or a decay). */
bool nn_lr_schedule_active(const nn_lr_schedule *s);

/* The learning rate of step `step` (from 0) of a run of `total` steps
 * under s, for a base rate lr (see nn_lr_schedule). */
float nn_lr_schedule_at(const nn_lr_schedule *s, float lr, uint64_t step,
                        uint64_t total);

/* The learning rate a step trains with: the schedule's when it is active,
 * else cfg's per-epoch decay for `epoch` (from 1). */
float nn_optim_step_lr(const nn_optim_config *cfg, const nn_lr_schedule *s,
                       size_t epoch, uint64_t step, uint64_t total);

/* NN_OK when s fits cfg: warmup_steps ≤ NN_MAX_STEPS, a known decay,
 * 0 ≤ min_learning_rate ≤ cfg's η (finite), and no per-epoch lr_decay
 * beside an active schedule; else NN_ERR_INVALID naming
 * "/lr_schedule/warmup_steps", "/lr_schedule/decay",
 * "/lr_schedule/min_learning_rate" or "/optimizer/lr_decay". */
nn_status nn_lr_schedule_check(const nn_lr_schedule *s,
                               const nn_optim_config *cfg, nn_error *err);

/* Parses "none" or "cosine"; NN_ERR_INVALID naming field otherwise. */
nn_status nn_lr_decay_parse(const char *name, nn_lr_decay_kind *out,
                            const char *field, nn_error *err);
const char *nn_lr_decay_name(nn_lr_decay_kind kind);

#define NN_MAX_STEPS 1000000000u

/* The learning rate of epoch `epoch` (from 1) under cfg's decay. */
float nn_optim_epoch_lr(const nn_optim_config *cfg, size_t epoch);

/* sgd with learning rate 0.01, no momentum and no decay; adam's β1 0.9,
 * β2 0.999 and ε 1e−8 and adamw's weight decay 0.01 are set too, for a
 * caller that switches kind. */
nn_optim_config nn_optim_defaults(void);

/* Parses "sgd", "adam" or "adamw". */
nn_status nn_optim_parse(const char *name, nn_opt_kind *out, const char *field,
                         nn_error *err);
const char *nn_optim_name(nn_opt_kind kind);

/* NN_OK when every value is finite and in range (η > 0, 0 < lr_decay ≤ 1,
 * 0 ≤ μ < 1, 0 ≤ β < 1, ε > 0, nesterov only with momentum, adamw's
 * λ ≥ 0 with η λ ≤ 1), else NN_ERR_INVALID naming the field under
 * `prefix` ("/optimizer/learning_rate"). */
nn_status nn_optim_check(const nn_optim_config *cfg, const char *prefix,
                         nn_error *err);

typedef struct {
    nn_optim_config cfg;
    size_t n;     /* parameters */
    uint64_t t;   /* steps taken */
    float *m;     /* sgd velocity or adam(w) first moment (n), NULL for plain sgd */
    float *v;     /* adam(w) second moment (n), else NULL */
} nn_optimizer;

/* Allocates state for n parameters, all zero. */
nn_status nn_optimizer_init(nn_optimizer *opt, const nn_optim_config *cfg,
                            size_t n, nn_error *err);
void nn_optimizer_release(nn_optimizer *opt);

/* Counts one step; call once per mini-batch before the nn_optimizer_apply
 * calls of that step. */
void nn_optimizer_begin_step(nn_optimizer *opt);

/* Applies the current step to params[begin..end) from grads[begin..end)
 * with opt->cfg.learning_rate (adamw's weight decay is not part of it: see
 * nn_optimizer_decay_factor). Disjoint ranges may be applied by different
 * threads at once. */
void nn_optimizer_apply(nn_optimizer *opt, float *params, const float *grads,
                        size_t begin, size_t end);

/* The factor the current step multiplies decayed weights by before
 * nn_optimizer_apply: 1 − η λ for adamw, 1 for the others. */
float nn_optimizer_decay_factor(const nn_optimizer *opt);

/* Global-norm gradient clipping as PyTorch's clip_grad_norm_: given
 * Σ g² over the whole gradient block, the factor to multiply every
 * gradient by, max_norm / (‖g‖ + 1e−6) when that is below 1, else 1
 * (also when max_norm is 0: no clipping). */
float nn_clip_factor(double sum_squares, float max_norm);

#endif
