/* conv2d.c — 2-D convolution through im2col and one sgemm per example
 * (Caffe's design).
 *
 * x is (B, C, H, W), W is (F, C·kh·kw) — PyTorch's (F, C, kh, kw) — b is
 * (F), Z and A are (B, F, OH, OW). Per example: col = im2col(x) is
 * (C·kh·kw, OH·OW), Z = W col + b, A = g(Z). Backward: dW += dZ colᵀ,
 * db += Σ dZ, dcol = Wᵀ dZ, dx = col2im(dcol). A training pass keeps each
 * example's col in the training workspace, so backward does not rebuild
 * it. One product over a whole shard's columns, (F, K)·(K, B·P), was
 * measured no faster: OpenBLAS is already at its rate at one example's
 * shapes, and regrouping (F, B·P) into (B, F, P) cost what it saved. */
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"
#include "nn_blas.h"
#include "nn_limits.h"

#define NN_MAX_FILTERS 4096u

static nn_window geometry(const nn_layer_spec *s, const nn_layer_info *info)
{
    nn_window g;
    nn_window_infer(&info->in, s->kernel_h, s->kernel_w, s->stride,
                    s->padding, "", "kernel", &g, NULL);
    return g;
}

static nn_status conv_infer(const nn_layer_spec *s, nn_layer_info *info,
                            const char *at, nn_error *err)
{
    char field[64];
    nn_window g;
    nn_status st = nn_need_image(&info->in, "conv2d", at, err);
    if (st != NN_OK)
        return st;
    snprintf(field, sizeof field, "%s/filters", at);
    if (s->filters == 0)
        return nn_fail(err, NN_ERR_INVALID, field, "filters must be ≥ 1");
    if (s->filters > NN_MAX_FILTERS)
        return nn_fail(err, NN_ERR_TOO_LARGE, field, "filters must be ≤ %u",
                       NN_MAX_FILTERS);
    st = nn_window_infer(&info->in, s->kernel_h, s->kernel_w, s->stride,
                         s->padding, at, "kernel", &g, err);
    if (st != NN_OK)
        return st;
    snprintf(field, sizeof field, "%s/activation", at);
    if (s->act.kind == NN_ACT_SOFTMAX)
        return nn_fail(err, NN_ERR_INVALID, field,
                       "softmax is for a dense output layer, not conv2d");
    if ((st = nn_activation_check(&s->act, field, err)) != NN_OK)
        return st;
    size_t K, P, out, taps;
    if (!nn_size_mul(g.C, g.kh * g.kw, &K) || !nn_size_mul(g.OH, g.OW, &P) ||
        !nn_size_mul(P, s->filters, &out) || out > NN_MAX_UNITS * 16 ||
        !nn_size_mul(K, P, &info->scratch) || info->scratch > NN_MAX_UNITS * 64 ||
        !nn_size_mul(K, s->filters, &info->n_w) ||
        !nn_size_mul(s->filters, g.kh * g.kw, &taps))
        return nn_fail(err, NN_ERR_TOO_LARGE, at,
                       "this convolution is too large for libnn");
    info->out = (nn_shape){.rank = 3, .dim = {s->filters, g.OH, g.OW}};
    info->n_b = s->filters;
    info->fan_in = K;
    info->fan_out = taps;
    info->has_act = true;
    info->saved_per_row = info->scratch; /* its columns, for backward */
    info->flops_per_row = 6.0 * (double)info->n_w * (double)P;
    return NN_OK;
}

/* The output columns [*lo, *hi) whose kernel column j falls inside the
 * image (w = ow·stride + j − pad_left in [0, W)); the rest read padding. */
static void col_span(const nn_window *g, size_t j, size_t *lo, size_t *hi)
{
    size_t s = g->stride, end = g->W + g->pad_left; /* w + pad_left < end */
    *lo = j >= g->pad_left ? 0 : (g->pad_left - j + s - 1) / s;
    *hi = j >= end ? 0 : (end - j + s - 1) / s;
    if (*hi > g->OW)
        *hi = g->OW;
    if (*lo > *hi)
        *lo = *hi;
}

/* One example's columns of col (C·kh·kw rows of stride ld, this example's
 * OH·OW entries of each) from its image x (C, H, W); outside is 0. */
static void im2col(float *col, size_t ld, const float *x, const nn_window *g)
{
    size_t s = g->stride;
    for (size_t c = 0; c < g->C; c++)
        for (size_t i = 0; i < g->kh; i++)
            for (size_t j = 0; j < g->kw; j++) {
                float *row = col + ((c * g->kh + i) * g->kw + j) * ld;
                const float *xc = x + c * g->H * g->W;
                size_t lo, hi;
                col_span(g, j, &lo, &hi);
                for (size_t oh = 0; oh < g->OH; oh++) {
                    size_t h = oh * s + i; /* + pad_top offset */
                    float *dst = row + oh * g->OW;
                    if (h < g->pad_top || h - g->pad_top >= g->H || lo == hi) {
                        memset(dst, 0, g->OW * sizeof *dst);
                        continue;
                    }
                    /* column lo's pixel, then every s-th */
                    const float *src = xc + (h - g->pad_top) * g->W +
                                       (lo * s + j - g->pad_left);
                    if (lo)
                        memset(dst, 0, lo * sizeof *dst);
                    if (s == 1)
                        memcpy(dst + lo, src, (hi - lo) * sizeof *dst);
                    else
                        for (size_t n = 0; n < hi - lo; n++)
                            dst[lo + n] = src[n * s];
                    if (hi < g->OW)
                        memset(dst + hi, 0, (g->OW - hi) * sizeof *dst);
                }
            }
}

/* dx (C, H, W) += col2im(dcol), from one example's columns of dcol (laid out
 * as im2col's): every column entry back to its pixel. */
static void col2im(float *dx, const float *col, size_t ld, const nn_window *g)
{
    size_t s = g->stride;
    for (size_t c = 0; c < g->C; c++)
        for (size_t i = 0; i < g->kh; i++)
            for (size_t j = 0; j < g->kw; j++) {
                const float *row = col + ((c * g->kh + i) * g->kw + j) * ld;
                float *xc = dx + c * g->H * g->W;
                size_t lo, hi;
                col_span(g, j, &lo, &hi);
                for (size_t oh = 0; oh < g->OH; oh++) {
                    size_t h = oh * s + i;
                    if (h < g->pad_top || h - g->pad_top >= g->H || lo == hi)
                        continue;
                    float *dst = xc + (h - g->pad_top) * g->W +
                                 (lo * s + j - g->pad_left);
                    const float *src = row + oh * g->OW + lo;
                    if (s == 1) /* a loop the compiler vectorises */
                        for (size_t n = 0; n < hi - lo; n++)
                            dst[n] += src[n];
                    else
                        for (size_t n = 0; n < hi - lo; n++)
                            dst[n * s] += src[n];
                }
            }
}

/* Σ v[0…n) in eight running sums, one per lane of a vector: a single
 * running sum is one dependent add after another (the compiler may not
 * reorder float adds), which made the bias gradient ~5% of a CNN step. The
 * order is fixed, so results stay bit-reproducible. */
static float sum8(const float *v, size_t n)
{
    float lane[8] = {0}, s = 0.0f;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t l = 0; l < 8; l++)
            lane[l] += v[i + l];
    for (; i < n; i++)
        s += v[i];
    for (size_t l = 0; l < 8; l++)
        s += lane[l];
    return s;
}

/* Example r's columns: saved by a training pass (backward then reuses
 * them), else built in the scratch. */
static const float *example_col(const nn_layer_ctx *c, const float *X,
                                size_t r, const nn_window *g, bool build)
{
    size_t P = g->OH * g->OW, in = g->C * g->H * g->W;
    float *col = c->training ? c->saved + r * c->info->scratch : c->scratch;
    if (build || !c->training)
        im2col(col, P, X + r * in, g);
    return col;
}

static void conv_forward(const nn_layer_ctx *c, float *Z, float *A,
                         const float *X, size_t rows)
{
    nn_window g = geometry(c->spec, c->info);
    size_t F = c->spec->filters, K = g.C * g.kh * g.kw, P = g.OH * g.OW;
    size_t out = F * P;
    bool relu = c->spec->act.kind == NN_ACT_RELU;
    for (size_t r = 0; r < rows; r++) {
        float *z = Z + r * out, *a = A + r * out;
        const float *col = example_col(c, X, r, &g, true);
        nn_sgemm(false, false, F, P, K, 1.0f, c->W, K, col, P, 0.0f, z, P);
        for (size_t f = 0; f < F; f++) {
            float bf = c->b[f], *zf = z + f * P, *af = a + f * P;
            for (size_t p = 0; p < P; p++) {
                float v = zf[p] + bf;
                zf[p] = v;
                if (relu)
                    af[p] = v > 0.0f ? v : 0.0f;
            }
        }
    }
    if (!relu)
        nn_activation_forward(&c->spec->act, A, Z, rows, out);
}

static void conv_backward(const nn_layer_ctx *c, float *dX, float *dY,
                          bool dy_is_dz, const float *X, const float *Z,
                          const float *A, size_t rows, float *dW, float *db,
                          bool accumulate)
{
    nn_window g = geometry(c->spec, c->info);
    size_t F = c->spec->filters, K = g.C * g.kh * g.kw, P = g.OH * g.OW;
    size_t in = nn_shape_size(&c->info->in), out = F * P;
    if (!dy_is_dz)
        nn_activation_backward(&c->spec->act, dY, dY, Z, A, rows, out);
    if (!accumulate) {
        memset(dW, 0, c->info->n_w * sizeof *dW);
        memset(db, 0, F * sizeof *db);
    }
    for (size_t r = 0; r < rows; r++) {
        const float *dz = dY + r * out;
        for (size_t f = 0; f < F; f++)
            db[f] += sum8(dz + f * P, P);
        const float *col = example_col(c, X, r, &g, false);
        nn_sgemm(false, true, F, K, P, 1.0f, dz, P, col, P, 1.0f, dW, K);
        if (!dX)
            continue;
        nn_sgemm(true, false, K, P, F, 1.0f, c->W, K, dz, P, 0.0f, c->scratch,
                 P);
        memset(dX + r * in, 0, in * sizeof *dX);
        col2im(dX + r * in, c->scratch, P, &g);
    }
}

const nn_layer_ops nn_layer_conv2d = {
    .name = "conv2d",
    .infer = conv_infer,
    .forward = conv_forward,
    .backward = conv_backward,
};
