/* dropout.c — inverted dropout, active in training passes only.
 *
 * x and A are (B, N) of any shape. Training: each value is kept with
 * probability 1 − rate and then scaled by 1/(1 − rate), else zeroed; the
 * mask m (B, N) is saved, A = x ∘ m, dx = dA ∘ m. The mask of row r comes
 * from the pass's seed and the row's index in the batch, so it is the same
 * however the batch is split over threads. Prediction: A = x. */
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"
#include "nn_rng.h"

static nn_status dropout_infer(const nn_layer_spec *s, nn_layer_info *info,
                               const char *at, nn_error *err)
{
    char field[64];
    snprintf(field, sizeof field, "%s/rate", at);
    if (!(s->rate >= 0.0f && s->rate < 1.0f))
        return nn_fail(err, NN_ERR_INVALID, field,
                       "rate must be in [0, 1): a rate of 1 drops everything");
    info->out = info->in;
    info->saved_per_row = nn_shape_size(&info->in);
    info->flops_per_row = 2.0 * (double)info->saved_per_row;
    return NN_OK;
}

static void dropout_forward(const nn_layer_ctx *c, float *Z, float *A,
                            const float *X, size_t rows)
{
    (void)Z;
    size_t n = nn_shape_size(&c->info->in);
    if (!c->training) {
        memcpy(A, X, rows * n * sizeof *A);
        return;
    }
    float rate = c->spec->rate, keep = 1.0f / (1.0f - rate);
    for (size_t r = 0; r < rows; r++) {
        nn_rng rng;
        nn_rng_seed(&rng, c->seed ^ ((c->row0 + r + 1) * 0x9e3779b97f4a7c15ull));
        float *m = c->saved + r * n;
        for (size_t i = 0; i < n; i++) {
            m[i] = nn_rng_uniform(&rng) >= rate ? keep : 0.0f;
            A[r * n + i] = X[r * n + i] * m[i];
        }
    }
}

static void dropout_backward(const nn_layer_ctx *c, float *dX, float *dY,
                             bool dy_is_dz, const float *X, const float *Z,
                             const float *A, size_t rows, float *dW,
                             float *db, bool accumulate)
{
    (void)dy_is_dz, (void)X, (void)Z, (void)A, (void)dW, (void)db,
        (void)accumulate;
    if (!dX)
        return;
    size_t total = rows * nn_shape_size(&c->info->in);
    if (!c->training) {
        memcpy(dX, dY, total * sizeof *dX);
        return;
    }
    for (size_t i = 0; i < total; i++)
        dX[i] = dY[i] * c->saved[i];
}

const nn_layer_ops nn_layer_dropout = {
    .name = "dropout",
    .infer = dropout_infer,
    .forward = dropout_forward,
    .backward = dropout_backward,
};
