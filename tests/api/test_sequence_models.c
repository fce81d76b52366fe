/* test_sequence_models.c — /v1/models over token ids: "vocab_size" and
 * "context", the embedding, rnn, lstm and gru layers and dense at every
 * position; the summary a model reply gives ([T, D] output shapes,
 * parameters), the 422s of a bad definition (each naming its field),
 * prediction from token ids, export → import predicting bit-identically,
 * and ONNX / C exports refused naming the layer they cannot express. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "export_checks.h"
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

TestSuite(sequence_models, .init = setup, .fini = teardown, .timeout = 60);

/* A character model of 5 tokens over 8 of them: embedding → lstm → dense
 * per position, its loss left to default (cross_entropy). */
static const char lm_body[] =
    "{\"name\": \"lm\", \"vocab_size\": 5, \"context\": 8, \"seed\": 2,"
    " \"layers\": [{\"type\": \"embedding\", \"dim\": 4},"
    "  {\"type\": \"lstm\", \"units\": 6},"
    "  {\"units\": 5, \"activation\": \"softmax\"}]}";

Test(sequence_models, reply_summarises_each_layer)
{
    json_t *m = mt_create(&srv, lm_body);
    cr_assert_eq(api_int(m, "vocab_size"), 5);
    cr_assert_eq(api_int(m, "context"), 8);
    cr_assert_eq(api_int(m, "inputs"), 8);
    cr_assert_eq(api_int(m, "outputs"), 8 * 5);
    cr_assert_str_eq(api_jstr(m, "loss"), "cross_entropy");
    /* lstm: 4 gates × 6 units × (4 inputs + 6 hidden) + 2 × 4 × 6 biases */
    mt_assert_json(
        json_object_get(m, "layers"),
        "[{\"type\": \"embedding\", \"dim\": 4, \"positions\": \"none\","
        "  \"output_shape\": [8, 4], \"parameters\": 20},"
        " {\"type\": \"lstm\", \"units\": 6, \"return_sequences\": true,"
        "  \"output_shape\": [8, 6], \"parameters\": 288},"
        " {\"type\": \"dense\", \"units\": 5, \"activation\": \"softmax\","
        "  \"output_shape\": [8, 5], \"parameters\": 35}]");
    cr_assert_eq(api_int(m, "parameters"), 20 + 288 + 35);
    json_decref(m);
    /* learned positions, a gru's last step and a classifier over it */
    m = mt_create(&srv,
                  "{\"name\": \"cls\", \"vocab_size\": 3, \"context\": 4,"
                  " \"layers\": [{\"type\": \"embedding\", \"dim\": 2,"
                  "  \"positions\": \"learned\"}, {\"type\": \"gru\","
                  "  \"units\": 3, \"return_sequences\": false},"
                  "  {\"units\": 2, \"activation\": \"softmax\"}]}");
    mt_assert_json(
        json_object_get(m, "layers"),
        "[{\"type\": \"embedding\", \"dim\": 2, \"positions\": \"learned\","
        "  \"output_shape\": [4, 2], \"parameters\": 14},"
        " {\"type\": \"gru\", \"units\": 3, \"return_sequences\": false,"
        "  \"output_shape\": [3], \"parameters\": 63},"
        " {\"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\","
        "  \"output_shape\": [2], \"parameters\": 8}]");
    json_decref(m);
}

/* Each bad definition is refused, before anything is made, with 422 (400
 * for a wrong JSON type or an unknown field) at the pointer named. */
Test(sequence_models, bad_definitions_name_their_field)
{
    static const char emb[] = "{\"type\": \"embedding\", \"dim\": 4}";
    static const char out5[] = "{\"units\": 5, \"activation\": \"softmax\"}";
    static const struct {
        const char *head, *layers;
        long status;
        const char *pointer;
    } cases[] = {
        {"\"vocab_size\": 5, \"context\": 0", NULL, 422, "/context"},
        {"\"vocab_size\": 5, \"context\": 4097", NULL, 422, "/context"},
        {"\"vocab_size\": 0, \"context\": 8", NULL, 422, "/vocab_size"},
        {"\"vocab_size\": 65537, \"context\": 8", NULL, 422, "/vocab_size"},
        {"\"vocab_size\": 5", NULL, 422, "/context"},
        {"\"context\": 8", NULL, 422, "/vocab_size"},
        {"\"vocab_size\": 5, \"context\": 8, \"inputs\": 8", NULL, 422,
         "/inputs"},
        {"\"vocab_size\": \"5\", \"context\": 8", NULL, 400, "/vocab_size"},
        {"\"vocab_size\": 5, \"context\": 8",
         "{\"units\": 4, \"activation\": \"softmax\"}", 422, "/layers/2/units"},
        {"\"vocab_size\": 5, \"context\": 8",
         "{\"units\": 5, \"activation\": \"relu\"}", 422,
         "/layers/2/activation"},
        {"\"vocab_size\": 5, \"context\": 8, \"loss\": \"mse\"", NULL, 422,
         "/loss"},
        {"\"vocab_size\": 5, \"context\": 8",
         "{\"type\": \"gru\", \"units\": 5}", 422, "/layers/2/type"},
    };
    char body[1024];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(body, sizeof body,
                 "{\"name\": \"x\", %s, \"layers\": [%s, {\"type\": "
                 "\"lstm\", \"units\": 3}, %s]}",
                 cases[i].head, emb, cases[i].layers ? cases[i].layers : out5);
        mt_refused(&srv, "POST", "/v1/models", body, cases[i].status,
                   cases[i].pointer);
    }
    static const struct {
        const char *layers;
        long status;
        const char *pointer;
    } layer_cases[] = {
        /* not first: an embedding takes token ids */
        {"[{\"type\": \"lstm\", \"units\": 3}, {\"type\": \"embedding\","
         " \"dim\": 2}]", 422, "/layers/0/type"},
        {"[{\"type\": \"embedding\", \"dim\": 2}, {\"type\": \"embedding\","
         " \"dim\": 2}]", 422, "/layers/1/type"},
        {"[{\"type\": \"embedding\", \"dim\": 0}]", 422, "/layers/0/dim"},
        {"[{\"type\": \"embedding\", \"dim\": 2, \"positions\": \"sin\"}]",
         422, "/layers/0/positions"},
        {"[{\"type\": \"embedding\", \"dim\": 2, \"units\": 2}]", 400,
         "/layers/0/units"},
        {"[{\"type\": \"embedding\", \"dim\": 2}, {\"type\": \"rnn\","
         " \"units\": 0}]", 422, "/layers/1/units"},
        {"[{\"type\": \"embedding\", \"dim\": 2}, {\"type\": \"rnn\","
         " \"units\": 2, \"return_sequences\": 1}]", 400,
         "/layers/1/return_sequences"},
    };
    for (size_t i = 0; i < sizeof layer_cases / sizeof *layer_cases; i++) {
        snprintf(body, sizeof body,
                 "{\"name\": \"x\", \"vocab_size\": 2, \"context\": 3,"
                 " \"layers\": %s}",
                 layer_cases[i].layers);
        mt_refused(&srv, "POST", "/v1/models", body, layer_cases[i].status,
                   layer_cases[i].pointer);
    }
    /* an embedding in a model of vectors, a recurrent layer over one */
    mt_refused(&srv, "POST", "/v1/models",
               "{\"name\": \"x\", \"inputs\": 3, \"layers\": [{\"type\": "
               "\"embedding\", \"dim\": 2}]}",
               422, "/layers/0/type");
    mt_refused(&srv, "POST", "/v1/models",
               "{\"name\": \"x\", \"inputs\": 3, \"layers\": [{\"type\": "
               "\"lstm\", \"units\": 2}]}",
               422, "/layers/0/type");
    mt_assert_no_models(&srv);
}

/* Two rows of 8 token ids of 5, as a predict body's inputs. */
static const char ids[] = "[[0, 1, 2, 3, 4, 0, 1, 2], [4, 4, 3, 2, 1, 0, 0, 1]]";

/* Predictions are one softmax per position; an input that is no token id
 * is refused naming it; export → import predicts bit-identically, for
 * each recurrent kind and with learned positions. */
Test(sequence_models, predicts_ids_and_round_trips)
{
    static const char *const kinds[3] = {"lstm", "gru", "rnn"};
    for (size_t i = 0; i < 3; i++) {
        char body[1024], path[128];
        snprintf(body, sizeof body,
                 "{\"name\": \"lm\", \"vocab_size\": 5, \"context\": 8,"
                 " \"layers\": [{\"type\": \"embedding\", \"dim\": 3,"
                 "  \"positions\": \"%s\"}, {\"type\": \"%s\", \"units\": 4},"
                 "  {\"units\": 5, \"activation\": \"softmax\"}]}",
                 i == 1 ? "learned" : "none", kinds[i]);
        json_t *m = mt_create(&srv, body);
        const char *id = api_jstr(m, "id");
        json_t *a = mt_predict(&srv, id, ids);
        json_t *row = json_array_get(json_object_get(a, "outputs"), 0);
        cr_assert_eq(json_array_size(row), 40);
        for (size_t t = 0; t < 8; t++) {
            double sum = 0;
            for (size_t v = 0; v < 5; v++)
                sum += json_real_value(json_array_get(row, t * 5 + v));
            cr_assert_float_eq(sum, 1.0, 1e-5, "position %zu sums to 1", t);
        }
        snprintf(path, sizeof path, "/v1/models/%s/predict", id);
        mt_refused(&srv, "POST", path,
                   "{\"inputs\": [[0, 1, 2, 5, 0, 0, 0, 0]]}", 422,
                   "/inputs/0/3");
        mt_refused(&srv, "POST", path,
                   "{\"inputs\": [[0, 1, 2, 3, 0, 0, 0, 0], "
                   "[0, 0.5, 0, 0, 0, 0, 0, 0]]}",
                   422, "/inputs/1/1");
        json_t *doc = mt_export(&srv, id);
        cr_assert_eq(api_int(doc, "vocab_size"), 5);
        cr_assert_null(json_object_get(doc, "inputs"));
        json_t *w = json_object_get(doc, "weights");
        cr_assert_eq(json_array_size(json_object_get(json_array_get(w, 0),
                                                     "W")),
                     5, "an embedding's W has a row per token");
        cr_assert_eq(json_object_get(json_array_get(w, 0), "b") != NULL,
                     i == 1, "b holds the learned positions only");
        json_t *back = mt_import(&srv, doc);
        json_t *c = mt_predict(&srv, api_jstr(back, "id"), ids);
        cr_assert(json_equal(a, c), "%s: the import predicts bit-identically",
                  kinds[i]);
        json_decref(a), json_decref(c);
        json_decref(doc), json_decref(back), json_decref(m);
    }
}

/* An import's vocabulary: one distinct, non-empty token per id, given as
 * "vocabulary" (not "classes"). */
Test(sequence_models, import_checks_the_vocabulary)
{
    json_t *m = mt_create(&srv, lm_body);
    json_t *doc = mt_export(&srv, api_jstr(m, "id"));
    json_object_set_new(doc, "vocabulary",
                        json_pack("[sssss]", "a", "b", " ", "\n", "c"));
    json_t *back = mt_import(&srv, doc);
    json_t *full = mt_get_model(&srv, api_jstr(back, "id"), true);
    mt_assert_json(json_object_get(full, "vocabulary"),
                   "[\"a\", \"b\", \" \", \"\\n\", \"c\"]");
    mt_assert_json(json_object_get(back, "vocabulary"),
                   "[\"a\", \"b\", \" \", \"\\n\", \"c\"]");
    cr_assert_null(json_object_get(m, "vocabulary"), "none before");
    json_object_set_new(doc, "vocabulary",
                        json_pack("[sssss]", "a", "b", "a", "d", "c"));
    char *text = json_dumps(doc, 0);
    mt_refused(&srv, "POST", "/v1/models/import", text, 422, "/vocabulary/2");
    free(text);
    json_object_set_new(doc, "vocabulary", json_pack("[ss]", "a", "b"));
    text = json_dumps(doc, 0);
    mt_refused(&srv, "POST", "/v1/models/import", text, 422, "/vocabulary");
    free(text);
    json_object_del(doc, "vocabulary");
    json_object_set_new(doc, "classes", json_pack("[ss]", "a", "b"));
    text = json_dumps(doc, 0);
    mt_refused(&srv, "POST", "/v1/models/import", text, 422, "/classes");
    free(text);
    json_decref(full), json_decref(back), json_decref(doc), json_decref(m);
}

/* ONNX and C exports name the first layer they cannot express. */
Test(sequence_models, onnx_and_c_refuse_sequence_layers_by_name)
{
    json_t *m = mt_create(&srv, lm_body);
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/export?format=onnx",
             api_jstr(m, "id"));
    mt_refused(&srv, "GET", path, NULL, 422, "/layers/0/type");
    snprintf(path, sizeof path, "/v1/models/%s/export?format=c",
             api_jstr(m, "id"));
    mt_refused(&srv, "GET", path, NULL, 422, "/layers/0/type");
    json_decref(m);
}
