/* activation.c — element-wise activations, row-wise softmax, derivatives. */
#include <math.h>
#include <string.h>

#include "nn_activation.h"

static const char *const act_names[NN_ACT_COUNT] = {
    [NN_ACT_STEP] = "step",           [NN_ACT_SIGN] = "sign",
    [NN_ACT_SIGMOID] = "sigmoid",     [NN_ACT_TANH] = "tanh",
    [NN_ACT_RELU] = "relu",           [NN_ACT_LEAKY_RELU] = "leaky_relu",
    [NN_ACT_LINEAR] = "linear",       [NN_ACT_SOFTMAX] = "softmax",
    [NN_ACT_GELU] = "gelu",
};

nn_status nn_activation_parse(const char *name, nn_activation *out,
                              const char *field, nn_error *err)
{
    for (int k = 0; k < NN_ACT_COUNT; k++) {
        if (name && strcmp(name, act_names[k]) == 0) {
            out->kind = (nn_act_kind)k;
            out->param = nn_activation_default_param(out->kind);
            return NN_OK;
        }
    }
    return nn_fail(err, NN_ERR_INVALID, field,
                   "unknown activation '%s' (expected step, sign, sigmoid, "
                   "tanh, relu, leaky_relu, linear, softmax or gelu)",
                   name ? name : "");
}

const char *nn_activation_name(nn_act_kind kind)
{
    return (unsigned)kind < NN_ACT_COUNT ? act_names[kind] : "?";
}

float nn_activation_default_param(nn_act_kind kind)
{
    if (kind == NN_ACT_SIGMOID)
        return 1.0f;
    if (kind == NN_ACT_LEAKY_RELU)
        return 0.01f;
    return 0.0f;
}

nn_status nn_activation_check(const nn_activation *act, const char *field,
                              nn_error *err)
{
    if ((unsigned)act->kind >= NN_ACT_COUNT)
        return nn_fail(err, NN_ERR_INVALID, field, "unknown activation");
    if (!isfinite(act->param))
        return nn_fail(err, NN_ERR_INVALID, field,
                       "activation parameter must be finite");
    if (act->kind == NN_ACT_SIGMOID && !(act->param > 0.0f))
        return nn_fail(err, NN_ERR_INVALID, field,
                       "sigmoid steepness k must be > 0");
    if (act->kind == NN_ACT_LEAKY_RELU &&
        !(act->param >= 0.0f && act->param < 1.0f))
        return nn_fail(err, NN_ERR_INVALID, field,
                       "leaky_relu alpha must be in [0, 1)");
    return NN_OK;
}

static inline float sigmoid(float x)
{
    /* Split on the sign so exp never overflows. */
    if (x >= 0.0f)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

float nn_activation_value(const nn_activation *act, float x)
{
    switch (act->kind) {
    case NN_ACT_STEP: return x > 0.0f ? 1.0f : 0.0f;
    case NN_ACT_SIGN: return x > 0.0f ? 1.0f : -1.0f;
    case NN_ACT_SIGMOID: return sigmoid(act->param * x);
    case NN_ACT_TANH: return tanhf(x);
    case NN_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case NN_ACT_LEAKY_RELU: return x > 0.0f ? x : act->param * x;
    case NN_ACT_GELU: nn_gelu_forward(&x, NULL, &x, 1); return x;
    case NN_ACT_LINEAR:
    case NN_ACT_SOFTMAX:
    case NN_ACT_COUNT: break;
    }
    return x;
}

float nn_activation_derivative(const nn_activation *act, float x)
{
    switch (act->kind) {
    case NN_ACT_STEP:
    case NN_ACT_SIGN: return 0.0f;
    case NN_ACT_SIGMOID: {
        float s = sigmoid(act->param * x);
        return act->param * s * (1.0f - s);
    }
    case NN_ACT_TANH: {
        float t = tanhf(x);
        return 1.0f - t * t;
    }
    case NN_ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case NN_ACT_LEAKY_RELU: return x > 0.0f ? 1.0f : act->param;
    case NN_ACT_GELU: {
        float d = 1.0f;
        nn_gelu_backward(&d, &d, &x, NULL, 1);
        return d;
    }
    case NN_ACT_LINEAR:
    case NN_ACT_SOFTMAX:
    case NN_ACT_COUNT: break;
    }
    return 1.0f;
}

static void softmax_rows(float *y, const float *z, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++) {
        const float *zr = z + r * cols;
        float *yr = y + r * cols;
        float max = zr[0];
        for (size_t j = 1; j < cols; j++)
            max = zr[j] > max ? zr[j] : max;
        float sum = 0.0f;
        for (size_t j = 0; j < cols; j++) {
            yr[j] = expf(zr[j] - max);
            sum += yr[j];
        }
        float inv = 1.0f / sum;
        for (size_t j = 0; j < cols; j++)
            yr[j] *= inv;
    }
}

void nn_activation_forward(const nn_activation *act, float *y, const float *z,
                           size_t rows, size_t cols)
{
    size_t n = rows * cols;
    switch (act->kind) {
    case NN_ACT_SOFTMAX: softmax_rows(y, z, rows, cols); return;
    case NN_ACT_GELU: nn_gelu_forward(y, NULL, z, n); return;
    case NN_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = z[i] > 0.0f ? z[i] : 0.0f;
        return;
    case NN_ACT_LINEAR:
        if (y != z)
            memcpy(y, z, n * sizeof *y);
        return;
    default:
        for (size_t i = 0; i < n; i++)
            y[i] = nn_activation_value(act, z[i]);
        return;
    }
}

static void softmax_backward(float *dz, const float *dy, const float *y,
                             size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++) {
        const float *yr = y + r * cols, *dyr = dy + r * cols;
        float *dzr = dz + r * cols;
        float dot = 0.0f;
        for (size_t j = 0; j < cols; j++)
            dot += dyr[j] * yr[j];
        for (size_t j = 0; j < cols; j++)
            dzr[j] = yr[j] * (dyr[j] - dot);
    }
}

void nn_activation_backward(const nn_activation *act, float *dz,
                            const float *dy, const float *z, const float *y,
                            size_t rows, size_t cols)
{
    size_t n = rows * cols;
    switch (act->kind) {
    case NN_ACT_SOFTMAX: softmax_backward(dz, dy, y, rows, cols); return;
    case NN_ACT_GELU: nn_gelu_backward(dz, dy, z, NULL, n); return;
    case NN_ACT_RELU:
        /* The unconditional load lets the compiler vectorise the select. */
        for (size_t i = 0; i < n; i++) {
            float g = dy[i];
            dz[i] = z[i] > 0.0f ? g : 0.0f;
        }
        return;
    case NN_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            dz[i] = dy[i] * act->param * y[i] * (1.0f - y[i]);
        return;
    case NN_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            dz[i] = dy[i] * (1.0f - y[i] * y[i]);
        return;
    case NN_ACT_LINEAR:
        if (dz != dy)
            memcpy(dz, dy, n * sizeof *dz);
        return;
    default:
        for (size_t i = 0; i < n; i++)
            dz[i] = dy[i] * nn_activation_derivative(act, z[i]);
        return;
    }
}
