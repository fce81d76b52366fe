/* pool.c — maxpool2d and avgpool2d: a size × size window every stride
 * pixels, per channel, no padding (PyTorch's defaults).
 *
 * x is (B, C, H, W), A is (B, C, OH, OW) with OH = ⌊(H − size)/stride⌋ + 1.
 * max: A = the window's largest value; its gradient goes to the first
 * largest, whose offset in its plane a training pass saves (B, C, OH, OW
 * uint32 in the training workspace) so backward is a scatter; after a
 * pass that saved nothing, backward finds it again from x. avg: A = the window's mean; its
 * gradient is spread evenly over the window. */
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"

static nn_window geometry(const nn_layer_spec *s, const nn_layer_info *info)
{
    nn_window g;
    nn_window_infer(&info->in, s->size, s->size, s->stride, NN_PAD_VALID, "",
                    "size", &g, NULL);
    return g;
}

static nn_status pool_infer(const nn_layer_spec *s, nn_layer_info *info,
                            const char *at, nn_error *err)
{
    nn_window g;
    nn_status st = nn_need_image(&info->in, "a pooling layer", at, err);
    if (st == NN_OK)
        st = nn_window_infer(&info->in, s->size, s->size, s->stride,
                             NN_PAD_VALID, at, "size", &g, err);
    if (st != NN_OK)
        return st;
    info->out = (nn_shape){.rank = 3, .dim = {g.C, g.OH, g.OW}};
    info->flops_per_row = 3.0 * (double)(g.C * g.OH * g.OW * g.kh * g.kw);
    return NN_OK;
}

static nn_status maxpool_infer(const nn_layer_spec *s, nn_layer_info *info,
                               const char *at, nn_error *err)
{
    nn_status st = pool_infer(s, info, at, err);
    if (st != NN_OK)
        return st;
    if (nn_shape_size(&info->in) > UINT32_MAX)
        return nn_fail(err, NN_ERR_TOO_LARGE, at,
                       "this pooling layer's input is too large for libnn");
    info->saved_per_row = nn_shape_size(&info->out); /* uint32 offsets */
    return NN_OK;
}

/* The offset in one channel (H, W) of the window (oh, ow)'s first largest.
 * Selects, not branches: which value wins is data, and a mispredicted
 * branch per comparison made this 11% of a CNN step (perf, batch 64). */
static size_t window_argmax(const float *xc, const nn_window *g, size_t oh,
                            size_t ow)
{
    size_t at0 = oh * g->stride * g->W + ow * g->stride, best = at0;
    float top = xc[at0];
    for (size_t i = 0; i < g->kh; i++) {
        const float *r = xc + at0 + i * g->W;
        for (size_t j = 0; j < g->kw; j++) {
            bool more = r[j] > top;
            top = more ? r[j] : top;
            best = more ? at0 + i * g->W + j : best;
        }
    }
    return best;
}

/* One output row of a 2×2, stride 2 window (the usual pool) from input
 * rows r0, r1 (r0 at offset `at` of its plane, W wide): window_argmax's
 * choice, as selects in a loop the compiler vectorises (keep, a constant
 * at each call, says whether the offsets go to arg). */
static inline __attribute__((always_inline)) void
max2x2_row(const float *restrict r0, const float *restrict r1, uint32_t at,
           uint32_t W, size_t OW, float *restrict a, uint32_t *restrict arg,
           bool keep)
{
    for (size_t ow = 0; ow < OW; ow++) {
        uint32_t k0 = at + 2 * (uint32_t)ow, k = k0;
        float m = r0[2 * ow], v1 = r0[2 * ow + 1];
        float v2 = r1[2 * ow], v3 = r1[2 * ow + 1];
        bool g = v1 > m;
        k = g ? k0 + 1 : k;
        m = g ? v1 : m;
        g = v2 > m;
        k = g ? k0 + W : k;
        m = g ? v2 : m;
        g = v3 > m;
        k = g ? k0 + W + 1 : k;
        m = g ? v3 : m;
        a[ow] = m;
        if (keep)
            arg[ow] = k;
    }
}

static void maxpool_forward(const nn_layer_ctx *c, float *Z, float *A,
                            const float *X, size_t rows)
{
    (void)Z;
    nn_window g = geometry(c->spec, c->info);
    size_t planes = rows * g.C, P = g.OH * g.OW;
    uint32_t *arg = c->training ? (uint32_t *)c->saved : NULL;
    bool two = g.kh == 2 && g.kw == 2 && g.stride == 2;
    for (size_t n = 0; n < planes; n++) {
        const float *xc = X + n * g.H * g.W;
        for (size_t oh = 0; oh < g.OH; oh++) {
            float *a = A + n * P + oh * g.OW;
            uint32_t *ar = arg ? arg + n * P + oh * g.OW : NULL;
            size_t at = 2 * oh * g.W;
            if (two && ar) {
                max2x2_row(xc + at, xc + at + g.W, (uint32_t)at,
                           (uint32_t)g.W, g.OW, a, ar, true);
                continue;
            }
            if (two) {
                max2x2_row(xc + at, xc + at + g.W, (uint32_t)at,
                           (uint32_t)g.W, g.OW, a, NULL, false);
                continue;
            }
            for (size_t ow = 0; ow < g.OW; ow++) {
                size_t best = window_argmax(xc, &g, oh, ow);
                a[ow] = xc[best];
                if (ar)
                    ar[ow] = (uint32_t)best;
            }
        }
    }
}

static void maxpool_backward(const nn_layer_ctx *c, float *dX, float *dY,
                             bool dy_is_dz, const float *X, const float *Z,
                             const float *A, size_t rows, float *dW,
                             float *db, bool accumulate)
{
    (void)dy_is_dz, (void)Z, (void)A, (void)dW, (void)db, (void)accumulate;
    if (!dX)
        return;
    nn_window g = geometry(c->spec, c->info);
    size_t planes = rows * g.C, P = g.OH * g.OW, HW = g.H * g.W;
    memset(dX, 0, planes * HW * sizeof *dX);
    const uint32_t *arg = c->training ? (const uint32_t *)c->saved : NULL;
    if (arg) {
        for (size_t n = 0; n < planes; n++)
            for (size_t q = 0; q < P; q++)
                dX[n * HW + arg[n * P + q]] += dY[n * P + q];
        return;
    }
    for (size_t n = 0; n < planes; n++) {
        const float *xc = X + n * HW;
        for (size_t oh = 0; oh < g.OH; oh++)
            for (size_t ow = 0; ow < g.OW; ow++)
                dX[n * HW + window_argmax(xc, &g, oh, ow)] +=
                    dY[n * P + oh * g.OW + ow];
    }
}

static void avgpool_forward(const nn_layer_ctx *c, float *Z, float *A,
                            const float *X, size_t rows)
{
    (void)Z;
    nn_window g = geometry(c->spec, c->info);
    size_t planes = rows * g.C, P = g.OH * g.OW;
    float inv = 1.0f / (float)(g.kh * g.kw);
    for (size_t n = 0; n < planes; n++) {
        const float *xc = X + n * g.H * g.W;
        for (size_t oh = 0; oh < g.OH; oh++)
            for (size_t ow = 0; ow < g.OW; ow++) {
                const float *x0 = xc + oh * g.stride * g.W + ow * g.stride;
                float s = 0.0f;
                for (size_t i = 0; i < g.kh; i++)
                    for (size_t j = 0; j < g.kw; j++)
                        s += x0[i * g.W + j];
                A[n * P + oh * g.OW + ow] = s * inv;
            }
    }
}

static void avgpool_backward(const nn_layer_ctx *c, float *dX, float *dY,
                             bool dy_is_dz, const float *X, const float *Z,
                             const float *A, size_t rows, float *dW,
                             float *db, bool accumulate)
{
    (void)dy_is_dz, (void)X, (void)Z, (void)A, (void)dW, (void)db,
        (void)accumulate;
    if (!dX)
        return;
    nn_window g = geometry(c->spec, c->info);
    size_t planes = rows * g.C, P = g.OH * g.OW, HW = g.H * g.W;
    float inv = 1.0f / (float)(g.kh * g.kw);
    memset(dX, 0, planes * HW * sizeof *dX);
    for (size_t n = 0; n < planes; n++)
        for (size_t oh = 0; oh < g.OH; oh++)
            for (size_t ow = 0; ow < g.OW; ow++) {
                float d = dY[n * P + oh * g.OW + ow] * inv;
                float *x0 = dX + n * HW + oh * g.stride * g.W + ow * g.stride;
                for (size_t i = 0; i < g.kh; i++)
                    for (size_t j = 0; j < g.kw; j++)
                        x0[i * g.W + j] += d;
            }
}

const nn_layer_ops nn_layer_maxpool2d = {
    .name = "maxpool2d",
    .infer = maxpool_infer,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
};

const nn_layer_ops nn_layer_avgpool2d = {
    .name = "avgpool2d",
    .infer = pool_infer,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
};
