/* layer_def.c — typed layers between JSON and libnn (see layer_def.h). */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "layer_def.h"
#include "layer_parts.h"
#include "model_view.h"
#include "nn_limits.h"

/* The fields each layer type takes, indexed by nn_layer_kind. */
static const char *const *const kind_fields[NN_LAYER_KIND_COUNT] = {
    [NN_LAYER_DENSE] = (const char *const[]){"type", "units", "activation",
                                             "k", "alpha", NULL},
    [NN_LAYER_CONV2D] = (const char *const[]){"type", "filters", "kernel",
                                              "stride", "padding",
                                              "activation", "k", "alpha",
                                              NULL},
    [NN_LAYER_MAXPOOL2D] = (const char *const[]){"type", "size", "stride",
                                                 NULL},
    [NN_LAYER_AVGPOOL2D] = (const char *const[]){"type", "size", "stride",
                                                 NULL},
    [NN_LAYER_FLATTEN] = (const char *const[]){"type", NULL},
    [NN_LAYER_DROPOUT] = (const char *const[]){"type", "rate", NULL},
    [NN_LAYER_BATCHNORM] = (const char *const[]){"type", "activation", "k",
                                                 "alpha", NULL},
    [NN_LAYER_EMBEDDING] = (const char *const[]){"type", "dim", "positions",
                                                 NULL},
    [NN_LAYER_RNN] = (const char *const[]){"type", "units",
                                           "return_sequences", NULL},
    [NN_LAYER_LSTM] = (const char *const[]){"type", "units",
                                            "return_sequences", NULL},
    [NN_LAYER_GRU] = (const char *const[]){"type", "units",
                                           "return_sequences", NULL},
    [NN_LAYER_LAYERNORM] = (const char *const[]){"type", NULL},
    [NN_LAYER_TRANSFORMER_BLOCK] = (const char *const[]){"type", "heads",
                                                         "mlp_ratio",
                                                         "dropout", NULL},
};

static bool reply_nn(nd_request *req, const nn_error *err)
{
    nd_reply_nn_error(req, "", err);
    return false;
}

/* A layer's optional activation parameter `key` ("k" or "alpha"), which
 * only an activation of kind `owner` takes. */
static bool read_act_param(nd_request *req, json_t *layer, const char *base,
                           const char *key, nn_act_kind owner,
                           nn_activation *act)
{
    double v = 0;
    char p[ND_PTR_MAX];
    nd_ptr(p, base, key);
    if (!json_object_get(layer, key))
        return true;
    if (!nd_field_number(req, layer, base, key, false, -FLT_MAX, FLT_MAX, &v))
        return false;
    if (act->kind != owner) {
        nd_reply_invalid(req, 422, p, "applies to %s layers only",
                         nn_activation_name(owner));
        return false;
    }
    act->param = (float)v;
    nn_error err;
    return nn_activation_check(act, p, &err) == NN_OK || reply_nn(req, &err);
}

/* "activation" (required, or `fallback` when not NULL) and its parameter. */
static bool read_activation(nd_request *req, json_t *layer, const char *base,
                            const char *fallback, nn_activation *act)
{
    char p[ND_PTR_MAX];
    const char *name = fallback;
    nn_error err;
    if (!nd_field_string(req, layer, base, "activation", !fallback, &name))
        return false;
    nd_ptr(p, base, "activation");
    if (nn_activation_parse(name, act, p, &err) != NN_OK)
        return reply_nn(req, &err);
    return read_act_param(req, layer, base, "k", NN_ACT_SIGMOID, act) &&
           read_act_param(req, layer, base, "alpha", NN_ACT_LEAKY_RELU, act);
}

/* "kernel": an integer or [kh, kw]. */
static bool read_kernel(nd_request *req, json_t *layer, const char *base,
                        nn_layer_spec *s)
{
    char p[ND_PTR_MAX];
    json_t *k = json_object_get(layer, "kernel");
    nd_ptr(p, base, "kernel");
    if (!k || json_is_integer(k)) {
        uint64_t v = 0;
        if (!nd_field_uint(req, layer, base, "kernel", true, 1, NN_MAX_UNITS,
                           &v))
            return false;
        s->kernel_h = s->kernel_w = (size_t)v;
        return true;
    }
    if (!json_is_array(k) || json_array_size(k) != 2) {
        nd_reply_invalid(req, 400, p, "must be an integer or [height, width]");
        return false;
    }
    size_t *dims[2] = {&s->kernel_h, &s->kernel_w};
    for (size_t i = 0; i < 2; i++) {
        json_t *d = json_array_get(k, i);
        char pi[ND_PTR_MAX];
        nd_ptr_index(pi, p, i);
        if (!json_is_integer(d) || json_integer_value(d) < 1 ||
            json_integer_value(d) > (json_int_t)NN_MAX_UNITS) {
            nd_reply_invalid(req, json_is_integer(d) ? 422 : 400, pi,
                             "must be an integer from 1 to %u", NN_MAX_UNITS);
            return false;
        }
        *dims[i] = (size_t)json_integer_value(d);
    }
    return true;
}

static bool read_conv(nd_request *req, json_t *layer, const char *base,
                      nn_layer_spec *s)
{
    uint64_t filters = 0, stride = 1;
    const char *padding = "valid";
    char p[ND_PTR_MAX];
    if (!nd_field_uint(req, layer, base, "filters", true, 1, UINT32_MAX,
                       &filters) ||
        !read_kernel(req, layer, base, s) ||
        !nd_field_uint(req, layer, base, "stride", false, 0, UINT32_MAX,
                       &stride) ||
        !nd_field_string(req, layer, base, "padding", false, &padding) ||
        !read_activation(req, layer, base, "linear", &s->act))
        return false;
    nd_ptr(p, base, "padding");
    if (strcmp(padding, "valid") != 0 && strcmp(padding, "same") != 0) {
        nd_reply_invalid(req, 422, p, "must be \"valid\" or \"same\"");
        return false;
    }
    s->filters = (size_t)filters; /* libnn bounds it, naming the field */
    s->stride = (size_t)stride;
    s->padding = padding[0] == 's' ? NN_PAD_SAME : NN_PAD_VALID;
    return true;
}

static bool read_pool(nd_request *req, json_t *layer, const char *base,
                      nn_layer_spec *s)
{
    uint64_t size = 2, stride = 0;
    if (!nd_field_uint(req, layer, base, "size", false, 0, UINT32_MAX, &size))
        return false;
    stride = size;
    if (!nd_field_uint(req, layer, base, "stride", false, 0, UINT32_MAX,
                       &stride))
        return false;
    s->size = (size_t)size;
    s->stride = (size_t)stride;
    return true;
}

/* An embedding's "dim" and "positions" ("none" or "learned"); its
 * vocabulary is the model's vocab_size, set by the model's reader. */
static bool read_embedding(nd_request *req, json_t *layer, const char *base,
                           nn_layer_spec *s)
{
    uint64_t dim = 0;
    const char *positions = "none";
    char p[ND_PTR_MAX];
    if (!nd_field_uint(req, layer, base, "dim", true, 1, NN_MAX_UNITS, &dim) ||
        !nd_field_string(req, layer, base, "positions", false, &positions))
        return false;
    nd_ptr(p, base, "positions");
    if (strcmp(positions, "none") != 0 && strcmp(positions, "learned") != 0) {
        nd_reply_invalid(req, 422, p, "must be \"none\" or \"learned\"");
        return false;
    }
    s->units = (size_t)dim;
    s->positions = positions[0] == 'l';
    return true;
}

/* A recurrent layer's "units" and "return_sequences" (default true). */
static bool read_recurrent(nd_request *req, json_t *layer, const char *base,
                           nn_layer_spec *s)
{
    uint64_t units = 0;
    s->return_sequences = true;
    if (!nd_field_uint(req, layer, base, "units", true, 1, NN_MAX_UNITS,
                       &units) ||
        !nd_field_bool(req, layer, base, "return_sequences", false,
                       &s->return_sequences))
        return false;
    s->units = (size_t)units;
    return true;
}

/* A transformer_block's "heads" (required; libnn checks that they divide
 * the width, naming the field), "mlp_ratio" (default 4) and "dropout"
 * (default 0, and 0 only: libnn has no dropout inside a block). */
static bool read_block(nd_request *req, json_t *layer, const char *base,
                       nn_layer_spec *s)
{
    uint64_t heads = 0, ratio = 4;
    double dropout = 0;
    char p[ND_PTR_MAX];
    if (!nd_field_uint(req, layer, base, "heads", true, 1, NN_MAX_UNITS,
                       &heads) ||
        !nd_field_uint(req, layer, base, "mlp_ratio", false, 1,
                       ND_MAX_MLP_RATIO, &ratio) ||
        !nd_field_number(req, layer, base, "dropout", false, -FLT_MAX,
                         FLT_MAX, &dropout))
        return false;
    nd_ptr(p, base, "dropout");
    if (dropout != 0) {
        nd_reply_invalid(req, 422, p,
                         "must be 0: dropout inside a transformer_block is "
                         "not implemented (put no dropout, or a dropout "
                         "layer after the blocks)");
        return false;
    }
    s->heads = (size_t)heads;
    s->mlp_ratio = (size_t)ratio;
    return true;
}

bool nd_layer_read(nd_request *req, json_t *layer, size_t k,
                   nn_layer_spec *spec)
{
    char base[ND_PTR_MAX], p[ND_PTR_MAX];
    nd_ptr_index(base, "/layers", k);
    if (!json_is_object(layer)) {
        nd_reply_invalid(req, 400, base, "must be an object");
        return false;
    }
    const char *type = "dense";
    nn_error err;
    memset(spec, 0, sizeof *spec);
    if (!nd_field_string(req, layer, base, "type", false, &type))
        return false;
    nd_ptr(p, base, "type");
    if (nn_layer_kind_parse(type, &spec->kind, p, &err) != NN_OK)
        return reply_nn(req, &err);
    if (!nd_json_allow(req, layer, base, kind_fields[spec->kind]))
        return false;
    double rate = 0;
    uint64_t units = 0;
    switch (spec->kind) { /* the JSON edge: one reader per kind's fields */
    case NN_LAYER_DENSE:
        if (!nd_field_uint(req, layer, base, "units", true, 1, NN_MAX_UNITS,
                           &units))
            return false;
        spec->units = (size_t)units;
        return read_activation(req, layer, base, NULL, &spec->act);
    case NN_LAYER_CONV2D:
        return read_conv(req, layer, base, spec);
    case NN_LAYER_MAXPOOL2D:
    case NN_LAYER_AVGPOOL2D:
        return read_pool(req, layer, base, spec);
    case NN_LAYER_DROPOUT:
        if (!nd_field_number(req, layer, base, "rate", true, -FLT_MAX,
                             FLT_MAX, &rate))
            return false;
        spec->rate = (float)rate; /* libnn checks 0 ≤ rate < 1 */
        return true;
    case NN_LAYER_BATCHNORM:
        return read_activation(req, layer, base, "linear", &spec->act);
    case NN_LAYER_EMBEDDING:
        return read_embedding(req, layer, base, spec);
    case NN_LAYER_RNN:
    case NN_LAYER_LSTM:
    case NN_LAYER_GRU:
        return read_recurrent(req, layer, base, spec);
    case NN_LAYER_TRANSFORMER_BLOCK:
        return read_block(req, layer, base, spec);
    default:
        return true; /* flatten, layernorm: nothing but their type */
    }
}

/* Sets obj[key] = v (consumed); −1 if v is NULL or the set fails. */
static int set(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

static json_t *dims_json(const size_t *d, size_t n)
{
    json_t *a = json_array();
    int failed = !a;
    for (size_t i = 0; i < n && !failed; i++)
        failed = json_array_append_new(a, json_integer((json_int_t)d[i]));
    if (failed) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static int add_activation(json_t *o, const nn_activation *a)
{
    int failed = set(o, "activation", json_string(nn_activation_name(a->kind)));
    if (a->kind == NN_ACT_SIGMOID)
        failed |= set(o, "k", json_real(nd_float_shortest(a->param)));
    if (a->kind == NN_ACT_LEAKY_RELU)
        failed |= set(o, "alpha", json_real(nd_float_shortest(a->param)));
    return failed;
}

/* The fields of l's kind, as nd_layer_read takes them. */
static int add_fields(json_t *o, const nn_layer_spec *l)
{
    size_t kernel[2] = {l->kernel_h, l->kernel_w};
    switch (l->kind) {
    case NN_LAYER_DENSE:
        return set(o, "units", json_integer((json_int_t)l->units)) |
               add_activation(o, &l->act);
    case NN_LAYER_CONV2D:
        return set(o, "filters", json_integer((json_int_t)l->filters)) |
               set(o, "kernel",
                   l->kernel_h == l->kernel_w
                       ? json_integer((json_int_t)l->kernel_h)
                       : dims_json(kernel, 2)) |
               set(o, "stride", json_integer((json_int_t)l->stride)) |
               set(o, "padding", json_string(l->padding == NN_PAD_SAME
                                                 ? "same"
                                                 : "valid")) |
               add_activation(o, &l->act);
    case NN_LAYER_MAXPOOL2D:
    case NN_LAYER_AVGPOOL2D:
        return set(o, "size", json_integer((json_int_t)l->size)) |
               set(o, "stride", json_integer((json_int_t)l->stride));
    case NN_LAYER_DROPOUT:
        return set(o, "rate", json_real(nd_float_shortest(l->rate)));
    case NN_LAYER_BATCHNORM:
        return add_activation(o, &l->act);
    case NN_LAYER_EMBEDDING:
        return set(o, "dim", json_integer((json_int_t)l->units)) |
               set(o, "positions",
                   json_string(l->positions ? "learned" : "none"));
    case NN_LAYER_RNN:
    case NN_LAYER_LSTM:
    case NN_LAYER_GRU:
        return set(o, "units", json_integer((json_int_t)l->units)) |
               set(o, "return_sequences", json_boolean(l->return_sequences));
    case NN_LAYER_TRANSFORMER_BLOCK:
        return set(o, "heads", json_integer((json_int_t)l->heads)) |
               set(o, "mlp_ratio", json_integer((json_int_t)l->mlp_ratio));
    default:
        return 0;
    }
}

json_t *nd_layer_json(const nn_network *net, size_t k, bool summary)
{
    const nn_layer_spec *l = &net->layers[k];
    const nn_layer_info *i = &net->info[k];
    json_t *o = json_pack("{s:s}", "type", nn_layer_kind_name(l->kind));
    int failed = !o || add_fields(o, l);
    if (summary && !failed)
        failed = set(o, "output_shape", dims_json(i->out.dim, i->out.rank)) |
                 set(o, "parameters", json_integer((json_int_t)(i->n_w + i->n_b)));
    if (failed) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The columns of layer k's W as the weights JSON writes it: a dense
 * layer's units, an embedding's dim (a row per token), a recurrent
 * layer's gates (G·units: W_ih^T rows, then W_hh^T rows), a conv2d's
 * channels·kh·kw (a row per filter). */
static size_t w_cols(const nn_network *net, size_t k)
{
    switch (net->layers[k].kind) {
    case NN_LAYER_DENSE:
    case NN_LAYER_RNN:
    case NN_LAYER_LSTM:
    case NN_LAYER_GRU:
        return net->info[k].fan_out;
    case NN_LAYER_EMBEDDING:
        return net->layers[k].units;
    default:
        return net->info[k].fan_in;
    }
}

json_t *nd_layer_weights_json(const nn_network *net, size_t k)
{
    const nn_layer_info *i = &net->info[k];
    const float *W = net->params + net->w_offset[k];
    const float *b = net->params + net->b_offset[k];
    if (nd_layer_has_parts(net, k))
        return nd_layer_parts_json(net, k);
    json_t *e = json_object();
    int failed = !e;
    if (failed || i->n_w == 0) {
        /* a layer without parameters: {} */
    } else if (net->layers[k].kind == NN_LAYER_BATCHNORM) {
        const float *st = net->state + net->s_offset[k];
        failed = set(e, "gamma", nd_json_floats(W, i->n_w)) |
                 set(e, "beta", nd_json_floats(b, i->n_b)) |
                 set(e, "running_mean", nd_json_floats(st, i->n_state / 2)) |
                 set(e, "running_var",
                     nd_json_floats(st + i->n_state / 2, i->n_state / 2));
    } else {
        size_t cols = w_cols(net, k);
        failed = set(e, "W", nd_json_float_rows(W, i->n_w / cols, cols));
        if (i->n_b) /* an embedding without positions has none */
            failed |= set(e, "b", nd_json_floats(b, i->n_b));
    }
    if (failed) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* A batchnorm's {"gamma", "beta", "running_mean", "running_var"}: γ and β
 * required, the running statistics optional (0 and 1 when absent). */
static bool read_bn_weights(nd_request *req, json_t *entry, const char *base,
                            size_t k, nn_network *net)
{
    static const char *const keys[4] = {"gamma", "beta", "running_mean",
                                        "running_var"};
    size_t C = net->info[k].n_w, n = 0;
    float *v[4] = {NULL, NULL, NULL, NULL};
    bool ok = true;
    for (int i = 0; i < 4 && ok; i++) {
        char p[ND_PTR_MAX];
        nd_ptr(p, base, keys[i]);
        json_t *a = json_object_get(entry, keys[i]);
        if (!a && i < 2) {
            nd_reply_invalid(req, 422, p, "is required");
            ok = false;
        }
        ok = ok && (!a || nd_json_vector(req, a, p, C, C, &v[i], &n));
    }
    float *state = ok ? malloc(2 * C * sizeof *state) : NULL;
    nn_error err;
    if (ok && !state) {
        nd_reply_problem(req, 503, "out of memory");
        ok = false;
    }
    for (size_t c = 0; ok && c < C; c++) {
        state[c] = v[2] ? v[2][c] : 0.0f;
        state[C + c] = v[3] ? v[3][c] : 1.0f;
    }
    ok = ok && ((nn_network_set_layer(net, k, v[0], v[1], &err) == NN_OK &&
                 nn_network_set_state(net, k, state, &err) == NN_OK) ||
                reply_nn(req, &err));
    for (int i = 0; i < 4; i++)
        free(v[i]);
    free(state);
    return ok;
}

/* What a row of W stands for, for an error message. */
static const char *w_rows_are(nn_layer_kind kind)
{
    switch (kind) {
    case NN_LAYER_DENSE:
        return "the layer's inputs";
    case NN_LAYER_EMBEDDING:
        return "one per token";
    case NN_LAYER_CONV2D:
        return "one per filter";
    default:
        return "the inputs, then the units";
    }
}

bool nd_layer_weights_read(nd_request *req, json_t *entry, size_t k,
                           nn_network *net)
{
    static const char *const wb[] = {"W", "b", NULL};
    static const char *const bn[] = {"gamma", "beta", "running_mean",
                                     "running_var", NULL};
    static const char *const none[] = {NULL};
    char base[ND_PTR_MAX], pw[ND_PTR_MAX], pb[ND_PTR_MAX];
    const nn_layer_info *i = &net->info[k];
    bool is_bn = net->layers[k].kind == NN_LAYER_BATCHNORM;
    nd_ptr_index(base, "/weights", k);
    if (!json_is_object(entry)) {
        nd_reply_invalid(req, 400, base, "must be an object");
        return false;
    }
    if (nd_layer_has_parts(net, k))
        return nd_layer_parts_read(req, entry, base, k, net);
    if (!nd_json_allow(req, entry, base, i->n_w == 0 ? none : is_bn ? bn : wb))
        return false;
    if (i->n_w == 0)
        return true;
    if (is_bn)
        return read_bn_weights(req, entry, base, k, net);
    nd_ptr(pw, base, "W");
    nd_ptr(pb, base, "b");
    json_t *W = json_object_get(entry, "W"), *b = json_object_get(entry, "b");
    size_t cols = w_cols(net, k);
    size_t rows = i->n_w / cols, r = 0, c = 0, nb = 0;
    if (!W || (!b && i->n_b)) {
        nd_reply_invalid(req, 422, W ? pb : pw, "is required");
        return false;
    }
    if (b && !i->n_b) {
        nd_reply_invalid(req, 422, pb, "this layer has no biases");
        return false;
    }
    if (json_is_array(W) && json_array_size(W) != rows) {
        nd_reply_invalid(req, 422, pw,
                         "must have %zu rows (%s), not %zu", rows,
                         w_rows_are(net->layers[k].kind), json_array_size(W));
        return false;
    }
    float *Wm = NULL, *bv = NULL;
    nn_error err;
    bool ok = nd_json_matrix(req, W, pw, cols, i->n_w, &Wm, &r, &c) &&
              (!b || nd_json_vector(req, b, pb, i->n_b, i->n_b, &bv, &nb)) &&
              (nn_network_set_layer(net, k, Wm, bv, &err) == NN_OK ||
               reply_nn(req, &err));
    free(Wm);
    free(bv);
    return ok;
}
