/* layer_parts.c — named weight parts of layernorm and transformer_block
 * layers (see layer_parts.h). */
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "layer_parts.h"
#include "model_view.h"

#define MAX_PARTS 12

/* One part: where it lies (in W or in b, at offset) and its shape
 * (rows 0: a vector of cols). */
typedef struct {
    const char *name;
    bool in_w;
    size_t offset, rows, cols;
} part;

/* Layer k's parts in order; their count. The offsets follow libnn's
 * packing: W = Wqkv, Wo, Wfc, Wp; b = ln1 γ, β, bqkv, bo, ln2 γ, β, bfc,
 * bp (a layernorm: b = γ, β). */
static size_t parts_of(const nn_network *net, size_t k, part *p)
{
    const nn_layer_info *i = &net->info[k];
    size_t D = i->in.dim[i->in.rank - 1];
    if (net->layers[k].kind == NN_LAYER_LAYERNORM) {
        p[0] = (part){"gamma", false, 0, 0, D};
        p[1] = (part){"beta", false, D, 0, D};
        return 2;
    }
    size_t M = net->layers[k].mlp_ratio * D;
    const part all[MAX_PARTS] = {
        {"ln1_gamma", false, 0, 0, D},
        {"ln1_beta", false, D, 0, D},
        {"attn_W", true, 0, D, 3 * D},
        {"attn_b", false, 2 * D, 0, 3 * D},
        {"attn_proj_W", true, 3 * D * D, D, D},
        {"attn_proj_b", false, 5 * D, 0, D},
        {"ln2_gamma", false, 6 * D, 0, D},
        {"ln2_beta", false, 7 * D, 0, D},
        {"mlp_W", true, 4 * D * D, D, M},
        {"mlp_b", false, 8 * D, 0, M},
        {"mlp_proj_W", true, 4 * D * D + D * M, M, D},
        {"mlp_proj_b", false, 8 * D + M, 0, D},
    };
    memcpy(p, all, sizeof all);
    return MAX_PARTS;
}

bool nd_layer_has_parts(const nn_network *net, size_t k)
{
    nn_layer_kind kind = net->layers[k].kind;
    return kind == NN_LAYER_LAYERNORM || kind == NN_LAYER_TRANSFORMER_BLOCK;
}

json_t *nd_layer_parts_json(const nn_network *net, size_t k)
{
    part p[MAX_PARTS];
    size_t n = parts_of(net, k, p);
    const float *W = net->params + net->w_offset[k];
    const float *b = net->params + net->b_offset[k];
    json_t *e = json_object();
    for (size_t i = 0; e && i < n; i++) {
        const float *v = (p[i].in_w ? W : b) + p[i].offset;
        json_t *a = p[i].rows ? nd_json_float_rows(v, p[i].rows, p[i].cols)
                              : nd_json_floats(v, p[i].cols);
        if (!a || json_object_set_new(e, p[i].name, a) != 0) {
            json_decref(e);
            e = NULL;
        }
    }
    return e;
}

/* Part p of entry into dst (its place in W or b); false after replying. */
static bool read_part(nd_request *req, json_t *entry, const char *base,
                      const part *p, float *dst)
{
    char ptr[ND_PTR_MAX];
    nd_ptr(ptr, base, p->name);
    json_t *a = json_object_get(entry, p->name);
    size_t n = p->rows ? p->rows * p->cols : p->cols, r = 0, c = 0;
    float *v = NULL;
    if (!a) {
        nd_reply_invalid(req, 422, ptr, "is required");
        return false;
    }
    if (p->rows && json_is_array(a) && json_array_size(a) != p->rows) {
        nd_reply_invalid(req, 422, ptr, "must have %zu rows, not %zu",
                         p->rows, json_array_size(a));
        return false;
    }
    bool ok = p->rows ? nd_json_matrix(req, a, ptr, p->cols, n, &v, &r, &c)
                      : nd_json_vector(req, a, ptr, n, n, &v, &r);
    if (ok)
        memcpy(dst, v, n * sizeof *v);
    free(v);
    return ok;
}

bool nd_layer_parts_read(nd_request *req, json_t *entry, const char *base,
                         size_t k, nn_network *net)
{
    part p[MAX_PARTS];
    const char *names[MAX_PARTS + 1] = {NULL};
    size_t n = parts_of(net, k, p);
    for (size_t i = 0; i < n; i++)
        names[i] = p[i].name;
    if (!nd_json_allow(req, entry, base, names))
        return false;
    const nn_layer_info *info = &net->info[k];
    float *W = malloc((info->n_w + 1) * sizeof *W);
    float *b = malloc((info->n_b + 1) * sizeof *b);
    bool ok = W && b;
    if (!ok)
        nd_reply_problem(req, 503, "out of memory");
    for (size_t i = 0; ok && i < n; i++)
        ok = read_part(req, entry, base, &p[i], (p[i].in_w ? W : b) +
                                                    p[i].offset);
    nn_error err;
    if (ok && nn_network_set_layer(net, k, W, b, &err) != NN_OK) {
        nd_reply_nn_error(req, "", &err);
        ok = false;
    }
    free(W);
    free(b);
    return ok;
}
