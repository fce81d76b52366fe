/* batchnorm.c — batch normalisation per channel (Ioffe & Szegedy), with
 * PyTorch's defaults: momentum 0.1, eps 1e-5.
 *
 * x and A are (B, C, H, W) — or (B, C) for a vector of C features, H·W = 1;
 * γ (W) and β (b) are (C); the state is the running mean and variance (C
 * each). Training: over the B·H·W values of channel c, mean μ and biased
 * variance σ², x̂ = (x − μ)/√(σ² + eps), Z = γ x̂ + β, A = g(Z) for its
 * activation g (set it; linear is the usual), so that conv2d → batchnorm →
 * relu is two layers; saved: μ, σ² and
 * 1/√(σ² + eps) (C each), then x̂ (B, C·H·W). Backward (N = B·H·W):
 * dγ = Σ dZ x̂, dβ = Σ dZ, dx = γ/√(σ²+eps) · (dZ − dβ/N − x̂ dγ/N).
 * Prediction uses the running statistics instead of the batch's. The
 * running variance is updated with the unbiased batch variance. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"

static void channels(const nn_layer_info *info, size_t *C, size_t *HW)
{
    *C = info->in.dim[0];
    *HW = info->in.rank == 3 ? info->in.dim[1] * info->in.dim[2] : 1;
}

static nn_status bn_infer(const nn_layer_spec *s, nn_layer_info *info,
                          const char *at, nn_error *err)
{
    char field[64];
    snprintf(field, sizeof field, "%s/activation", at);
    if (s->act.kind == NN_ACT_SOFTMAX)
        return nn_fail(err, NN_ERR_INVALID, field,
                       "softmax is for a dense output layer, not batchnorm");
    nn_status st = nn_activation_check(&s->act, field, err);
    if (st != NN_OK)
        return st;
    size_t C, HW;
    channels(info, &C, &HW);
    info->out = info->in;
    info->n_w = info->n_b = C;
    info->n_state = 2 * C;
    info->saved_fixed = 3 * C;
    info->saved_per_row = C * HW;
    info->flops_per_row = 12.0 * (double)(C * HW);
    info->has_act = true;
    return NN_OK;
}

static void bn_init(const nn_layer_info *info, float *W, float *b,
                    float *state)
{
    size_t C = info->n_w;
    for (size_t c = 0; c < C; c++) {
        W[c] = 1.0f;
        b[c] = 0.0f;
        state[c] = 0.0f;
        state[C + c] = 1.0f;
    }
}

/* Mean and biased variance of channel c over rows (in double). */
static void channel_stats(const float *X, size_t rows, size_t C, size_t HW,
                          size_t c, double *mean, double *var)
{
    double s = 0.0, s2 = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const float *x = X + (r * C + c) * HW;
        for (size_t i = 0; i < HW; i++)
            s += x[i];
    }
    double n = (double)(rows * HW), m = s / n;
    for (size_t r = 0; r < rows; r++) {
        const float *x = X + (r * C + c) * HW;
        for (size_t i = 0; i < HW; i++)
            s2 += (x[i] - m) * (x[i] - m);
    }
    *mean = m;
    *var = s2 / n;
}

/* Z = γ x̂ + β, with the batch's statistics (saved) in a training pass
 * and the running ones otherwise. */
static void normalise(const nn_layer_ctx *c, float *Z, const float *X,
                      size_t rows)
{
    size_t C, HW;
    channels(c->info, &C, &HW);
    float *xhat = c->training ? c->saved + 3 * C : NULL;
    for (size_t ch = 0; ch < C; ch++) {
        double mean, var;
        if (c->training) {
            channel_stats(X, rows, C, HW, ch, &mean, &var);
            c->saved[ch] = (float)mean;
            c->saved[C + ch] = (float)var;
        } else {
            mean = c->state[ch];
            var = c->state[C + ch];
        }
        float mu = (float)mean, istd = (float)(1.0 / sqrt(var + NN_BATCHNORM_EPS));
        float g = c->W[ch], beta = c->b[ch];
        if (c->training)
            c->saved[2 * C + ch] = istd;
        for (size_t r = 0; r < rows; r++) {
            size_t at = (r * C + ch) * HW;
            for (size_t i = 0; i < HW; i++) {
                float h = (X[at + i] - mu) * istd;
                if (xhat)
                    xhat[at + i] = h;
                Z[at + i] = g * h + beta;
            }
        }
    }
}

/* From dZ: dγ, dβ and, when dX is not NULL, dx. */
static void normalise_backward(const nn_layer_ctx *c, float *dX,
                               const float *dY, const float *X, size_t rows,
                               float *dW, float *db, bool accumulate)
{
    size_t C, HW;
    channels(c->info, &C, &HW);
    const float *xhat = c->training ? c->saved + 3 * C : NULL;
    double N = (double)(rows * HW);
    for (size_t ch = 0; ch < C; ch++) {
        float mu = c->training ? c->saved[ch] : c->state[ch];
        float istd = c->training
                         ? c->saved[2 * C + ch]
                         : (float)(1.0 / sqrt((double)c->state[C + ch] +
                                              NN_BATCHNORM_EPS));
        double sdy = 0.0, sdyh = 0.0;
        for (size_t r = 0; r < rows; r++) {
            size_t at = (r * C + ch) * HW;
            for (size_t i = 0; i < HW; i++) {
                float h = xhat ? xhat[at + i] : (X[at + i] - mu) * istd;
                sdy += dY[at + i];
                sdyh += (double)dY[at + i] * h;
            }
        }
        dW[ch] = (accumulate ? dW[ch] : 0.0f) + (float)sdyh;
        db[ch] = (accumulate ? db[ch] : 0.0f) + (float)sdy;
        if (!dX)
            continue;
        float k = c->W[ch] * istd;
        float mdy = xhat ? (float)(sdy / N) : 0.0f;
        float mdyh = xhat ? (float)(sdyh / N) : 0.0f;
        for (size_t r = 0; r < rows; r++) {
            size_t at = (r * C + ch) * HW;
            for (size_t i = 0; i < HW; i++) {
                float h = xhat ? xhat[at + i] : 0.0f;
                dX[at + i] = k * (dY[at + i] - mdy - h * mdyh);
            }
        }
    }
}

static void bn_forward(const nn_layer_ctx *c, float *Z, float *A,
                       const float *X, size_t rows)
{
    normalise(c, Z, X, rows);
    nn_activation_forward(&c->spec->act, A, Z, rows,
                          nn_shape_size(&c->info->out));
}

static void bn_backward(const nn_layer_ctx *c, float *dX, float *dY,
                        bool dy_is_dz, const float *X, const float *Z,
                        const float *A, size_t rows, float *dW, float *db,
                        bool accumulate)
{
    if (!dy_is_dz)
        nn_activation_backward(&c->spec->act, dY, dY, Z, A, rows,
                               nn_shape_size(&c->info->out));
    normalise_backward(c, dX, dY, X, rows, dW, db, accumulate);
}

/* Combines the shards' means and variances exactly (weighted by their
 * counts), then running ← (1 − momentum) running + momentum · batch. */
static void bn_merge_state(const nn_layer_info *info, float *state,
                           const float *const *saved, const size_t *rows,
                           size_t n)
{
    size_t C, HW;
    channels(info, &C, &HW);
    for (size_t ch = 0; ch < C; ch++) {
        double N = 0.0, mean = 0.0, m2 = 0.0;
        for (size_t t = 0; t < n; t++)
            if (rows[t]) {
                N += (double)(rows[t] * HW);
                mean += (double)(rows[t] * HW) * saved[t][ch];
            }
        if (N == 0.0)
            return;
        mean /= N;
        for (size_t t = 0; t < n; t++)
            if (rows[t]) {
                double d = saved[t][ch] - mean;
                m2 += (double)(rows[t] * HW) * (saved[t][C + ch] + d * d);
            }
        double unbiased = N > 1.0 ? m2 / (N - 1.0) : m2;
        float mom = NN_BATCHNORM_MOMENTUM;
        state[ch] = (1.0f - mom) * state[ch] + mom * (float)mean;
        state[C + ch] = (1.0f - mom) * state[C + ch] + mom * (float)unbiased;
    }
}

const nn_layer_ops nn_layer_batchnorm = {
    .name = "batchnorm",
    .infer = bn_infer,
    .init = bn_init,
    .forward = bn_forward,
    .backward = bn_backward,
    .merge_state = bn_merge_state,
};
