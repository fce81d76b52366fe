/* nn_optim.h — gradient-descent optimizers and their resumable state.
 *
 * sgd:  v ← μ v + g;  w ← w − η v           (μ = 0: plain w ← w − η g)
 *       nesterov: w ← w − η (g + μ v)       (PyTorch's formulation)
 * adam: m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
 *       w ← w − η m̂ / (√v̂ + ε), with bias-corrected m̂, v̂.
 * Both may decay η exponentially per epoch: epoch e (from 1) trains with
 * η · lr_decay^(e−1). */
#ifndef NN_OPTIM_H
#define NN_OPTIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_error.h"

typedef enum { NN_OPT_SGD, NN_OPT_ADAM } nn_opt_kind;

typedef struct {
    nn_opt_kind kind;
    float learning_rate;
    float momentum; /* sgd only */
    bool nesterov;  /* sgd only, needs momentum > 0 */
    float beta1, beta2, epsilon; /* adam only */
    float lr_decay; /* in (0, 1]; 1 keeps η constant */
} nn_optim_config;

/* The learning rate of epoch `epoch` (from 1) under cfg's decay. */
float nn_optim_epoch_lr(const nn_optim_config *cfg, size_t epoch);

/* sgd with learning rate 0.01, no momentum and no decay; adam's β1 0.9,
 * β2 0.999 and ε 1e−8 are set too, for a caller that switches kind. */
nn_optim_config nn_optim_defaults(void);

/* Parses "sgd" or "adam". */
nn_status nn_optim_parse(const char *name, nn_opt_kind *out, const char *field,
                         nn_error *err);
const char *nn_optim_name(nn_opt_kind kind);

/* NN_OK when every value is finite and in range (η > 0, 0 < lr_decay ≤ 1,
 * 0 ≤ μ < 1, 0 ≤ β < 1, ε > 0, nesterov only with momentum), else NN_ERR_INVALID naming the field
 * under `prefix` ("/optimizer/learning_rate"). */
nn_status nn_optim_check(const nn_optim_config *cfg, const char *prefix,
                         nn_error *err);

typedef struct {
    nn_optim_config cfg;
    size_t n;     /* parameters */
    uint64_t t;   /* steps taken */
    float *m;     /* sgd velocity or adam first moment (n), NULL for plain sgd */
    float *v;     /* adam second moment (n), else NULL */
} nn_optimizer;

/* Allocates state for n parameters, all zero. */
nn_status nn_optimizer_init(nn_optimizer *opt, const nn_optim_config *cfg,
                            size_t n, nn_error *err);
void nn_optimizer_release(nn_optimizer *opt);

/* Counts one step; call once per mini-batch before the nn_optimizer_apply
 * calls of that step. */
void nn_optimizer_begin_step(nn_optimizer *opt);

/* Applies the current step to params[begin..end) from grads[begin..end).
 * Disjoint ranges may be applied by different threads at once. */
void nn_optimizer_apply(nn_optimizer *opt, float *params, const float *grads,
                        size_t begin, size_t end);

#endif
