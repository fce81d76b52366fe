/* model_view.c — a model as JSON (see model_view.h). Every builder
 * returns NULL (or −1) when jansson runs out of memory, never a half-built
 * object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_def.h"
#include "jsonv.h"
#include "layer_def.h"
#include "model_view.h"
#include "seq_def.h"

/* Sets obj[key] = v (consumed); −1 if v is NULL or the set fails. */
static int set(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

/* Drops obj (returning NULL) when any of its sets failed. */
static json_t *built(json_t *obj, int failed)
{
    if (failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

json_t *nd_json_floats(const float *v, size_t n)
{
    json_t *a = json_array();
    int failed = !a;
    for (size_t i = 0; i < n && !failed; i++)
        failed = json_array_append_new(a, json_real((double)v[i]));
    return built(a, failed);
}

json_t *nd_json_float_rows(const float *m, size_t rows, size_t cols)
{
    json_t *a = json_array();
    int failed = !a;
    for (size_t i = 0; i < rows && !failed; i++)
        failed = json_array_append_new(a, nd_json_floats(m + i * cols, cols));
    return built(a, failed);
}

/* The layers as defined, each with its output shape and parameter count
 * when summary (a model reply), without them in an export document. */
static json_t *layers_json(const nn_network *net, bool summary)
{
    json_t *a = json_array();
    int failed = !a;
    for (size_t k = 0; k < net->n_layers && !failed; k++)
        failed = json_array_append_new(a, nd_layer_json(net, k, summary));
    return built(a, failed);
}

/* "input_shape" of an image model ([C, H, W]); nothing for a vector one,
 * which "inputs" describes whole. */
static int add_input_shape(json_t *obj, const nn_network *net)
{
    if (net->input_shape.rank == 1)
        return 0;
    json_t *a = json_array();
    int failed = !a;
    for (size_t i = 0; i < net->input_shape.rank && !failed; i++)
        failed = json_array_append_new(
            a, json_integer((json_int_t)net->input_shape.dim[i]));
    return set(obj, "input_shape", built(a, failed));
}

/* "activation" of a perceptron or "loss" of a network: what turns the
 * last layer's output into something to train against. */
static int add_rule(json_t *obj, const nn_network *net)
{
    if (net->type == NN_MODEL_PERCEPTRON)
        return set(obj, "activation",
                   json_string(nn_activation_name(net->layers[0].act.kind)));
    return set(obj, "loss", json_string(nn_loss_name(net->loss)));
}

static json_t *count_json(size_t n)
{
    return json_integer((json_int_t)n);
}

/* "vocab_size" and "context" of a model of token ids; nothing for others. */
static int add_sequence(json_t *obj, const nn_network *net)
{
    size_t vocab = nd_seq_vocab(net);
    if (!vocab)
        return 0;
    return set(obj, "vocab_size", count_json(vocab)) |
           set(obj, "context", count_json(net->input_shape.dim[0]));
}

/* A language model's "vocabulary", once it has one. */
static int add_vocabulary(json_t *obj, const nn_network *net)
{
    if (!nd_seq_vocab(net) || !net->n_classes)
        return 0;
    return set(obj, "vocabulary", nd_model_vocabulary_json(net));
}

json_t *nd_model_definition_json(const nn_network *net, const char *init,
                                 bool has_seed, uint64_t seed)
{
    json_t *d = json_object();
    if (!d)
        return NULL;
    int failed =
        set(d, "inputs", count_json(net->inputs)) | add_input_shape(d, net) |
        add_sequence(d, net) | add_vocabulary(d, net) |
        set(d, "outputs", count_json(nn_network_outputs(net))) |
        set(d, "layers", layers_json(net, true)) | add_rule(d, net) |
        set(d, "init", json_string(init)) |
        set(d, "seed", has_seed ? json_integer((json_int_t)seed) : json_null());
    return built(d, failed);
}

static json_t *weights_json(const nn_network *net)
{
    json_t *a = json_array();
    int failed = !a;
    for (size_t k = 0; k < net->n_layers && !failed; k++)
        failed = json_array_append_new(a, nd_layer_weights_json(net, k));
    return built(a, failed);
}

static json_t *norm_json(const nn_network *net)
{
    json_t *o = json_pack("{s:s}", "kind", nn_norm_name(net->norm.kind));
    int failed = !o;
    if (!failed && net->norm.kind != NN_NORM_NONE)
        failed = set(o, "shift", nd_json_floats(net->norm.shift, net->inputs)) |
                 set(o, "scale", nd_json_floats(net->norm.scale, net->inputs));
    return built(o, failed);
}

static json_t *classes_json(const nn_network *net)
{
    json_t *a = json_array();
    int failed = !a;
    for (size_t i = 0; i < net->n_classes && !failed; i++)
        failed = json_array_append_new(a, json_string(net->classes[i]));
    return built(a, failed);
}

json_t *nd_model_vocabulary_json(const nn_network *net)
{
    return classes_json(net);
}

int nd_model_add_weights(json_t *obj, const nn_network *net)
{
    return set(obj, "weights", weights_json(net)) |
           set(obj, "normalization", norm_json(net)) |
           set(obj, nd_seq_vocab(net) ? "vocabulary" : "classes",
               classes_json(net));
}

json_t *nd_model_export_json(const nn_network *net, const char *name,
                             bool trained)
{
    json_t *doc = json_pack("{s:s, s:i, s:s, s:s}", "format",
                            ND_EXPORT_FORMAT, "version", ND_EXPORT_VERSION,
                            "name", name, "type",
                            nd_model_type_name(net->type));
    if (!doc)
        return NULL;
    /* The fields a client writes to create this kind of model: a model of
     * token ids gives vocab_size and context instead of inputs. */
    int failed = nd_seq_vocab(net)
                     ? add_sequence(doc, net)
                     : set(doc, "inputs", count_json(net->inputs));
    failed |= net->type == NN_MODEL_PERCEPTRON
                  ? set(doc, "outputs", count_json(nn_network_outputs(net)))
                  : set(doc, "layers", layers_json(net, false)) |
                        (nd_seq_vocab(net) ? 0 : add_input_shape(doc, net));
    failed |= add_rule(doc, net) | nd_model_add_weights(doc, net) |
              set(doc, "trained", json_boolean(trained));
    return built(doc, failed);
}

const char *nd_model_type_name(nn_model_type type)
{
    return type == NN_MODEL_PERCEPTRON ? "perceptron" : "network";
}
