/* network.c — network definitions (shapes inferred layer by layer through
 * the layer table), the parameter block, initialisation, hand-given
 * weights, class names and input normalisation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_limits.h"
#include "layers/layer.h"
#include "nn_network.h"

static nn_status check_input(const nn_shape *in, nn_error *err)
{
    if (in->rank < 1 || in->rank > 3)
        return nn_fail(err, NN_ERR_INVALID, "/input_shape",
                       "an input is a vector [N], a sequence [T, D] or an "
                       "image [C, H, W]");
    size_t n = 1;
    for (size_t i = 0; i < in->rank; i++) {
        if (in->dim[i] == 0)
            return nn_fail(err, NN_ERR_INVALID,
                           in->rank == 1 ? "/inputs" : "/input_shape",
                           "inputs must be ≥ 1");
        if (!nn_size_mul(n, in->dim[i], &n) || n > NN_MAX_UNITS)
            return nn_fail(err, NN_ERR_TOO_LARGE,
                           in->rank == 1 ? "/inputs" : "/input_shape",
                           "inputs must be ≤ %u", NN_MAX_UNITS);
    }
    return NN_OK;
}

/* The output activation the loss sees: the last layer's, or linear for a
 * kind without one. */
static nn_activation output_act(const nn_layer_spec *l, const nn_layer_info *i)
{
    return i->has_act ? l->act : (nn_activation){NN_ACT_LINEAR, 0.0f};
}

/* Infers every layer's info from the input shape through the layer table,
 * checking sizes and the parameter total before anything is allocated. */
static nn_status infer_layers(const nn_shape *input,
                              const nn_layer_spec *layers, size_t n,
                              nn_layer_info *info, size_t *n_params,
                              nn_error *err)
{
    char at[32];
    nn_shape in = *input;
    size_t total = 0;
    for (size_t k = 0; k < n; k++) {
        snprintf(at, sizeof at, "/layers/%zu", k);
        if ((unsigned)layers[k].kind >= NN_LAYER_KIND_COUNT ||
            !nn_layer_table[layers[k].kind]) {
            snprintf(at, sizeof at, "/layers/%zu/type", k);
            return nn_fail(err, NN_ERR_INVALID, at, "unknown layer type");
        }
        memset(&info[k], 0, sizeof info[k]);
        info[k].in = in;
        nn_status st = nn_layer_table[layers[k].kind]->infer(&layers[k],
                                                             &info[k], at, err);
        if (st != NN_OK)
            return st;
        if (!nn_size_add(total, info[k].n_w, &total) ||
            !nn_size_add(total, info[k].n_b, &total) || total > NN_MAX_PARAMS)
            return nn_fail(err, NN_ERR_TOO_LARGE, "/layers",
                           "the network has more than %lu parameters",
                           NN_MAX_PARAMS);
        in = info[k].out;
    }
    *n_params = total;
    return NN_OK;
}

static nn_status check_definition(nn_model_type type, const nn_shape *input,
                                  const nn_layer_spec *layers, size_t n,
                                  nn_loss_kind loss, nn_layer_info *info,
                                  size_t *n_params, nn_error *err)
{
    if (type != NN_MODEL_MLP && type != NN_MODEL_PERCEPTRON)
        return nn_fail(err, NN_ERR_INVALID, "/type", "unknown model type");
    nn_status st = check_input(input, err);
    if (st != NN_OK)
        return st;
    if (n == 0 || !layers)
        return nn_fail(err, NN_ERR_INVALID, "/layers",
                       "a network needs at least one layer");
    if (n > NN_MAX_LAYERS)
        return nn_fail(err, NN_ERR_TOO_LARGE, "/layers",
                       "at most %d layers", NN_MAX_LAYERS);
    if (type == NN_MODEL_PERCEPTRON &&
        (n != 1 || layers[0].kind != NN_LAYER_DENSE ||
         input->rank != 1 ||
         (layers[0].act.kind != NN_ACT_STEP &&
          layers[0].act.kind != NN_ACT_SIGN)))
        return nn_fail(err, NN_ERR_INVALID, "/activation",
                       "a perceptron is one layer with a step or sign "
                       "activation");
    st = infer_layers(input, layers, n, info, n_params, err);
    if (st != NN_OK || type == NN_MODEL_PERCEPTRON)
        return st; /* the rule needs no loss */
    nn_activation out = output_act(&layers[n - 1], &info[n - 1]);
    const nn_shape *o = &info[n - 1].out; /* a sequence: per position */
    return nn_loss_check(loss, &out, o->rank == 2 ? o->dim[1]
                                                  : nn_shape_size(o),
                         "/loss", err);
}

nn_status nn_network_check(nn_model_type type, const nn_shape *input,
                           const nn_layer_spec *layers, size_t n_layers,
                           nn_loss_kind loss, size_t *n_params, nn_error *err)
{
    nn_layer_info *info = malloc(NN_MAX_LAYERS * sizeof *info);
    if (!info)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    nn_status st = check_definition(type, input, layers, n_layers, loss, info,
                                    n_params, err);
    free(info);
    return st;
}

nn_status nn_network_create(nn_network **out, nn_model_type type,
                            size_t inputs, const nn_layer_spec *layers,
                            size_t n_layers, nn_loss_kind loss, nn_error *err)
{
    nn_shape in = nn_shape_vector(inputs);
    return nn_network_create_shaped(out, type, &in, layers, n_layers, loss,
                                    err);
}

/* Lays out the parameter block (W[k] then b[k], layer by layer) and the
 * state block. */
static void place_params(nn_network *net)
{
    size_t off = 0, soff = 0;
    net->max_width = net->inputs;
    for (size_t k = 0; k < net->n_layers; k++) {
        net->w_offset[k] = off;
        off += net->info[k].n_w;
        net->b_offset[k] = off;
        off += net->info[k].n_b;
        net->s_offset[k] = soff;
        soff += net->info[k].n_state;
        size_t width = nn_shape_size(&net->info[k].out);
        if (width > net->max_width)
            net->max_width = width;
    }
}

/* Gives every layer kind with an init of its own its starting parameters
 * and state (batchnorm's γ = 1 and running variance 1). */
static void start_layers(nn_network *net)
{
    for (size_t k = 0; k < net->n_layers; k++) {
        const nn_layer_ops *ops = nn_layer_table[net->layers[k].kind];
        if (ops->init)
            ops->init(&net->info[k], net->params + net->w_offset[k],
                      net->params + net->b_offset[k],
                      net->state ? net->state + net->s_offset[k] : NULL);
    }
}

nn_status nn_network_create_shaped(nn_network **out, nn_model_type type,
                                   const nn_shape *input,
                                   const nn_layer_spec *layers,
                                   size_t n_layers, nn_loss_kind loss,
                                   nn_error *err)
{
    size_t n_params = 0;
    nn_layer_info info[NN_MAX_LAYERS];
    nn_status st = check_definition(type, input, layers, n_layers, loss, info,
                                    &n_params, err);
    if (st != NN_OK)
        return st;
    nn_network *net = calloc(1, sizeof *net);
    if (!net)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    net->type = type;
    net->input_shape = *input;
    net->inputs = nn_shape_size(input);
    net->n_layers = n_layers;
    net->loss = type == NN_MODEL_PERCEPTRON ? NN_LOSS_MSE : loss;
    net->n_params = n_params;
    net->layers = malloc(n_layers * sizeof *net->layers);
    net->info = malloc(n_layers * sizeof *net->info);
    net->w_offset = malloc(n_layers * sizeof *net->w_offset);
    net->b_offset = malloc(n_layers * sizeof *net->b_offset);
    net->s_offset = malloc(n_layers * sizeof *net->s_offset);
    net->n_state = 0;
    for (size_t k = 0; k < n_layers; k++)
        net->n_state += info[k].n_state; /* ≤ 2 per parameter: no overflow */
    if (net->n_state)
        net->state = malloc(net->n_state * sizeof *net->state);
    /* 64-byte alignment suits every SIMD width; round the size up to it. */
    net->params = aligned_alloc(64, (n_params * sizeof(float) + 63) & ~(size_t)63);
    if (!net->layers || !net->info || !net->w_offset || !net->b_offset ||
        !net->s_offset || (net->n_state && !net->state) || !net->params) {
        nn_network_free(net);
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    memcpy(net->layers, layers, n_layers * sizeof *layers);
    memcpy(net->info, info, n_layers * sizeof *info);
    memset(net->params, 0, n_params * sizeof(float));
    place_params(net);
    start_layers(net);
    *out = net;
    return NN_OK;
}

static void free_classes(nn_network *net)
{
    for (size_t i = 0; i < net->n_classes; i++)
        free(net->classes[i]);
    free(net->classes);
    net->classes = NULL;
    net->n_classes = 0;
}

void nn_network_free(nn_network *net)
{
    if (!net)
        return;
    free(net->layers);
    free(net->info);
    free(net->w_offset);
    free(net->b_offset);
    free(net->s_offset);
    free(net->state);
    free(net->params);
    free(net->norm.shift);
    free(net->norm.scale);
    free_classes(net);
    free(net);
}

nn_status nn_network_clone(nn_network **out, const nn_network *net,
                           nn_error *err)
{
    nn_network *c = NULL;
    nn_status st = nn_network_create_shaped(&c, net->type, &net->input_shape,
                                            net->layers, net->n_layers,
                                            net->loss, err);
    if (st == NN_OK)
        st = nn_network_set_norm(c, net->norm.kind, net->norm.shift,
                                 net->norm.scale, err);
    if (st == NN_OK)
        st = nn_network_set_classes(c, (const char *const *)net->classes,
                                    net->n_classes, err);
    if (st != NN_OK) {
        nn_network_free(c);
        return st;
    }
    memcpy(c->params, net->params, net->n_params * sizeof(float));
    if (net->n_state)
        memcpy(c->state, net->state, net->n_state * sizeof(float));
    *out = c;
    return NN_OK;
}

size_t nn_network_outputs(const nn_network *net)
{
    return nn_shape_size(&net->info[net->n_layers - 1].out);
}

void nn_network_init(nn_network *net, nn_init_kind kind, nn_rng *rng)
{
    for (size_t k = 0; k < net->n_layers; k++) {
        const nn_layer_info *li = &net->info[k];
        size_t fan_in = li->fan_in, fan_out = li->fan_out, n = li->n_w;
        if (n == 0 || fan_in == 0)
            continue; /* no weights, or weights a layer's init sets */
        float *W = net->params + net->w_offset[k];
        float *b = net->params + net->b_offset[k];
        float limit = kind == NN_INIT_XAVIER
                          ? sqrtf(6.0f / (float)(fan_in + fan_out))
                          : 1.0f / sqrtf((float)fan_in);
        float sd = sqrtf(2.0f / (float)fan_in);
        for (size_t i = 0; i < n; i++) {
            if (kind == NN_INIT_ZEROS)
                W[i] = 0.0f;
            else if (kind == NN_INIT_HE)
                W[i] = sd * nn_rng_normal(rng);
            else
                W[i] = limit * (2.0f * nn_rng_uniform(rng) - 1.0f);
        }
        memset(b, 0, li->n_b * sizeof *b);
    }
    start_layers(net);
}

static const char *const init_names[] = {"zeros", "uniform", "xavier", "he"};

nn_status nn_init_parse(const char *name, nn_init_kind *out, const char *field,
                        nn_error *err)
{
    for (int k = 0; k < 4; k++) {
        if (name && strcmp(name, init_names[k]) == 0) {
            *out = (nn_init_kind)k;
            return NN_OK;
        }
    }
    return nn_fail(err, NN_ERR_INVALID, field,
                   "unknown init '%s' (expected zeros, uniform, xavier or he)",
                   name ? name : "");
}

const char *nn_init_name(nn_init_kind kind)
{
    return (unsigned)kind < 4 ? init_names[kind] : "?";
}

static nn_status check_finite(const float *v, size_t n, const char *field,
                              nn_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return nn_fail(err, NN_ERR_INVALID, field,
                           "value %zu is not a finite number", i);
    return NN_OK;
}

nn_status nn_network_set_layer(nn_network *net, size_t k, const float *W,
                               const float *b, nn_error *err)
{
    char field[64];
    if (k >= net->n_layers)
        return nn_fail(err, NN_ERR_INVALID, "/weights",
                       "the network has %zu layers, not %zu", net->n_layers,
                       k + 1);
    size_t n_w = net->info[k].n_w, n_b = net->info[k].n_b;
    snprintf(field, sizeof field, "/weights/%zu/W", k);
    nn_status st = check_finite(W, n_w, field, err);
    if (st != NN_OK)
        return st;
    snprintf(field, sizeof field, "/weights/%zu/b", k);
    if ((st = check_finite(b, n_b, field, err)) != NN_OK)
        return st;
    if (n_w)
        memcpy(net->params + net->w_offset[k], W, n_w * sizeof *W);
    if (n_b)
        memcpy(net->params + net->b_offset[k], b, n_b * sizeof *b);
    return NN_OK;
}

nn_status nn_network_set_state(nn_network *net, size_t k, const float *state,
                               nn_error *err)
{
    char field[64];
    if (k >= net->n_layers || net->info[k].n_state == 0)
        return nn_fail(err, NN_ERR_INVALID, "/weights",
                       "layer %zu keeps no state", k);
    size_t n = net->info[k].n_state, half = n / 2;
    for (size_t i = 0; i < n; i++) {
        snprintf(field, sizeof field, "/weights/%zu/%s/%zu", k,
                 i < half ? "running_mean" : "running_var", i % half);
        if (!isfinite(state[i]) || (i >= half && state[i] < 0.0f))
            return nn_fail(err, NN_ERR_INVALID, field,
                           i < half ? "must be a finite number"
                                    : "must be a finite number ≥ 0");
    }
    memcpy(net->state + net->s_offset[k], state, n * sizeof *state);
    return NN_OK;
}

nn_status nn_network_set_classes(nn_network *net, const char *const *names,
                                 size_t n, nn_error *err)
{
    char **copy = n ? calloc(n, sizeof *copy) : NULL;
    if (n && !copy)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        copy[i] = strdup(names[i] ? names[i] : "");
        if (!copy[i]) {
            for (size_t j = 0; j < i; j++)
                free(copy[j]);
            free(copy);
            return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
        }
    }
    free_classes(net);
    net->classes = copy;
    net->n_classes = n;
    return NN_OK;
}

nn_status nn_network_set_norm(nn_network *net, nn_norm_kind kind,
                              const float *shift, const float *scale,
                              nn_error *err)
{
    float *sh = NULL, *sc = NULL;
    if (kind != NN_NORM_NONE) {
        nn_status st = check_finite(shift, net->inputs, "/normalization", err);
        if (st == NN_OK)
            st = check_finite(scale, net->inputs, "/normalization", err);
        if (st != NN_OK)
            return st;
        sh = malloc(net->inputs * sizeof *sh);
        sc = malloc(net->inputs * sizeof *sc);
        if (!sh || !sc) {
            free(sh);
            free(sc);
            return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
        }
        memcpy(sh, shift, net->inputs * sizeof *sh);
        memcpy(sc, scale, net->inputs * sizeof *sc);
    }
    free(net->norm.shift);
    free(net->norm.scale);
    net->norm.kind = kind;
    net->norm.shift = sh;
    net->norm.scale = sc;
    return NN_OK;
}

static const char *const norm_names[] = {"none", "standard", "minmax"};

nn_status nn_norm_parse(const char *name, nn_norm_kind *out, const char *field,
                        nn_error *err)
{
    for (int k = 0; k < 3; k++) {
        if (name && strcmp(name, norm_names[k]) == 0) {
            *out = (nn_norm_kind)k;
            return NN_OK;
        }
    }
    return nn_fail(err, NN_ERR_INVALID, field,
                   "unknown normalization '%s' (expected none, standard or "
                   "minmax)",
                   name ? name : "");
}

const char *nn_norm_name(nn_norm_kind kind)
{
    return (unsigned)kind < 3 ? norm_names[kind] : "?";
}
