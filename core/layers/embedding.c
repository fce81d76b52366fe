/* embedding.c — token ids to vectors, with an optional learned position
 * vector added (GPT-2's wte + wpe).
 *
 * x is (B, T) token ids (as floats), W is (V, E) one row per token, b is
 * (T, E) the position vectors when learned (empty otherwise), A is
 * (B, T, E): A[r, t] = W[x[r, t]] + b[t]. An id that is not a whole number
 * in [0, V) (the caller's data validation should have refused it) looks
 * up nothing: zeros, plus the position. Ids have no gradient: dX, when
 * asked for, is zero. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"
#include "nn_limits.h"

static nn_status embedding_infer(const nn_layer_spec *s, nn_layer_info *info,
                                 const char *at, nn_error *err)
{
    char field[64], got[64];
    if (info->in.rank != 1) {
        snprintf(field, sizeof field, "%s/type", at);
        return nn_fail(err, NN_ERR_INVALID, field,
                       "an embedding needs token ids [T], not %s",
                       nn_shape_format(&info->in, got, sizeof got));
    }
    snprintf(field, sizeof field, "%s/units", at);
    if (s->units == 0 || s->units > NN_MAX_UNITS)
        return nn_fail(err, s->units ? NN_ERR_TOO_LARGE : NN_ERR_INVALID,
                       field, "the embedding's width must be 1 to %u",
                       NN_MAX_UNITS);
    snprintf(field, sizeof field, "%s/vocab", at);
    if (s->vocab == 0 || s->vocab > NN_MAX_UNITS)
        return nn_fail(err, s->vocab ? NN_ERR_TOO_LARGE : NN_ERR_INVALID,
                       field, "the vocabulary must have 1 to %u tokens",
                       NN_MAX_UNITS);
    size_t T = info->in.dim[0], E = s->units;
    info->out = (nn_shape){.rank = 2, .dim = {T, E, 0}};
    if (!nn_size_mul(s->vocab, E, &info->n_w))
        info->n_w = SIZE_MAX; /* the caller's parameter limit refuses it */
    info->n_b = s->positions ? T * E : 0; /* T, E ≤ 2^20 */
    info->fan_in = 1;
    info->fan_out = E;
    info->flops_per_row = 3.0 * (double)T * (double)E;
    return NN_OK;
}

/* The row of W for id v, or NULL when v is no token. */
static const float *token_row(const float *W, size_t V, size_t E, float v)
{
    if (!(v >= 0.0f && v < (float)V) || v != floorf(v))
        return NULL;
    return W + (size_t)v * E;
}

static void embedding_forward(const nn_layer_ctx *c, float *Z, float *A,
                              const float *X, size_t rows)
{
    (void)Z;
    size_t T = c->info->in.dim[0], E = c->spec->units, V = c->spec->vocab;
    for (size_t r = 0; r < rows; r++)
        for (size_t t = 0; t < T; t++) {
            float *a = A + (r * T + t) * E;
            const float *w = token_row(c->W, V, E, X[r * T + t]);
            const float *p = c->spec->positions ? c->b + t * E : NULL;
            for (size_t j = 0; j < E; j++)
                a[j] = (w ? w[j] : 0.0f) + (p ? p[j] : 0.0f);
        }
}

/* dW[x[r, t]] += dY[r, t]; db[t] += dY[r, t] when positions are learned. */
static void embedding_backward(const nn_layer_ctx *c, float *dX, float *dY,
                               bool dy_is_dz, const float *X, const float *Z,
                               const float *A, size_t rows, float *dW,
                               float *db, bool accumulate)
{
    (void)dy_is_dz, (void)Z, (void)A;
    size_t T = c->info->in.dim[0], E = c->spec->units, V = c->spec->vocab;
    if (!accumulate) {
        memset(dW, 0, c->info->n_w * sizeof *dW);
        memset(db, 0, c->info->n_b * sizeof *db);
    }
    for (size_t r = 0; r < rows; r++)
        for (size_t t = 0; t < T; t++) {
            const float *d = dY + (r * T + t) * E;
            float *w = (float *)token_row(dW, V, E, X[r * T + t]);
            for (size_t j = 0; w && j < E; j++)
                w[j] += d[j];
            for (size_t j = 0; c->spec->positions && j < E; j++)
                db[t * E + j] += d[j];
        }
    if (dX)
        memset(dX, 0, rows * T * sizeof *dX);
}

const nn_layer_ops nn_layer_embedding = {
    .name = "embedding",
    .infer = embedding_infer,
    .forward = embedding_forward,
    .backward = embedding_backward,
};
