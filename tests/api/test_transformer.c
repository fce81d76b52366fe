/* test_transformer.c — GPT-style models through the API: embedding with
 * learned positions → transformer blocks → layernorm → dense softmax, and
 * gelu as a dense activation. Their summary (output_shape, parameters),
 * an export → import that predicts bit-identically, ONNX and C exports
 * refused naming the layer; each bad definition (heads not dividing the
 * width, mlp_ratio out of range, dropout, a context past the limit, a
 * model past --max-params) a 422 naming its field before anything is
 * allocated; and a 2-block model trained on the start of tiny Shakespeare
 * beats the unigram baseline clearly and generates reproducibly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jobs_helpers.h"
#include "model_calls.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, (const char *[]){"--max-params", "200000", NULL});
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(transformer, .init = setup, .fini = teardown, .timeout = 240);

/* A GPT over `context` ids of vocab V: embedding D (learned positions),
 * `blocks` blocks of `heads` heads (block fields `extra`), layernorm,
 * dense V softmax; into body. */
static void gpt_body(char *body, size_t cap, size_t V, size_t context,
                     size_t D, size_t blocks, size_t heads, const char *extra)
{
    int n = snprintf(body, cap,
                     "{\"name\": \"gpt\", \"vocab_size\": %zu, \"context\": "
                     "%zu, \"seed\": 5, \"layers\": [{\"type\": "
                     "\"embedding\", \"dim\": %zu, \"positions\": "
                     "\"learned\"}",
                     V, context, D);
    for (size_t b = 0; b < blocks; b++)
        n += snprintf(body + n, cap - (size_t)n,
                      ", {\"type\": \"transformer_block\", \"heads\": %zu%s}",
                      heads, extra);
    snprintf(body + n, cap - (size_t)n,
             ", {\"type\": \"layernorm\"}, {\"units\": %zu, \"activation\": "
             "\"softmax\"}]}",
             V);
}

/* Two rows of 8 token ids of 5, as a predict body's inputs. */
static const char ids[] = "[[0, 1, 2, 3, 4, 0, 1, 2], [4, 4, 3, 2, 1, 0, 0, 1]]";

static json_t *layer(json_t *model, size_t k)
{
    return json_array_get(json_object_get(model, "layers"), k);
}

Test(transformer, summary_and_export_import_round_trip)
{
    char body[2048], path[128];
    /* D 8, M 32: 4·64 + 2·8·32 = 768 weights, 9·8 + 32 = 104 biases */
    gpt_body(body, sizeof body, 5, 8, 8, 2, 2, ", \"mlp_ratio\": 4");
    json_t *m = mt_create(&srv, body);
    const char *id = api_jstr(m, "id");
    mt_assert_json(json_object_get(layer(m, 1), "output_shape"), "[8, 8]");
    cr_assert_eq(api_int(layer(m, 1), "parameters"), 872);
    cr_assert_eq(api_int(layer(m, 1), "heads"), 2);
    cr_assert_eq(api_int(layer(m, 1), "mlp_ratio"), 4);
    cr_assert_eq(api_int(layer(m, 3), "parameters"), 16, "γ and β of 8");
    mt_assert_json(json_object_get(layer(m, 4), "output_shape"), "[8, 5]");
    /* 5·8 + 8·8 (positions) + 2·872 + 16 + 8·5 + 5 */
    cr_assert_eq(api_int(m, "parameters"), 40 + 64 + 2 * 872 + 16 + 45);
    json_t *a = mt_predict(&srv, id, ids);
    json_t *doc = mt_export(&srv, id);
    json_t *w = json_object_get(doc, "weights");
    json_t *blk = json_array_get(w, 1), *ln = json_array_get(w, 3);
    cr_assert_eq(json_array_size(json_object_get(blk, "attn_W")), 8,
                 "attn_W: a row per input");
    cr_assert_eq(json_array_size(json_array_get(
                     json_object_get(blk, "attn_W"), 0)),
                 24, "q, k and v of 8");
    cr_assert_eq(json_array_size(json_object_get(blk, "mlp_proj_W")), 32);
    cr_assert_eq(json_array_size(json_object_get(blk, "ln2_gamma")), 8);
    cr_assert_eq(json_array_size(json_object_get(ln, "gamma")), 8);
    cr_assert_float_eq(json_real_value(json_array_get(
                           json_object_get(ln, "gamma"), 0)),
                       1.0, 1e-9, "γ starts at 1");
    json_t *back = mt_import(&srv, doc);
    json_t *c = mt_predict(&srv, api_jstr(back, "id"), ids);
    cr_assert(json_equal(a, c), "the import predicts bit-identically");
    /* An entry missing a part, or a part of the wrong size, is refused. */
    json_t *bad = json_deep_copy(doc);
    json_object_del(json_array_get(json_object_get(bad, "weights"), 1),
                    "attn_proj_b");
    char *text = json_dumps(bad, JSON_COMPACT);
    mt_refused(&srv, "POST", "/v1/models/import", text, 422,
               "/weights/1/attn_proj_b");
    free(text);
    json_array_remove(json_object_get(json_array_get(
                          json_object_get(bad, "weights"), 3), "beta"), 0);
    text = json_dumps(bad, JSON_COMPACT);
    mt_refused(&srv, "POST", "/v1/models/import", text, 422,
               "/weights/1/attn_proj_b");
    free(text);
    json_object_set(json_array_get(json_object_get(bad, "weights"), 1),
                    "attn_proj_b", json_object_get(blk, "attn_proj_b"));
    text = json_dumps(bad, JSON_COMPACT);
    mt_refused(&srv, "POST", "/v1/models/import", text, 422,
               "/weights/3/beta");
    free(text);
    snprintf(path, sizeof path, "/v1/models/%s/export?format=onnx", id);
    mt_refused(&srv, "GET", path, NULL, 422, "/layers/0/type");
    snprintf(path, sizeof path, "/v1/models/%s/export?format=c", id);
    mt_refused(&srv, "GET", path, NULL, 422, "/layers/0/type");
    json_decref(bad), json_decref(a), json_decref(c);
    json_decref(doc), json_decref(back), json_decref(m);
}

/* gelu as a dense activation: GPT-2's tanh form, round-tripped; ONNX and
 * C refuse it naming the activation. */
Test(transformer, gelu_is_a_dense_activation)
{
    json_t *m = mt_create(&srv, "{\"name\": \"g\", \"inputs\": 2, \"seed\": 1,"
                                " \"layers\": [{\"units\": 4, \"activation\":"
                                " \"gelu\"}, {\"units\": 1, \"activation\":"
                                " \"linear\"}]}");
    const char *id = api_jstr(m, "id");
    cr_assert_str_eq(api_jstr(layer(m, 0), "activation"), "gelu");
    json_t *a = mt_predict(&srv, id, "[[0.5, -1], [2, 3]]");
    json_t *doc = mt_export(&srv, id);
    json_t *back = mt_import(&srv, doc);
    json_t *c = mt_predict(&srv, api_jstr(back, "id"), "[[0.5, -1], [2, 3]]");
    cr_assert(json_equal(a, c), "the import predicts bit-identically");
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/export?format=onnx", id);
    mt_refused(&srv, "GET", path, NULL, 422, "/layers/0/activation");
    snprintf(path, sizeof path, "/v1/models/%s/export?format=c", id);
    mt_refused(&srv, "GET", path, NULL, 422, "/layers/0/activation");
    json_decref(a), json_decref(c), json_decref(doc), json_decref(back);
    json_decref(m);
}

Test(transformer, bad_definitions_name_their_field)
{
    static const struct {
        size_t context, D, heads;
        const char *extra, *pointer;
        long status;
    } cases[] = {
        {8, 8, 3, "", "/layers/1/heads", 422},  /* 3 does not divide 8 */
        {8, 8, 0, "", "/layers/1/heads", 422},
        {8, 8, 16, "", "/layers/1/heads", 422}, /* more heads than width */
        {8, 8, 2, ", \"mlp_ratio\": 0", "/layers/1/mlp_ratio", 422},
        {8, 8, 2, ", \"mlp_ratio\": 65", "/layers/1/mlp_ratio", 422},
        {8, 8, 2, ", \"mlp_ratio\": 1.5", "/layers/1/mlp_ratio", 400},
        {8, 8, 2, ", \"dropout\": 0.1", "/layers/1/dropout", 422},
        {8, 8, 2, ", \"dropout\": \"no\"", "/layers/1/dropout", 400},
        {8, 8, 2, ", \"rate\": 0", "/layers/1/rate", 400},
        {4097, 8, 2, "", "/context", 422},
        /* 2 blocks of width 128: 2·(12·128² + 13·128) > 200000 */
        {8, 128, 4, "", "/layers", 422},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char body[2048];
        gpt_body(body, sizeof body, 5, cases[i].context, cases[i].D, 2,
                 cases[i].heads, cases[i].extra);
        mt_refused(&srv, "POST", "/v1/models", body, cases[i].status,
                   cases[i].pointer);
    }
    /* A block needs a sequence; a layernorm takes no fields. */
    mt_refused(&srv, "POST", "/v1/models",
               "{\"name\": \"v\", \"inputs\": 4, \"layers\": [{\"type\":"
               " \"transformer_block\", \"heads\": 2}]}",
               422, "/layers/0/type");
    mt_refused(&srv, "POST", "/v1/models",
               "{\"name\": \"v\", \"inputs\": 4, \"layers\": [{\"type\":"
               " \"layernorm\", \"units\": 2}]}",
               400, "/layers/0/units");
    mt_assert_no_models(&srv);
}

static char *generate(const char *md, unsigned seed)
{
    char path[128], body[256];
    snprintf(path, sizeof path, "/v1/models/%s/generate", md);
    snprintf(body, sizeof body,
             "{\"prompt\": \"First Citizen:\\n\", \"max_tokens\": 60,"
             " \"seed\": %u, \"temperature\": 0.8}",
             seed);
    api_response g = api_json(&srv, "POST", path, body);
    cr_assert_eq(g.status, 200, "%s", g.body);
    char *text = strdup(api_str(&g, "text"));
    api_free(&g);
    return text;
}

Test(transformer, a_two_block_gpt_beats_the_unigram_baseline)
{
    enum { N = 12000, T = 32, EPOCHS = 8 };
    char *text = api_read_file(api_shared_data("tinyshakespeare.txt"));
    cr_assert_not_null(text, "tinyshakespeare.txt");
    text[N] = '\0';
    api_response r = api_call(&srv, "POST", "/v1/datasets?name=text",
                              "text/plain; charset=utf-8", text, N);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char ds[64], md[64], job[64], body[2048];
    snprintf(ds, sizeof ds, "%s", api_str(&r, "id"));
    size_t V = (size_t)api_int(r.json, "vocab_size");
    api_free(&r);
    gpt_body(body, sizeof body, V, T, 32, 2, 4, "");
    make_model(&srv, body, md);
    start_job(&srv, md, ds,
              "\"epochs\": %u, \"epoch_steps\": 25, \"batch_size\": 16,"
              " \"validation_split\": 0.1, \"optimizer\": {\"name\":"
              " \"adamw\", \"learning_rate\": 0.003, \"weight_decay\": 0.1},"
              " \"clip_grad_norm\": 1.0, \"seed\": 4",
              job, EPOCHS);
    json_t *j = api_wait_job(&srv, job, 200);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded", "%s",
                     api_jstr(j, "error") ? api_jstr(j, "error") : "");
    size_t n_val = (size_t)((double)N * 0.1f);
    double base = text_unigram_nats(text, N - n_val, N);
    double val = api_num(j, "val_loss");
    fprintf(stderr,
            "transformer: %d chars (vocab %zu), embedding 32 → 2 blocks of 4 "
            "heads → layernorm, context %d, %d×25 steps of 16: loss %.3f, "
            "val_loss %.3f nats per token, unigram baseline %.3f\n",
            N, V, T, EPOCHS, api_num(j, "loss"), val, base);
    cr_assert_lt(val, base - 0.4, "val_loss %.3f vs unigram %.3f", val, base);
    char *g1 = generate(md, 1), *g2 = generate(md, 1), *g3 = generate(md, 2);
    fprintf(stderr, "transformer: generated: %s\n", g1);
    cr_assert_str_eq(g1, g2, "the same seed, the same text");
    cr_assert_str_neq(g1, g3, "another seed, another text");
    cr_assert_gt(strlen(g1), 40, "60 tokens of one-byte characters");
    free(g1), free(g2), free(g3);
    json_decref(j);
    free(text);
}
