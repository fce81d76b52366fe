/* checkpoint.c — a trainer's resumable state: the network (in the model
 * format), epoch, RNG, optimizer moments and early-stopping state, in one
 * little-endian, checksummed record. */
#include <math.h>
#include <stdlib.h>

#include "bytes.h"
#include "nn_model_io.h"
#include "trainer_internal.h"

static const char ckpt_magic[8] = "NNCKPT1";

nn_status nn_trainer_checkpoint(const nn_trainer *tr, unsigned char **buf,
                                size_t *len, nn_error *err)
{
    unsigned char *model = NULL;
    size_t model_len = 0;
    nn_status st = nn_model_save(tr->net, &model, &model_len, err);
    if (st != NN_OK)
        return st;
    nn_wbuf b = {0};
    nn_wbuf_bytes(&b, ckpt_magic, 8);
    nn_wbuf_u64(&b, tr->epoch);
    nn_wbuf_u64(&b, tr->n_train);
    nn_wbuf_u64(&b, tr->n_val);
    for (int i = 0; i < 4; i++)
        nn_wbuf_u64(&b, tr->rng.s[i]);
    uint64_t best;
    memcpy(&best, &tr->best, sizeof best);
    nn_wbuf_u64(&b, best);
    nn_wbuf_u64(&b, tr->stale);
    nn_wbuf_u64(&b, tr->opt.t);
    nn_wbuf_u32(&b, tr->opt.m != NULL);
    nn_wbuf_u32(&b, tr->opt.v != NULL);
    if (tr->opt.m)
        nn_wbuf_f32s(&b, tr->opt.m, tr->opt.n);
    if (tr->opt.v)
        nn_wbuf_f32s(&b, tr->opt.v, tr->opt.n);
    nn_wbuf_u64(&b, model_len);
    nn_wbuf_bytes(&b, model, model_len);
    free(model);
    nn_wbuf_u64(&b, nn_fnv1a64(b.data, b.len));
    if (b.oom) {
        free(b.data);
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    *buf = b.data;
    *len = b.len;
    return NN_OK;
}

static nn_status bad_ckpt(nn_error *err, const char *why)
{
    return nn_fail(err, NN_ERR_FORMAT, NULL,
                   "checkpoint does not fit this training run: %s", why);
}

/* Copies the checkpoint's network into tr->net after checking its shape. */
static nn_status restore_network(nn_trainer *tr, nn_rbuf *r, nn_error *err)
{
    uint64_t n = nn_rbuf_u64(r);
    const unsigned char *p = nn_rbuf_bytes(r, n);
    if (!p)
        return bad_ckpt(err, "truncated");
    if (r->pos != r->len) /* refuse before the network is touched */
        return bad_ckpt(err, "trailing bytes");
    nn_network *saved = NULL;
    nn_status st = nn_model_load(&saved, p, n, err);
    if (st != NN_OK)
        return st;
    nn_network *net = tr->net;
    bool same = saved->type == net->type && saved->inputs == net->inputs &&
                saved->n_layers == net->n_layers &&
                saved->n_params == net->n_params &&
                saved->n_state == net->n_state && saved->loss == net->loss &&
                nn_shape_size(&saved->input_shape) == net->inputs &&
                saved->input_shape.rank == net->input_shape.rank;
    for (size_t k = 0; same && k < net->n_layers; k++)
        same = nn_layer_spec_equal(&saved->layers[k], &net->layers[k]) &&
               saved->layers[k].act.kind == net->layers[k].act.kind &&
               saved->layers[k].act.param == net->layers[k].act.param;
    if (!same) {
        nn_network_free(saved);
        return bad_ckpt(err, "the network's shape differs");
    }
    st = nn_network_set_norm(net, saved->norm.kind, saved->norm.shift,
                             saved->norm.scale, err);
    if (st == NN_OK) {
        memcpy(net->params, saved->params, net->n_params * sizeof(float));
        if (net->n_state)
            memcpy(net->state, saved->state, net->n_state * sizeof(float));
    }
    nn_network_free(saved);
    return st;
}

nn_status nn_trainer_restore(nn_trainer *tr, const unsigned char *buf,
                             size_t len, nn_error *err)
{
    if (!buf || len < 16)
        return bad_ckpt(err, "too short");
    nn_rbuf tail = {buf + len - 8, 8, 0, false};
    if (nn_rbuf_u64(&tail) != nn_fnv1a64(buf, len - 8))
        return bad_ckpt(err, "checksum mismatch");
    nn_rbuf r = {buf, len - 8, 0, false};
    const unsigned char *magic = nn_rbuf_bytes(&r, 8);
    if (!magic || memcmp(magic, ckpt_magic, 8) != 0)
        return bad_ckpt(err, "bad magic");
    uint64_t epoch = nn_rbuf_u64(&r), n_train = nn_rbuf_u64(&r),
             n_val = nn_rbuf_u64(&r);
    if (n_train != tr->n_train || n_val != tr->n_val)
        return bad_ckpt(err, "the data split differs");
    nn_rng rng;
    for (int i = 0; i < 4; i++)
        rng.s[i] = nn_rbuf_u64(&r);
    uint64_t best_bits = nn_rbuf_u64(&r), stale = nn_rbuf_u64(&r),
             t = nn_rbuf_u64(&r);
    uint32_t has_m = nn_rbuf_u32(&r), has_v = nn_rbuf_u32(&r);
    if (r.bad || has_m != (tr->opt.m != NULL) || has_v != (tr->opt.v != NULL))
        return bad_ckpt(err, "the optimizer differs");
    size_t moments = (has_m + has_v) * tr->opt.n * 4;
    if (r.len - r.pos < moments)
        return bad_ckpt(err, "truncated optimizer state");
    size_t moments_at = r.pos;
    r.pos += moments;
    nn_status st = restore_network(tr, &r, err);
    if (st != NN_OK)
        return st;
    if (r.pos != r.len)
        return bad_ckpt(err, "trailing bytes");
    r.pos = moments_at;
    if (has_m)
        nn_rbuf_f32s(&r, tr->opt.m, tr->opt.n);
    if (has_v)
        nn_rbuf_f32s(&r, tr->opt.v, tr->opt.n);
    tr->epoch = (size_t)epoch;
    tr->rng = rng;
    memcpy(&tr->best, &best_bits, sizeof tr->best);
    tr->stale = (size_t)stale;
    tr->opt.t = t;
    return NN_OK;
}
