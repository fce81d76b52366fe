/* model_reset.c — POST /v1/models/{id}/reset: the model's weights drawn
 * again from a seed, without defining it anew, so that a student can
 * start a lesson over on the same network. */
#include <stdio.h>

#include "jsonv.h"
#include "model_def.h"
#include "model_store.h"
#include "model_view.h"
#include "models.h"
#include "server.h"

/* The starting weights: a network's drawn by init from seed (biases 0), a
 * perceptron's all zero, as Rosenblatt's rule starts; the normalisation
 * fitted by earlier jobs is dropped. */
static void redraw(nn_network *net, nn_init_kind init, uint64_t seed)
{
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    nn_network_init(net, init, &rng);
    nn_network_set_norm(net, NN_NORM_NONE, NULL, NULL, NULL);
}

/* Reads {"init", "seed"} for the model (its stored object); false after
 * replying. A network keeps its init unless told (xavier for weights that
 * were given by hand); a perceptron takes neither field. */
static bool read_reset(nd_request *req, json_t *model, bool perceptron,
                       nn_init_kind *init, uint64_t *seed)
{
    static const char *const fields[] = {"init", "seed", NULL};
    const char *name = json_string_value(json_object_get(model, "init"));
    nn_error err;
    if (!nd_json_allow(req, req->json, "", fields))
        return false;
    if (perceptron) {
        const char *f = json_object_get(req->json, "init")   ? "/init"
                        : json_object_get(req->json, "seed") ? "/seed"
                                                             : NULL;
        if (f)
            nd_reply_invalid(req, 422, f, "a perceptron always starts from "
                                          "zero weights");
        *init = NN_INIT_ZEROS;
        return !f;
    }
    if (!name || nn_init_parse(name, init, NULL, NULL) != NN_OK)
        name = "xavier"; /* weights given by hand or imported */
    *seed = nd_model_random_seed();
    if (!nd_field_string(req, req->json, "", "init", false, &name) ||
        !nd_field_uint(req, req->json, "", "seed", false, 0, INT64_MAX, seed))
        return false;
    if (nn_init_parse(name, init, "/init", &err) != NN_OK) {
        nd_reply_nn_error(req, "", &err);
        return false;
    }
    return true;
}

/* Stores the redrawn network and replies with the model. */
static void store_reset(nd_request *req, const char *id, nn_network *net,
                        nn_init_kind init, uint64_t seed)
{
    bool perceptron = net->type == NN_MODEL_PERCEPTRON;
    char err[256] = "out of memory";
    json_t *def = nd_model_definition_json(net, nn_init_name(init),
                                           !perceptron, seed);
    int result = def ? nd_model_reset_store(id, net, def, err, sizeof err)
                     : ND_STORE_ERROR;
    json_decref(def);
    json_t *model = NULL;
    if (result == ND_STORE_OK)
        result = nd_model_get(id, &model, NULL, err, sizeof err);
    if (result == ND_STORE_OK)
        nd_reply_json(req, 200, model);
    else if (result == ND_STORE_NOT_FOUND)
        nd_reply_problem(req, 404, "no model %s", id);
    else if (result == ND_STORE_BUSY)
        nd_reply_problem(req, 409, "model %s has a queued, running or paused "
                                   "job; cancel it first", id);
    else
        nd_reply_problem(req, 500, "%s", err);
}

void models_reset(nd_request *req)
{
    const char *id = req->params[0];
    char err[256];
    json_t *model = NULL;
    nn_network *net = NULL;
    int result = nd_id_valid(id, ND_MODEL_ID_PREFIX)
                     ? nd_model_get(id, &model, &net, err, sizeof err)
                     : ND_STORE_NOT_FOUND;
    nn_init_kind init = NN_INIT_ZEROS;
    uint64_t seed = 0;
    if (result == ND_STORE_NOT_FOUND)
        nd_reply_problem(req, 404, "no model %s", id);
    else if (result != ND_STORE_OK)
        nd_reply_problem(req, 500, "%s", err);
    else if (read_reset(req, model, net->type == NN_MODEL_PERCEPTRON, &init,
                        &seed)) {
        redraw(net, init, seed);
        store_reset(req, id, net, init, seed);
    }
    json_decref(model);
    nn_network_free(net);
}
