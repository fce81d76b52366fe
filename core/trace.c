/* trace.c — predictions with every layer's z and a kept (nn_trace.h),
 * over nn_predict's forward pass a workspace of rows at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_trace.h"

size_t nn_trace_width(const nn_network *net)
{
    size_t w = 0;
    for (size_t k = 0; k < net->n_layers; k++)
        w += nn_shape_size(&net->info[k].out);
    return w;
}

/* Copies rows n from the workspace's layer blocks into Z and A at row
 * `start` of each layer's block. */
static void copy_chunk(const nn_network *net, const nn_workspace *ws,
                       size_t rows, size_t start, size_t n, float *Z,
                       float *A)
{
    size_t before = 0;
    for (size_t k = 0; k < net->n_layers; k++) {
        size_t u = nn_shape_size(&net->info[k].out),
               at = rows * before + start * u;
        memcpy(Z + at, nn_workspace_z(ws, k), n * u * sizeof *Z);
        memcpy(A + at, nn_workspace_a(ws, k), n * u * sizeof *A);
        before += u;
    }
}

/* nn_predict named "/inputs/R/C" within a chunk: R becomes the row of X. */
static void shift_row(nn_error *err, size_t start)
{
    size_t r, c;
    if (!err || sscanf(err->field, "/inputs/%zu/%zu", &r, &c) != 2)
        return;
    snprintf(err->field, sizeof err->field, "/inputs/%zu/%zu", r + start, c);
}

nn_status nn_trace(const nn_network *net, nn_workspace *ws, const float *X,
                   size_t rows, float *Z, float *A, nn_error *err)
{
    size_t in = net->inputs, outs = nn_network_outputs(net);
    size_t chunk = nn_workspace_rows(ws);
    float *out = malloc((chunk < rows ? chunk : rows) * outs * sizeof *out + 1);
    if (!out)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    nn_status st = NN_OK;
    for (size_t start = 0; start < rows && st == NN_OK; start += chunk) {
        size_t n = rows - start < chunk ? rows - start : chunk;
        /* One chunk within the workspace: one forward pass leaves every
         * layer's Z and A in ws. */
        st = nn_predict(net, ws, X + start * in, n, out, err);
        if (st == NN_OK)
            copy_chunk(net, ws, rows, start, n, Z, A);
        else
            shift_row(err, start);
    }
    free(out);
    return st;
}
