/* export_c_kernels.c — the C99 text of the helper functions a generated
 * header's predict function calls, one per layer kind it uses, each
 * computing what libnn's forward pass computes (same operation order where
 * it matters: the bias added after the sum, batchnorm with libnn's
 * 1/√(var + eps), the pools' 1/(size²) factor, sigmoid split on the sign).
 * Only what a header's layers use is written: an unused static function
 * would fail `-Wall -Werror`. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "export_c_text.h"

void nn_ctext_put(nn_ctext *t, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->text.oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        nn_wbuf_bytes(&t->text, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        t->text.oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    nn_wbuf_bytes(&t->text, big, (size_t)n);
    free(big);
}

char *nn_ctext_float(float v, char buf[40])
{
    int n = snprintf(buf, 36, "%.9g", (double)v);
    bool real = false;
    for (const char *p = buf; *p; p++)
        real |= *p == '.' || *p == 'e';
    snprintf(buf + n, 4, "%sf", real ? "" : ".0");
    return buf;
}

void nn_ctext_array(nn_ctext *t, const char *name, const float *v, size_t n)
{
    nn_ctext_put(t, "static const float %s_%s[%zu] = {", t->id, name, n);
    for (size_t i = 0; i < n; i++) {
        nn_ctext_put(t, i % 6 ? ", " : i ? ",\n    " : "\n    ");
        char f[40];
        nn_ctext_put(t, "%s", nn_ctext_float(v[i], f));
    }
    nn_ctext_put(t, "\n};\n");
}

static const char activate_text[] =
    "/* v = g(v) for n values; softmax over all n. */\n"
    "static void %s_activate(float *v, int n, int kind, float p)\n"
    "{\n"
    "    int i;\n"
    "    if (kind == %d) {\n"
    "        float max = v[0], sum = 0.0f, inv;\n"
    "        for (i = 1; i < n; i++)\n"
    "            max = v[i] > max ? v[i] : max;\n"
    "        for (i = 0; i < n; i++) {\n"
    "            v[i] = expf(v[i] - max);\n"
    "            sum += v[i];\n"
    "        }\n"
    "        inv = 1.0f / sum;\n"
    "        for (i = 0; i < n; i++)\n"
    "            v[i] *= inv;\n"
    "        return;\n"
    "    }\n"
    "    for (i = 0; i < n; i++) {\n"
    "        float x = v[i], e;\n"
    "        if (kind == %d)\n"
    "            v[i] = x > 0.0f ? 1.0f : 0.0f;\n"
    "        else if (kind == %d)\n"
    "            v[i] = x > 0.0f ? 1.0f : -1.0f;\n"
    "        else if (kind == %d) {\n"
    "            x *= p;\n"
    "            e = expf(-fabsf(x));\n"
    "            v[i] = x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);\n"
    "        } else if (kind == %d)\n"
    "            v[i] = tanhf(x);\n"
    "        else if (kind == %d)\n"
    "            v[i] = x > 0.0f ? x : 0.0f;\n"
    "        else if (kind == %d)\n"
    "            v[i] = x > 0.0f ? x : p * x;\n"
    "    }\n"
    "}\n\n";

static const char dense_text[] =
    "/* y (out) = x (in) W (in x out) + b (out). */\n"
    "static void %s_dense(float *y, const float *x, const float *W,\n"
    "                     const float *b, int in, int out)\n"
    "{\n"
    "    int i, j;\n"
    "    for (j = 0; j < out; j++)\n"
    "        y[j] = 0.0f;\n"
    "    for (i = 0; i < in; i++)\n"
    "        for (j = 0; j < out; j++)\n"
    "            y[j] += x[i] * W[i * out + j];\n"
    "    for (j = 0; j < out; j++)\n"
    "        y[j] += b[j];\n"
    "}\n\n";

/* g[] is {C, H, W, F, kh, kw, stride, pad_top, pad_left, OH, OW}. */
static const char conv2d_text[] =
    "/* y (F, OH, OW) = W (F, C, kh, kw) * x (C, H, W) + b (F), zeros\n"
    " * outside; g is {C, H, W, F, kh, kw, stride, pad_top, pad_left, OH, OW}. */\n"
    "static void %s_conv2d(float *y, const float *x, const float *W,\n"
    "                      const float *b, const int *g)\n"
    "{\n"
    "    int f, c, i, j, oh, ow;\n"
    "    for (f = 0; f < g[3]; f++)\n"
    "        for (oh = 0; oh < g[9]; oh++)\n"
    "            for (ow = 0; ow < g[10]; ow++) {\n"
    "                float s = 0.0f;\n"
    "                for (c = 0; c < g[0]; c++)\n"
    "                    for (i = 0; i < g[4]; i++)\n"
    "                        for (j = 0; j < g[5]; j++) {\n"
    "                            int h = oh * g[6] + i - g[7];\n"
    "                            int w = ow * g[6] + j - g[8];\n"
    "                            if (h < 0 || h >= g[1] || w < 0 || w >= g[2])\n"
    "                                continue;\n"
    "                            s += W[((f * g[0] + c) * g[4] + i) * g[5] + j] *\n"
    "                                 x[(c * g[1] + h) * g[2] + w];\n"
    "                        }\n"
    "                y[(f * g[9] + oh) * g[10] + ow] = s + b[f];\n"
    "            }\n"
    "}\n\n";

static const char pool_text[] =
    "/* y (C, OH, OW) = the max (or mean, when mean) of each size x size\n"
    " * window of x (C, H, W) every stride pixels; g is\n"
    " * {C, H, W, size, stride, OH, OW}. */\n"
    "static void %s_pool(float *y, const float *x, const int *g, int mean)\n"
    "{\n"
    "    int c, i, j, oh, ow;\n"
    "    float inv = 1.0f / (float)(g[3] * g[3]);\n"
    "    for (c = 0; c < g[0]; c++)\n"
    "        for (oh = 0; oh < g[5]; oh++)\n"
    "            for (ow = 0; ow < g[6]; ow++) {\n"
    "                const float *x0 = x + (c * g[1] + oh * g[4]) * g[2] + ow * g[4];\n"
    "                float s = mean ? 0.0f : x0[0];\n"
    "                for (i = 0; i < g[3]; i++)\n"
    "                    for (j = 0; j < g[3]; j++) {\n"
    "                        float v = x0[i * g[2] + j];\n"
    "                        if (mean)\n"
    "                            s += v;\n"
    "                        else if (v > s)\n"
    "                            s = v;\n"
    "                    }\n"
    "                y[(c * g[5] + oh) * g[6] + ow] = mean ? s * inv : s;\n"
    "            }\n"
    "}\n\n";

static const char batchnorm_text[] =
    "/* x (C, HW) = gamma (x - mean) istd + beta per channel, in place. */\n"
    "static void %s_batchnorm(float *x, const float *gamma, const float *beta,\n"
    "                         const float *mean, const float *istd, int C,\n"
    "                         int HW)\n"
    "{\n"
    "    int c, i;\n"
    "    for (c = 0; c < C; c++)\n"
    "        for (i = 0; i < HW; i++) {\n"
    "            float h = (x[c * HW + i] - mean[c]) * istd[c];\n"
    "            x[c * HW + i] = gamma[c] * h + beta[c];\n"
    "        }\n"
    "}\n\n";

void nn_ctext_kernels(nn_ctext *t)
{
    if (t->uses_act)
        nn_ctext_put(t, activate_text, t->id, NN_ACT_SOFTMAX, NN_ACT_STEP,
                     NN_ACT_SIGN, NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_RELU,
                     NN_ACT_LEAKY_RELU);
    if (t->uses[NN_LAYER_DENSE])
        nn_ctext_put(t, dense_text, t->id);
    if (t->uses[NN_LAYER_CONV2D])
        nn_ctext_put(t, conv2d_text, t->id);
    if (t->uses[NN_LAYER_MAXPOOL2D] || t->uses[NN_LAYER_AVGPOOL2D])
        nn_ctext_put(t, pool_text, t->id);
    if (t->uses[NN_LAYER_BATCHNORM])
        nn_ctext_put(t, batchnorm_text, t->id);
}
