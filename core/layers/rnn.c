/* rnn.c — the Elman recurrent layer, as PyTorch's nn.RNN (tanh):
 *   h_t = tanh(x_t W_ih^T + b_ih + h_{t−1} W_hh^T + b_hh), h_{−1} = 0
 * x is (B, T, D); W_ih^T (D, H), W_hh^T (H, H), b_ih and b_hh (H); the
 * output is (B, T, H) with return_sequences, else h_{T−1} (B, H).
 * Slot of a step (blocks of H): [0] the pre-activation, [1] h_t,
 * [2] dL/dh_t. The step loop is recurrent.c's. */
#include <math.h>

#include "layers/recurrent.h"

static void rnn_cell_forward(float *now, const float *prev, size_t H)
{
    (void)prev; /* its h entered through the product */
    for (size_t j = 0; j < H; j++)
        now[H + j] = nn_tanhf(now[j]);
}

/* da = dh ∘ (1 − h²); dh_{t−1} is all through W_hh. */
static void rnn_cell_backward(float *now, float *prev, size_t H)
{
    (void)prev;
    for (size_t j = 0; j < H; j++)
        now[j] = now[2 * H + j] * (1.0f - now[H + j] * now[H + j]);
}

const nn_recurrent_cell nn_cell_rnn = {
    .name = "rnn", .gates = 1, .slot = 3, .h_at = 1, .dh_at = 2,
    .cell_forward = rnn_cell_forward, .cell_backward = rnn_cell_backward,
};
