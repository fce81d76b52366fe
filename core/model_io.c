/* model_io.c — the binary model format (see nn_model_io.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bytes.h"
#include "nn_limits.h"
#include "nn_model_io.h"

static const char model_magic[8] = "NNMODEL";
#define NN_MAX_CLASSES 65536u

static void write_model(nn_wbuf *b, const nn_network *net)
{
    nn_wbuf_bytes(b, model_magic, 8);
    nn_wbuf_u32(b, NN_MODEL_FORMAT_VERSION);
    nn_wbuf_u32(b, net->type);
    nn_wbuf_u64(b, net->inputs);
    nn_wbuf_u32(b, net->loss);
    nn_wbuf_u32(b, (uint32_t)net->n_layers);
    for (size_t k = 0; k < net->n_layers; k++) {
        const nn_layer_spec *l = &net->layers[k];
        nn_wbuf_u64(b, l->units);
        nn_wbuf_u32(b, l->act.kind);
        nn_wbuf_f32(b, l->act.param);
        nn_wbuf_u32(b, l->kind);
        nn_wbuf_u64(b, l->filters);
        nn_wbuf_u64(b, l->kernel_h);
        nn_wbuf_u64(b, l->kernel_w);
        nn_wbuf_u64(b, l->stride);
        nn_wbuf_u32(b, l->padding);
        nn_wbuf_u64(b, l->size);
        nn_wbuf_f32(b, l->rate);
        nn_wbuf_u64(b, l->vocab);
        nn_wbuf_u32(b, l->positions);
        nn_wbuf_u32(b, l->return_sequences);
        nn_wbuf_u64(b, l->heads);
        nn_wbuf_u64(b, l->mlp_ratio);
    }
    nn_wbuf_u32(b, (uint32_t)net->input_shape.rank);
    for (size_t i = 0; i < net->input_shape.rank; i++)
        nn_wbuf_u64(b, net->input_shape.dim[i]);
    nn_wbuf_u32(b, net->norm.kind);
    if (net->norm.kind != NN_NORM_NONE) {
        nn_wbuf_f32s(b, net->norm.shift, net->inputs);
        nn_wbuf_f32s(b, net->norm.scale, net->inputs);
    }
    nn_wbuf_u32(b, (uint32_t)net->n_classes);
    for (size_t i = 0; i < net->n_classes; i++)
        nn_wbuf_str(b, net->classes[i]);
    nn_wbuf_u64(b, net->n_params);
    nn_wbuf_f32s(b, net->params, net->n_params);
    nn_wbuf_u64(b, net->n_state);
    nn_wbuf_f32s(b, net->state, net->n_state);
}

nn_status nn_model_save(const nn_network *net, unsigned char **buf,
                        size_t *len, nn_error *err)
{
    nn_wbuf b = {0};
    write_model(&b, net);
    nn_wbuf_u64(&b, nn_fnv1a64(b.data, b.len));
    if (b.oom) {
        free(b.data);
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    *buf = b.data;
    *len = b.len;
    return NN_OK;
}

static nn_status bad_format(nn_error *err, const char *why)
{
    return nn_fail(err, NN_ERR_FORMAT, NULL, "not a valid model: %s", why);
}

/* Reads one layer: a version 1 layer is dense (units, activation); from
 * version 2 on, its kind and the other kinds' fields follow; from version
 * 3 on, the sequence layers' (vocab, positions, return_sequences); from
 * version 4 on, the transformer block's (heads, mlp_ratio). */
static bool read_layer(nn_rbuf *r, uint32_t version, nn_layer_spec *l)
{
    memset(l, 0, sizeof *l);
    uint64_t units = nn_rbuf_u64(r);
    uint32_t act = nn_rbuf_u32(r);
    l->act.param = nn_rbuf_f32(r);
    if (r->bad || act >= NN_ACT_COUNT || units > NN_MAX_UNITS)
        return false;
    l->units = (size_t)units;
    l->act.kind = (nn_act_kind)act;
    if (version < 2)
        return true;
    uint32_t kind = nn_rbuf_u32(r);
    uint64_t v[4];
    for (int i = 0; i < 4; i++)
        v[i] = nn_rbuf_u64(r);
    uint32_t padding = nn_rbuf_u32(r);
    uint64_t size = nn_rbuf_u64(r);
    l->rate = nn_rbuf_f32(r);
    for (int i = 0; i < 4; i++)
        if (v[i] > NN_MAX_UNITS)
            return false;
    if (r->bad || kind >= NN_LAYER_KIND_COUNT || padding > NN_PAD_SAME ||
        size > NN_MAX_UNITS)
        return false;
    l->kind = (nn_layer_kind)kind;
    l->filters = (size_t)v[0];
    l->kernel_h = (size_t)v[1];
    l->kernel_w = (size_t)v[2];
    l->stride = (size_t)v[3];
    l->padding = (nn_padding)padding;
    l->size = (size_t)size;
    if (version < 3)
        return true;
    uint64_t vocab = nn_rbuf_u64(r);
    uint32_t positions = nn_rbuf_u32(r), sequences = nn_rbuf_u32(r);
    if (r->bad || vocab > NN_MAX_UNITS || positions > 1 || sequences > 1)
        return false;
    l->vocab = (size_t)vocab;
    l->positions = positions;
    l->return_sequences = sequences;
    if (version < 4)
        return true;
    uint64_t heads = nn_rbuf_u64(r), ratio = nn_rbuf_u64(r);
    if (r->bad || heads > NN_MAX_UNITS || ratio > NN_MAX_UNITS)
        return false;
    l->heads = (size_t)heads;
    l->mlp_ratio = (size_t)ratio;
    return true;
}

/* From version 2 on: the input shape, whose size must be `inputs`. */
static bool read_shape(nn_rbuf *r, uint32_t version, uint64_t inputs,
                       nn_shape *shape)
{
    if (version < 2) {
        *shape = nn_shape_vector((size_t)inputs);
        return true;
    }
    uint32_t rank = nn_rbuf_u32(r);
    if (r->bad || rank < 1 || rank > 3 || (version < 3 && rank == 2))
        return false;
    uint64_t n = 1;
    shape->rank = rank;
    for (uint32_t i = 0; i < rank; i++) {
        uint64_t d = nn_rbuf_u64(r);
        if (r->bad || d == 0 || d > NN_MAX_UNITS)
            return false;
        shape->dim[i] = (size_t)d;
        n *= d; /* ≤ 2^60: no overflow */
        if (n > NN_MAX_UNITS)
            return false;
    }
    return n == inputs;
}

/* Reads the definition and makes the (zeroed) network it describes. */
static nn_status read_definition(nn_rbuf *r, uint32_t *version_out,
                                 nn_network **out, nn_error *err)
{
    const unsigned char *magic = nn_rbuf_bytes(r, 8);
    if (!magic || memcmp(magic, model_magic, 8) != 0)
        return bad_format(err, "bad magic");
    uint32_t version = nn_rbuf_u32(r);
    if (version < 1 || version > NN_MODEL_FORMAT_VERSION)
        return nn_fail(err, NN_ERR_FORMAT, NULL,
                       "model format version %u is not supported (this "
                       "build reads versions 1 to %u)",
                       version, NN_MODEL_FORMAT_VERSION);
    *version_out = version;
    uint32_t type = nn_rbuf_u32(r);
    uint64_t inputs = nn_rbuf_u64(r);
    uint32_t loss = nn_rbuf_u32(r), n_layers = nn_rbuf_u32(r);
    if (r->bad || n_layers == 0 || n_layers > NN_MAX_LAYERS ||
        loss >= NN_LOSS_COUNT || inputs > NN_MAX_UNITS)
        return bad_format(err, "bad header");
    nn_layer_spec layers[NN_MAX_LAYERS];
    for (uint32_t k = 0; k < n_layers; k++)
        if (!read_layer(r, version, &layers[k]))
            return bad_format(err, "bad layer");
    nn_shape shape;
    if (!read_shape(r, version, inputs, &shape))
        return bad_format(err, "bad input shape");
    nn_status st = nn_network_create_shaped(out, (nn_model_type)type, &shape,
                                            layers, n_layers,
                                            (nn_loss_kind)loss, err);
    if (st != NN_OK) {
        /* Quote the reason from a copy: err->message is also the output. */
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err ? err->message : "bad definition");
        return nn_fail(err, NN_ERR_FORMAT, NULL, "not a valid model: %s", why);
    }
    return NN_OK;
}

static nn_status read_norm(nn_rbuf *r, nn_network *net, nn_error *err)
{
    uint32_t kind = nn_rbuf_u32(r);
    if (kind == NN_NORM_NONE)
        return r->bad ? bad_format(err, "truncated") : NN_OK;
    if (kind > NN_NORM_MINMAX)
        return bad_format(err, "bad normalization");
    if (r->len - r->pos < 8 * net->inputs)
        return bad_format(err, "truncated normalization");
    float *v = malloc(2 * net->inputs * sizeof *v);
    if (!v)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    nn_rbuf_f32s(r, v, 2 * net->inputs);
    nn_status st = nn_network_set_norm(net, (nn_norm_kind)kind, v,
                                       v + net->inputs, err);
    free(v);
    return st == NN_OK ? NN_OK : bad_format(err, "bad normalization values");
}

static nn_status read_classes(nn_rbuf *r, nn_network *net, nn_error *err)
{
    uint32_t n = nn_rbuf_u32(r);
    if (r->bad || n > NN_MAX_CLASSES || n > r->len - r->pos)
        return bad_format(err, "bad class count");
    char **names = calloc(n ? n : 1, sizeof *names);
    if (!names)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    nn_status st = NN_OK;
    for (uint32_t i = 0; i < n && st == NN_OK; i++) {
        uint32_t len = nn_rbuf_u32(r);
        const unsigned char *s = nn_rbuf_bytes(r, len);
        if (!s || memchr(s, '\0', len)) {
            st = bad_format(err, "bad class name");
            break;
        }
        names[i] = strndup((const char *)s, len);
        if (!names[i])
            st = nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    if (st == NN_OK)
        st = nn_network_set_classes(net, (const char *const *)names, n, err);
    for (uint32_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

/* From version 2 on: the layers' state (batchnorm running statistics),
 * which closes the record. */
static nn_status read_state(nn_rbuf *r, uint32_t version, nn_network *net,
                            nn_error *err)
{
    uint64_t n = version < 2 ? 0 : nn_rbuf_u64(r);
    if (r->bad || n != net->n_state || r->len - r->pos != 4 * n)
        return bad_format(err, version < 2 ? "parameter count does not match"
                                           : "state count does not match");
    nn_rbuf_f32s(r, net->state, net->n_state);
    for (size_t i = 0; i < net->n_state; i++)
        if (!isfinite(net->state[i]))
            return bad_format(err, "state is not finite");
    return NN_OK;
}

nn_status nn_model_load(nn_network **out, const unsigned char *buf,
                        size_t len, nn_error *err)
{
    if (!buf || len < 8 + 8)
        return bad_format(err, "too short");
    nn_rbuf tail = {buf + len - 8, 8, 0, false};
    if (nn_rbuf_u64(&tail) != nn_fnv1a64(buf, len - 8))
        return bad_format(err, "checksum mismatch");
    nn_rbuf r = {buf, len - 8, 0, false};
    nn_network *net = NULL;
    uint32_t version = 0;
    nn_status st = read_definition(&r, &version, &net, err);
    if (st == NN_OK)
        st = read_norm(&r, net, err);
    if (st == NN_OK)
        st = read_classes(&r, net, err);
    if (st == NN_OK) {
        uint64_t n = nn_rbuf_u64(&r);
        if (r.bad || n != net->n_params || r.len - r.pos < 4 * n)
            st = bad_format(err, "parameter count does not match");
        else
            nn_rbuf_f32s(&r, net->params, net->n_params);
    }
    if (st == NN_OK)
        st = read_state(&r, version, net, err);
    if (st != NN_OK) {
        nn_network_free(net);
        return st;
    }
    *out = net;
    return NN_OK;
}
