/* models.c — the /v1/models routes: create, import, list, get (with the
 * weights on request), delete, export and predict (traced on request). Handlers read their
 * arguments, hand the work to model_def (request JSON → network),
 * model_store (SQL), model_view (network → JSON) and libnn, and reply. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_reply.h"
#include "jsonv.h"
#include "log.h"
#include "model_def.h"
#include "model_store.h"
#include "model_view.h"
#include "models.h"
#include "seq_def.h"
#include "nn_trace.h"
#include "quota.h"
#include "server.h"
#include "store.h"

#define PREDICT_MAX_ROWS ND_PREDICT_MAX_ROWS
#define PREDICT_MAX_VALUES (1u << 22) /* outputs in one reply */
#define PREDICT_WS_ROWS 1024          /* rows a workspace takes at once */
#define PREDICT_WS_FLOATS (1u << 22)  /* at most 16 MiB of workspace */
#define VIEW_BYTES_PER_FLOAT 20 /* "[-1.23456789e-05]," is 18 */

/* The model {id} of the path, or NULL after replying 404 to one that is
 * not an ID of ours (no query needed to know it does not exist). */
static const char *model_id(nd_request *req)
{
    const char *id = req->params[0];
    if (nd_id_valid(id, ND_MODEL_ID_PREFIX))
        return id;
    nd_reply_problem(req, 404, "no model %s", id);
    return NULL;
}

/* Replies for a model_store result other than ND_STORE_OK. */
static void reply_store(nd_request *req, int result, const char *id,
                        const char *err)
{
    if (result == ND_STORE_NOT_FOUND) {
        nd_reply_problem(req, 404, "no model %s", id);
    } else if (result == ND_STORE_BUSY) {
        nd_reply_problem(req, 409,
                         "model %s has a queued, running or paused job; "
                         "cancel it or wait for it to finish",
                         id);
    } else {
        nd_log(ND_LOG_ERROR, "model.store_failed", err, ND_LS("model_id", id),
               ND_LS("request_id", req->request_id));
        if (nd_store_full())
            nd_reply_problem(req, 507, "%s: " ND_DISK_FULL_DETAIL, err);
        else
            nd_reply_problem(req, 500, "%s", err);
    }
}

/* False after replying 422 when a JSON view of net's weights would be
 * larger than a request body this server takes, so that it could not be
 * imported back (and would take gigabytes to build). */
static bool weights_fit(nd_request *req, const nn_network *net,
                        const char *pointer)
{
    size_t limit = req->srv->cfg.max_json_bytes / VIEW_BYTES_PER_FLOAT;
    if (net->n_params <= limit)
        return true;
    nd_reply_invalid(req, 422, pointer,
                     "the model's %zu parameters do not fit a JSON document "
                     "of %zu bytes (--max-json-bytes)",
                     net->n_params, req->srv->cfg.max_json_bytes);
    return false;
}

/* POST /v1/models and POST /v1/models/import: validate, store, 201. */
static void create_from(nd_request *req, nd_def_source src)
{
    nd_model_def def;
    uint64_t left;
    if (!nd_quota_bytes_left(req, &left) ||
        !nd_model_def_read(req, req->json, src, req->srv->cfg.max_params, &def))
        return;
    char err[256] = "out of memory";
    json_t *model = NULL;
    json_t *definition =
        nd_model_definition_json(def.net, def.init, def.has_seed, def.seed);
    int result = definition
                     ? nd_model_insert(def.name, def.net, definition,
                                       def.trained, left, &model, err,
                                       sizeof err)
                     : ND_STORE_ERROR;
    json_decref(definition);
    nd_model_def_free(&def);
    if (result == ND_STORE_QUOTA) {
        char detail[512];
        nd_quota_bytes_detail(detail, sizeof detail, err, left);
        nd_reply_problem(req, 413, "%s", detail);
        return;
    }
    if (result != ND_STORE_OK) {
        reply_store(req, result, "", err);
        return;
    }
    char location[64 + ND_ID_MAX];
    snprintf(location, sizeof location, "/v1/models/%s",
             json_string_value(json_object_get(model, "id")));
    nd_reply_header(req, "Location", location);
    nd_reply_json(req, 201, model);
}

void models_create(nd_request *req)
{
    create_from(req, ND_DEF_CREATE);
}

void models_import(nd_request *req)
{
    create_from(req, ND_DEF_IMPORT);
}

void models_list(nd_request *req)
{
    size_t limit = 0;
    nd_page_key after;
    if (!nd_page_args(req, ND_MODEL_ID_PREFIX, &limit, &after))
        return;
    char err[256];
    json_t *page = NULL;
    int result = nd_model_list(&after, limit, &page, err, sizeof err);
    if (result == ND_STORE_OK)
        nd_reply_json(req, 200, page);
    else
        reply_store(req, result, "", err);
}

/* ?weights: absent or "false", or "true"; false after replying 400. */
static bool weights_arg(nd_request *req, bool *weights)
{
    const char *v = nd_query(req, "weights");
    *weights = v && strcmp(v, "true") == 0;
    if (!v || *weights || strcmp(v, "false") == 0)
        return true;
    nd_reply_invalid(req, 400, "?weights", "must be true or false");
    return false;
}

void models_get(nd_request *req)
{
    const char *id = model_id(req);
    bool weights = false;
    if (!id || !weights_arg(req, &weights))
        return;
    char err[256];
    json_t *model = NULL;
    nn_network *net = NULL;
    int result =
        nd_model_get(id, &model, weights ? &net : NULL, err, sizeof err);
    if (result != ND_STORE_OK)
        reply_store(req, result, id, err);
    else if (!net || weights_fit(req, net, "?weights"))
        nd_reply_json(req, 200,
                      !net || nd_model_add_weights(model, net) == 0
                          ? json_incref(model)
                          : NULL);
    json_decref(model);
    nn_network_free(net);
}

void models_delete(nd_request *req)
{
    const char *id = model_id(req);
    if (!id)
        return;
    char err[256];
    int result = nd_model_remove(id, err, sizeof err);
    if (result == ND_STORE_OK)
        nd_reply_empty(req, 204);
    else
        reply_store(req, result, id, err);
}

void models_export(nd_request *req)
{
    const char *id = model_id(req);
    nd_export_format format;
    if (!id || !nd_export_format_arg(req, &format))
        return;
    char err[256];
    json_t *model = NULL;
    nn_network *net = NULL;
    int result = nd_model_get(id, &model, &net, err, sizeof err);
    if (result != ND_STORE_OK)
        reply_store(req, result, id, err);
    else if (format == ND_EXPORT_ONNX || weights_fit(req, net, "")) {
        /* The C header, text like JSON, is held to the same size. */
        const char *name = json_string_value(json_object_get(model, "name"));
        bool trained = json_is_true(json_object_get(model, "trained"));
        if (format == ND_EXPORT_JSON)
            nd_reply_json(req, 200, nd_model_export_json(net, name, trained));
        else
            nd_export_reply(req, format, net, name, trained);
    }
    json_decref(model);
    nn_network_free(net);
}

/* Rows of examples a prediction workspace takes at once: up to
 * PREDICT_WS_ROWS, fewer for wide networks so that the workspace stays
 * within PREDICT_WS_FLOATS, and never more than there are rows. */
static size_t workspace_rows(const nn_network *net, size_t rows)
{
    /* Per row: the normalised input and each layer's Z and A (sizes libnn
     * bounded at creation: no overflow); conv2d's scratch is per worker. */
    size_t per_row = net->max_width;
    for (size_t k = 0; k < net->n_layers; k++)
        per_row += 2 * nn_shape_size(&net->info[k].out);
    size_t n = rows < PREDICT_WS_ROWS ? rows : PREDICT_WS_ROWS;
    size_t fit = PREDICT_WS_FLOATS / per_row;
    n = n < fit ? n : fit;
    return n ? n : 1;
}

/* {"outputs": [[…]], "labels": [class name per row]} (labels only for a
 * model with classes); NULL when out of memory. */
static json_t *predictions_json(const nn_network *net, const float *Y,
                                size_t rows)
{
    size_t outs = nn_network_outputs(net);
    json_t *body = json_object();
    int failed =
        !body ||
        json_object_set_new(body, "outputs", nd_json_float_rows(Y, rows, outs));
    json_t *labels = net->n_classes && !failed ? json_array() : NULL;
    failed |= net->n_classes && !labels;
    for (size_t i = 0; labels && i < rows && !failed; i++) {
        size_t c = nn_output_class(net, Y + i * outs);
        failed = json_array_append_new(
            labels,
            c < net->n_classes ? json_string(net->classes[c]) : json_null());
    }
    if (labels && !failed)
        failed = json_object_set_new(body, "labels", json_incref(labels));
    json_decref(labels);
    if (failed) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* The first row of the rows × outs outputs Y holding a NaN or an
 * infinity (an overflow of float32 arithmetic), or rows when none does. */
static size_t first_nonfinite_row(const float *Y, size_t rows, size_t outs)
{
    for (size_t i = 0; i < rows * outs; i++)
        if (!isfinite(Y[i]))
            return i / outs;
    return rows;
}

/* True after replying 422 naming the first row whose outputs Y (rows ×
 * outs) are not finite: JSON has no number for them, and a client should
 * learn which input did it rather than get a null. */
static bool reply_nonfinite(nd_request *req, const float *Y, size_t rows,
                            size_t outs)
{
    size_t bad = first_nonfinite_row(Y, rows, outs);
    if (bad == rows)
        return false;
    char p[ND_PTR_MAX];
    nd_ptr_index(p, "/inputs", bad);
    nd_reply_invalid(req, 422, p,
                     "the model's outputs for this row are not finite: the "
                     "computation overflows float32 (values beyond about "
                     "±3.4e38)");
    return true;
}

/* "trace": one {"z", "a"} per layer, each rows × units, from nn_trace's
 * layer-major blocks; NULL when out of memory. */
static json_t *trace_json(const nn_network *net, const float *Z,
                          const float *A, size_t rows)
{
    json_t *layers = json_array();
    size_t at = 0;
    for (size_t k = 0; layers && k < net->n_layers; k++) {
        size_t u = nn_shape_size(&net->info[k].out);
        json_t *l = json_pack("{s:o, s:o}", "z",
                              nd_json_float_rows(Z + at, rows, u), "a",
                              nd_json_float_rows(A + at, rows, u));
        if (!l || json_array_append_new(layers, l)) {
            json_decref(layers);
            return NULL;
        }
        at += rows * u;
    }
    return layers;
}

/* Runs the network on X (rows × inputs, raw) into Y, or, when trace, keeps
 * every layer and replies with it; replies with any error. */
static void predict_reply(nd_request *req, const nn_network *net,
                          const float *X, size_t rows, bool trace)
{
    size_t outs = nn_network_outputs(net);
    size_t width = trace ? nn_trace_width(net) : outs;
    float *Y = malloc(rows * width * sizeof *Y);
    float *Z = trace ? malloc(rows * width * sizeof *Z) : NULL;
    nn_workspace *ws = NULL;
    nn_error err;
    if (!Y || (trace && !Z)) {
        nd_reply_problem(req, 503, "out of memory");
    } else if (nn_workspace_create(&ws, net, workspace_rows(net, rows), false,
                                   &err) != NN_OK ||
               (trace ? nn_trace(net, ws, X, rows, Z, Y, &err)
                      : nn_predict(net, ws, X, rows, Y, &err)) != NN_OK) {
        nd_reply_nn_error(req, "", &err);
    } else if (!reply_nonfinite(req, Y + rows * (width - outs), rows, outs)) {
        /* Traced, the outputs are the last layer's block of activations. */
        json_t *body = predictions_json(net, Y + rows * (width - outs), rows);
        if (body && trace &&
            json_object_set_new(body, "trace", trace_json(net, Z, Y, rows))) {
            json_decref(body);
            body = NULL;
        }
        nd_reply_json(req, 200, body);
    }
    nn_workspace_free(ws);
    free(Y);
    free(Z);
}

/* Predicts the rows of the body's "inputs" with net and replies. */
static void predict_rows(nd_request *req, const nn_network *net, bool trace)
{
    size_t per_row = trace ? nn_trace_width(net) : nn_network_outputs(net);
    size_t rows = 0;
    if (nd_body_array_size(req, "inputs") > PREDICT_MAX_VALUES / per_row) {
        nd_reply_invalid(req, 422, "/inputs",
                         "at most %zu rows at once for a model of %zu %s",
                         PREDICT_MAX_VALUES / per_row, per_row,
                         trace ? "units to trace" : "outputs");
        return;
    }
    float *X = NULL;
    if (!nd_body_shaped_rows(req, "inputs", net->input_shape.dim,
                             net->input_shape.rank,
                             PREDICT_MAX_ROWS * net->inputs, &X, &rows))
        return;
    if (nd_seq_ids_ok(req, net, X, rows))
        predict_reply(req, net, X, rows, trace);
    free(X);
}

void models_predict(nd_request *req)
{
    static const char *const fields[] = {"inputs", "trace", NULL};
    const char *id = model_id(req);
    bool trace = false;
    if (!id || !nd_json_allow(req, req->json, "", fields) ||
        !nd_field_bool(req, req->json, "", "trace", false, &trace))
        return;
    json_t *inputs = json_object_get(req->json, "inputs");
    if (!inputs || nd_body_array_size(req, "inputs") > PREDICT_MAX_ROWS) {
        nd_reply_invalid(req, 422, "/inputs",
                         inputs ? "at most %d rows at once" : "is required",
                         PREDICT_MAX_ROWS);
        return;
    }
    /* The network is read (a snapshot, no write lock) and released from
     * SQLite before computing. */
    char err[256];
    nn_network *net = NULL;
    int result = nd_model_load(id, &net, err, sizeof err);
    if (result != ND_STORE_OK)
        reply_store(req, result, id, err);
    else
        predict_rows(req, net, trace);
    nn_network_free(net);
}
