/* network.c — network definitions, the parameter block, initialisation,
 * hand-given weights, class names and input normalisation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_limits.h"
#include "nn_network.h"

static nn_status check_definition(nn_model_type type, size_t inputs,
                                  const nn_layer_spec *layers, size_t n,
                                  nn_loss_kind loss, size_t *n_params,
                                  nn_error *err)
{
    char field[64];
    if (type != NN_MODEL_MLP && type != NN_MODEL_PERCEPTRON)
        return nn_fail(err, NN_ERR_INVALID, "/type", "unknown model type");
    if (inputs == 0)
        return nn_fail(err, NN_ERR_INVALID, "/inputs", "inputs must be ≥ 1");
    if (inputs > NN_MAX_UNITS)
        return nn_fail(err, NN_ERR_TOO_LARGE, "/inputs",
                       "inputs must be ≤ %u", NN_MAX_UNITS);
    if (n == 0 || !layers)
        return nn_fail(err, NN_ERR_INVALID, "/layers",
                       "a network needs at least one layer");
    if (n > NN_MAX_LAYERS)
        return nn_fail(err, NN_ERR_TOO_LARGE, "/layers",
                       "at most %d layers", NN_MAX_LAYERS);
    if (type == NN_MODEL_PERCEPTRON &&
        (n != 1 || (layers[0].act.kind != NN_ACT_STEP &&
                    layers[0].act.kind != NN_ACT_SIGN)))
        return nn_fail(err, NN_ERR_INVALID, "/activation",
                       "a perceptron is one layer with a step or sign "
                       "activation");
    size_t total = 0, fan_in = inputs;
    for (size_t k = 0; k < n; k++) {
        snprintf(field, sizeof field, "/layers/%zu/units", k);
        size_t units = layers[k].units, w;
        if (units == 0)
            return nn_fail(err, NN_ERR_INVALID, field, "units must be ≥ 1");
        if (units > NN_MAX_UNITS)
            return nn_fail(err, NN_ERR_TOO_LARGE, field,
                           "units must be ≤ %u", NN_MAX_UNITS);
        snprintf(field, sizeof field, "/layers/%zu/activation", k);
        nn_status st = nn_activation_check(&layers[k].act, field, err);
        if (st != NN_OK)
            return st;
        if (!nn_size_mul(fan_in, units, &w) || !nn_size_add(total, w, &total) ||
            !nn_size_add(total, units, &total) || total > NN_MAX_PARAMS)
            return nn_fail(err, NN_ERR_TOO_LARGE, "/layers",
                           "the network has more than %lu parameters",
                           NN_MAX_PARAMS);
        fan_in = units;
    }
    *n_params = total;
    if (type == NN_MODEL_PERCEPTRON)
        return NN_OK; /* the rule needs no loss */
    return nn_loss_check(loss, &layers[n - 1].act, layers[n - 1].units,
                         "/loss", err);
}

nn_status nn_network_create(nn_network **out, nn_model_type type,
                            size_t inputs, const nn_layer_spec *layers,
                            size_t n_layers, nn_loss_kind loss, nn_error *err)
{
    size_t n_params = 0;
    nn_status st = check_definition(type, inputs, layers, n_layers, loss,
                                    &n_params, err);
    if (st != NN_OK)
        return st;
    nn_network *net = calloc(1, sizeof *net);
    if (!net)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    net->type = type;
    net->inputs = inputs;
    net->n_layers = n_layers;
    net->loss = type == NN_MODEL_PERCEPTRON ? NN_LOSS_MSE : loss;
    net->n_params = n_params;
    net->layers = malloc(n_layers * sizeof *net->layers);
    net->w_offset = malloc(n_layers * sizeof *net->w_offset);
    net->b_offset = malloc(n_layers * sizeof *net->b_offset);
    /* 64-byte alignment suits every SIMD width; round the size up to it. */
    net->params = aligned_alloc(64, (n_params * sizeof(float) + 63) & ~(size_t)63);
    if (!net->layers || !net->w_offset || !net->b_offset || !net->params) {
        nn_network_free(net);
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    memcpy(net->layers, layers, n_layers * sizeof *layers);
    memset(net->params, 0, n_params * sizeof(float));
    size_t off = 0, fan_in = inputs;
    net->max_width = inputs;
    for (size_t k = 0; k < n_layers; k++) {
        net->w_offset[k] = off;
        off += fan_in * layers[k].units;
        net->b_offset[k] = off;
        off += layers[k].units;
        fan_in = layers[k].units;
        if (fan_in > net->max_width)
            net->max_width = fan_in;
    }
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
    free(net->w_offset);
    free(net->b_offset);
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
    nn_status st = nn_network_create(&c, net->type, net->inputs, net->layers,
                                     net->n_layers, net->loss, err);
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
    *out = c;
    return NN_OK;
}

size_t nn_network_outputs(const nn_network *net)
{
    return net->layers[net->n_layers - 1].units;
}

void nn_network_init(nn_network *net, nn_init_kind kind, nn_rng *rng)
{
    size_t fan_in = net->inputs;
    for (size_t k = 0; k < net->n_layers; k++) {
        size_t fan_out = net->layers[k].units, n = fan_in * fan_out;
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
        memset(b, 0, fan_out * sizeof *b);
        fan_in = fan_out;
    }
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
    size_t in = k == 0 ? net->inputs : net->layers[k - 1].units;
    size_t units = net->layers[k].units;
    snprintf(field, sizeof field, "/weights/%zu/W", k);
    nn_status st = check_finite(W, in * units, field, err);
    if (st != NN_OK)
        return st;
    snprintf(field, sizeof field, "/weights/%zu/b", k);
    if ((st = check_finite(b, units, field, err)) != NN_OK)
        return st;
    memcpy(net->params + net->w_offset[k], W, in * units * sizeof *W);
    memcpy(net->params + net->b_offset[k], b, units * sizeof *b);
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
