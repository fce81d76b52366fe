/* models.c — the /v1/models routes: create, import, list, get (with the
 * weights on request), delete, export and predict. Handlers read their
 * arguments, hand the work to model_def (request JSON → network),
 * model_store (SQL), model_view (network → JSON) and libnn, and reply. */
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
#include "server.h"

#define PREDICT_MAX_ROWS 100000
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
                         "model %s has a queued or running job; cancel it "
                         "or wait for it to finish",
                         id);
    } else {
        nd_log(ND_LOG_ERROR, "model.store_failed", err, ND_LS("model_id", id),
               ND_LS("request_id", req->request_id));
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
    if (!nd_model_def_read(req, req->json, src, req->srv->cfg.max_params, &def))
        return;
    char err[256] = "out of memory";
    json_t *model = NULL;
    json_t *definition =
        nd_model_definition_json(def.net, def.init, def.has_seed, def.seed);
    int result = definition
                     ? nd_model_insert(def.name, def.net, definition,
                                       def.trained, &model, err, sizeof err)
                     : ND_STORE_ERROR;
    json_decref(definition);
    nd_model_def_free(&def);
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
        nd_reply_raw(req, 204, "text/plain", "", 0);
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

/* The rows of `inputs` as flat arrays: each row as given, or, for an
 * image model, a nested [C][H][W] row flattened in that order. A new
 * reference, or NULL after replying. */
static json_t *flat_rows(nd_request *req, const nn_network *net,
                         json_t *inputs)
{
    const nn_shape *sh = &net->input_shape;
    if (!json_is_array(inputs) || sh->rank == 1)
        return json_incref(inputs); /* as given: the matrix reader checks */
    json_t *out = json_array();
    if (!out) {
        nd_reply_problem(req, 503, "out of memory");
        return NULL;
    }
    for (size_t r = 0; r < json_array_size(inputs); r++) {
        json_t *row = json_array_get(inputs, r), *flat = row;
        if (sh->rank == 3 && json_is_array(json_array_get(row, 0))) {
            flat = json_array();
            for (size_t c = 0; flat && c < json_array_size(row); c++) {
                json_t *plane = json_array_get(row, c);
                char p[ND_PTR_MAX], pr[ND_PTR_MAX];
                nd_ptr_index(pr, "/inputs", r);
                nd_ptr_index(p, pr, c);
                if (json_array_size(row) != sh->dim[0] ||
                    json_array_size(plane) != sh->dim[1]) {
                    nd_reply_invalid(req, 422, json_array_size(row) != sh->dim[0] ? pr : p,
                                     "an image row is [%zu][%zu][%zu] numbers",
                                     sh->dim[0], sh->dim[1], sh->dim[2]);
                    json_decref(flat);
                    json_decref(out);
                    return NULL;
                }
                for (size_t h = 0; h < sh->dim[1]; h++) {
                    json_t *line = json_array_get(plane, h);
                    if (json_array_size(line) != sh->dim[2])
                        line = NULL; /* the matrix reader names the row */
                    for (size_t w = 0; line && w < sh->dim[2]; w++)
                        json_array_append(flat, json_array_get(line, w));
                    if (!line)
                        json_array_append_new(flat, json_null());
                }
            }
        } else {
            json_incref(flat);
        }
        if (!flat || json_array_append_new(out, flat) != 0) {
            json_decref(out);
            nd_reply_problem(req, 503, "out of memory");
            return NULL;
        }
    }
    return out;
}

/* Predicts the rows of `inputs` (a JSON array) with net and replies. */
static void predict_rows(nd_request *req, const nn_network *net, json_t *inputs)
{
    size_t outs = nn_network_outputs(net), rows = 0, cols = 0;
    if (json_array_size(inputs) > PREDICT_MAX_VALUES / outs) {
        nd_reply_invalid(req, 422, "/inputs",
                         "at most %zu rows at once for a model of %zu "
                         "outputs",
                         PREDICT_MAX_VALUES / outs, outs);
        return;
    }
    float *X = NULL, *Y = NULL;
    json_t *flat = flat_rows(req, net, inputs);
    bool read = flat && nd_json_matrix(req, flat, "/inputs", net->inputs,
                                       PREDICT_MAX_ROWS * net->inputs, &X,
                                       &rows, &cols);
    json_decref(flat);
    if (!read)
        return;
    nn_workspace *ws = NULL;
    nn_error err;
    Y = malloc(rows * outs * sizeof *Y);
    if (!Y)
        nd_reply_problem(req, 503, "out of memory");
    else if (nn_workspace_create(&ws, net, workspace_rows(net, rows), false,
                                 &err) != NN_OK ||
             nn_predict(net, ws, X, rows, Y, &err) != NN_OK)
        nd_reply_nn_error(req, "", &err);
    else
        nd_reply_json(req, 200, predictions_json(net, Y, rows));
    nn_workspace_free(ws);
    free(X);
    free(Y);
}

void models_predict(nd_request *req)
{
    static const char *const fields[] = {"inputs", NULL};
    const char *id = model_id(req);
    if (!id || !nd_json_allow(req, req->json, "", fields))
        return;
    json_t *inputs = json_object_get(req->json, "inputs");
    if (!inputs || json_array_size(inputs) > PREDICT_MAX_ROWS) {
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
        predict_rows(req, net, inputs);
    nn_network_free(net);
}
