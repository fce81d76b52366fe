/* model_io.c — the binary model format (see nn_model_io.h). */
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
        nn_wbuf_u64(b, net->layers[k].units);
        nn_wbuf_u32(b, net->layers[k].act.kind);
        nn_wbuf_f32(b, net->layers[k].act.param);
    }
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

/* Reads the definition and makes the (zeroed) network it describes. */
static nn_status read_definition(nn_rbuf *r, nn_network **out, nn_error *err)
{
    const unsigned char *magic = nn_rbuf_bytes(r, 8);
    if (!magic || memcmp(magic, model_magic, 8) != 0)
        return bad_format(err, "bad magic");
    uint32_t version = nn_rbuf_u32(r);
    if (version != NN_MODEL_FORMAT_VERSION)
        return nn_fail(err, NN_ERR_FORMAT, NULL,
                       "model format version %u is not supported (this "
                       "build reads version %u)",
                       version, NN_MODEL_FORMAT_VERSION);
    uint32_t type = nn_rbuf_u32(r);
    uint64_t inputs = nn_rbuf_u64(r);
    uint32_t loss = nn_rbuf_u32(r), n_layers = nn_rbuf_u32(r);
    if (r->bad || n_layers == 0 || n_layers > NN_MAX_LAYERS ||
        loss >= NN_LOSS_COUNT || inputs > NN_MAX_UNITS)
        return bad_format(err, "bad header");
    nn_layer_spec layers[NN_MAX_LAYERS];
    for (uint32_t k = 0; k < n_layers; k++) {
        uint64_t units = nn_rbuf_u64(r);
        uint32_t kind = nn_rbuf_u32(r);
        layers[k].act.param = nn_rbuf_f32(r);
        if (r->bad || kind >= NN_ACT_COUNT || units > NN_MAX_UNITS)
            return bad_format(err, "bad layer");
        layers[k].units = (size_t)units;
        layers[k].act.kind = (nn_act_kind)kind;
    }
    nn_status st = nn_network_create(out, (nn_model_type)type, (size_t)inputs,
                                     layers, n_layers, (nn_loss_kind)loss,
                                     err);
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
    nn_status st = read_definition(&r, &net, err);
    if (st == NN_OK)
        st = read_norm(&r, net, err);
    if (st == NN_OK)
        st = read_classes(&r, net, err);
    if (st == NN_OK) {
        uint64_t n = nn_rbuf_u64(&r);
        if (r.bad || n != net->n_params || r.len - r.pos != 4 * n)
            st = bad_format(err, "parameter count does not match");
        else
            nn_rbuf_f32s(&r, net->params, net->n_params);
    }
    if (st != NN_OK) {
        nn_network_free(net);
        return st;
    }
    *out = net;
    return NN_OK;
}
