/* table.c — the layer table (one row per kind, see layer.h), layer kind
 * names, shapes, and the window geometry conv2d and the pools share. */
#include <stdio.h>
#include <string.h>

#include "layers/layer.h"
#include "nn_limits.h"

const nn_layer_ops *const nn_layer_table[NN_LAYER_KIND_COUNT] = {
    [NN_LAYER_DENSE] = &nn_layer_dense,
    [NN_LAYER_CONV2D] = &nn_layer_conv2d,
    [NN_LAYER_MAXPOOL2D] = &nn_layer_maxpool2d,
    [NN_LAYER_AVGPOOL2D] = &nn_layer_avgpool2d,
    [NN_LAYER_FLATTEN] = &nn_layer_flatten,
    [NN_LAYER_DROPOUT] = &nn_layer_dropout,
    [NN_LAYER_BATCHNORM] = &nn_layer_batchnorm,
    [NN_LAYER_EMBEDDING] = &nn_layer_embedding,
    [NN_LAYER_RNN] = &nn_layer_rnn,
    [NN_LAYER_LSTM] = &nn_layer_lstm,
    [NN_LAYER_GRU] = &nn_layer_gru,
    [NN_LAYER_LAYERNORM] = &nn_layer_layernorm,
    [NN_LAYER_TRANSFORMER_BLOCK] = &nn_layer_transformer_block,
};

const char *nn_layer_kind_name(nn_layer_kind kind)
{
    return (unsigned)kind < NN_LAYER_KIND_COUNT && nn_layer_table[kind]
               ? nn_layer_table[kind]->name
               : "?";
}

nn_status nn_layer_kind_parse(const char *name, nn_layer_kind *out,
                              const char *field, nn_error *err)
{
    for (unsigned k = 0; k < NN_LAYER_KIND_COUNT; k++) {
        if (name && nn_layer_table[k] &&
            strcmp(name, nn_layer_table[k]->name) == 0) {
            *out = (nn_layer_kind)k;
            return NN_OK;
        }
    }
    return nn_fail(err, NN_ERR_INVALID, field,
                   "unknown layer type '%s' (expected dense, conv2d, "
                   "maxpool2d, avgpool2d, flatten, dropout, batchnorm, embedding, "
                   "rnn, lstm, gru, layernorm or transformer_block)",
                   name ? name : "");
}

bool nn_layer_spec_equal(const nn_layer_spec *a, const nn_layer_spec *b)
{
    return a->kind == b->kind && a->units == b->units &&
           a->act.kind == b->act.kind && a->act.param == b->act.param &&
           a->filters == b->filters && a->kernel_h == b->kernel_h &&
           a->kernel_w == b->kernel_w && a->stride == b->stride &&
           a->padding == b->padding && a->size == b->size &&
           a->rate == b->rate && a->vocab == b->vocab &&
           a->positions == b->positions &&
           a->return_sequences == b->return_sequences &&
           a->heads == b->heads && a->mlp_ratio == b->mlp_ratio;
}

nn_shape nn_shape_vector(size_t n)
{
    return (nn_shape){.rank = 1, .dim = {n, 0, 0}};
}

size_t nn_shape_size(const nn_shape *s)
{
    size_t n = 1;
    for (size_t i = 0; i < s->rank; i++)
        n *= s->dim[i]; /* bounded at creation: no overflow */
    return n;
}

char *nn_shape_format(const nn_shape *s, char *buf, size_t n)
{
    size_t at = (size_t)snprintf(buf, n, "[");
    for (size_t i = 0; i < s->rank && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, i ? ", %zu" : "%zu",
                               s->dim[i]);
    if (at < n)
        snprintf(buf + at, n - at, "]");
    return buf;
}

nn_status nn_check_units(size_t units, const char *at, nn_error *err)
{
    char field[64];
    snprintf(field, sizeof field, "%s/units", at);
    if (units == 0)
        return nn_fail(err, NN_ERR_INVALID, field, "units must be ≥ 1");
    if (units > NN_MAX_UNITS)
        return nn_fail(err, NN_ERR_TOO_LARGE, field, "units must be ≤ %u",
                       NN_MAX_UNITS);
    return NN_OK;
}

nn_status nn_need_image(const nn_shape *in, const char *kind, const char *at,
                        nn_error *err)
{
    char field[64], got[64];
    if (in->rank == 3)
        return NN_OK;
    snprintf(field, sizeof field, "%s/type", at);
    return nn_fail(err, NN_ERR_INVALID, field,
                   "%s needs an image input [C, H, W], not %s", kind,
                   nn_shape_format(in, got, sizeof got));
}

/* One axis: the output length and the padding before it. */
static bool window_axis(size_t n, size_t k, size_t stride, nn_padding pad,
                        size_t *out, size_t *before)
{
    if (pad == NN_PAD_SAME) {
        *out = (n + stride - 1) / stride;
        size_t need = (*out - 1) * stride + k;
        *before = need > n ? (need - n) / 2 : 0;
        return true;
    }
    if (k > n)
        return false;
    *out = (n - k) / stride + 1;
    *before = 0;
    return true;
}

nn_status nn_window_infer(const nn_shape *in, size_t kh, size_t kw,
                          size_t stride, nn_padding padding, const char *at,
                          const char *kernel_field, nn_window *g,
                          nn_error *err)
{
    char field[64], got[64];
    snprintf(field, sizeof field, "%s/%s", at, kernel_field);
    if (kh == 0 || kw == 0)
        return nn_fail(err, NN_ERR_INVALID, field, "%s must be ≥ 1",
                       kernel_field);
    if (kh > NN_MAX_UNITS || kw > NN_MAX_UNITS)
        return nn_fail(err, NN_ERR_TOO_LARGE, field, "%s must be ≤ %u",
                       kernel_field, NN_MAX_UNITS);
    if (stride == 0) {
        snprintf(field, sizeof field, "%s/stride", at);
        return nn_fail(err, NN_ERR_INVALID, field, "stride must be ≥ 1");
    }
    if (stride > NN_MAX_UNITS) {
        snprintf(field, sizeof field, "%s/stride", at);
        return nn_fail(err, NN_ERR_TOO_LARGE, field, "stride must be ≤ %u",
                       NN_MAX_UNITS);
    }
    if ((unsigned)padding > NN_PAD_SAME) {
        snprintf(field, sizeof field, "%s/padding", at);
        return nn_fail(err, NN_ERR_INVALID, field, "unknown padding");
    }
    *g = (nn_window){.C = in->dim[0], .H = in->dim[1], .W = in->dim[2],
                     .kh = kh, .kw = kw, .stride = stride};
    if (!window_axis(g->H, kh, stride, padding, &g->OH, &g->pad_top) ||
        !window_axis(g->W, kw, stride, padding, &g->OW, &g->pad_left))
        return nn_fail(err, NN_ERR_INVALID, field,
                       "a %s of %zu×%zu is larger than the input %s: it needs "
                       "a %s of at most %zu×%zu",
                       kernel_field, kh, kw,
                       nn_shape_format(in, got, sizeof got), kernel_field,
                       g->H, g->W);
    return NN_OK;
}
