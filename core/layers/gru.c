/* gru.c — the gated recurrent unit, as PyTorch's nn.GRU (gate order
 * r, z, n):
 *   r = σ(x W_ir^T + b_ir + h W_hr^T + b_hr), z likewise,
 *   n = tanh(x W_in^T + b_in + r ∘ (h W_hn^T + b_hn)),
 *   h_t = (1 − z) ∘ n + z ∘ h_{t−1},  h_{−1} = 0
 * x is (B, T, D); W_ih^T (D, 3H), W_hh^T (H, 3H), b_ih and b_hh (3H); the
 * output is (B, T, H) with return_sequences, else h_{T−1} (B, H).
 * Slot of a step (blocks of H): [0, 3) the input path's pre-activations,
 * then r z n; [3, 6) the hidden path's (kept apart: r gates only its n
 * part); [6] h_t; [7] dL/dh_t. The step loop is recurrent.c's. */
#include <math.h>

#include "layers/recurrent.h"

static void gru_cell_forward(float *now, const float *prev, size_t H)
{
    const float *gh = now + 3 * H;
    for (size_t j = 0; j < H; j++) {
        float r = nn_sigmoidf(now[j] + gh[j]);
        float z = nn_sigmoidf(now[H + j] + gh[H + j]);
        float n = nn_tanhf(now[2 * H + j] + r * gh[2 * H + j]);
        float hp = prev ? prev[6 * H + j] : 0.0f;
        now[j] = r, now[H + j] = z, now[2 * H + j] = n;
        now[6 * H + j] = (1.0f - z) * n + z * hp;
    }
}

/* The input path's pre-activation gradients replace r z n, the hidden
 * path's its pre-activations; dh_{t−1} += dh ∘ z. */
static void gru_cell_backward(float *now, float *prev, size_t H)
{
    float *gh = now + 3 * H;
    for (size_t j = 0; j < H; j++) {
        float r = now[j], z = now[H + j], n = now[2 * H + j];
        float hp = prev ? prev[6 * H + j] : 0.0f, dh = now[7 * H + j];
        float dan = dh * (1.0f - z) * (1.0f - n * n);
        float dar = dan * gh[2 * H + j] * r * (1.0f - r);
        float daz = dh * (hp - n) * z * (1.0f - z);
        now[j] = gh[j] = dar;
        now[H + j] = gh[H + j] = daz;
        now[2 * H + j] = dan;
        gh[2 * H + j] = dan * r;
        if (prev)
            prev[7 * H + j] += dh * z;
    }
}

const nn_recurrent_cell nn_cell_gru = {
    .name = "gru", .gates = 3, .slot = 8, .h_at = 6, .dh_at = 7,
    .hh_at = 3,
    .cell_forward = gru_cell_forward, .cell_backward = gru_cell_backward,
};
