/* generate.c — POST /v1/models/{id}/generate (see generate.h), on
 * libnn's generator (nn_sample.h): a recurrent model carries its state
 * from token to token (one position's work per token, past the context as
 * far as the text goes); another slides a window of the last `context`
 * tokens. Each call of the reply's content reader does a bounded piece of
 * work: feeding up to FEED_POSITIONS positions of the prompt, or drawing
 * one token and feeding it back. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class_table.h"
#include "generate.h"
#include "jsonv.h"
#include "model_def.h"
#include "models.h"
#include "nn_sample.h"
#include "seq_def.h"
#include "store.h"

#define DEFAULT_MAX_TOKENS 200
#define FEED_POSITIONS 256 /* positions of the prompt one reader call feeds */

typedef enum { GEN_HEAD, GEN_TOKENS, GEN_TAIL, GEN_DONE } gen_phase;

/* What the body asks for, checked. */
typedef struct {
    const char *prompt;
    size_t max_tokens;
    nn_sample_config sample;
} gen_request;

/* One generation in progress, owned by its reply. */
typedef struct {
    nn_network *net;
    nn_generator *gen;
    uint32_t *ids;     /* the prompt's tokens */
    size_t n_ids, fed; /* of them, fed so far */
    size_t feeds_per_call;
    uint32_t last;     /* the token drawn last */
    size_t produced, max_tokens;
    uint64_t seed;
    bool sse;
    gen_phase phase;
    char *out; /* what the reader hands out next (malloc'd) */
    size_t out_len, out_pos;
} gen_stream;

static void gen_free(void *cls)
{
    gen_stream *g = cls;
    if (!g)
        return;
    nn_generator_free(g->gen);
    nn_network_free(g->net);
    free(g->ids);
    free(g->out);
    free(g);
}

/* The body's fields; false after replying. */
static bool read_request(nd_request *req, gen_request *r)
{
    static const char *const fields[] = {"prompt", "max_tokens", "temperature",
                                         "top_k", "seed", NULL};
    json_t *b = req->json;
    uint64_t max_tokens = DEFAULT_MAX_TOKENS, top_k = 0;
    double temperature = 1.0;
    uint64_t seed = nd_model_random_seed();
    if (!nd_json_allow(req, b, "", fields) ||
        !nd_field_string(req, b, "", "prompt", true, &r->prompt) ||
        !nd_field_uint(req, b, "", "max_tokens", false, 1, ND_GEN_MAX_TOKENS,
                       &max_tokens) ||
        !nd_field_number(req, b, "", "temperature", false, 0,
                         ND_GEN_MAX_TEMPERATURE, &temperature) ||
        !nd_field_uint(req, b, "", "top_k", false, 0, ND_MAX_VOCAB, &top_k) ||
        !nd_field_uint(req, b, "", "seed", false, 0, INT64_MAX, &seed))
        return false;
    json_t *p = json_object_get(b, "prompt");
    if (json_string_length(p) == 0 ||
        json_string_length(p) != strlen(r->prompt)) {
        nd_reply_invalid(req, 422, "/prompt",
                         json_string_length(p)
                             ? "must not contain NUL characters"
                             : "must have at least one character to go on "
                               "from");
        return false;
    }
    r->max_tokens = (size_t)max_tokens;
    r->sample = (nn_sample_config){(float)temperature, (size_t)top_k, seed};
    return true;
}

/* The id of the token spelled s[0..n): the vocabulary's entry, or, for a
 * vocabulary of bytes, each byte ≥ 0x80 as its "\xNN" entry. Appends the
 * ids; false when a piece is not in the vocabulary. */
static bool lookup(const nd_class_table *vocab, const char *s, size_t n,
                   uint32_t *ids, size_t *n_ids)
{
    char name[8];
    memcpy(name, s, n);
    name[n] = '\0';
    long id = nd_class_table_find(vocab, name);
    if (id >= 0) {
        ids[(*n_ids)++] = (uint32_t)id;
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "\\x%02x", (unsigned char)s[i]);
        if ((id = nd_class_table_find(vocab, name)) < 0)
            return false;
        ids[(*n_ids)++] = (uint32_t)id;
    }
    return true;
}

/* The bytes of the UTF-8 character at s (valid: jansson checked it). */
static size_t char_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Tokenizes the prompt into g->ids with the model's vocabulary; false
 * after replying 422 at /prompt. */
static bool tokenize(nd_request *req, gen_stream *g, const char *prompt)
{
    const nn_network *net = g->net;
    nd_class_table *vocab = nd_class_table_new(net->n_classes);
    bool added = true;
    for (size_t i = 0; vocab && i < net->n_classes; i++)
        nd_class_table_index(vocab, net->classes[i], &added);
    if (!vocab) {
        nd_reply_problem(req, 503, "out of memory");
        return false;
    }
    size_t at = 0, chars = 0, len = strlen(prompt);
    bool ok = true;
    while (ok && at < len) {
        size_t n = char_len((unsigned char)prompt[at]);
        if (g->n_ids + n > ND_GEN_MAX_PROMPT) {
            nd_reply_invalid(req, 422, "/prompt",
                             "has more than %u tokens, the most a prompt may "
                             "have", ND_GEN_MAX_PROMPT);
            ok = false;
        } else if (!lookup(vocab, prompt + at, n, g->ids, &g->n_ids)) {
            nd_reply_invalid(req, 422, "/prompt",
                             "its character %zu, \"%.*s\", is not in the "
                             "model's vocabulary",
                             chars, (int)n, prompt + at);
            ok = false;
        }
        at += n;
        chars++;
    }
    nd_class_table_free(vocab);
    return ok;
}

/* A model that can generate: a language model with its vocabulary;
 * false after replying 409. */
static bool can_generate(nd_request *req, const nn_network *net)
{
    size_t V = 0;
    if (nn_language_model_vocab(net, &V, NULL) != NN_OK) {
        nd_reply_problem(req, 409, "this model is not a language model: "
                                   "generation needs vocab_size, context "
                                   "and an output per position");
        return false;
    }
    if (net->n_classes != V) {
        nd_reply_problem(req, 409, "this model has no vocabulary: train it "
                                   "on a text first (a job stores the "
                                   "text's vocabulary with the model)");
        return false;
    }
    return true;
}

/* The generator and the prompt's buffer for r; false after replying. */
static bool alloc_stream(nd_request *req, gen_stream *g, const gen_request *r)
{
    nn_error err;
    g->ids = malloc(ND_GEN_MAX_PROMPT * sizeof *g->ids);
    if (!g->ids) {
        nd_reply_problem(req, 503, "out of memory");
        return false;
    }
    nn_status st = nn_generator_create(&g->gen, g->net, &r->sample, &err);
    if (st == NN_OK)
        return true;
    if (st == NN_ERR_NOMEM)
        nd_reply_problem(req, 503, "out of memory");
    else
        nd_reply_nn_error(req, "", &err);
    return false;
}

/* Where feeding starts, and how many feeds a reader call makes: a
 * generator that carries state reads the whole prompt, one position a
 * feed; one that slides a window needs only the last `context` tokens,
 * each feed a pass over the window. */
static void plan_feeding(gen_stream *g)
{
    size_t T = g->net->inputs;
    bool carries = nn_generate_carries_state(g->net);
    g->fed = carries || g->n_ids <= T ? 0 : g->n_ids - T;
    g->feeds_per_call = carries ? FEED_POSITIONS
                                : (FEED_POSITIONS / T ? FEED_POSITIONS / T : 1);
}

/* Feeds the next piece of the prompt; false when a feed failed. */
static bool feed_prompt(gen_stream *g)
{
    nn_error err;
    for (size_t i = 0; i < g->feeds_per_call && g->fed < g->n_ids; i++)
        if (nn_generator_feed(g->gen, g->ids[g->fed++], &err) != NN_OK)
            return false;
    return true;
}

/* Feeds back the token drawn last (after the first) and draws the next
 * into g->last; false when the feed failed (the stream then ends). */
static bool step(gen_stream *g)
{
    nn_error err;
    if (g->produced && nn_generator_feed(g->gen, g->last, &err) != NN_OK)
        return false;
    g->last = nn_generator_sample(g->gen);
    g->produced++;
    return true;
}

/* JSON text of a string, without its quotes when bare; NULL out of
 * memory. */
static char *json_text(const char *s, bool bare)
{
    json_t *v = json_string(s);
    char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(v);
    if (text && bare) {
        size_t n = strlen(text);
        memmove(text, text + 1, n - 2);
        text[n - 2] = '\0';
    }
    return text;
}

/* A malloc'd printf; NULL out of memory. */
static char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* What the stream sends next: its head, one token, or its tail. */
static char *produce(gen_stream *g)
{
    char *s = NULL, *t = NULL;
    switch (g->phase) {
    case GEN_HEAD: /* the prompt, a piece a call, then the reply's head */
        if (!feed_prompt(g)) {
            g->phase = GEN_DONE; /* ids are < V: a feed cannot fail */
            return NULL;
        }
        /* A piece that leaves more sends a byte the client skips (an
         * event-stream comment line, JSON's leading white space), so
         * that the reader returns between pieces. */
        if (g->fed < g->n_ids)
            return strdup(g->sse ? ":\n" : " ");
        g->phase = GEN_TOKENS;
        return strdup(g->sse ? "" : "{\"text\":\"");
    case GEN_TOKENS:
        if (g->produced == g->max_tokens || !step(g)) {
            g->phase = GEN_TAIL;
            return strdup("");
        }
        t = json_text(g->net->classes[g->last], !g->sse);
        if (!g->sse || !t)
            return t;
        s = strf("event: token\ndata: {\"text\":%s}\n\n", t);
        free(t);
        return s;
    case GEN_TAIL:
        g->phase = GEN_DONE;
        return g->sse ? strf("event: end\ndata: {\"tokens\":%zu,\"seed\":"
                             "%llu}\n\n",
                             g->produced, (unsigned long long)g->seed)
                      : strf("\",\"tokens\":%zu,\"seed\":%llu}",
                             g->produced, (unsigned long long)g->seed);
    default:
        return NULL;
    }
}

static long gen_read(void *cls, char *buf, size_t max)
{
    gen_stream *g = cls;
    while (g->out_pos == g->out_len) {
        free(g->out);
        g->out = g->phase == GEN_DONE ? NULL : produce(g);
        if (!g->out)
            return -1; /* the end, or out of memory: the stream stops */
        g->out_len = strlen(g->out);
        g->out_pos = 0;
    }
    size_t n = g->out_len - g->out_pos;
    n = n < max ? n : max;
    memcpy(buf, g->out + g->out_pos, n);
    g->out_pos += n;
    return (long)n;
}

/* Whether the client asked for an event stream. */
static bool wants_sse(const nd_request *req)
{
    const char *accept = nd_header(req, "Accept");
    return accept && strstr(accept, "text/event-stream") != NULL;
}

void models_generate(nd_request *req)
{
    const char *id = req->params[0];
    gen_request r;
    if (!nd_id_valid(id, "md_")) {
        nd_reply_problem(req, 404, "no model %s", id);
        return;
    }
    if (!read_request(req, &r))
        return;
    gen_stream *g = calloc(1, sizeof *g);
    char err[256];
    int rc = g ? nd_model_load(id, &g->net, err, sizeof err) : -1;
    if (rc)
        rc > 0 ? nd_reply_problem(req, 404, "no model %s", id)
               : nd_reply_problem(req, g ? 500 : 503, "%s",
                                  g ? err : "out of memory");
    bool ok = !rc && can_generate(req, g->net) && alloc_stream(req, g, &r) &&
              tokenize(req, g, r.prompt);
    if (!ok) {
        gen_free(g);
        return;
    }
    g->max_tokens = r.max_tokens;
    g->seed = r.sample.seed;
    g->sse = wants_sse(req);
    plan_feeding(g);
    nd_reply_stream(req, 200, g->sse ? "text/event-stream" : "application/json",
                    (nd_body_source){gen_read, gen_free, g, 0});
}
