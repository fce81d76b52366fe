/* pass.c — per-worker workspaces, and the network's forward, backward and
 * prediction passes, which walk the layer stack through the layer table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers/layer.h"
#include "nn_limits.h"
#include "nn_network.h"

struct nn_workspace {
    size_t max_rows, n_layers;
    bool training;
    float **Z, **A;   /* per layer, max_rows × size(out); Z == A without act */
    float **saved;    /* training: per layer, what its backward needs */
    bool trained;     /* the last forward was a training pass */
    uint64_t seed;    /* … with this seed */
    size_t row0;      /* … and its first row's index in the batch */
    float *grad[2];   /* training: ping-pong, max_rows × max_width */
    float *xnorm;     /* max_rows × inputs, for nn_predict */
    float *scratch;   /* the largest scratch any layer needs */
    float *block;     /* the one allocation everything above points into */
    float **ptrs;
};

/* Rounds a piece up to 16 floats, so every matrix starts 64-aligned. */
static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Floats of the workspace's block, or false past libnn's limits. */
static bool workspace_floats(const nn_network *net, size_t max_rows,
                             bool training, size_t *floats, size_t *wide,
                             size_t *scratch)
{
    size_t total = 0, piece;
    *scratch = 0;
    for (size_t k = 0; k < net->n_layers; k++) {
        const nn_layer_info *li = &net->info[k];
        if (!nn_size_mul(max_rows, nn_shape_size(&li->out), &piece) ||
            !nn_size_add(total, (li->has_act ? 2 : 1) * round16(piece), &total))
            return false;
        if (li->scratch > *scratch)
            *scratch = round16(li->scratch);
        if (training &&
            (!nn_size_mul(max_rows, li->saved_per_row, &piece) ||
             !nn_size_add(piece, li->saved_fixed, &piece) ||
             !nn_size_add(total, round16(piece), &total)))
            return false;
    }
    if (!nn_size_mul(max_rows, net->max_width, wide))
        return false;
    *wide = round16(*wide);
    return nn_size_add(total, *wide * (training ? 3 : 1), &total) &&
           nn_size_add(total, *scratch, &total) &&
           (*floats = total) <= NN_MAX_ELEMENTS / 4;
}

nn_status nn_workspace_create(nn_workspace **out, const nn_network *net,
                              size_t max_rows, bool training, nn_error *err)
{
    if (max_rows == 0)
        return nn_fail(err, NN_ERR_INVALID, "/batch_size", "must be ≥ 1");
    if (max_rows > NN_MAX_BATCH)
        return nn_fail(err, NN_ERR_TOO_LARGE, "/batch_size",
                       "must be ≤ %u", NN_MAX_BATCH);
    size_t floats, wide, scratch;
    if (!workspace_floats(net, max_rows, training, &floats, &wide, &scratch))
        return nn_fail(err, NN_ERR_TOO_LARGE, "/batch_size",
                       "a workspace of %zu rows for this network is too large",
                       max_rows);
    nn_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    ws->ptrs = calloc(3 * net->n_layers, sizeof *ws->ptrs);
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
    ws->saved = ws->ptrs + 2 * net->n_layers;
    float *p = ws->block;
    for (size_t k = 0; k < net->n_layers; k++) {
        const nn_layer_info *li = &net->info[k];
        size_t piece = round16(max_rows * nn_shape_size(&li->out));
        ws->Z[k] = p;
        ws->A[k] = li->has_act ? p + piece : p;
        p += (li->has_act ? 2 : 1) * piece;
        if (training) {
            ws->saved[k] = p;
            p += round16(max_rows * li->saved_per_row + li->saved_fixed);
        }
    }
    ws->xnorm = p;
    p += wide;
    if (training) {
        ws->grad[0] = p;
        ws->grad[1] = p + wide;
        p += 2 * wide;
    }
    ws->scratch = scratch ? p : NULL;
    *out = ws;
    return NN_OK;
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

/* What layer k sees of the network and of the workspace's last pass. */
static nn_layer_ctx layer_ctx(const nn_network *net, const nn_workspace *ws,
                              size_t k)
{
    return (nn_layer_ctx){
        .spec = &net->layers[k],
        .info = &net->info[k],
        .W = net->params + net->w_offset[k],
        .b = net->params + net->b_offset[k],
        .state = net->state ? net->state + net->s_offset[k] : NULL,
        .scratch = ws->scratch,
        .saved = ws->training ? ws->saved[k] : NULL,
        .training = ws->trained,
        .seed = ws->seed ^ ((uint64_t)(k + 1) * 0xbf58476d1ce4e5b9ull),
        .row0 = ws->row0};
}

static const float *forward_pass(const nn_network *net, nn_workspace *ws,
                                 const float *X, size_t rows)
{
    const float *in = X;
    for (size_t k = 0; k < net->n_layers; k++) {
        nn_layer_ctx c = layer_ctx(net, ws, k);
        nn_layer_table[net->layers[k].kind]->forward(&c, ws->Z[k], ws->A[k],
                                                     in, rows);
        in = ws->A[k];
    }
    return in;
}

const float *nn_forward(const nn_network *net, nn_workspace *ws,
                        const float *X, size_t rows)
{
    ws->trained = false;
    return forward_pass(net, ws, X, rows);
}

const float *nn_forward_train(const nn_network *net, nn_workspace *ws,
                              const float *X, size_t rows, uint64_t seed,
                              size_t row0)
{
    ws->trained = ws->training;
    ws->seed = seed;
    ws->row0 = row0;
    return forward_pass(net, ws, X, rows);
}

void nn_network_merge_state(nn_network *net, nn_workspace *const *ws,
                            const size_t *rows, size_t n)
{
    const float *saved[NN_MAX_THREADS];
    if (net->n_state == 0 || n > NN_MAX_THREADS)
        return;
    for (size_t k = 0; k < net->n_layers; k++) {
        const nn_layer_ops *ops = nn_layer_table[net->layers[k].kind];
        if (!ops->merge_state)
            continue;
        for (size_t t = 0; t < n; t++)
            saved[t] = ws[t]->saved[k];
        ops->merge_state(&net->info[k], net->state + net->s_offset[k], saved,
                         rows, n);
    }
}

/* The output activation the loss is fused with: linear for a last layer
 * without an activation of its own. */
static nn_activation loss_act(const nn_network *net)
{
    size_t last = net->n_layers - 1;
    return net->info[last].has_act ? net->layers[last].act
                                   : (nn_activation){NN_ACT_LINEAR, 0.0f};
}

/* Positions of a sequence output, each of which the loss takes as one
 * example (next-token prediction: a softmax per position); 1 otherwise. */
static size_t loss_positions(const nn_network *net)
{
    const nn_shape *o = &net->info[net->n_layers - 1].out;
    return o->rank == 2 ? o->dim[0] : 1;
}

/* Backpropagates dY (the loss's gradient at the output layer's
 * pre-activation, in ws->grad[0]) through every layer into grads. */
static void backprop_layers(const nn_network *net, nn_workspace *ws,
                            const float *X, size_t rows, float *grads,
                            bool accumulate)
{
    size_t last = net->n_layers - 1;
    float *dY = ws->grad[0], *spare = ws->grad[1];
    for (size_t k = net->n_layers; k-- > 0;) {
        nn_layer_ctx c = layer_ctx(net, ws, k);
        nn_layer_table[net->layers[k].kind]->backward(
            &c, k == 0 ? NULL : spare, dY, k == last, k == 0 ? X : ws->A[k - 1],
            ws->Z[k], ws->A[k], rows, grads + net->w_offset[k],
            grads + net->b_offset[k], accumulate);
        float *t = dY;
        dY = spare;
        spare = t;
    }
}

double nn_backward(const nn_network *net, nn_workspace *ws, const float *X,
                   const float *Y, size_t rows, float scale, float *grads,
                   bool accumulate)
{
    size_t last = net->n_layers - 1;
    nn_activation out = loss_act(net);
    size_t P = loss_positions(net);
    double loss = nn_loss_eval(net->loss, &out, ws->Z[last], ws->A[last], Y,
                               rows * P, nn_network_outputs(net) / P, scale,
                               ws->grad[0]);
    backprop_layers(net, ws, X, rows, grads, accumulate);
    return loss;
}

double nn_backward_tokens(const nn_network *net, nn_workspace *ws,
                          const float *X, const uint32_t *targets,
                          size_t rows, float scale, float *grads,
                          bool accumulate, size_t *correct)
{
    size_t last = net->n_layers - 1, P = loss_positions(net);
    double loss = nn_sparse_ce(ws->Z[last], ws->A[last], targets, rows * P,
                               nn_network_outputs(net) / P, scale,
                               ws->grad[0], NULL, correct);
    backprop_layers(net, ws, X, rows, grads, accumulate);
    return loss;
}

double nn_forward_loss_tokens(const nn_network *net, const nn_workspace *ws,
                              const uint32_t *targets, size_t rows,
                              size_t *scored, size_t *correct)
{
    size_t last = net->n_layers - 1, P = loss_positions(net);
    return nn_sparse_ce(ws->Z[last], ws->A[last], targets, rows * P,
                        nn_network_outputs(net) / P, 0.0f, NULL, scored,
                        correct);
}

double nn_forward_loss(const nn_network *net, const nn_workspace *ws,
                       const float *Y, size_t rows)
{
    size_t last = net->n_layers - 1;
    nn_activation out = loss_act(net);
    size_t P = loss_positions(net);
    return nn_loss_eval(net->loss, &out, ws->Z[last], ws->A[last], Y,
                        rows * P, nn_network_outputs(net) / P, 0.0f, NULL);
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
    nn_act_kind k = loss_act(net).kind;
    float threshold = (k == NN_ACT_TANH || k == NN_ACT_SIGN) ? 0.0f : 0.5f;
    return row[0] > threshold;
}

size_t nn_target_class(const nn_network *net, const float *row)
{
    size_t outs = nn_network_outputs(net);
    return outs > 1 ? argmax(row, outs) : row[0] > 0.5f;
}
