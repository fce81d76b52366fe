/* lstm.c — the long short-term memory layer, as PyTorch's nn.LSTM (gate
 * order i, f, g, o):
 *   i, f, o = σ(…), g = tanh(…) of x_t W_ih^T + b_ih + h_{t−1} W_hh^T + b_hh
 *   c_t = f ∘ c_{t−1} + i ∘ g,  h_t = o ∘ tanh(c_t),  h_{−1} = c_{−1} = 0
 * x is (B, T, D); W_ih^T (D, 4H), W_hh^T (H, 4H), b_ih and b_hh (4H); the
 * output is (B, T, H) with return_sequences, else h_{T−1} (B, H).
 * Slot of a step (blocks of H): [0, 4) i f g o, [4] c_t, [5] h_t,
 * [6] dL/dh_t, [7] dL/dc_t. The step loop is recurrent.c's. */
#include <math.h>

#include "layers/recurrent.h"

static void lstm_cell_forward(float *now, const float *prev, size_t H)
{
    for (size_t j = 0; j < H; j++) {
        float i = nn_sigmoidf(now[j]), f = nn_sigmoidf(now[H + j]);
        float g = nn_tanhf(now[2 * H + j]), o = nn_sigmoidf(now[3 * H + j]);
        float c = f * (prev ? prev[4 * H + j] : 0.0f) + i * g;
        now[j] = i, now[H + j] = f, now[2 * H + j] = g, now[3 * H + j] = o;
        now[4 * H + j] = c;
        now[5 * H + j] = o * nn_tanhf(c);
    }
}

/* dc = dc_carried + dh ∘ o ∘ (1 − tanh²c); the gates' pre-activation
 * gradients replace the gates; dc_{t−1} += dc ∘ f. */
static void lstm_cell_backward(float *now, float *prev, size_t H)
{
    for (size_t j = 0; j < H; j++) {
        float i = now[j], f = now[H + j], g = now[2 * H + j];
        float o = now[3 * H + j], tc = nn_tanhf(now[4 * H + j]);
        float cp = prev ? prev[4 * H + j] : 0.0f, dh = now[6 * H + j];
        float dc = now[7 * H + j] + dh * o * (1.0f - tc * tc);
        now[j] = dc * g * i * (1.0f - i);
        now[H + j] = dc * cp * f * (1.0f - f);
        now[2 * H + j] = dc * i * (1.0f - g * g);
        now[3 * H + j] = dh * tc * o * (1.0f - o);
        if (prev)
            prev[7 * H + j] += dc * f;
    }
}

const nn_recurrent_cell nn_cell_lstm = {
    .name = "lstm", .gates = 4, .slot = 8, .h_at = 5, .dh_at = 6,
    .zero_at = 7,
    .cell_forward = lstm_cell_forward, .cell_backward = lstm_cell_backward,
};
