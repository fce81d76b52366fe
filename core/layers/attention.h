/* attention.h — internal: causal multi-head self-attention, the kernels the
 * transformer block (transformer_block.c) runs between its fused QKV
 * projection and its output projection; after llm.c's attention_forward
 * and attention_backward, with the products through nn_sgemm.
 *
 * B sequences of T positions, width C, NH heads of hs = C / NH:
 *   qkv (B, T, 3C): per position q (C), k (C), v (C); head h uses the
 *       slice [h·hs, (h+1)·hs) of each;
 *   att (B, NH, T, T): att[t, j] = softmax_j(q_t · k_j / √hs) over j ≤ t,
 *       exactly 0 for j > t (a position sees only itself and the past);
 *   out (B, T, C): out_t = Σ_j att[t, j] v_j, head h into its slice. */
#ifndef NN_LAYERS_ATTENTION_H
#define NN_LAYERS_ATTENTION_H

#include <stddef.h>

/* Fills att and out from qkv. Per sequence and head, two strided sgemms
 * (Q Kᵀ and att V) and a stable softmax over each row's first t + 1
 * entries (the maximum subtracted first). */
void nn_attention_forward(float *out, float *att, const float *qkv,
                          size_t B, size_t T, size_t C, size_t NH);

/* Backward of nn_attention_forward with its qkv and att: from dout
 * (B, T, C) writes dqkv (B, T, 3C), every entry (overwritten, not added).
 * scratch holds T·T floats (one head's dL/datt at a time). */
void nn_attention_backward(float *dqkv, float *scratch, const float *dout,
                           const float *qkv, const float *att, size_t B,
                           size_t T, size_t C, size_t NH);

/* One new position t of one sequence, for generation with a key/value
 * cache: q (C) is its query, keys and values (t + 1 rows of C each, row t
 * its own) those of positions 0…t. Writes out (C), each head's slice, and
 * uses att (t + 1 floats) for one head's weights at a time. The same
 * arithmetic as nn_attention_forward's row t. */
void nn_attention_step(float *out, float *att, const float *q,
                       const float *keys, const float *values, size_t t,
                       size_t C, size_t NH);

#endif
