/* layernorm.c — the layernorm layer (Ba et al.), as PyTorch's
 * nn.LayerNorm(D) with eps 1e-5, and its kernels (layernorm.h).
 *
 * x and A are (B, T, D) for a sequence [T, D], or (B, D) for a vector [D]
 * (T = 1): each of the N = B·T positions is normalised over its D
 * features. W is empty; b is γ (D) then β (D): neither is a weight matrix,
 * so L1/L2 penalties and AdamW's decay leave them alone (as nanoGPT's
 * optimizer groups do). γ starts at 1, β at 0. A training workspace
 * keeps each position's mean and rstd (saved: mean (N), then rstd (N));
 * the statistics are the example's own, so training and prediction agree. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"
#include "layers/layernorm.h"

void nn_layernorm_forward(float *out, float *mean, float *rstd,
                          const float *x, const float *gamma,
                          const float *beta, size_t N, size_t D)
{
    for (size_t n = 0; n < N; n++) {
        const float *xn = x + n * D;
        float *on = out + n * D;
        float m = 0.0f, v = 0.0f;
        for (size_t i = 0; i < D; i++)
            m += xn[i];
        m /= (float)D;
        for (size_t i = 0; i < D; i++)
            v += (xn[i] - m) * (xn[i] - m);
        v /= (float)D;
        float s = 1.0f / sqrtf(v + NN_LAYERNORM_EPS);
        for (size_t i = 0; i < D; i++)
            on[i] = (xn[i] - m) * s * gamma[i] + beta[i];
        if (mean)
            mean[n] = m;
        if (rstd)
            rstd[n] = s;
    }
}

/* With g = dout ∘ γ: dx = rstd (g − mean(g) − x̂ mean(g ∘ x̂)). */
void nn_layernorm_backward(float *dx, float *dgamma, float *dbeta,
                           const float *dout, const float *x,
                           const float *mean, const float *rstd,
                           const float *gamma, size_t N, size_t D)
{
    for (size_t n = 0; n < N; n++) {
        const float *xn = x + n * D, *dn = dout + n * D;
        float *dxn = dx ? dx + n * D : NULL, m = mean[n], s = rstd[n];
        float g_mean = 0.0f, gx_mean = 0.0f;
        for (size_t i = 0; i < D; i++) {
            float h = (xn[i] - m) * s, g = dn[i] * gamma[i];
            g_mean += g;
            gx_mean += g * h;
        }
        g_mean /= (float)D;
        gx_mean /= (float)D;
        for (size_t i = 0; i < D; i++) {
            float h = (xn[i] - m) * s;
            dbeta[i] += dn[i];
            dgamma[i] += dn[i] * h;
            if (dx)
                dxn[i] += s * (dn[i] * gamma[i] - g_mean - h * gx_mean);
        }
    }
}

/* The positions a row holds: T of a sequence, else 1. */
static size_t positions(const nn_layer_info *info)
{
    return info->in.rank == 2 ? info->in.dim[0] : 1;
}

static nn_status ln_infer(const nn_layer_spec *s, nn_layer_info *info,
                          const char *at, nn_error *err)
{
    (void)s;
    char field[64], got[64];
    if (info->in.rank == 3) {
        snprintf(field, sizeof field, "%s/type", at);
        return nn_fail(err, NN_ERR_INVALID, field,
                       "a layernorm needs a vector [D] or a sequence [T, D], "
                       "not %s", nn_shape_format(&info->in, got, sizeof got));
    }
    size_t D = info->in.dim[info->in.rank - 1], T = positions(info);
    info->out = info->in;
    info->n_b = 2 * D; /* D ≤ 2^20 */
    info->saved_per_row = 2 * T;
    info->flops_per_row = 16.0 * (double)T * (double)D;
    return NN_OK;
}

static void ln_init(const nn_layer_info *info, float *W, float *b,
                    float *state)
{
    (void)W, (void)state;
    size_t D = info->n_b / 2;
    for (size_t i = 0; i < D; i++) {
        b[i] = 1.0f;
        b[D + i] = 0.0f;
    }
}

static void ln_forward(const nn_layer_ctx *c, float *Z, float *A,
                       const float *X, size_t rows)
{
    (void)Z;
    size_t D = c->info->n_b / 2, N = rows * positions(c->info);
    float *mean = c->saved, *rstd = c->saved ? c->saved + N : NULL;
    nn_layernorm_forward(A, mean, rstd, X, c->b, c->b + D, N, D);
}

static void ln_backward(const nn_layer_ctx *c, float *dX, float *dY,
                        bool dy_is_dz, const float *X, const float *Z,
                        const float *A, size_t rows, float *dW, float *db,
                        bool accumulate)
{
    (void)dy_is_dz, (void)Z, (void)A, (void)dW;
    size_t D = c->info->n_b / 2, N = rows * positions(c->info);
    if (!accumulate)
        memset(db, 0, 2 * D * sizeof *db);
    if (dX)
        memset(dX, 0, N * D * sizeof *dX);
    nn_layernorm_backward(dX, db, db + D, dY, X, c->saved, c->saved + N,
                          c->b, N, D);
}

const nn_layer_ops nn_layer_layernorm = {
    .name = "layernorm",
    .infer = ln_infer,
    .init = ln_init,
    .forward = ln_forward,
    .backward = ln_backward,
};
