/* test_generate.c — POST /v1/models/{id}/generate on language models that
 * carry a vocabulary (imported with one: the weights are a seed's, so
 * the text is noise, but every property below holds for any weights):
 * the same seed gives the same text, temperature 0 equals top_k 1, top_k
 * draws only among the k most probable tokens (as /predict gives them),
 * the event stream sends each token as it is sampled and the same text
 * as the JSON reply, and every bad request is refused naming its field
 * (409 for a model that cannot generate). Prints the measured first-token
 * latency and tokens/s of the stream. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "model_calls.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(generate, .init = setup, .fini = teardown, .timeout = 120);

/* A language model over "abcde" (context T, an lstm of `units`; with
 * learned positions, so that generation slides a window of T tokens
 * rather than carry the lstm's state), its vocabulary imported with it;
 * its id into id. */
static void make_lm(size_t T, size_t units, bool positions, char id[64])
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"name\": \"lm\", \"vocab_size\": 5, \"context\": %zu,"
             " \"seed\": 11, \"layers\": [{\"type\": \"embedding\", \"dim\": "
             "8, \"positions\": \"%s\"}, {\"type\": \"lstm\", \"units\": %zu},"
             " {\"units\": 5, \"activation\": \"softmax\"}]}",
             T, positions ? "learned" : "none", units);
    json_t *m = mt_create(&srv, body);
    json_t *doc = mt_export(&srv, api_jstr(m, "id"));
    json_object_set_new(doc, "vocabulary",
                        json_pack("[sssss]", "a", "b", "c", "d", "e"));
    json_t *back = mt_import(&srv, doc);
    snprintf(id, 64, "%s", api_jstr(back, "id"));
    json_decref(back), json_decref(doc), json_decref(m);
}

/* POSTs body to model id's generate and asserts 200; the reply's JSON. */
static json_t *generate(const char *id, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/generate", id);
    api_response r = api_json(&srv, "POST", path, body);
    cr_assert_eq(r.status, 200, "%s: %ld %s", body, r.status, r.body);
    cr_assert_not_null(r.json, "not JSON: %s", r.body);
    json_t *j = json_incref(r.json);
    api_free(&r);
    return j;
}

/* A generation of 40 tokens with the body's fields (a JSON members list). */
static json_t *generate_with(const char *id, const char *fields)
{
    size_t n = strlen(fields) + 64;
    char *body = malloc(n);
    snprintf(body, n, "{\"max_tokens\": 40, %s}", fields);
    json_t *j = generate(id, body);
    free(body);
    return j;
}

/* The text of a generation of n tokens with the body's other fields. */
static char *text_of(const char *id, size_t n, const char *fields)
{
    char body[256];
    snprintf(body, sizeof body, "{\"prompt\": \"ab\", \"max_tokens\": %zu, %s}",
             n, fields);
    json_t *j = generate(id, body);
    cr_assert_eq(api_int(j, "tokens"), (json_int_t)n);
    char *t = strdup(api_jstr(j, "text"));
    json_decref(j);
    return t;
}

Test(generate, same_seed_same_text_and_greedy_is_top_k_1)
{
    char id[64];
    make_lm(8, 16, false, id);
    char *a = text_of(id, 60, "\"seed\": 1");
    char *b = text_of(id, 60, "\"seed\": 1");
    char *c = text_of(id, 60, "\"seed\": 2");
    cr_assert_str_eq(a, b, "the same seed gives the same text");
    cr_assert_str_neq(a, c, "another seed, another text");
    cr_assert_eq(strlen(a), 60, "one character per token: %s", a);
    cr_assert_eq(strspn(a, "abcde"), 60, "only the vocabulary: %s", a);
    char *g = text_of(id, 60, "\"temperature\": 0, \"seed\": 1");
    char *k = text_of(id, 60, "\"top_k\": 1, \"temperature\": 1.5, \"seed\": 9");
    cr_assert_str_eq(g, k, "top_k 1 is greedy, whatever the seed");
    json_t *j = generate(id, "{\"prompt\": \"a\", \"max_tokens\": 1}");
    cr_assert(json_is_integer(json_object_get(j, "seed")),
              "a random seed is reported");
    free(a), free(b), free(c), free(g), free(k), json_decref(j);
}

/* The ids of the k most probable next tokens after "ab" (ids 0, 1), as
 * /predict gives them for the window [0, 1, 0, …] (the prompt, then the
 * padding generate uses), at position 1. */
static void top_ids(const char *id, size_t T, size_t k, int *out)
{
    char inputs[256] = "[[0, 1";
    for (size_t t = 2; t < T; t++)
        strcat(inputs, ", 0");
    strcat(inputs, "]]");
    json_t *p = mt_predict(&srv, id, inputs);
    json_t *row = json_array_get(json_object_get(p, "outputs"), 0);
    double prob[5];
    for (int v = 0; v < 5; v++)
        prob[v] = json_real_value(json_array_get(row, 5 + (size_t)v));
    for (size_t i = 0; i < k; i++) {
        int best = -1;
        for (int v = 0; v < 5; v++) {
            bool taken = false;
            for (size_t j = 0; j < i; j++)
                taken |= out[j] == v;
            if (!taken && (best < 0 || prob[v] > prob[best]))
                best = v;
        }
        out[i] = best;
    }
    json_decref(p);
}

Test(generate, top_k_draws_only_the_k_most_probable)
{
    char id[64];
    make_lm(8, 16, false, id);
    int top[2];
    top_ids(id, 8, 2, top);
    unsigned seen[5] = {0};
    for (int seed = 1; seed <= 40; seed++) {
        char fields[96];
        snprintf(fields, sizeof fields,
                 "\"top_k\": 2, \"temperature\": 2, \"seed\": %d", seed);
        char *t = text_of(id, 1, fields);
        seen[t[0] - 'a']++;
        free(t);
    }
    cr_assert_eq(seen[top[0]] + seen[top[1]], 40,
                 "every draw is one of the 2 most probable (%c, %c)",
                 'a' + top[0], 'a' + top[1]);
    cr_assert(seen[top[0]] > 0 && seen[top[1]] > 0,
              "both of them are drawn (%u, %u)", seen[top[0]], seen[top[1]]);
}

/* What a client of the event stream saw: the body, and when (ms after
 * the request) its first token event and its end arrived. */
typedef struct {
    char *body;
    size_t len;
    double start, first_ms, end_ms;
} stream_seen;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t on_data(char *d, size_t size, size_t n, void *user)
{
    stream_seen *s = user;
    s->body = realloc(s->body, s->len + size * n + 1);
    memcpy(s->body + s->len, d, size * n);
    s->len += size * n;
    s->body[s->len] = '\0';
    if (s->first_ms == 0 && strstr(s->body, "event: token"))
        s->first_ms = now_ms() - s->start;
    return size * n;
}

static stream_seen stream(const char *id, const char *body)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/models/%s/generate",
             srv.port, id);
    stream_seen s = {.start = now_ms()};
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Accept: text/event-stream");
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    cr_assert_eq(status, 200, "%s", s.body);
    s.end_ms = now_ms() - s.start;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return s;
}

/* The texts of the stream's token events joined, and their count. */
static char *stream_text(const char *body, size_t *tokens)
{
    char *all = calloc(1, strlen(body) + 1);
    *tokens = 0;
    for (const char *p = strstr(body, "event: token\ndata: "); p;
         p = strstr(p + 1, "event: token\ndata: ")) {
        json_t *d = json_loads(p + strlen("event: token\ndata: "),
                               JSON_DISABLE_EOF_CHECK, NULL);
        cr_assert_not_null(d, "a token event's data is JSON");
        strcat(all, api_jstr(d, "text"));
        json_decref(d);
        (*tokens)++;
    }
    return all;
}

Test(generate, the_stream_sends_each_token_as_it_is_sampled)
{
    char id[64];
    make_lm(64, 128, true, id); /* a window of 64 per token: work to see */
    static const char body[] = "{\"prompt\": \"abcab\", \"max_tokens\": 1000,"
                               " \"temperature\": 0.8, \"top_k\": 3,"
                               " \"seed\": 5}";
    stream_seen s = stream(id, body);
    size_t tokens = 0;
    char *text = stream_text(s.body, &tokens);
    cr_assert_eq(tokens, 1000);
    const char *end = strstr(s.body, "event: end\ndata: ");
    cr_assert_not_null(end, "the stream ends with an end event");
    json_t *e = json_loads(end + strlen("event: end\ndata: "),
                           JSON_DISABLE_EOF_CHECK, NULL);
    cr_assert_eq(api_int(e, "tokens"), 1000);
    cr_assert_eq(api_int(e, "seed"), 5);
    json_t *j = generate(id, body);
    cr_assert_str_eq(text, api_jstr(j, "text"),
                     "the stream and the JSON reply say the same text");
    /* One token's pass over the window, not 1000, comes before the first
     * event. */
    cr_assert_lt(s.first_ms, s.end_ms / 4,
                 "first token at %.1f ms of %.1f ms", s.first_ms, s.end_ms);
    fprintf(stderr,
            "generate: embedding 8 (learned positions) → lstm 128 → dense 5, "
            "a sliding window of 64: first token after %.1f ms, 1000 tokens "
            "in %.1f ms (%.0f tokens/s)\n",
            s.first_ms, s.end_ms, 1000e3 / s.end_ms);
    free(text), free(s.body), json_decref(e), json_decref(j);
}

/* A prompt longer than the context (600 characters, fed in pieces of 256
 * positions): a model that slides a window reads only the prompt's last
 * `context` characters, so the whole prompt and those alone give the
 * same text; a recurrent model carries its state through all of it (that
 * the carried state equals a pass over the whole text is libnn's test,
 * tests/core/test_sample.c) and writes on. */
Test(generate, a_long_prompt_carries_state_or_slides_the_window)
{
    char carry[64], slide[64];
    make_lm(8, 16, false, carry);
    make_lm(8, 16, true, slide);
    static const char tail[] = "abcdeabc"; /* the last 8 of the long one */
    char whole[700] = "", fields[800];
    for (int i = 0; i < 74; i++)
        strcat(whole, "eddcbaab");
    strcat(whole, tail);
    snprintf(fields, sizeof fields, "\"prompt\": \"%s\", \"seed\": 3", whole);
    json_t *a = generate_with(slide, fields), *c = generate_with(carry, fields);
    snprintf(fields, sizeof fields, "\"prompt\": \"%s\", \"seed\": 3", tail);
    json_t *b = generate_with(slide, fields);
    cr_assert_str_eq(api_jstr(a, "text"), api_jstr(b, "text"),
                     "the window reads the prompt's last 8 characters");
    cr_assert_eq(api_int(c, "tokens"), 40);
    cr_assert_eq(strlen(api_jstr(c, "text")), 40);
    json_decref(a), json_decref(b), json_decref(c);
}

Test(generate, bad_requests_name_their_field)
{
    char id[64], path[128];
    make_lm(8, 16, false, id);
    snprintf(path, sizeof path, "/v1/models/%s/generate", id);
    char *long_prompt = malloc(4200);
    strcpy(long_prompt, "{\"prompt\": \"");
    memset(long_prompt + 12, 'a', 4097);
    strcpy(long_prompt + 12 + 4097, "\"}");
    static const struct {
        const char *body;
        long status;
        const char *pointer;
    } cases[] = {
        {"{}", 422, "/prompt"},
        {"{\"prompt\": \"\"}", 422, "/prompt"},
        {"{\"prompt\": \"abz\"}", 422, "/prompt"},
        {"{\"prompt\": \"ab\\u00e9\"}", 422, "/prompt"},
        {"{\"prompt\": 3}", 400, "/prompt"},
        {"{\"prompt\": \"a\", \"max_tokens\": 4097}", 422, "/max_tokens"},
        {"{\"prompt\": \"a\", \"max_tokens\": 0}", 422, "/max_tokens"},
        {"{\"prompt\": \"a\", \"temperature\": -0.5}", 422, "/temperature"},
        {"{\"prompt\": \"a\", \"temperature\": 11}", 422, "/temperature"},
        {"{\"prompt\": \"a\", \"top_k\": \"2\"}", 400, "/top_k"},
        {"{\"prompt\": \"a\", \"seed\": -1}", 422, "/seed"},
        {"{\"prompt\": \"a\", \"stop\": \"\\n\"}", 400, "/stop"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        mt_refused(&srv, "POST", path, cases[i].body, cases[i].status,
                   cases[i].pointer);
    mt_refused(&srv, "POST", path, long_prompt, 422, "/prompt");
    free(long_prompt);
    /* No vocabulary (never trained on a text), not a language model (the
     * last step only), not a model of token ids: 409. */
    static const char *const models[] = {
        "{\"name\": \"untrained\", \"vocab_size\": 5, \"context\": 4, \"layers\":"
        " [{\"type\": \"embedding\", \"dim\": 2}, {\"type\": \"gru\", \"units\":"
        " 2}, {\"units\": 5, \"activation\": \"softmax\"}]}",
        "{\"name\": \"last-step\", \"vocab_size\": 5, \"context\": 4, \"layers\":"
        " [{\"type\": \"embedding\", \"dim\": 2}, {\"type\": \"gru\", \"units\":"
        " 2, \"return_sequences\": false}, {\"units\": 5, \"activation\":"
        " \"softmax\"}]}",
        "{\"name\": \"vector\", \"inputs\": 2, \"layers\": [{\"units\": 1,"
        " \"activation\": \"linear\"}]}"};
    for (size_t i = 0; i < 3; i++) {
        json_t *m = mt_create(&srv, models[i]);
        snprintf(path, sizeof path, "/v1/models/%s/generate", api_jstr(m, "id"));
        mt_refused(&srv, "POST", path, "{\"prompt\": \"a\"}", 409, NULL);
        json_decref(m);
    }
    mt_refused(&srv, "POST", "/v1/models/md_aaaaaaaaaaaaaaaaaaaaaaaaaa/generate",
               "{\"prompt\": \"a\"}", 404, NULL);
}
