/* optim.c — SGD (momentum, Nesterov), Adam and AdamW over ranges of
 * parameters, learning-rate schedules and the gradient-clipping factor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_optim.h"

nn_optim_config nn_optim_defaults(void)
{
    return (nn_optim_config){.kind = NN_OPT_SGD,
                             .learning_rate = 0.01f,
                             .momentum = 0.0f,
                             .nesterov = false,
                             .beta1 = 0.9f,
                             .beta2 = 0.999f,
                             .epsilon = 1e-8f,
                             .weight_decay = 0.01f,
                             .lr_decay = 1.0f};
}

nn_status nn_optim_parse(const char *name, nn_opt_kind *out, const char *field,
                         nn_error *err)
{
    if (name && strcmp(name, "sgd") == 0)
        *out = NN_OPT_SGD;
    else if (name && strcmp(name, "adam") == 0)
        *out = NN_OPT_ADAM;
    else if (name && strcmp(name, "adamw") == 0)
        *out = NN_OPT_ADAMW;
    else
        return nn_fail(err, NN_ERR_INVALID, field,
                       "unknown optimizer '%s' (expected sgd, adam or adamw)",
                       name ? name : "");
    return NN_OK;
}

const char *nn_optim_name(nn_opt_kind kind)
{
    return kind == NN_OPT_ADAM    ? "adam"
           : kind == NN_OPT_ADAMW ? "adamw"
           : kind == NN_OPT_SGD   ? "sgd"
                                  : "?";
}

static nn_status bad(nn_error *err, const char *prefix, const char *name,
                     const char *why)
{
    char field[64];
    snprintf(field, sizeof field, "%s/%s", prefix, name);
    return nn_fail(err, NN_ERR_INVALID, field, "%s %s", name, why);
}

nn_status nn_optim_check(const nn_optim_config *c, const char *prefix,
                         nn_error *err)
{
    if (c->kind != NN_OPT_SGD && c->kind != NN_OPT_ADAM &&
        c->kind != NN_OPT_ADAMW)
        return bad(err, prefix, "name", "is not a known optimizer");
    if (!(isfinite(c->learning_rate) && c->learning_rate > 0.0f))
        return bad(err, prefix, "learning_rate", "must be a number > 0");
    if (!(c->lr_decay > 0.0f && c->lr_decay <= 1.0f))
        return bad(err, prefix, "lr_decay", "must be in (0, 1]");
    if (c->kind == NN_OPT_SGD) {
        if (!(c->momentum >= 0.0f && c->momentum < 1.0f))
            return bad(err, prefix, "momentum", "must be in [0, 1)");
        if (c->nesterov && c->momentum == 0.0f)
            return bad(err, prefix, "nesterov", "needs momentum > 0");
        return NN_OK;
    }
    if (!(c->beta1 >= 0.0f && c->beta1 < 1.0f))
        return bad(err, prefix, "beta1", "must be in [0, 1)");
    if (!(c->beta2 >= 0.0f && c->beta2 < 1.0f))
        return bad(err, prefix, "beta2", "must be in [0, 1)");
    if (!(isfinite(c->epsilon) && c->epsilon > 0.0f))
        return bad(err, prefix, "epsilon", "must be a number > 0");
    if (c->kind == NN_OPT_ADAMW &&
        !(c->weight_decay >= 0.0f &&
          (double)c->weight_decay * c->learning_rate <= 1.0))
        return bad(err, prefix, "weight_decay",
                   "must be ≥ 0 with learning_rate × weight_decay ≤ 1");
    return NN_OK;
}

nn_status nn_optimizer_init(nn_optimizer *opt, const nn_optim_config *cfg,
                            size_t n, nn_error *err)
{
    memset(opt, 0, sizeof *opt);
    opt->cfg = *cfg;
    opt->n = n;
    bool adam = cfg->kind == NN_OPT_ADAM || cfg->kind == NN_OPT_ADAMW;
    if (adam || cfg->momentum > 0.0f) {
        opt->m = calloc(n, sizeof *opt->m);
        if (!opt->m)
            return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    if (adam) {
        opt->v = calloc(n, sizeof *opt->v);
        if (!opt->v) {
            nn_optimizer_release(opt);
            return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
        }
    }
    return NN_OK;
}

void nn_optimizer_release(nn_optimizer *opt)
{
    free(opt->m);
    free(opt->v);
    opt->m = opt->v = NULL;
}

float nn_optim_epoch_lr(const nn_optim_config *cfg, size_t epoch)
{
    if (epoch <= 1 || cfg->lr_decay == 1.0f)
        return cfg->learning_rate;
    return (float)(cfg->learning_rate * pow(cfg->lr_decay, (double)(epoch - 1)));
}

void nn_optimizer_begin_step(nn_optimizer *opt)
{
    opt->t++;
}

static void sgd_apply(const nn_optim_config *c, float *w, float *m,
                      const float *g, size_t begin, size_t end)
{
    float lr = c->learning_rate, mu = c->momentum;
    if (!m) {
        for (size_t i = begin; i < end; i++)
            w[i] -= lr * g[i];
    } else if (c->nesterov) {
        for (size_t i = begin; i < end; i++) {
            m[i] = mu * m[i] + g[i];
            w[i] -= lr * (g[i] + mu * m[i]);
        }
    } else {
        for (size_t i = begin; i < end; i++) {
            m[i] = mu * m[i] + g[i];
            w[i] -= lr * m[i];
        }
    }
}

static void adam_apply(const nn_optim_config *c, uint64_t t, float *w,
                       float *m, float *v, const float *g, size_t begin,
                       size_t end)
{
    float b1 = c->beta1, b2 = c->beta2;
    /* Bias corrections folded into the step size, as in Kingma & Ba §2. */
    double c1 = 1.0 - pow(b1, (double)t), c2 = 1.0 - pow(b2, (double)t);
    float step = (float)(c->learning_rate * sqrt(c2) / c1);
    float eps = (float)(c->epsilon * sqrt(c2));
    for (size_t i = begin; i < end; i++) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        w[i] -= step * m[i] / (sqrtf(v[i]) + eps);
    }
}

void nn_optimizer_apply(nn_optimizer *opt, float *params, const float *grads,
                        size_t begin, size_t end)
{
    if (opt->cfg.kind == NN_OPT_ADAM || opt->cfg.kind == NN_OPT_ADAMW)
        adam_apply(&opt->cfg, opt->t, params, opt->m, opt->v, grads, begin,
                   end);
    else
        sgd_apply(&opt->cfg, params, opt->m, grads, begin, end);
}

float nn_optimizer_decay_factor(const nn_optimizer *opt)
{
    if (opt->cfg.kind != NN_OPT_ADAMW)
        return 1.0f;
    return 1.0f - opt->cfg.learning_rate * opt->cfg.weight_decay;
}

float nn_clip_factor(double sum_squares, float max_norm)
{
    if (!(max_norm > 0.0f))
        return 1.0f;
    double coef = (double)max_norm / (sqrt(sum_squares) + 1e-6);
    return coef < 1.0 ? (float)coef : 1.0f;
}

bool nn_lr_schedule_active(const nn_lr_schedule *s)
{
    return s->warmup_steps > 0 || s->decay != NN_LR_DECAY_NONE;
}

float nn_lr_schedule_at(const nn_lr_schedule *s, float lr, uint64_t step,
                        uint64_t total)
{
    if (step < s->warmup_steps)
        return (float)((double)lr * (double)(step + 1) /
                       (double)(s->warmup_steps + 1));
    if (s->decay == NN_LR_DECAY_NONE)
        return lr;
    double lo = s->min_learning_rate;
    uint64_t last = total > 0 ? total - 1 : 0;
    if (step >= last || last <= s->warmup_steps)
        return (float)lo;
    double r = (double)(step - s->warmup_steps) /
               (double)(last - s->warmup_steps);
    return (float)(lo + 0.5 * (1.0 + cos(M_PI * r)) * ((double)lr - lo));
}

float nn_optim_step_lr(const nn_optim_config *cfg, const nn_lr_schedule *s,
                       size_t epoch, uint64_t step, uint64_t total)
{
    if (nn_lr_schedule_active(s))
        return nn_lr_schedule_at(s, cfg->learning_rate, step, total);
    return nn_optim_epoch_lr(cfg, epoch);
}

nn_status nn_lr_schedule_check(const nn_lr_schedule *s,
                               const nn_optim_config *cfg, nn_error *err)
{
    if (s->warmup_steps > NN_MAX_STEPS)
        return nn_fail(err, NN_ERR_INVALID, "/lr_schedule/warmup_steps",
                       "warmup_steps must be ≤ %u", NN_MAX_STEPS);
    if (s->decay != NN_LR_DECAY_NONE && s->decay != NN_LR_DECAY_COSINE)
        return nn_fail(err, NN_ERR_INVALID, "/lr_schedule/decay",
                       "unknown decay (expected none or cosine)");
    if (!(isfinite(s->min_learning_rate) && s->min_learning_rate >= 0.0f &&
          s->min_learning_rate <= cfg->learning_rate))
        return nn_fail(err, NN_ERR_INVALID, "/lr_schedule/min_learning_rate",
                       "min_learning_rate must be in [0, learning_rate]");
    if (nn_lr_schedule_active(s) && cfg->lr_decay != 1.0f)
        return nn_fail(err, NN_ERR_INVALID, "/optimizer/lr_decay",
                       "lr_decay (per epoch) and lr_schedule (per step) "
                       "cannot be combined");
    return NN_OK;
}

nn_status nn_lr_decay_parse(const char *name, nn_lr_decay_kind *out,
                            const char *field, nn_error *err)
{
    if (name && strcmp(name, "none") == 0)
        *out = NN_LR_DECAY_NONE;
    else if (name && strcmp(name, "cosine") == 0)
        *out = NN_LR_DECAY_COSINE;
    else
        return nn_fail(err, NN_ERR_INVALID, field,
                       "unknown decay '%s' (expected none or cosine)",
                       name ? name : "");
    return NN_OK;
}

const char *nn_lr_decay_name(nn_lr_decay_kind kind)
{
    return kind == NN_LR_DECAY_COSINE ? "cosine"
           : kind == NN_LR_DECAY_NONE ? "none"
                                      : "?";
}
