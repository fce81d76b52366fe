/* gelu.c — the GELU activation in GPT-2's tanh form (Hendrycks & Gimpel),
 * as PyTorch's gelu(approximate="tanh"):
 *   u = √(2/π) (x + 0.044715 x³),  gelu(x) = 0.5 x (1 + tanh u)
 *   gelu'(x) = 0.5 (1 + tanh u) + 0.5 x (1 − tanh² u) √(2/π) (1 + 3·0.044715 x²)
 * x, y, dy and dx are n values (any shape: a mini-batch of rows × units is
 * n = rows · units). tanh is nn_tanhf (recurrent.c's, through expf):
 * glibc's tanhf goes through expm1f, which with it took 45% of the baby
 * GPT's training step (perf, make gpt-step). */
#include <math.h>

#include "layers/recurrent.h" /* nn_tanhf */
#include "nn_activation.h"

#define GELU_C 0.044715f
#define SQRT_2_OVER_PI 0.7978845608028654f

void nn_gelu_forward(float *y, float *th, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float t = nn_tanhf(SQRT_2_OVER_PI * (v + GELU_C * v * v * v));
        if (th)
            th[i] = t;
        y[i] = 0.5f * v * (1.0f + t);
    }
}

void nn_gelu_backward(float *dx, const float *dy, const float *x,
                      const float *th, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float t = th ? th[i]
                     : nn_tanhf(SQRT_2_OVER_PI * (v + GELU_C * v * v * v));
        float du = SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * v * v);
        dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
    }
}
