/* flatten.c — any shape to a vector, in the row-major (C, H, W) order the
 * activations are stored in, so it only relabels the shape.
 *
 * x is (B, C, H, W), A is (B, C·H·W): the same floats. */
#include <string.h>

#include "layers/layer.h"

static nn_status flatten_infer(const nn_layer_spec *s, nn_layer_info *info,
                               const char *at, nn_error *err)
{
    (void)s, (void)at, (void)err;
    info->out = nn_shape_vector(nn_shape_size(&info->in));
    return NN_OK;
}

static void flatten_forward(const nn_layer_ctx *c, float *Z, float *A,
                            const float *X, size_t rows)
{
    (void)Z;
    memcpy(A, X, rows * nn_shape_size(&c->info->in) * sizeof *A);
}

static void flatten_backward(const nn_layer_ctx *c, float *dX, float *dY,
                             bool dy_is_dz, const float *X, const float *Z,
                             const float *A, size_t rows, float *dW,
                             float *db, bool accumulate)
{
    (void)dy_is_dz, (void)X, (void)Z, (void)A, (void)dW, (void)db,
        (void)accumulate;
    if (dX)
        memcpy(dX, dY, rows * nn_shape_size(&c->info->in) * sizeof *dX);
}

const nn_layer_ops nn_layer_flatten = {
    .name = "flatten",
    .infer = flatten_infer,
    .forward = flatten_forward,
    .backward = flatten_backward,
};
