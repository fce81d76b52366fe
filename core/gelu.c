/* gelu.c — the GELU activation in GPT-2's tanh form (Hendrycks & Gimpel),
 * as PyTorch's gelu(approximate="tanh"):
 *   u = √(2/π) (x + 0.044715 x³),  gelu(x) = 0.5 x (1 + tanh u)
 *   gelu'(x) = 0.5 (1 + tanh u) + 0.5 x (1 − tanh² u) √(2/π) (1 + 3·0.044715 x²)
 * x, y, dy and dx are n values (any shape: a mini-batch of rows × units is
 * n = rows · units). tanh u comes from e^{−2|u|} by gelu_exp below:
 * straight-line float arithmetic, so that the compiler runs each loop on
 * vector registers (glibc's tanhf, and expf through
 * recurrent.c's nn_tanhf, are calls per value: with them GELU took 24% of
 * the baby GPT's training step, perf of make gpt-step). Its error is
 * within 2e-7 of tanh u absolute, which is what GELU's 0.5 x (1 + tanh u)
 * feels. Scalar calls (n = 1) give the same bits as a block. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nn_activation.h"

#define GELU_C 0.044715f
#define SQRT_2_OVER_PI 0.7978845608028654f
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f       /* ln 2 = LN2_HI + LN2_LO, the first */
#define LN2_LO -2.12194440e-4f    /* exact in few bits (Cephes' split) */
#define ROUND_MAGIC 12582912.0f   /* 1.5 · 2^23: adding it rounds to int */

/* e^y for −18 ≤ y ≤ 0: y = k ln 2 + r with k = round(y / ln 2), |r| ≤ ln 2/2;
 * e^r by Cephes' expf polynomial (within 1 ulp there), times 2^k built in
 * the exponent bits. */
static inline float gelu_exp(float y)
{
    float kf = y * LOG2E + ROUND_MAGIC;
    int32_t kb;
    memcpy(&kb, &kf, sizeof kb);
    kf -= ROUND_MAGIC;
    float r = y - kf * LN2_HI;
    r -= kf * LN2_LO;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float e = p * r * r + r + 1.0f;
    int32_t bits = (kb - 0x4B400000 + 127) * (1 << 23); /* 2^k */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return e * scale;
}

/* tanh of GELU's u(x), as sign(u) (1 − e)/(1 + e) with e = e^{−2|u|};
 * |u| is clamped to 9, where tanh is 1 in float (on the bits, as integers:
 * a float compare would keep the loops scalar; a NaN x stays NaN in y). */
static inline float gelu_tanh(float x)
{
    float u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
    float a = fabsf(u);
    int32_t ab;
    memcpy(&ab, &a, sizeof ab);
    ab = ab < 0x41100000 ? ab : 0x41100000; /* 9.0f */
    memcpy(&a, &ab, sizeof a);
    float e = gelu_exp(-2.0f * a);
    return copysignf((1.0f - e) / (1.0f + e), u);
}

static inline float gelu_grad(float x, float t)
{
    float du = SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * x * x);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

void nn_gelu_forward(float *y, float *th, const float *x, size_t n)
{
    if (th) {
        for (size_t i = 0; i < n; i++) {
            float v = x[i], t = gelu_tanh(v);
            th[i] = t;
            y[i] = 0.5f * v * (1.0f + t);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + gelu_tanh(v));
    }
}

void nn_gelu_backward(float *dx, const float *dy, const float *x,
                      const float *th, size_t n)
{
    if (th) {
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] * gelu_grad(x[i], th[i]);
        return;
    }
    for (size_t i = 0; i < n; i++)
        dx[i] = dy[i] * gelu_grad(x[i], gelu_tanh(x[i]));
}
