/* dense.c — dense layers over mini-batches, per-worker workspaces, and the
 * network's forward, backward and prediction passes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_blas.h"
#include "nn_limits.h"
#include "nn_network.h"

struct nn_workspace {
    size_t max_rows, n_layers;
    bool training;
    float **Z, **A;   /* per layer, max_rows × units */
    float *grad[2];   /* training: ping-pong, max_rows × max_width */
    float *xnorm;     /* max_rows × inputs, for nn_predict */
    float *block;     /* the one allocation everything above points into */
    float **ptrs;
};

nn_status nn_workspace_create(nn_workspace **out, const nn_network *net,
                              size_t max_rows, bool training, nn_error *err)
{
    if (max_rows == 0)
        return nn_fail(err, NN_ERR_INVALID, "/batch_size", "must be ≥ 1");
    if (max_rows > NN_MAX_BATCH)
        return nn_fail(err, NN_ERR_TOO_LARGE, "/batch_size",
                       "must be ≤ %u", NN_MAX_BATCH);
    /* Each piece is rounded to 16 floats so every matrix starts 64-aligned. */
    size_t floats = 0, piece;
    for (size_t k = 0; k < net->n_layers; k++) {
        if (!nn_size_mul(max_rows, net->layers[k].units, &piece) ||
            !nn_size_add(floats, 2 * ((piece + 15) & ~(size_t)15), &floats))
            goto too_large;
    }
    size_t wide = 0;
    if (!nn_size_mul(max_rows, net->max_width, &wide))
        goto too_large;
    wide = (wide + 15) & ~(size_t)15;
    if (!nn_size_add(floats, wide * (training ? 3 : 1), &floats) ||
        floats > NN_MAX_ELEMENTS / 4)
        goto too_large;

    nn_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    ws->ptrs = calloc(2 * net->n_layers, sizeof *ws->ptrs);
    ws->block = aligned_alloc(64, floats * sizeof(float));
    if (!ws->ptrs || !ws->block) {
        nn_workspace_free(ws);
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    ws->max_rows = max_rows;
    ws->n_layers = net->n_layers;
    ws->training = training;
    ws->Z = ws->ptrs;
    ws->A = ws->ptrs + net->n_layers;
    float *p = ws->block;
    for (size_t k = 0; k < net->n_layers; k++) {
        piece = (max_rows * net->layers[k].units + 15) & ~(size_t)15;
        ws->Z[k] = p;
        ws->A[k] = p + piece;
        p += 2 * piece;
    }
    ws->xnorm = p;
    if (training) {
        ws->grad[0] = p + wide;
        ws->grad[1] = p + 2 * wide;
    }
    *out = ws;
    return NN_OK;
too_large:
    return nn_fail(err, NN_ERR_TOO_LARGE, "/batch_size",
                   "a workspace of %zu rows for this network is too large",
                   max_rows);
}

void nn_workspace_free(nn_workspace *ws)
{
    if (!ws)
        return;
    free(ws->block);
    free(ws->ptrs);
    free(ws);
}

size_t nn_workspace_rows(const nn_workspace *ws)
{
    return ws->max_rows;
}

const float *nn_workspace_z(const nn_workspace *ws, size_t k)
{
    return k < ws->n_layers ? ws->Z[k] : NULL;
}

const float *nn_workspace_a(const nn_workspace *ws, size_t k)
{
    return k < ws->n_layers ? ws->A[k] : NULL;
}

/* Z = X W + b and A = g(Z). X is (rows, in), W is (in, out), b is (out),
 * Z and A are (rows, out). A relu layer adds the bias and clips in one pass. */
static void dense_forward(float *Z, float *A, const float *X, const float *W,
                          const float *b, const nn_activation *act,
                          size_t rows, size_t in, size_t out)
{
    nn_sgemm(false, false, rows, out, in, 1.0f, X, in, W, out, 0.0f, Z, out);
    for (size_t r = 0; r < rows; r++) {
        float *z = Z + r * out, *a = A + r * out;
        if (act->kind == NN_ACT_RELU) {
            for (size_t j = 0; j < out; j++) {
                float v = z[j] + b[j];
                z[j] = v;
                a[j] = v > 0.0f ? v : 0.0f;
            }
        } else {
            for (size_t j = 0; j < out; j++)
                z[j] += b[j];
        }
    }
    if (act->kind != NN_ACT_RELU)
        nn_activation_forward(act, A, Z, rows, out);
}

/* From dZ (rows, out): dW (in, out) = Xᵀ dZ, db (out) = Σ_rows dZ, each
 * written or, when accumulate, added to; and, when dX is not NULL,
 * dX (rows, in) = dZ Wᵀ. */
static void dense_backward(float *dW, float *db, float *dX, const float *dZ,
                           const float *X, const float *W, size_t rows,
                           size_t in, size_t out, bool accumulate)
{
    nn_sgemm(true, false, in, out, rows, 1.0f, X, in, dZ, out,
             accumulate ? 1.0f : 0.0f, dW, out);
    if (!accumulate)
        memset(db, 0, out * sizeof *db);
    for (size_t r = 0; r < rows; r++) {
        const float *d = dZ + r * out;
        for (size_t j = 0; j < out; j++)
            db[j] += d[j];
    }
    if (dX)
        nn_sgemm(false, true, rows, in, out, 1.0f, dZ, out, W, out, 0.0f, dX,
                 in);
}

const float *nn_forward(const nn_network *net, nn_workspace *ws,
                        const float *X, size_t rows)
{
    const float *in = X;
    size_t in_dim = net->inputs;
    for (size_t k = 0; k < net->n_layers; k++) {
        size_t units = net->layers[k].units;
        dense_forward(ws->Z[k], ws->A[k], in, net->params + net->w_offset[k],
                      net->params + net->b_offset[k], &net->layers[k].act,
                      rows, in_dim, units);
        in = ws->A[k];
        in_dim = units;
    }
    return in;
}

double nn_backward(const nn_network *net, nn_workspace *ws, const float *X,
                   const float *Y, size_t rows, float scale, float *grads,
                   bool accumulate)
{
    size_t last = net->n_layers - 1;
    float *dZ = ws->grad[0], *spare = ws->grad[1];
    double loss = nn_loss_eval(net->loss, &net->layers[last].act, ws->Z[last],
                               ws->A[last], Y, rows,
                               net->layers[last].units, scale, dZ);
    for (size_t k = net->n_layers; k-- > 0;) {
        size_t out = net->layers[k].units;
        size_t in = k == 0 ? net->inputs : net->layers[k - 1].units;
        const float *x = k == 0 ? X : ws->A[k - 1];
        const float *W = net->params + net->w_offset[k];
        dense_backward(grads + net->w_offset[k], grads + net->b_offset[k],
                       k == 0 ? NULL : spare, dZ, x, W, rows, in, out,
                       accumulate);
        if (k == 0)
            break;
        /* δ[k−1] = (δ[k] W[k]ᵀ) ∘ g'(z[k−1]) */
        nn_activation_backward(&net->layers[k - 1].act, spare, spare,
                               ws->Z[k - 1], ws->A[k - 1], rows, in);
        float *t = dZ;
        dZ = spare;
        spare = t;
    }
    return loss;
}

double nn_forward_loss(const nn_network *net, const nn_workspace *ws,
                       const float *Y, size_t rows)
{
    size_t last = net->n_layers - 1;
    return nn_loss_eval(net->loss, &net->layers[last].act, ws->Z[last],
                        ws->A[last], Y, rows, net->layers[last].units, 0.0f,
                        NULL);
}

nn_status nn_predict(const nn_network *net, nn_workspace *ws, const float *X,
                     size_t rows, float *out, nn_error *err)
{
    size_t in = net->inputs, outs = nn_network_outputs(net);
    for (size_t start = 0; start < rows; start += ws->max_rows) {
        size_t n = rows - start < ws->max_rows ? rows - start : ws->max_rows;
        const float *src = X + start * in;
        for (size_t i = 0; i < n * in; i++) {
            if (!isfinite(src[i])) {
                char field[64];
                snprintf(field, sizeof field, "/inputs/%zu/%zu",
                         start + i / in, i % in);
                return nn_fail(err, NN_ERR_INVALID, field,
                               "input is not a finite number");
            }
            float v = src[i];
            if (net->norm.kind != NN_NORM_NONE)
                v = (v - net->norm.shift[i % in]) * net->norm.scale[i % in];
            ws->xnorm[i] = v;
        }
        const float *o = nn_forward(net, ws, ws->xnorm, n);
        memcpy(out + start * outs, o, n * outs * sizeof *out);
    }
    return NN_OK;
}

static size_t argmax(const float *row, size_t n)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}

size_t nn_output_class(const nn_network *net, const float *row)
{
    size_t outs = nn_network_outputs(net);
    if (outs > 1)
        return argmax(row, outs);
    nn_act_kind k = net->layers[net->n_layers - 1].act.kind;
    float threshold = (k == NN_ACT_TANH || k == NN_ACT_SIGN) ? 0.0f : 0.5f;
    return row[0] > threshold;
}

size_t nn_target_class(const nn_network *net, const float *row)
{
    size_t outs = nn_network_outputs(net);
    return outs > 1 ? argmax(row, outs) : row[0] > 0.5f;
}
