/* evaluate.c — POST /v1/models/{id}/evaluate: a model scored on a stored
 * dataset (eval_run.c does the arithmetic), as JSON: loss, and accuracy,
 * the confusion matrix and per-class precision and recall for a
 * classifier, or mse and mae per output for a regression. The model is
 * scored with the weights it has: an untrained model is evaluated too
 * (its initial or hand-given weights, "trained": false in the reply). */
#include <stdio.h>
#include <string.h>

#include "dataset_store.h"
#include "eval_run.h"
#include "jsonv.h"
#include "model_store.h"
#include "models.h"
#include "server.h"

/* Loads the model of the path and the dataset of the body; false once it
 * has replied (404 for either id unknown). */
static bool load_pair(nd_request *req, const char *dataset_id,
                      nn_network **net, json_t **model, nd_dataset *ds)
{
    const char *id = req->params[0];
    char err[256];
    int rc = nd_id_valid(id, ND_MODEL_ID_PREFIX)
                 ? nd_model_get(id, model, net, err, sizeof err)
                 : ND_STORE_NOT_FOUND;
    if (rc != ND_STORE_OK) {
        if (rc == ND_STORE_NOT_FOUND)
            nd_reply_problem(req, 404, "no model %s", id);
        else
            nd_reply_problem(req, 500, "cannot read the model: %s", err);
        return false;
    }
    rc = nd_id_valid(dataset_id, "ds_")
             ? nd_dataset_load(dataset_id, ds, err, sizeof err)
             : 1;
    if (rc == 1)
        nd_reply_invalid(req, 404, "/dataset_id", "no dataset has this id");
    else if (rc)
        nd_reply_problem(req, 500, "%s", err);
    return rc == 0;
}

/* Whether the model's class names (when it has some) are those of a
 * classification dataset, in the same order. */
static bool same_classes(const nn_network *net, const nd_dataset *ds)
{
    if (net->n_classes == 0 || !ds->classification)
        return true;
    if (ds->n_classes != net->n_classes)
        return false;
    for (size_t k = 0; k < net->n_classes; k++)
        if (strcmp(net->classes[k], ds->classes[k]) != 0)
            return false;
    return true;
}

/* Refuses (422 at /dataset_id) a dataset the model cannot be scored on. */
static bool pair_fits(nd_request *req, const nn_network *net,
                      const nd_dataset *ds)
{
    size_t outs = nn_network_outputs(net);
    if (ds->text) {
        nd_reply_invalid(req, 422, "/dataset_id",
                         "the dataset is a text: a language model is scored "
                         "by its job's val_loss over the held-out block, not "
                         "here");
        return false;
    }
    if (ds->input_dim != net->inputs) {
        nd_reply_invalid(req, 422, "/dataset_id", "the dataset has %zu "
                         "inputs; the model takes %zu", ds->input_dim,
                         net->inputs);
        return false;
    }
    nd_ds_error e;
    if (!nd_shape_feeds(&ds->image, &net->input_shape, "/dataset_id", &e)) {
        nd_ds_reply_error(req, &e);
        return false;
    }
    if (ds->output_dim != outs) {
        nd_reply_invalid(req, 422, "/dataset_id", "the dataset has %zu "
                         "%s; the model gives %zu outputs", ds->output_dim,
                         ds->classification ? "classes" : "outputs", outs);
        return false;
    }
    if (!same_classes(net, ds)) {
        nd_reply_invalid(req, 422, "/dataset_id", "the dataset's classes are "
                         "not the %zu the model was trained on (%s, …), in "
                         "that order", net->n_classes, net->classes[0]);
        return false;
    }
    return true;
}

/* The class names of the reply: the model's, the dataset's, or for one
 * output the two values a target may take. */
static json_t *class_names(const nn_network *net, const nd_dataset *ds,
                           const nd_eval *e)
{
    char *const *names = net->n_classes ? net->classes : ds->classes;
    size_t n = net->n_classes ? net->n_classes : ds->n_classes;
    if (n != e->n_classes) { /* one output: 0/1, or −1/+1 */
        bool sign = false;
        for (size_t r = 0; r < ds->rows; r++)
            sign = sign || ds->Y[r] < 0;
        return json_pack("[s, s]", sign ? "-1" : "0", "1");
    }
    json_t *arr = json_array();
    for (size_t k = 0; arr && k < n; k++)
        if (json_array_append_new(arr, json_string(names[k]))) {
            json_decref(arr);
            arr = NULL;
        }
    return arr;
}

/* a / b as a JSON number, or null when b is 0 (a class never predicted
 * has no precision). */
static json_t *ratio(size_t a, size_t b)
{
    return b ? json_real((double)a / (double)b) : json_null();
}

/* Adds confusion, precision and recall to body. 0, or −1 out of memory. */
static int add_confusion(json_t *body, const nd_eval *e)
{
    size_t k = e->n_classes;
    json_t *rows = json_array(), *precision = json_array(),
           *recall = json_array();
    int failed = !rows || !precision || !recall;
    for (size_t t = 0; !failed && t < k; t++) {
        json_t *row = json_array();
        size_t truth = 0, predicted = 0;
        for (size_t p = 0; row && p < k; p++) {
            truth += e->confusion[t * k + p];
            predicted += e->confusion[p * k + t];
            failed |= json_array_append_new(
                row, json_integer((json_int_t)e->confusion[t * k + p]));
        }
        size_t hit = e->confusion[t * k + t];
        failed |= !row || json_array_append_new(rows, row) ||
                  json_array_append_new(precision, ratio(hit, predicted)) ||
                  json_array_append_new(recall, ratio(hit, truth));
    }
    failed |= json_object_set_new(body, "confusion", rows) ||
              json_object_set_new(body, "precision", precision) ||
              json_object_set_new(body, "recall", recall);
    return failed ? -1 : 0;
}

/* Adds per_output [{"name", "mse", "mae"}] to body. */
static int add_per_output(json_t *body, const nd_eval *e, json_t *names)
{
    json_t *arr = json_array();
    int failed = !arr;
    for (size_t j = 0; !failed && j < e->outputs; j++) {
        json_t *name = json_array_get(names, j);
        failed = json_array_append_new(
            arr, json_pack("{s:O?, s:f, s:f}", "name", name, "mse",
                           e->mse[j], "mae", e->mae[j]));
    }
    return failed || json_object_set_new(body, "per_output", arr) ? -1 : 0;
}

/* The dataset's target names, one per output (a new reference), or NULL
 * when they cannot be read. */
static json_t *target_names(const nd_dataset *ds)
{
    json_t *obj = NULL;
    if (nd_ds_object(ds->id, &obj) != 0)
        return NULL;
    json_t *names = json_incref(json_object_get(obj, "target_names"));
    json_decref(obj);
    return names;
}

/* The reply's body; NULL when out of memory. */
static json_t *eval_json(const nn_network *net, json_t *model,
                         const nd_dataset *ds, const nd_eval *e)
{
    json_t *body = json_pack(
        "{s:O, s:s, s:I, s:O, s:f}", "model_id", json_object_get(model, "id"),
        "dataset_id", ds->id, "rows", (json_int_t)e->rows, "trained",
        json_object_get(model, "trained"), "loss", e->loss);
    int failed = !body;
    if (!failed && e->classify) {
        json_t *names = class_names(net, ds, e);
        failed = !names || json_object_set_new(body, "classes", names) ||
                 json_object_set_new(body, "accuracy",
                                     json_real((double)e->correct /
                                               (double)e->rows)) ||
                 add_confusion(body, e);
    } else if (!failed) {
        json_t *names = target_names(ds);
        failed = !names || add_per_output(body, e, names);
        json_decref(names);
    }
    if (!failed && net->type == NN_MODEL_PERCEPTRON)
        failed = json_object_set_new(
            body, "mistakes", json_integer((json_int_t)(e->rows - e->correct)));
    if (failed) {
        json_decref(body);
        return NULL;
    }
    return body;
}

void models_evaluate(nd_request *req)
{
    static const char *const fields[] = {"dataset_id", NULL};
    const char *dataset_id = NULL;
    if (!nd_json_allow(req, req->json, "", fields) ||
        !nd_field_string(req, req->json, "", "dataset_id", true, &dataset_id))
        return;
    nn_network *net = NULL;
    json_t *model = NULL;
    nd_dataset ds = {0};
    nd_eval e = {0};
    nn_error err;
    if (load_pair(req, dataset_id, &net, &model, &ds) &&
        pair_fits(req, net, &ds)) {
        if (nd_eval_run(net, &ds, &e, &err) != NN_OK)
            nd_reply_nn_error(req, "", &err);
        else
            nd_reply_json(req, 200, eval_json(net, model, &ds, &e));
    }
    nd_eval_free(&e);
    nd_dataset_release(&ds);
    json_decref(model);
    nn_network_free(net);
}
