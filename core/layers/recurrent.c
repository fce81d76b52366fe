/* recurrent.c — the step loop rnn, lstm and gru share (see recurrent.h):
 * forward over the window with both products of a step batched over the
 * rows (strided sgemm over the slots), and backpropagation through time
 * over the whole window. Training passes keep every slot in the layer's
 * saved workspace (rows × T slots); predictions run PREDICT_ROWS rows at
 * a time in the worker's scratch. Nothing is allocated in a step. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "layers/recurrent.h"
#include "nn_blas.h"
#include "nn_limits.h"

float nn_sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

float nn_tanhf(float x)
{
    float a = fabsf(x);
    if (a < 0.125f) { /* x − x³/3 + 2x⁵/15 − 17x⁷/315: the next term is
                         below 2e−10 here */
        float x2 = x * x;
        return x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 +
                                                   x2 * (-17.0f / 315))));
    }
    float e = expf(-2.0f * a), t = (1.0f - e) / (1.0f + e);
    return x < 0 ? -t : t;
}

/* Predictions run this many rows at a time in the worker's scratch, so
 * each step's hidden product reads W_hh once for them all. */
#define PREDICT_ROWS 8

typedef struct {
    const nn_recurrent_cell *cell;
    size_t T, D, H, GH, S; /* S: floats of a slot */
    bool sequences;        /* output [T, H], else [H] */
} geom;

static const nn_recurrent_cell *cell_of(nn_layer_kind kind)
{
    return kind == NN_LAYER_LSTM  ? &nn_cell_lstm
           : kind == NN_LAYER_GRU ? &nn_cell_gru
                                  : &nn_cell_rnn;
}

/* The three kinds' rows of the layer table: one loop, their own cells. */
#define RECURRENT_OPS(kind)                                                   \
    const nn_layer_ops nn_layer_##kind = {                                    \
        .name = #kind,                                                        \
        .infer = nn_recurrent_infer,                                          \
        .forward = nn_recurrent_forward,                                      \
        .backward = nn_recurrent_backward,                                    \
    };
RECURRENT_OPS(rnn)
RECURRENT_OPS(lstm)
RECURRENT_OPS(gru)

static geom geometry(const nn_layer_ctx *c)
{
    const nn_recurrent_cell *cell = cell_of(c->spec->kind);
    size_t H = c->spec->units;
    return (geom){cell, c->info->in.dim[0], c->info->in.dim[1], H,
                  cell->gates * H, cell->slot * H,
                  c->spec->return_sequences};
}

nn_status nn_recurrent_infer(const nn_layer_spec *s, nn_layer_info *info,
                             const char *at, nn_error *err)
{
    const nn_recurrent_cell *cell = cell_of(s->kind);
    char field[64], got[64];
    if (info->in.rank != 2) {
        snprintf(field, sizeof field, "%s/type", at);
        return nn_fail(err, NN_ERR_INVALID, field,
                       "the %s layer needs a sequence input [T, D], not %s: "
                       "put an embedding before it", cell->name,
                       nn_shape_format(&info->in, got, sizeof got));
    }
    nn_status st = nn_check_units(s->units, at, err);
    if (st != NN_OK)
        return st;
    size_t T = info->in.dim[0], D = info->in.dim[1], H = s->units;
    size_t GH = cell->gates * H, DH = D + H, slots;
    if (!nn_size_mul(DH, GH, &info->n_w))
        info->n_w = SIZE_MAX; /* the caller's parameter limit refuses it */
    if (!nn_size_mul(T, cell->slot * H, &slots) || slots > NN_MAX_ELEMENTS)
        return nn_fail(err, NN_ERR_TOO_LARGE, field,
                       "%zu steps of %zu units need too much memory", T, H);
    info->n_b = 2 * GH;
    info->out = s->return_sequences
                    ? (nn_shape){.rank = 2, .dim = {T, H, 0}}
                    : nn_shape_vector(H);
    info->saved_per_row = slots;
    info->scratch = slots * PREDICT_ROWS; /* ≤ 2^37: no overflow */
    info->fan_in = H;
    info->fan_out = GH;
    info->flops_per_row = 6.0 * (double)T * (double)DH * (double)GH;
    return NN_OK;
}

/* The slot of row r at step t. */
static float *slot(float *store, const geom *g, size_t r, size_t t)
{
    return store + (r * g->T + t) * g->S;
}

/* Every step's pre-activations start as the biases: b_ih (+ b_hh where
 * both paths share the gates), b_hh at hh_at otherwise. */
static void bias_all(const nn_layer_ctx *c, const geom *g, float *store,
                     size_t rows)
{
    const float *bih = c->b, *bhh = c->b + g->GH;
    size_t hh = g->cell->hh_at * g->H;
    for (size_t i = 0; i < rows * g->T; i++) {
        float *s = store + i * g->S;
        for (size_t j = 0; j < g->GH; j++)
            s[j] = bih[j] + (hh ? 0.0f : bhh[j]);
        for (size_t j = 0; hh && j < g->GH; j++)
            s[hh + j] = bhh[j];
    }
}

/* Forward over rows whose slots are in store; A gets h_t (every step, or
 * the last). The input path of every step is one product up front (the
 * rows × T positions are the product's rows, a slot apart); only the
 * hidden path goes step by step. */
static void forward_block(const nn_layer_ctx *c, const geom *g, float *A,
                          const float *X, size_t rows, float *store)
{
    size_t T = g->T, D = g->D, H = g->H, GH = g->GH, ld = T * g->S;
    size_t h_at = g->cell->h_at * H, hh = g->cell->hh_at * H;
    const float *Wih = c->W, *Whh = c->W + D * GH;
    bias_all(c, g, store, rows);
    nn_sgemm(false, false, rows * T, GH, D, 1.0f, X, D, Wih, GH, 1.0f, store,
             g->S);
    for (size_t t = 0; t < T; t++) {
        if (t > 0)
            nn_sgemm(false, false, rows, GH, H, 1.0f,
                     store + (t - 1) * g->S + h_at, ld, Whh, GH, 1.0f,
                     store + t * g->S + hh, ld);
        for (size_t r = 0; r < rows; r++) {
            float *now = slot(store, g, r, t);
            g->cell->cell_forward(now, t ? slot(store, g, r, t - 1) : NULL,
                                  H);
            if (g->sequences)
                memcpy(A + (r * T + t) * H, now + h_at, H * sizeof *A);
            else if (t == T - 1)
                memcpy(A + r * H, now + h_at, H * sizeof *A);
        }
    }
}

void nn_recurrent_forward(const nn_layer_ctx *c, float *Z, float *A,
                          const float *X, size_t rows)
{
    (void)Z; /* no activation of its own: Z is A */
    geom g = geometry(c);
    if (c->saved) {
        forward_block(c, &g, A, X, rows, c->saved);
        return;
    }
    size_t out = g.sequences ? g.T * g.H : g.H;
    for (size_t r = 0; r < rows; r += PREDICT_ROWS) {
        size_t k = rows - r < PREDICT_ROWS ? rows - r : PREDICT_ROWS;
        forward_block(c, &g, A + r * out, X + r * g.T * g.D, k, c->scratch);
    }
}

/* Before backward: dL/dh_t from dY (every step, or the last only), and
 * the cell's own state gradient zeroed. */
static void seed_gradients(const geom *g, float *store, const float *dY,
                           size_t rows)
{
    size_t H = g->H, dh = g->cell->dh_at * H, z = g->cell->zero_at * H;
    for (size_t r = 0; r < rows; r++)
        for (size_t t = 0; t < g->T; t++) {
            float *s = slot(store, g, r, t);
            if (g->sequences)
                memcpy(s + dh, dY + (r * g->T + t) * H, H * sizeof *s);
            else if (t == g->T - 1)
                memcpy(s + dh, dY + r * H, H * sizeof *s);
            else
                memset(s + dh, 0, H * sizeof *s);
            if (z)
                memset(s + z, 0, H * sizeof *s);
        }
}

/* db += Σ over every slot of the G·H values at offset `at`. */
static void add_bias_grad(const geom *g, const float *store, size_t rows,
                          size_t at, float *db)
{
    for (size_t i = 0; i < rows * g->T; i++) {
        const float *s = store + i * g->S + at;
        for (size_t j = 0; j < g->GH; j++)
            db[j] += s[j];
    }
}

/* Backpropagation through time: the cells and dL/dh_{t−1} step by step
 * from the last step back; then, with every step's gate gradients in the
 * slots, dW_hh row by row and the input path's dW_ih, biases and dX in
 * one product each. */
void nn_recurrent_backward(const nn_layer_ctx *c, float *dX, float *dY,
                           bool dy_is_dz, const float *X, const float *Z,
                           const float *A, size_t rows, float *dW, float *db,
                           bool accumulate)
{
    (void)dy_is_dz, (void)Z, (void)A;
    geom g = geometry(c);
    size_t T = g.T, D = g.D, H = g.H, GH = g.GH, ld = T * g.S;
    size_t h_at = g.cell->h_at * H, dh = g.cell->dh_at * H;
    size_t hh = g.cell->hh_at * H;
    float *store = c->saved;
    const float *Wih = c->W, *Whh = c->W + D * GH;
    if (!accumulate) {
        memset(dW, 0, c->info->n_w * sizeof *dW);
        memset(db, 0, c->info->n_b * sizeof *db);
    }
    seed_gradients(&g, store, dY, rows);
    for (size_t t = T; t-- > 0;) {
        for (size_t r = 0; r < rows; r++)
            g.cell->cell_backward(slot(store, &g, r, t),
                                  t ? slot(store, &g, r, t - 1) : NULL, H);
        if (t > 0)
            nn_sgemm(false, true, rows, H, GH, 1.0f, store + t * g.S + hh, ld,
                     Whh, GH, 1.0f, store + (t - 1) * g.S + dh, ld);
    }
    /* dW_hh += Σ_t h_{t−1}ᵀ dGh_t, a row's T − 1 steps in one product (W_hh
     * is no operand, so nothing of it is packed again per step) */
    for (size_t r = 0; T > 1 && r < rows; r++)
        nn_sgemm(true, false, H, GH, T - 1, 1.0f, slot(store, &g, r, 0) + h_at,
                 g.S, slot(store, &g, r, 1) + hh, g.S, 1.0f, dW + D * GH, GH);
    nn_sgemm(true, false, D, GH, rows * T, 1.0f, X, D, store, g.S, 1.0f, dW,
             GH);
    add_bias_grad(&g, store, rows, 0, db);
    add_bias_grad(&g, store, rows, hh, db + GH);
    if (dX)
        nn_sgemm(false, true, rows * T, D, GH, 1.0f, store, g.S, Wih, GH, 0.0f,
                 dX, D);
}

size_t nn_recurrent_slot_floats(const nn_layer_spec *s)
{
    return cell_of(s->kind)->slot * s->units;
}

const float *nn_recurrent_h(const nn_layer_spec *s, const float *slot)
{
    return slot + cell_of(s->kind)->h_at * s->units;
}

void nn_recurrent_step(const nn_layer_spec *s, const nn_layer_info *info,
                       const float *W, const float *b, const float *x,
                       const float *prev, float *now)
{
    const nn_recurrent_cell *cell = cell_of(s->kind);
    size_t D = info->in.dim[1], H = s->units, GH = cell->gates * H;
    size_t hh = cell->hh_at * H;
    for (size_t j = 0; j < GH; j++)
        now[j] = b[j] + (hh ? 0.0f : b[GH + j]);
    for (size_t j = 0; hh && j < GH; j++)
        now[hh + j] = b[GH + j];
    nn_sgemm(false, false, 1, GH, D, 1.0f, x, D, W, GH, 1.0f, now, GH);
    if (prev)
        nn_sgemm(false, false, 1, GH, H, 1.0f, prev + cell->h_at * H, H,
                 W + D * GH, GH, 1.0f, now + hh, GH);
    cell->cell_forward(now, prev, H);
}
