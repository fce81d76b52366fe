/* recurrent.h — internal: what rnn.c, lstm.c and gru.c share. A recurrent
 * layer maps a sequence [T, D] to [T, H] (return_sequences) or to its last
 * step [H], with PyTorch's parameters laid out for row-major products:
 *   W: W_ih^T (D, G·H) then W_hh^T (H, G·H); b: b_ih (G·H) then b_hh (G·H)
 * (G gate blocks of H, in PyTorch's gate order). The step loop, batched
 * over the rows with strided sgemm, and backpropagation through the whole
 * window are in recurrent.c; each kind gives its cell: the elementwise
 * part of one step of one row, forward and backward, over its slot.
 *
 * A slot holds what one step of one row keeps, `slot` blocks of H floats:
 * blocks [0, G) the gates (pre-activations from the input path, the
 * hidden path added there too unless hh_at says otherwise; activated in
 * place by cell_forward), block h_at h_t, block dh_at dL/dh_t (backward).
 * Kinds may keep more (the LSTM's c_t and dL/dc_t). The T slots of a row
 * follow each other; rows follow each other. */
#ifndef NN_LAYERS_RECURRENT_H
#define NN_LAYERS_RECURRENT_H

#include "layers/layer.h"

typedef struct {
    const char *name;
    size_t gates;  /* G */
    size_t slot;   /* blocks of H per step */
    size_t h_at;   /* block of h_t, ≥ gates: backward reads h_{t−1} after
                      the cells have replaced their gates */
    size_t dh_at;  /* block of dL/dh_t */
    size_t hh_at;  /* block where the hidden path's G·H pre-activations go:
                      0 adds them to the input path's (rnn, lstm) */
    size_t zero_at; /* a block zeroed before backward (the LSTM's dL/dc_t),
                       0 for none */
    /* One step of one row: activates the gates of `now` and writes its
     * h_t (and its own state); prev is the slot of step t − 1, or NULL at
     * t = 0 (state zero). */
    void (*cell_forward)(float *now, const float *prev, size_t H);
    /* Backward of one step of one row: reads dL/dh_t (and its own state's
     * gradient) in now, replaces the gates with dL/d(pre-activations) of
     * the input path and, when hh_at ≠ 0, those of the hidden path at
     * hh_at; adds the direct parts of dL/dh_{t−1} (and of its state) to
     * prev's (NULL at t = 0). */
    void (*cell_backward)(float *now, float *prev, size_t H);
} nn_recurrent_cell;

/* infer, forward and backward of the layer table for a recurrent kind;
 * the cell is chosen by the spec's kind. */
nn_status nn_recurrent_infer(const nn_layer_spec *s, nn_layer_info *info,
                             const char *at, nn_error *err);
void nn_recurrent_forward(const nn_layer_ctx *c, float *Z, float *A,
                          const float *X, size_t rows);
void nn_recurrent_backward(const nn_layer_ctx *c, float *dX, float *dY,
                           bool dy_is_dz, const float *X, const float *Z,
                           const float *A, size_t rows, float *dW, float *db,
                           bool accumulate);

/* One step of one row, for generation that carries the state: fills the
 * slot `now` (nn_recurrent_slot_floats floats) from the input x (D floats)
 * and the slot of the step before (NULL at the first step: state zero),
 * exactly as a forward pass over a window computes that step. W and b are
 * the layer's parameters. */
void nn_recurrent_step(const nn_layer_spec *s, const nn_layer_info *info,
                       const float *W, const float *b, const float *x,
                       const float *prev, float *now);

/* Floats of a step's slot, and where h_t is in one. */
size_t nn_recurrent_slot_floats(const nn_layer_spec *s);
const float *nn_recurrent_h(const nn_layer_spec *s, const float *slot);

extern const nn_recurrent_cell nn_cell_rnn, nn_cell_lstm, nn_cell_gru;

/* σ(x) = 1 / (1 + e^−x). */
float nn_sigmoidf(float x);

/* tanh(x) within a few ulp, through expf: a Taylor polynomial near 0,
 * else (1 − e)/(1 + e) with e = e^−2|x|, no cancellation there. glibc's
 * tanhf goes through expm1f, which took a quarter of an LSTM step. */
float nn_tanhf(float x);

#endif
