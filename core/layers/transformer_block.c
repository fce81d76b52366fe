/* transformer_block.c — the GPT-2 block (pre-norm), as nanoGPT's Block:
 *   r = x + attn(ln1(x)),  A = r + mlp(ln2(r))
 * attn: causal multi-head self-attention (attention.c) between a fused QKV
 * projection and an output projection; mlp: D → M = mlp_ratio·D, GELU
 * (gelu.c), M → D; ln1, ln2: layernorm over D (layernorm.c).
 *
 * x and A are (B, T, D), N = B·T positions. W holds the four matrices, in
 * × out row-major as dense's: Wqkv (D, 3D), Wo (D, D), Wfc (D, M),
 * Wp (M, D); b holds ln1 γ, β (D each), bqkv (3D), bo (D), ln2 γ, β
 * (D each), bfc (M), bp (D) — so weight decay reaches the matrices only, as
 * nanoGPT's optimizer groups. PyTorch's count: 12D² + 13D for mlp_ratio 4.
 *
 * What backward needs (region by region, each over all N positions so
 * that every product is one sgemm): ln1 (N, D), mean1, rstd1 (N),
 * qkv (N, 3D), att (B, H, T, T), y (N, D) the heads' outputs, r (N, D),
 * ln2 (N, D), mean2, rstd2 (N), fc (N, M) before and g (N, M) after GELU,
 * th (N, M) GELU's tanh (so that backward need not recompute it);
 * then backward's own buffers dm (N, M), dd (N, D), dqkv (N, 3D). A
 * training pass keeps them in the layer's saved workspace (plus one head's
 * T × T gradient, fixed); a prediction runs row by row in the worker's
 * scratch. Nothing is allocated in a step. Dropout inside the block is not
 * implemented: its rate must be 0. */
#include <stdio.h>
#include <string.h>

#include "layers/attention.h"
#include "layers/layer.h"
#include "layers/layernorm.h"
#include "layers/transformer_block.h"
#include "nn_blas.h"
#include "nn_limits.h"

typedef struct {
    size_t T, D, H, M;
} dims;

/* Where each matrix and vector of the layer's parameters (or of their
 * gradients, laid out alike) is. */
typedef struct {
    float *Wqkv, *Wo, *Wfc, *Wp;
    float *g1, *b1, *bqkv, *bo, *g2, *b2, *bfc, *bp;
} block_params;

/* The regions of a store for `rows` sequences (see the header). */
typedef struct {
    float *ln1, *mean1, *rstd1, *qkv, *att, *y, *r, *ln2, *mean2, *rstd2;
    float *fc, *g, *th, *dm, *dd, *dqkv;
} block_store;

static dims dims_of(const nn_layer_ctx *c)
{
    size_t D = c->info->in.dim[1];
    return (dims){c->info->in.dim[0], D, c->spec->heads,
                  c->spec->mlp_ratio * D};
}

/* Floats per sequence of the forward regions, and of backward's. */
static size_t forward_floats(const dims *d)
{
    return d->T * (7 * d->D + 3 * d->M + 4) + d->H * d->T * d->T;
}

static size_t backward_floats(const dims *d)
{
    return d->T * (d->M + 4 * d->D);
}

static block_params params_at(float *W, float *b, const dims *d)
{
    size_t D = d->D, M = d->M;
    return (block_params){
        .Wqkv = W, .Wo = W + 3 * D * D, .Wfc = W + 4 * D * D,
        .Wp = W + 4 * D * D + D * M,
        .g1 = b, .b1 = b + D, .bqkv = b + 2 * D, .bo = b + 5 * D,
        .g2 = b + 6 * D, .b2 = b + 7 * D, .bfc = b + 8 * D,
        .bp = b + 8 * D + M};
}

/* The network's parameters, which a pass only reads. */
static block_params params_of(const nn_layer_ctx *c, const dims *d)
{
    return params_at((float *)c->W, (float *)c->b, d);
}

static block_store store_of(float *p, const dims *d, size_t rows)
{
    size_t N = rows * d->T, D = d->D, M = d->M;
    block_store s;
    s.ln1 = p, p += N * D;
    s.mean1 = p, p += N;
    s.rstd1 = p, p += N;
    s.qkv = p, p += 3 * N * D;
    s.att = p, p += rows * d->H * d->T * d->T;
    s.y = p, p += N * D;
    s.r = p, p += N * D;
    s.ln2 = p, p += N * D;
    s.mean2 = p, p += N;
    s.rstd2 = p, p += N;
    s.fc = p, p += N * M;
    s.g = p, p += N * M;
    s.th = p, p += N * M;
    s.dm = p, p += N * M; /* backward's, in a training workspace only */
    s.dd = p, p += N * D;
    s.dqkv = p;
    return s;
}

/* Fails naming at + "/" + name. */
static nn_status block_fail(nn_error *err, nn_status code, const char *at,
                            const char *name, const char *why, size_t v,
                            size_t w)
{
    char field[64];
    snprintf(field, sizeof field, "%s/%s", at, name);
    return nn_fail(err, code, field, why, v, w);
}

static nn_status block_infer(const nn_layer_spec *s, nn_layer_info *info,
                             const char *at, nn_error *err)
{
    char field[64], got[64];
    if (info->in.rank != 2) {
        snprintf(field, sizeof field, "%s/type", at);
        return nn_fail(err, NN_ERR_INVALID, field,
                       "a transformer_block needs a sequence [T, D], not %s: "
                       "put an embedding before it",
                       nn_shape_format(&info->in, got, sizeof got));
    }
    size_t T = info->in.dim[0], D = info->in.dim[1], M;
    if (s->heads == 0 || s->heads > D || D % s->heads != 0)
        return block_fail(err, NN_ERR_INVALID, at, "heads",
                          "heads (%zu) must divide the width %zu", s->heads,
                          D);
    if (s->mlp_ratio == 0 || !nn_size_mul(s->mlp_ratio, D, &M) ||
        M > NN_MAX_UNITS)
        return block_fail(err, s->mlp_ratio ? NN_ERR_TOO_LARGE
                                            : NN_ERR_INVALID,
                          at, "mlp_ratio",
                          "mlp_ratio (%zu) times the width %zu must be 1 to "
                          "2^20", s->mlp_ratio, D);
    if (s->rate != 0.0f) {
        snprintf(field, sizeof field, "%s/dropout", at);
        return nn_fail(err, NN_ERR_INVALID, field,
                       "dropout inside a transformer_block is not "
                       "implemented: it must be 0");
    }
    dims d = {T, D, s->heads, M};
    /* D·M ≤ 2^40 and T·D ≤ 2^20: the sums below cannot overflow */
    info->n_w = 4 * D * D + 2 * D * M;
    info->n_b = 9 * D + M;
    size_t att;
    if (!nn_size_mul(T * T, s->heads, &att) || att > NN_MAX_ELEMENTS)
        return block_fail(err, NN_ERR_TOO_LARGE, at, "heads",
                          "%zu heads over %zu positions need too much memory",
                          s->heads, T);
    info->out = info->in;
    info->scratch = forward_floats(&d);
    info->saved_per_row = forward_floats(&d) + backward_floats(&d);
    info->saved_fixed = T * T;
    info->fan_in = D;
    info->fan_out = D;
    info->flops_per_row = 6.0 * (double)T * (double)info->n_w +
                          12.0 * (double)T * (double)T * (double)D;
    return NN_OK;
}

/* γ of both layernorms 1 (the other biases are zero already). */
static void block_init(const nn_layer_info *info, float *W, float *b,
                       float *state)
{
    (void)W, (void)state;
    size_t D = info->in.dim[1];
    for (size_t i = 0; i < D; i++)
        b[i] = b[6 * D + i] = 1.0f;
}

/* out (N, n_out) = x (N, n_in) W (n_in, n_out) + bias. */
static void linear(float *out, const float *x, const float *W,
                   const float *bias, size_t N, size_t n_in, size_t n_out)
{
    for (size_t r = 0; r < N; r++)
        memcpy(out + r * n_out, bias, n_out * sizeof *out);
    nn_sgemm(false, false, N, n_out, n_in, 1.0f, x, n_in, W, n_out, 1.0f,
             out, n_out);
}

static void add_into(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += x[i];
}

/* The block over `rows` sequences X into A, the regions in s. */
static void forward_rows(const block_params *p, const dims *d,
                         const block_store *s, float *A, const float *X,
                         size_t rows)
{
    size_t N = rows * d->T, D = d->D, M = d->M;
    nn_layernorm_forward(s->ln1, s->mean1, s->rstd1, X, p->g1, p->b1, N, D);
    linear(s->qkv, s->ln1, p->Wqkv, p->bqkv, N, D, 3 * D);
    nn_attention_forward(s->y, s->att, s->qkv, rows, d->T, D, d->H);
    linear(s->r, s->y, p->Wo, p->bo, N, D, D);
    add_into(s->r, X, N * D);
    nn_layernorm_forward(s->ln2, s->mean2, s->rstd2, s->r, p->g2, p->b2, N,
                         D);
    linear(s->fc, s->ln2, p->Wfc, p->bfc, N, D, M);
    nn_gelu_forward(s->g, s->th, s->fc, N * M);
    linear(A, s->g, p->Wp, p->bp, N, M, D);
    add_into(A, s->r, N * D);
}

static void block_forward(const nn_layer_ctx *c, float *Z, float *A,
                          const float *X, size_t rows)
{
    (void)Z;
    dims d = dims_of(c);
    block_params p = params_of(c, &d);
    if (c->saved) {
        block_store s = store_of(c->saved + d.T * d.T, &d, rows);
        forward_rows(&p, &d, &s, A, X, rows);
        return;
    }
    block_store s = store_of(c->scratch, &d, 1);
    size_t n = d.T * d.D;
    for (size_t r = 0; r < rows; r++)
        forward_rows(&p, &d, &s, A + r * n, X + r * n, 1);
}

/* dW (n_in, n_out) += xᵀ dy, db (n_out) += Σ_rows dy, and, when dx is not
 * NULL, dx (N, n_in) = dy Wᵀ. */
static void linear_backward(float *dx, float *dW, float *db, const float *dy,
                            const float *x, const float *W, size_t N,
                            size_t n_in, size_t n_out)
{
    nn_sgemm(true, false, n_in, n_out, N, 1.0f, x, n_in, dy, n_out, 1.0f, dW,
             n_out);
    for (size_t r = 0; r < N; r++)
        add_into(db, dy + r * n_out, n_out);
    if (dx)
        nn_sgemm(false, true, N, n_in, n_out, 1.0f, dy, n_out, W, n_out, 0.0f,
                 dx, n_in);
}

static void block_backward(const nn_layer_ctx *c, float *dX, float *dY,
                           bool dy_is_dz, const float *X, const float *Z,
                           const float *A, size_t rows, float *dW, float *db,
                           bool accumulate)
{
    (void)dy_is_dz, (void)Z, (void)A;
    dims d = dims_of(c);
    size_t N = rows * d.T, D = d.D, M = d.M;
    block_params p = params_of(c, &d), g = params_at(dW, db, &d);
    block_store s = store_of(c->saved + d.T * d.T, &d, rows);
    if (!accumulate) {
        memset(dW, 0, c->info->n_w * sizeof *dW);
        memset(db, 0, c->info->n_b * sizeof *db);
    }
    /* the MLP; dY becomes dL/dr, the residual's gradient */
    linear_backward(s.dm, g.Wp, g.bp, dY, s.g, p.Wp, N, M,
                    D);
    nn_gelu_backward(s.dm, s.dm, s.fc, s.th, N * M);
    linear_backward(s.dd, g.Wfc, g.bfc, s.dm, s.ln2, p.Wfc,
                    N, D, M);
    nn_layernorm_backward(dY, g.g2, g.b2, s.dd, s.r,
                          s.mean2, s.rstd2, p.g2, N, D);
    /* the attention */
    linear_backward(s.dd, g.Wo, g.bo, dY, s.y, p.Wo, N, D,
                    D);
    nn_attention_backward(s.dqkv, c->saved, s.dd, s.qkv, s.att, rows, d.T, D,
                          d.H);
    linear_backward(s.dd, g.Wqkv, g.bqkv, s.dqkv, s.ln1,
                    p.Wqkv, N, D, 3 * D);
    if (dX)
        memcpy(dX, dY, N * D * sizeof *dX);
    nn_layernorm_backward(dX, g.g1, g.b1, s.dd, X, s.mean1,
                          s.rstd1, p.g1, N, D);
}

size_t nn_transformer_cache_floats(const nn_layer_info *info)
{
    return 2 * info->in.dim[0] * info->in.dim[1];
}

size_t nn_transformer_step_floats(const nn_layer_info *info)
{
    size_t T = info->in.dim[0], D = info->in.dim[1];
    return 6 * D + (info->n_b - 9 * D) + T; /* n_b − 9D is M */
}

/* forward_rows for one position: ln (D), qkv (3D), y (D), r (D), fc (M),
 * att (T) in scratch. */
void nn_transformer_step(const nn_layer_spec *s, const nn_layer_info *info,
                         const float *W, const float *b, const float *x,
                         size_t t, float *cache, float *scratch, float *out)
{
    size_t D = info->in.dim[1];
    dims d = {info->in.dim[0], D, s->heads, s->mlp_ratio * D};
    block_params p = params_at((float *)W, (float *)b, &d);
    float *ln = scratch, *qkv = ln + D, *y = qkv + 3 * D, *r = y + D;
    float *fc = r + D, *att = fc + d.M;
    float *keys = cache, *values = cache + d.T * D;
    nn_layernorm_forward(ln, NULL, NULL, x, p.g1, p.b1, 1, D);
    linear(qkv, ln, p.Wqkv, p.bqkv, 1, D, 3 * D);
    memcpy(keys + t * D, qkv + D, D * sizeof *keys);
    memcpy(values + t * D, qkv + 2 * D, D * sizeof *values);
    nn_attention_step(y, att, qkv, keys, values, t, D, d.H);
    linear(r, y, p.Wo, p.bo, 1, D, D);
    add_into(r, x, D);
    nn_layernorm_forward(ln, NULL, NULL, r, p.g2, p.b2, 1, D);
    linear(fc, ln, p.Wfc, p.bfc, 1, D, d.M);
    nn_gelu_forward(fc, NULL, fc, d.M);
    linear(out, fc, p.Wp, p.bp, 1, d.M, D);
    add_into(out, r, D);
}

const nn_layer_ops nn_layer_transformer_block = {
    .name = "transformer_block",
    .infer = block_infer,
    .init = block_init,
    .forward = block_forward,
    .backward = block_backward,
};
