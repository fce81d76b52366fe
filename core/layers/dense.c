/* dense.c — the dense (fully connected) layer.
 *
 * x is (B, in), W is (in, out), b is (out), Z and A are (B, out):
 * Z = x W + b (one sgemm, the bias broadcast over rows), A = g(Z).
 * On a sequence x (B, T, in) it applies at every position: Z and A are
 * (B, T, out), the B·T positions taken as rows. */
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"
#include "nn_blas.h"
#include "nn_limits.h"

/* The positions a row holds: T of a sequence, else 1. */
static size_t positions(const nn_layer_info *info)
{
    return info->in.rank == 2 ? info->in.dim[0] : 1;
}

static nn_status dense_infer(const nn_layer_spec *s, nn_layer_info *info,
                             const char *at, nn_error *err)
{
    char field[64], got[64];
    if (info->in.rank == 3) {
        snprintf(field, sizeof field, "%s/type", at);
        return nn_fail(err, NN_ERR_INVALID, field,
                       "a dense layer needs a vector [N] or a sequence "
                       "[T, D], not %s: put a flatten layer before it",
                       nn_shape_format(&info->in, got, sizeof got));
    }
    nn_status st = nn_check_units(s->units, at, err);
    if (st != NN_OK)
        return st;
    snprintf(field, sizeof field, "%s/activation", at);
    st = nn_activation_check(&s->act, field, err);
    if (st != NN_OK)
        return st;
    size_t T = positions(info), in = info->in.dim[info->in.rank - 1];
    info->out = info->in.rank == 2
                    ? (nn_shape){.rank = 2, .dim = {T, s->units, 0}}
                    : nn_shape_vector(s->units);
    if (!nn_size_mul(in, s->units, &info->n_w))
        info->n_w = SIZE_MAX; /* the caller's parameter limit refuses it */
    info->n_b = s->units;
    info->fan_in = in;
    info->fan_out = s->units;
    info->has_act = true;
    info->flops_per_row = 6.0 * (double)T * (double)in * (double)s->units;
    return NN_OK;
}

/* A relu layer adds the bias and clips in one pass. */
static void dense_forward(const nn_layer_ctx *c, float *Z, float *A,
                          const float *X, size_t rows)
{
    size_t in = c->info->in.dim[c->info->in.rank - 1], out = c->spec->units;
    rows *= positions(c->info);
    const nn_activation *act = &c->spec->act;
    const float *b = c->b;
    nn_sgemm(false, false, rows, out, in, 1.0f, X, in, c->W, out, 0.0f, Z, out);
    for (size_t r = 0; r < rows; r++) {
        float *z = Z + r * out, *a = A + r * out;
        if (act->kind == NN_ACT_RELU) {
            for (size_t j = 0; j < out; j++) {
                float v = z[j] + b[j];
                z[j] = v;
                a[j] = v > 0.0f ? v : 0.0f;
            }
        } else {
            for (size_t j = 0; j < out; j++)
                z[j] += b[j];
        }
    }
    if (act->kind != NN_ACT_RELU)
        nn_activation_forward(act, A, Z, rows, out);
}

/* dZ = dY ∘ g'(Z); dW (in, out) = xᵀ dZ, db (out) = Σ_rows dZ, and, when
 * dX is not NULL, dX (B, in) = dZ Wᵀ. */
static void dense_backward(const nn_layer_ctx *c, float *dX, float *dY,
                           bool dy_is_dz, const float *X, const float *Z,
                           const float *A, size_t rows, float *dW, float *db,
                           bool accumulate)
{
    size_t in = c->info->in.dim[c->info->in.rank - 1], out = c->spec->units;
    rows *= positions(c->info);
    if (!dy_is_dz)
        nn_activation_backward(&c->spec->act, dY, dY, Z, A, rows, out);
    const float *dZ = dY;
    nn_sgemm(true, false, in, out, rows, 1.0f, X, in, dZ, out,
             accumulate ? 1.0f : 0.0f, dW, out);
    if (!accumulate)
        memset(db, 0, out * sizeof *db);
    for (size_t r = 0; r < rows; r++) {
        const float *d = dZ + r * out;
        for (size_t j = 0; j < out; j++)
            db[j] += d[j];
    }
    if (dX)
        nn_sgemm(false, true, rows, in, out, 1.0f, dZ, out, c->W, out, 0.0f,
                 dX, in);
}

const nn_layer_ops nn_layer_dense = {
    .name = "dense",
    .infer = dense_infer,
    .forward = dense_forward,
    .backward = dense_backward,
};
