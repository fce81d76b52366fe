/* attention.c — causal multi-head self-attention (see attention.h). Each
 * (sequence, head) pair is one block of products on contiguous memory with
 * row strides: Q, K and V are T × hs views of qkv (stride 3C), out a T × hs
 * view of out (stride C), att a dense T × T block. Nothing is allocated. */
#include <math.h>
#include <string.h>

#include "layers/attention.h"
#include "nn_blas.h"

/* Row t of a T × T score block: softmax over s[0..t], zeros after. */
static void causal_softmax_row(float *s, size_t t, size_t T)
{
    float max = s[0];
    for (size_t j = 1; j <= t; j++)
        max = s[j] > max ? s[j] : max;
    float sum = 0.0f;
    for (size_t j = 0; j <= t; j++) {
        s[j] = expf(s[j] - max);
        sum += s[j];
    }
    float inv = 1.0f / sum;
    for (size_t j = 0; j <= t; j++)
        s[j] *= inv;
    for (size_t j = t + 1; j < T; j++)
        s[j] = 0.0f;
}

void nn_attention_forward(float *out, float *att, const float *qkv,
                          size_t B, size_t T, size_t C, size_t NH)
{
    size_t hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            const float *Q = qkv + b * T * C3 + h * hs;
            const float *K = Q + C, *V = Q + 2 * C;
            float *S = att + (b * NH + h) * T * T;
            nn_sgemm(false, true, T, T, hs, scale, Q, C3, K, C3, 0.0f, S, T);
            for (size_t t = 0; t < T; t++)
                causal_softmax_row(S + t * T, t, T);
            nn_sgemm(false, false, T, hs, T, 1.0f, S, T, V, C3, 0.0f,
                     out + b * T * C + h * hs, C);
        }
}

void nn_attention_step(float *out, float *att, const float *q,
                       const float *keys, const float *values, size_t t,
                       size_t C, size_t NH)
{
    size_t hs = C / NH, n = t + 1;
    float scale = 1.0f / sqrtf((float)hs);
    for (size_t h = 0; h < NH; h++) {
        nn_sgemm(false, true, 1, n, hs, scale, q + h * hs, hs, keys + h * hs,
                 C, 0.0f, att, n);
        causal_softmax_row(att, t, n);
        nn_sgemm(false, false, 1, hs, n, 1.0f, att, n, values + h * hs, C,
                 0.0f, out + h * hs, hs);
    }
}

/* dS (row t of dL/datt) into dL/dscores in place: att ∘ (dS − att·dS),
 * zero past t where att is zero. */
static void softmax_backward_row(float *dS, const float *S, size_t t,
                                 size_t T)
{
    float dot = 0.0f;
    for (size_t j = 0; j <= t; j++)
        dot += S[j] * dS[j];
    for (size_t j = 0; j <= t; j++)
        dS[j] = S[j] * (dS[j] - dot);
    for (size_t j = t + 1; j < T; j++)
        dS[j] = 0.0f;
}

/* Per head: dV = attᵀ dO, dS = dO Vᵀ, dscores = softmax'(dS), then
 * dQ = dscores K / √hs and dK = dscoresᵀ Q / √hs. */
void nn_attention_backward(float *dqkv, float *scratch, const float *dout,
                           const float *qkv, const float *att, size_t B,
                           size_t T, size_t C, size_t NH)
{
    size_t hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    float *dS = scratch;
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            const float *Q = qkv + b * T * C3 + h * hs;
            const float *K = Q + C, *V = Q + 2 * C;
            const float *S = att + (b * NH + h) * T * T;
            const float *dO = dout + b * T * C + h * hs;
            float *dQ = dqkv + b * T * C3 + h * hs, *dK = dQ + C;
            float *dV = dQ + 2 * C;
            nn_sgemm(true, false, T, hs, T, 1.0f, S, T, dO, C, 0.0f, dV, C3);
            nn_sgemm(false, true, T, T, hs, 1.0f, dO, C, V, C3, 0.0f, dS, T);
            for (size_t t = 0; t < T; t++)
                softmax_backward_row(dS + t * T, S + t * T, t, T);
            nn_sgemm(false, false, T, hs, T, scale, dS, T, K, C3, 0.0f, dQ,
                     C3);
            nn_sgemm(true, false, T, hs, T, scale, dS, T, Q, C3, 0.0f, dK,
                     C3);
        }
}
