/* sample.c — generation from a language model (nn_sample.h): the
 * generator's two ways of computing the next token's logits (state
 * carried one position at a time, or a window re-run), and sampling with
 * temperature and top-k. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers/recurrent.h"
#include "layers/transformer_block.h"
#include "nn_blas.h"
#include "nn_sample.h"

typedef struct {
    float z;
    uint32_t id;
} candidate;

struct nn_generator {
    const nn_network *net;
    nn_sample_config cfg;
    nn_rng rng;
    size_t V, T, fed;
    bool carry;
    bool cache;          /* transformer blocks' keys and values kept */
    float *logits;       /* V */
    candidate *cand;     /* V, for top-k */
    /* carrying state or caching: per-position vectors, two slots per
     * recurrent layer, a key/value cache per transformer block */
    float *vec[2], *z;   /* each the widest per-position output */
    float *step;         /* a block step's scratch */
    float *slots;
    size_t *slot_at;     /* layer k's slots or cache at slots + slot_at[k] */
    /* sliding a window */
    nn_workspace *ws;
    uint32_t *window;    /* the last ≤ T ids */
    float *x;            /* T */
};

nn_status nn_language_model_vocab(const nn_network *net, size_t *vocab,
                                  nn_error *err)
{
    const nn_shape *o = &net->info[net->n_layers - 1].out;
    const nn_layer_spec *last = &net->layers[net->n_layers - 1];
    if (net->type != NN_MODEL_MLP || net->input_shape.rank != 1 ||
        net->layers[0].kind != NN_LAYER_EMBEDDING || o->rank != 2 ||
        o->dim[0] != net->inputs || net->loss != NN_LOSS_CROSS_ENTROPY ||
        last->kind != NN_LAYER_DENSE || last->act.kind != NN_ACT_SOFTMAX)
        return nn_fail(err, NN_ERR_INVALID, "/model",
                       "not a language model: it needs token ids [T] into "
                       "an embedding first, a dense softmax at every "
                       "position ([T, vocab_size]) and cross_entropy");
    if (net->layers[0].vocab != o->dim[1])
        return nn_fail(err, NN_ERR_INVALID, "/model",
                       "the embedding takes %zu tokens, the output "
                       "predicts %zu", net->layers[0].vocab, o->dim[1]);
    if (vocab)
        *vocab = o->dim[1];
    return NN_OK;
}

static bool is_recurrent(nn_layer_kind k)
{
    return k == NN_LAYER_RNN || k == NN_LAYER_LSTM || k == NN_LAYER_GRU;
}

bool nn_generate_carries_state(const nn_network *net)
{
    if (nn_language_model_vocab(net, NULL, NULL) != NN_OK ||
        net->layers[0].positions)
        return false;
    for (size_t k = 1; k < net->n_layers; k++) {
        const nn_layer_spec *s = &net->layers[k];
        bool ok = (is_recurrent(s->kind) && s->return_sequences) ||
                  s->kind == NN_LAYER_DENSE || s->kind == NN_LAYER_DROPOUT;
        if (!ok)
            return false;
    }
    return true;
}

/* Kinds that run one position at a time given what the positions before
 * left (a block's keys and values): a model of them caches. */
static bool is_cached_kind(nn_layer_kind k)
{
    return k == NN_LAYER_TRANSFORMER_BLOCK || k == NN_LAYER_LAYERNORM ||
           k == NN_LAYER_DENSE || k == NN_LAYER_DROPOUT;
}

bool nn_generate_caches(const nn_network *net)
{
    bool blocks = false;
    if (nn_language_model_vocab(net, NULL, NULL) != NN_OK)
        return false;
    for (size_t k = 1; k < net->n_layers; k++) {
        if (!is_cached_kind(net->layers[k].kind))
            return false;
        blocks |= net->layers[k].kind == NN_LAYER_TRANSFORMER_BLOCK;
    }
    return blocks;
}

/* The carrying or caching generator's buffers: per-position vectors,
 * slots and caches, a block step's scratch. */
static bool alloc_carry(nn_generator *g)
{
    const nn_network *net = g->net;
    size_t width = 0, slots = 0, step = 0;
    g->slot_at = calloc(net->n_layers, sizeof *g->slot_at);
    if (!g->slot_at)
        return false;
    for (size_t k = 0; k < net->n_layers; k++) {
        size_t w = net->info[k].out.dim[1];
        width = w > width ? w : width;
        if (is_recurrent(net->layers[k].kind)) {
            g->slot_at[k] = slots;
            slots += 2 * nn_recurrent_slot_floats(&net->layers[k]);
        } else if (net->layers[k].kind == NN_LAYER_TRANSFORMER_BLOCK) {
            size_t f = nn_transformer_step_floats(&net->info[k]);
            g->slot_at[k] = slots;
            slots += nn_transformer_cache_floats(&net->info[k]);
            step = f > step ? f : step;
        }
    }
    g->vec[0] = malloc((3 * width + step) * sizeof(float));
    g->slots = malloc((slots ? slots : 1) * sizeof(float));
    if (!g->vec[0] || !g->slots)
        return false;
    g->vec[1] = g->vec[0] + width;
    g->z = g->vec[1] + width;
    g->step = g->z + width;
    return true;
}

static nn_status alloc_window(nn_generator *g, nn_error *err)
{
    g->window = malloc(g->T * sizeof *g->window);
    g->x = malloc(g->T * sizeof *g->x);
    if (!g->window || !g->x)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    return nn_workspace_create(&g->ws, g->net, 1, false, err);
}

nn_status nn_generator_create(nn_generator **out, const nn_network *net,
                              const nn_sample_config *cfg, nn_error *err)
{
    size_t V;
    nn_status st = nn_language_model_vocab(net, &V, err);
    if (st != NN_OK)
        return st;
    if (!(isfinite(cfg->temperature) && cfg->temperature >= 0.0f))
        return nn_fail(err, NN_ERR_INVALID, "/temperature",
                       "temperature must be a number ≥ 0 (0: greedy)");
    nn_generator *g = calloc(1, sizeof *g);
    if (!g)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    g->net = net;
    g->cfg = *cfg;
    g->V = V;
    g->T = net->inputs;
    g->carry = nn_generate_carries_state(net);
    g->cache = !g->carry && nn_generate_caches(net);
    nn_rng_seed(&g->rng, cfg->seed);
    g->logits = malloc(V * sizeof *g->logits);
    g->cand = malloc(V * sizeof *g->cand);
    if (!g->logits || !g->cand ||
        ((g->carry || g->cache) && !alloc_carry(g)))
        st = nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    else if (!g->carry)
        st = alloc_window(g, err);
    if (st != NN_OK) {
        nn_generator_free(g);
        return st;
    }
    *out = g;
    return NN_OK;
}

void nn_generator_free(nn_generator *g)
{
    if (!g)
        return;
    free(g->logits);
    free(g->cand);
    free(g->vec[0]);
    free(g->slots);
    free(g->slot_at);
    nn_workspace_free(g->ws);
    free(g->window);
    free(g->x);
    free(g);
}

/* Layer k (dense or dropout) on one position's vector x into a (and its
 * pre-activation into z), through the layer table with the layer's shapes
 * taken per position. */
static void position_layer(const nn_generator *g, size_t k, const float *x,
                           float *z, float *a)
{
    const nn_network *net = g->net;
    nn_layer_info info = net->info[k];
    info.in = nn_shape_vector(info.in.dim[1]);
    info.out = nn_shape_vector(info.out.dim[1]);
    nn_layer_ctx c = {.spec = &net->layers[k],
                      .info = &info,
                      .W = net->params + net->w_offset[k],
                      .b = net->params + net->b_offset[k]};
    nn_layer_table[net->layers[k].kind]->forward(&c, info.has_act ? z : a, a,
                                                 x, 1);
}

/* One position through the stack, the state carried in the slots. */
static void feed_carry(nn_generator *g, uint32_t id)
{
    const nn_network *net = g->net;
    size_t E = net->layers[0].units, last = net->n_layers - 1;
    const float *in = net->params + net->w_offset[0] + (size_t)id * E;
    for (size_t k = 1; k <= last; k++) {
        const nn_layer_spec *s = &net->layers[k];
        if (is_recurrent(s->kind)) {
            size_t S = nn_recurrent_slot_floats(s);
            float *pair = g->slots + g->slot_at[k];
            float *now = pair + (g->fed % 2) * S;
            const float *prev = g->fed ? pair + ((g->fed + 1) % 2) * S : NULL;
            nn_recurrent_step(s, &net->info[k], net->params + net->w_offset[k],
                              net->params + net->b_offset[k], in, prev, now);
            in = nn_recurrent_h(s, now);
            continue;
        }
        float *a = g->vec[k % 2];
        position_layer(g, k, in, k == last ? g->logits : g->z, a);
        in = a;
    }
}

/* Position t = fed < T through the stack: the embedding (and position
 * t's vector), each block one position on from its cache, the other
 * layers per position. */
static void feed_cached(nn_generator *g, uint32_t id)
{
    const nn_network *net = g->net;
    size_t E = net->layers[0].units, last = net->n_layers - 1, t = g->fed;
    const float *w = net->params + net->w_offset[0] + (size_t)id * E;
    const float *p = net->params + net->b_offset[0] + t * E;
    float *in = g->vec[0];
    for (size_t j = 0; j < E; j++)
        in[j] = w[j] + (net->layers[0].positions ? p[j] : 0.0f);
    for (size_t k = 1; k <= last; k++) {
        const nn_layer_spec *s = &net->layers[k];
        float *a = g->vec[k % 2];
        if (s->kind == NN_LAYER_TRANSFORMER_BLOCK)
            nn_transformer_step(s, &net->info[k],
                                net->params + net->w_offset[k],
                                net->params + net->b_offset[k], in, t,
                                g->slots + g->slot_at[k], g->step, a);
        else
            position_layer(g, k, in, k == last ? g->logits : g->z, a);
        in = a;
    }
    g->window[t] = id;
}

/* The window of the last ≤ T ids re-run; the logits of its last id. */
static void feed_window(nn_generator *g, uint32_t id)
{
    size_t T = g->T, w = g->fed < T ? g->fed + 1 : T;
    if (g->fed >= T)
        memmove(g->window, g->window + 1, (T - 1) * sizeof *g->window);
    g->window[w - 1] = id;
    for (size_t t = 0; t < T; t++)
        g->x[t] = t < w ? (float)g->window[t] : 0.0f;
    nn_forward(g->net, g->ws, g->x, 1);
    const float *z = nn_workspace_z(g->ws, g->net->n_layers - 1);
    memcpy(g->logits, z + (w - 1) * g->V, g->V * sizeof *g->logits);
}

nn_status nn_generator_feed(nn_generator *g, uint32_t id, nn_error *err)
{
    if (id >= g->V)
        return nn_fail(err, NN_ERR_INVALID, "/prompt",
                       "token id %u is outside the vocabulary of %zu",
                       (unsigned)id, g->V);
    if (g->carry)
        feed_carry(g, id);
    else if (g->cache && g->fed < g->T)
        feed_cached(g, id);
    else
        feed_window(g, id);
    g->fed++;
    return NN_OK;
}

const float *nn_generator_logits(const nn_generator *g)
{
    return g->fed ? g->logits : NULL;
}

/* Larger logit first; a tie goes to the lower id. */
static int by_logit(const void *pa, const void *pb)
{
    const candidate *a = pa, *b = pb;
    if (a->z != b->z)
        return a->z > b->z ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

uint32_t nn_generator_sample(nn_generator *g)
{
    size_t V = g->V, K = g->cfg.top_k && g->cfg.top_k < V ? g->cfg.top_k : V;
    for (size_t i = 0; i < V; i++)
        g->cand[i] = (candidate){g->logits[i], (uint32_t)i};
    if (g->cfg.temperature == 0.0f || K == 1) {
        size_t best = 0;
        for (size_t i = 1; i < V; i++)
            best = g->logits[i] > g->logits[best] ? i : best;
        return (uint32_t)best;
    }
    if (K < V)
        qsort(g->cand, V, sizeof *g->cand, by_logit);
    float max = g->cand[0].z;
    for (size_t i = 1; i < K; i++)
        max = g->cand[i].z > max ? g->cand[i].z : max;
    double inv_t = 1.0 / g->cfg.temperature, total = 0.0;
    for (size_t i = 0; i < K; i++)
        total += exp((double)(g->cand[i].z - max) * inv_t);
    double u = (double)(nn_rng_next(&g->rng) >> 11) * 0x1p-53 * total;
    for (size_t i = 0; i + 1 < K; i++) {
        u -= exp((double)(g->cand[i].z - max) * inv_t);
        if (u < 0.0)
            return g->cand[i].id;
    }
    return g->cand[K - 1].id;
}

nn_status nn_generate(const nn_network *net, const uint32_t *prompt,
                      size_t n_prompt, size_t max_tokens,
                      const nn_sample_config *cfg, uint32_t *out,
                      size_t *n_out, nn_token_fn cb, void *user,
                      nn_error *err)
{
    if (n_out)
        *n_out = 0;
    if (!prompt || n_prompt == 0)
        return nn_fail(err, NN_ERR_INVALID, "/prompt",
                       "the prompt needs at least one token");
    nn_generator *g = NULL;
    nn_status st = nn_generator_create(&g, net, cfg, err);
    for (size_t i = 0; st == NN_OK && i < n_prompt; i++)
        st = nn_generator_feed(g, prompt[i], err);
    for (size_t i = 0; st == NN_OK && i < max_tokens; i++) {
        uint32_t id = nn_generator_sample(g);
        if (out)
            out[i] = id;
        if (n_out)
            *n_out = i + 1;
        if ((cb && !cb(id, i, user)) || i + 1 == max_tokens)
            break;
        st = nn_generator_feed(g, id, err);
    }
    nn_generator_free(g);
    return st;
}
