/* model_def.c — a model definition from request JSON to a libnn network
 * (see model_def.h). Reading goes in the order the fields depend on each
 * other: the type decides which fields are allowed, the shape is checked
 * against the size limits before the network is allocated, and weights,
 * normalisation and classes are read into the network once it exists. */
#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "class_table.h"
#include "jsonv.h"
#include "layer_def.h"
#include "model_def.h"
#include "model_view.h"
#include "nn_limits.h"
#include "seq_def.h"

/* libnn's model format holds at most this many class names. */
#define ND_MAX_CLASSES 65536u

/* The shape and starting point read before the network exists. */
typedef struct {
    nn_model_type type;
    nn_shape input;
    size_t vocab; /* a sequence model's vocab_size, else 0 */
    size_t n_layers;
    nn_layer_spec layers[NN_MAX_LAYERS];
    nn_loss_kind loss;
    bool given; /* weights in the document */
    nn_init_kind init;
    uint64_t seed;
} def_spec;

static const char *const mlp_fields[] = {
    "name", "type", "inputs", "input_shape", "vocab_size", "context",
    "layers", "loss", "init", "seed", "weights", NULL};
static const char *const perceptron_fields[] = {
    "name", "type", "inputs", "activation", "outputs", "weights", NULL};
static const char *const mlp_import_fields[] = {
    "format", "version", "name",    "type",          "inputs",
    "input_shape", "vocab_size", "context", "layers", "loss", "weights",
    "normalization", "classes", "vocabulary", "trained", NULL};
static const char *const perceptron_import_fields[] = {
    "format",  "version", "name",          "type",    "inputs",  "activation",
    "outputs", "weights", "normalization", "classes", "trained", NULL};

static bool reply_nn(nd_request *req, const nn_error *err)
{
    nd_reply_nn_error(req, "", err);
    return false;
}

uint64_t nd_model_random_seed(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
    }
    return v & ((UINT64_C(1) << 53) - 1);
}

/* False after replying 422 when string v holds a NUL character, which
 * neither SQLite's text nor libnn's class names would keep. */
static bool no_nul(nd_request *req, json_t *v, const char *ptr)
{
    if (json_string_length(v) == strlen(json_string_value(v)))
        return true;
    nd_reply_invalid(req, 422, ptr, "must not contain NUL characters");
    return false;
}

/* nd_name_check, replying 422 at ptr when name is not one. */
static bool valid_name(nd_request *req, const char *name, size_t max_chars,
                       const char *ptr)
{
    char why[96];
    if (nd_name_check(name, max_chars, why, sizeof why))
        return true;
    nd_reply_invalid(req, 422, ptr, "%s", why);
    return false;
}

/* "format" and "version" of an export document; false after replying. */
static bool read_format(nd_request *req, json_t *doc)
{
    const char *format = NULL;
    uint64_t version = 0;
    if (!nd_field_string(req, doc, "", "format", true, &format))
        return false;
    if (strcmp(format, ND_EXPORT_FORMAT) != 0) {
        nd_reply_invalid(req, 422, "/format", "must be \"%s\"",
                         ND_EXPORT_FORMAT);
        return false;
    }
    if (!nd_field_uint(req, doc, "", "version", true, 0, INT64_MAX, &version))
        return false;
    if (version != ND_EXPORT_VERSION) {
        nd_reply_invalid(req, 422, "/version",
                         "version %llu is not supported; this server reads "
                         "version %d",
                         (unsigned long long)version, ND_EXPORT_VERSION);
        return false;
    }
    return true;
}

/* "type", then the fields that type allows, then (import) the format. */
static bool read_kind(nd_request *req, json_t *doc, nd_def_source src,
                      nn_model_type *type)
{
    const char *name = "network";
    if (!nd_field_string(req, doc, "", "type", false, &name))
        return false;
    if (strcmp(name, nd_model_type_name(NN_MODEL_MLP)) == 0 ||
        strcmp(name, "mlp") == 0) {
        *type = NN_MODEL_MLP;
    } else if (strcmp(name, nd_model_type_name(NN_MODEL_PERCEPTRON)) == 0) {
        *type = NN_MODEL_PERCEPTRON;
    } else {
        nd_reply_invalid(req, 422, "/type",
                         "must be network (or its synonym mlp) or perceptron");
        return false;
    }
    bool mlp = *type == NN_MODEL_MLP;
    const char *const *allowed =
        src == ND_DEF_CREATE
            ? (mlp ? mlp_fields : perceptron_fields)
            : (mlp ? mlp_import_fields : perceptron_import_fields);
    if (!nd_json_allow(req, doc, "", allowed))
        return false;
    return src == ND_DEF_CREATE || read_format(req, doc);
}

/* "inputs" (a vector's length) and/or "input_shape" ([C, H, W] or [N]);
 * with both, inputs must be the shape's size. Or, for token ids,
 * "vocab_size" and "context" (seq_def.h). */
static bool read_input(nd_request *req, json_t *doc, def_spec *s)
{
    nn_shape *shape = &s->input;
    if (!nd_seq_read_input(req, doc, &s->vocab, shape))
        return false;
    if (s->vocab)
        return true;
    json_t *js = json_object_get(doc, "input_shape");
    uint64_t inputs = 0;
    if (!nd_field_uint(req, doc, "", "inputs", !js, 1, NN_MAX_UNITS, &inputs))
        return false;
    *shape = nn_shape_vector((size_t)inputs);
    if (!js)
        return true;
    size_t rank = json_array_size(js), size = 1;
    if (!json_is_array(js) || (rank != 1 && rank != 3)) {
        nd_reply_invalid(req, json_is_array(js) ? 422 : 400, "/input_shape",
                         "must be [channels, height, width] or [length]");
        return false;
    }
    shape->rank = rank;
    for (size_t i = 0; i < rank; i++) {
        json_t *d = json_array_get(js, i);
        char p[ND_PTR_MAX];
        nd_ptr_index(p, "/input_shape", i);
        if (!json_is_integer(d) || json_integer_value(d) < 1 ||
            json_integer_value(d) > (json_int_t)NN_MAX_UNITS) {
            nd_reply_invalid(req, json_is_integer(d) ? 422 : 400, p,
                             "must be an integer from 1 to %u", NN_MAX_UNITS);
            return false;
        }
        shape->dim[i] = (size_t)json_integer_value(d);
        size *= shape->dim[i]; /* ≤ 2^60: no overflow */
        if (size > NN_MAX_UNITS) {
            nd_reply_invalid(req, 422, "/input_shape",
                             "has more than %u values", NN_MAX_UNITS);
            return false;
        }
    }
    if (inputs && inputs != size) {
        nd_reply_invalid(req, 422, "/inputs",
                         "is %llu but input_shape has %zu values",
                         (unsigned long long)inputs, size);
        return false;
    }
    return true;
}

static bool read_name(nd_request *req, json_t *doc, const char **out)
{
    return nd_field_string(req, doc, "", "name", true, out) &&
           no_nul(req, json_object_get(doc, "name"), "/name") &&
           valid_name(req, *out, ND_MODEL_NAME_MAX, "/name");
}

/* "layers" and "loss" of a multi-layer network. */
static bool read_mlp(nd_request *req, json_t *doc, def_spec *s)
{
    json_t *layers = json_object_get(doc, "layers");
    size_t n = json_array_size(layers);
    if (!layers) {
        nd_reply_invalid(req, 422, "/layers", "is required");
        return false;
    }
    if (!json_is_array(layers)) {
        nd_reply_invalid(req, 400, "/layers", "must be an array of layers");
        return false;
    }
    if (n == 0 || n > NN_MAX_LAYERS) {
        nd_reply_invalid(req, 422, "/layers", "must have 1 to %d layers",
                         NN_MAX_LAYERS);
        return false;
    }
    for (size_t k = 0; k < n; k++)
        if (!nd_layer_read(req, json_array_get(layers, k), k, &s->layers[k]))
            return false;
    s->n_layers = n;
    const char *loss = s->vocab ? "cross_entropy" : "mse";
    nn_error err;
    if (!nd_field_string(req, doc, "", "loss", false, &loss))
        return false;
    if (nn_loss_parse(loss, &s->loss, "/loss", &err) != NN_OK)
        return reply_nn(req, &err);
    return nd_seq_check_layers(req, s->vocab, s->layers, n, s->loss);
}

/* "activation" and "outputs" of a perceptron: one layer. Whether the
 * activation suits a perceptron is libnn's to say ("/activation"). */
static bool read_perceptron(nd_request *req, json_t *doc, def_spec *s)
{
    const char *act = "step";
    uint64_t outputs = 1;
    nn_error err;
    if (!nd_field_string(req, doc, "", "activation", false, &act))
        return false;
    if (nn_activation_parse(act, &s->layers[0].act, "/activation", &err) !=
        NN_OK)
        return reply_nn(req, &err);
    if (!nd_field_uint(req, doc, "", "outputs", false, 1, NN_MAX_UNITS,
                       &outputs))
        return false;
    s->layers[0].units = (size_t)outputs;
    s->n_layers = 1;
    s->loss = NN_LOSS_MSE;
    return true;
}

/* Where the starting weights come from: given ("weights"), or drawn by
 * "init" with "seed" (networks) or zero (perceptrons). An import must
 * carry its weights; a creation cannot both give and draw them. */
static bool read_start(nd_request *req, json_t *doc, nd_def_source src,
                       def_spec *s)
{
    s->given = json_object_get(doc, "weights") != NULL;
    if (src == ND_DEF_IMPORT && !s->given) {
        nd_reply_invalid(req, 422, "/weights", "is required");
        return false;
    }
    if (s->type != NN_MODEL_MLP || src == ND_DEF_IMPORT)
        return true; /* their allow-lists have no init or seed */
    const char *init = "xavier";
    nn_error err;
    s->seed = nd_model_random_seed();
    if (!nd_field_string(req, doc, "", "init", false, &init))
        return false;
    if (nn_init_parse(init, &s->init, "/init", &err) != NN_OK)
        return reply_nn(req, &err);
    if (!nd_field_uint(req, doc, "", "seed", false, 0, INT64_MAX, &s->seed))
        return false;
    const char *drawn = json_object_get(doc, "init")   ? "/init"
                        : json_object_get(doc, "seed") ? "/seed"
                                                       : NULL;
    if (s->given && drawn) {
        nd_reply_invalid(req, 422, drawn,
                         "cannot be combined with weights given by hand");
        return false;
    }
    return true;
}

/* Checks the definition with libnn (shapes, 422 naming /layers/K/…) and
 * refuses, before anything is allocated, a network of more than
 * max_params parameters. */
static bool check_size(nd_request *req, const def_spec *s, size_t max_params)
{
    size_t total = 0;
    nn_error err;
    if (nn_network_check(s->type, &s->input, s->layers, s->n_layers, s->loss,
                         &total, &err) != NN_OK)
        return reply_nn(req, &err);
    if (total <= max_params)
        return true;
    nd_reply_invalid(req, 422, s->type == NN_MODEL_MLP ? "/layers" : "/outputs",
                     "the model would have more than %zu parameters, the "
                     "most this server allows (--max-params)",
                     max_params);
    return false;
}

static bool read_weights(nd_request *req, json_t *doc, nn_network *net)
{
    json_t *w = json_object_get(doc, "weights");
    if (!json_is_array(w)) {
        nd_reply_invalid(req, 400, "/weights",
                         "must be an array of weights, one entry per layer");
        return false;
    }
    if (json_array_size(w) != net->n_layers) {
        nd_reply_invalid(req, 422, "/weights",
                         "must have %zu entries, one per layer, not %zu",
                         net->n_layers, json_array_size(w));
        return false;
    }
    for (size_t k = 0; k < net->n_layers; k++)
        if (!nd_layer_weights_read(req, json_array_get(w, k), k, net))
            return false;
    return true;
}

/* An import's "normalization": {"kind"} for none, or {"kind", "shift",
 * "scale"} with one value per input. */
static bool read_norm(nd_request *req, json_t *doc, nn_network *net)
{
    static const char *const fields[] = {"kind", "shift", "scale", NULL};
    static const char base[] = "/normalization";
    json_t *norm = json_object_get(doc, "normalization");
    if (!norm)
        return true;
    const char *name = NULL;
    nn_norm_kind kind;
    nn_error err;
    if (!json_is_object(norm)) {
        nd_reply_invalid(req, 400, base, "must be an object");
        return false;
    }
    if (!nd_json_allow(req, norm, base, fields) ||
        !nd_field_string(req, norm, base, "kind", true, &name))
        return false;
    if (nn_norm_parse(name, &kind, "/normalization/kind", &err) != NN_OK)
        return reply_nn(req, &err);
    json_t *shift = json_object_get(norm, "shift");
    json_t *scale = json_object_get(norm, "scale");
    if (kind == NN_NORM_NONE && (shift || scale)) {
        nd_reply_invalid(
            req, 422, shift ? "/normalization/shift" : "/normalization/scale",
            "only standard and minmax normalizations have it");
        return false;
    }
    if (kind == NN_NORM_NONE)
        return true;
    if (!shift || !scale) {
        nd_reply_invalid(
            req, 422, shift ? "/normalization/scale" : "/normalization/shift",
            "is required");
        return false;
    }
    float *sh = NULL, *sc = NULL;
    size_t n = 0;
    bool ok = nd_json_vector(req, shift, "/normalization/shift", net->inputs,
                             net->inputs, &sh, &n) &&
              nd_json_vector(req, scale, "/normalization/scale", net->inputs,
                             net->inputs, &sc, &n) &&
              (nn_network_set_norm(net, kind, sh, sc, &err) == NN_OK ||
               reply_nn(req, &err));
    free(sh);
    free(sc);
    return ok;
}

/* Adds name to the classes seen so far; false after replying 422 when it
 * is one of them (a label must name one class) or 503 out of memory. */
static bool distinct_class(nd_request *req, nd_class_table *seen,
                           const char *name, const char *ptr)
{
    bool added = false;
    long k = nd_class_table_index(seen, name, &added);
    if (k < 0)
        nd_reply_problem(req, 503, "out of memory");
    else if (!added)
        nd_reply_invalid(req, 422, ptr, "is the name of class %ld already",
                         k);
    return k >= 0 && added;
}

/* The names an import document gives its outputs' classes: "classes"
 * (one name per output, two for a single output, read as class 0 or 1),
 * or for a model of token ids its "vocabulary" (vocab_size tokens, any
 * non-empty strings). *want is how many it needs. */
static const char *names_key(const nn_network *net, size_t *want)
{
    size_t vocab = nd_seq_vocab(net), outs = nn_network_outputs(net);
    *want = vocab ? vocab : outs > 1 ? outs : 2;
    return vocab ? "vocabulary" : "classes";
}

/* Checks entry i of the names at base; false after replying. */
static bool read_name_entry(nd_request *req, json_t *v, const char *base,
                            size_t i, bool token, nd_class_table *seen)
{
    char p[ND_PTR_MAX];
    nd_ptr_index(p, base, i);
    if (!json_is_string(v)) {
        nd_reply_invalid(req, 400, p, "must be a string");
        return false;
    }
    if (token && json_string_length(v) == 0) {
        nd_reply_invalid(req, 422, p, "must not be empty");
        return false;
    }
    return no_nul(req, v, p) &&
           (token ||
            valid_name(req, json_string_value(v), ND_MODEL_NAME_MAX, p)) &&
           distinct_class(req, seen, json_string_value(v), p);
}

/* An import's class names or vocabulary (names_key), or none. */
static bool read_classes(nd_request *req, json_t *doc, nn_network *net)
{
    size_t want = 0;
    const char *key = names_key(net, &want);
    const char *other = key[0] == 'c' ? "vocabulary" : "classes";
    char base[ND_PTR_MAX], op[ND_PTR_MAX];
    nd_ptr(base, "", key);
    nd_ptr(op, "", other);
    json_t *classes = json_object_get(doc, key);
    size_t n = json_array_size(classes), outs = nn_network_outputs(net);
    if (json_array_size(json_object_get(doc, other)) > 0) {
        nd_reply_invalid(req, 422, op, "this model has %s instead", key);
        return false;
    }
    if (classes && !json_is_array(classes)) {
        nd_reply_invalid(req, 400, base, "must be an array of names");
        return false;
    }
    if (n == 0)
        return true;
    if (n != want || n > ND_MAX_CLASSES) {
        nd_reply_invalid(req, 422, base,
                         "a model of %zu outputs has %zu %s (at most %u), "
                         "not %zu",
                         outs, want, key, ND_MAX_CLASSES, n);
        return false;
    }
    const char **names = malloc(n * sizeof *names);
    nd_class_table *seen = names ? nd_class_table_new(n) : NULL;
    bool ok = seen != NULL;
    if (!ok)
        nd_reply_problem(req, 503, "out of memory");
    for (size_t i = 0; i < n && ok; i++) {
        json_t *v = json_array_get(classes, i);
        ok = read_name_entry(req, v, base, i, key[0] == 'v', seen);
        names[i] = ok ? json_string_value(v) : NULL;
    }
    nd_class_table_free(seen);
    nn_error err;
    ok = ok && (nn_network_set_classes(net, names, n, &err) == NN_OK ||
                reply_nn(req, &err));
    free(names);
    return ok;
}

/* Sets the starting weights of a network just made from s. */
static bool start_weights(nd_request *req, json_t *doc, const def_spec *s,
                          nd_model_def *def)
{
    if (s->given) {
        def->init = ND_INIT_GIVEN;
        return read_weights(req, doc, def->net);
    }
    if (s->type == NN_MODEL_PERCEPTRON) {
        def->init = nn_init_name(NN_INIT_ZEROS); /* as created */
        return true;
    }
    nn_rng rng;
    nn_rng_seed(&rng, s->seed);
    nn_network_init(def->net, s->init, &rng);
    def->init = nn_init_name(s->init);
    def->has_seed = true;
    def->seed = s->seed;
    return true;
}

/* What only an export document carries besides the weights. */
static bool read_import_extras(nd_request *req, json_t *doc, nd_model_def *def)
{
    return read_norm(req, doc, def->net) && read_classes(req, doc, def->net) &&
           nd_field_bool(req, doc, "", "trained", false, &def->trained);
}

bool nd_model_def_read(nd_request *req, json_t *doc, nd_def_source src,
                       size_t max_params, nd_model_def *out)
{
    memset(out, 0, sizeof *out);
    def_spec *s = calloc(1, sizeof *s);
    nn_error err;
    if (!s) {
        nd_reply_problem(req, 503, "out of memory");
        return false;
    }
    bool ok =
        read_kind(req, doc, src, &s->type) && read_name(req, doc, &out->name) &&
        read_input(req, doc, s);
    ok = ok && (s->type == NN_MODEL_MLP ? read_mlp(req, doc, s)
                                        : read_perceptron(req, doc, s));
    ok = ok && read_start(req, doc, src, s) && check_size(req, s, max_params);
    ok = ok && (nn_network_create_shaped(&out->net, s->type, &s->input,
                                         s->layers, s->n_layers, s->loss,
                                         &err) == NN_OK ||
                reply_nn(req, &err));
    ok = ok && start_weights(req, doc, s, out) &&
         (src == ND_DEF_CREATE || read_import_extras(req, doc, out));
    free(s);
    if (!ok)
        nd_model_def_free(out);
    return ok;
}

void nd_model_def_free(nd_model_def *def)
{
    nn_network_free(def->net);
    def->net = NULL;
}
