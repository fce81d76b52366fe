/* eval_run.c — scoring a model on a dataset (see eval_run.h): rows go
 * through nn_predict a workspace at a time, and nn_forward_loss reads the
 * loss of the forward pass that nn_predict left in the workspace. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_run.h"

#define EVAL_ROWS 256 /* rows per forward pass */

bool nd_eval_classifies(const nn_network *net, const nd_dataset *ds)
{
    if (ds->classification || net->type == NN_MODEL_PERCEPTRON)
        return true;
    if (ds->output_dim != 1)
        return false;
    for (size_t r = 0; r < ds->rows; r++)
        if (ds->Y[r] != 0.0f && ds->Y[r] != 1.0f && ds->Y[r] != -1.0f)
            return false;
    return true;
}

void nd_eval_free(nd_eval *e)
{
    free(e->confusion);
    free(e->mse);
    free(e->mae);
    memset(e, 0, sizeof *e);
}

/* Adds rows [0, n) of outputs O against targets Y to the tallies. */
static void tally(const nn_network *net, nd_eval *e, const float *O,
                  const float *Y, size_t n)
{
    size_t outs = e->outputs;
    for (size_t r = 0; r < n; r++) {
        const float *o = O + r * outs, *y = Y + r * outs;
        if (e->classify) {
            size_t want = nn_target_class(net, y);
            size_t got = nn_output_class(net, o);
            e->confusion[want * e->n_classes + got]++;
            e->correct += want == got;
        }
        for (size_t j = 0; j < outs; j++) {
            double d = (double)y[j] - (double)o[j];
            e->mse[j] += d * d;
            e->mae[j] += fabs(d);
        }
    }
}

/* Allocates the tallies of e for net and ds. */
static nn_status eval_alloc(const nn_network *net, const nd_dataset *ds,
                            nd_eval *e, nn_error *err)
{
    memset(e, 0, sizeof *e);
    e->rows = ds->rows;
    e->outputs = nn_network_outputs(net);
    e->classify = nd_eval_classifies(net, ds);
    e->n_classes = e->classify ? (e->outputs > 1 ? e->outputs : 2) : 0;
    e->confusion = calloc(e->n_classes * e->n_classes + 1,
                          sizeof *e->confusion);
    e->mse = calloc(e->outputs, sizeof *e->mse);
    e->mae = calloc(e->outputs, sizeof *e->mae);
    if (e->confusion && e->mse && e->mae)
        return NN_OK;
    nd_eval_free(e);
    return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
}

nn_status nd_eval_run(const nn_network *net, const nd_dataset *ds,
                      nd_eval *out, nn_error *err)
{
    nn_status st = eval_alloc(net, ds, out, err);
    if (st != NN_OK)
        return st;
    size_t outs = out->outputs, in = ds->input_dim;
    size_t chunk = ds->rows < EVAL_ROWS ? ds->rows : EVAL_ROWS;
    nn_workspace *ws = NULL;
    float *O = malloc(chunk * outs * sizeof *O);
    double loss = 0.0;
    st = O ? nn_workspace_create(&ws, net, chunk, false, err)
           : nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    for (size_t at = 0; st == NN_OK && at < ds->rows; at += chunk) {
        size_t n = ds->rows - at < chunk ? ds->rows - at : chunk;
        const float *Y = ds->Y + at * outs;
        st = nn_predict(net, ws, ds->X + at * in, n, O, err);
        if (st != NN_OK) /* stored rows are finite: out of memory at most */
            break;
        if (net->type != NN_MODEL_PERCEPTRON) /* one chunk: ws holds it */
            loss += nn_forward_loss(net, ws, Y, n);
        tally(net, out, O, Y, n);
    }
    nn_workspace_free(ws);
    free(O);
    if (st != NN_OK) {
        nd_eval_free(out);
        return st;
    }
    for (size_t j = 0; j < outs; j++) {
        out->mse[j] /= (double)ds->rows;
        out->mae[j] /= (double)ds->rows;
    }
    out->loss = net->type == NN_MODEL_PERCEPTRON
                    ? (double)(ds->rows - out->correct)
                    : loss / (double)ds->rows;
    return NN_OK;
}
