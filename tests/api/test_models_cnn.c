/* test_models_cnn.c — /v1/models with typed layers over an image input:
 * the summary a model reply gives (output shapes, parameters), the shape
 * errors (422 naming /layers/K/…), prediction from flat rows and from
 * nested [C][H][W] ones alike (test_predict_nested.c has the refusals),
 * and export → import with a batchnorm layer predicting bit-identically. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs_helpers.h"
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

TestSuite(models_cnn, .init = setup, .fini = teardown, .timeout = 60);

/* A small CNN over [1, 6, 5] images, its layers given as `layers`. */
static void cnn_body(char *buf, size_t n, const char *layers)
{
    snprintf(buf, n,
             "{\"name\": \"cnn\", \"type\": \"network\", \"input_shape\": "
             "[1, 6, 5], \"layers\": %s, \"loss\": \"cross_entropy\", "
             "\"seed\": 3}",
             layers);
}

static const char cnn_layers[] =
    "[{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": [3, 2],"
    "  \"padding\": \"same\", \"stride\": 2, \"activation\": \"relu\"},"
    " {\"type\": \"batchnorm\"},"
    " {\"type\": \"maxpool2d\", \"size\": 1},"
    " {\"type\": \"flatten\"},"
    " {\"type\": \"dropout\", \"rate\": 0.25},"
    " {\"units\": 3, \"activation\": \"softmax\"}]";

Test(models_cnn, reply_summarises_each_layer)
{
    char body[1024];
    cnn_body(body, sizeof body, cnn_layers);
    json_t *m = mt_create(&srv, body);
    cr_assert_str_eq(api_jstr(m, "type"), "network");
    cr_assert_eq(api_int(m, "inputs"), 30);
    mt_assert_json(json_object_get(m, "input_shape"), "[1, 6, 5]");
    cr_assert_eq(api_int(m, "outputs"), 3);
    mt_assert_json(
        json_object_get(m, "layers"),
        "[{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": [3, 2],"
        "  \"stride\": 2, \"padding\": \"same\", \"activation\": \"relu\","
        "  \"output_shape\": [4, 3, 3], \"parameters\": 28},"
        " {\"type\": \"batchnorm\", \"activation\": \"linear\","
        "  \"output_shape\": [4, 3, 3], \"parameters\": 8},"
        " {\"type\": \"maxpool2d\", \"size\": 1, \"stride\": 1,"
        "  \"output_shape\": [4, 3, 3], \"parameters\": 0},"
        " {\"type\": \"flatten\", \"output_shape\": [36], \"parameters\": 0},"
        " {\"type\": \"dropout\", \"rate\": 0.25, \"output_shape\": [36],"
        "  \"parameters\": 0},"
        " {\"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\","
        "  \"output_shape\": [3], \"parameters\": 111}]");
    cr_assert_eq(api_int(m, "parameters"), 28 + 8 + 111);
    json_decref(m);
}

/* Each bad layer list is refused with 422 (or 400 for a wrong JSON type
 * or an unknown field) at the pointer named. */
Test(models_cnn, shape_errors_name_the_layer_field)
{
    static const struct {
        const char *layers;
        long status;
        const char *pointer;
    } cases[] = {
        {"[{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 7}]", 422,
         "/layers/0/kernel"},
        {"[{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 3,"
         "  \"stride\": 0}]", 422, "/layers/0/stride"},
        {"[{\"units\": 3, \"activation\": \"softmax\"}]", 422,
         "/layers/0/type"},
        {"[{\"type\": \"flatten\"}, {\"type\": \"dropout\", \"rate\": 1}]",
         422, "/layers/1/rate"},
        {"[{\"type\": \"conv2d\", \"filters\": 1000000000, \"kernel\": 3}]",
         422, "/layers/0/filters"},
        {"[{\"type\": \"maxpool2d\", \"size\": 6}]", 422, "/layers/0/size"},
        {"[{\"type\": \"flatten\", \"units\": 3}]", 400, "/layers/0/units"},
        {"[{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": [3]}]", 400,
         "/layers/0/kernel"},
        {"[{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 3,"
         "  \"padding\": \"full\"}]", 422, "/layers/0/padding"},
        {"[{\"type\": \"pool\"}]", 422, "/layers/0/type"},
    };
    char body[1024];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cnn_body(body, sizeof body, cases[i].layers);
        mt_refused(&srv, "POST", "/v1/models", body, cases[i].status,
                   cases[i].pointer);
    }
    mt_refused(&srv, "POST", "/v1/models",
               "{\"name\": \"x\", \"inputs\": 31, \"input_shape\": [1, 6, 5],"
               " \"layers\": [{\"type\": \"flatten\"}]}",
               422, "/inputs");
    mt_refused(&srv, "POST", "/v1/models",
               "{\"name\": \"x\", \"input_shape\": [1, 0, 5],"
               " \"layers\": [{\"type\": \"flatten\"}]}",
               422, "/input_shape/1");
}

/* An image row is flat (C·H·W numbers) or nested [C][H][W]: both predict
 * the same. */
Test(models_cnn, predicts_flat_and_nested_rows_and_round_trips)
{
    char body[1024];
    cnn_body(body, sizeof body, cnn_layers);
    json_t *m = mt_create(&srv, body);
    const char *id = api_jstr(m, "id");
    char flat[1024] = "[[", nested[1024] = "[[[";
    for (int h = 0; h < 6; h++) {
        strcat(nested, h ? ", [" : "[");
        for (int w = 0; w < 5; w++) {
            char v[16];
            snprintf(v, sizeof v, "%s%d", w ? ", " : "", (h * 5 + w) % 7 - 3);
            strcat(nested, v);
            snprintf(v, sizeof v, "%s%d", h || w ? ", " : "",
                     (h * 5 + w) % 7 - 3);
            strcat(flat, v);
        }
        strcat(nested, "]");
    }
    strcat(flat, "]]");
    strcat(nested, "]]]");
    json_t *a = mt_predict(&srv, id, flat);
    json_t *b = mt_predict(&srv, id, nested);
    cr_assert(json_equal(a, b), "a nested row predicts as its flat row");
    json_decref(b);
    json_t *doc = mt_export(&srv, id);
    mt_assert_json(json_object_get(doc, "input_shape"), "[1, 6, 5]");
    json_t *w1 = json_array_get(json_object_get(doc, "weights"), 1);
    cr_assert_eq(json_array_size(json_object_get(w1, "running_var")), 4);
    json_t *back = mt_import(&srv, doc);
    json_t *c = mt_predict(&srv, api_jstr(back, "id"), flat);
    cr_assert(json_equal(a, c), "the imported model predicts bit-identically");
    mt_refused(&srv, "POST", "/v1/models/import",
               "{\"format\": \"neurond-model\", \"version\": 1, \"name\": \"x\","
               " \"input_shape\": [1, 2, 2], \"layers\": [{\"type\": "
               "\"batchnorm\"}, {\"type\": \"flatten\"}], \"weights\": "
               "[{\"gamma\": [1], \"beta\": [0], \"running_var\": [-1]}, {}]}",
               422, "/weights/0/running_var/0");
    json_decref(a), json_decref(c);
    json_decref(doc), json_decref(back), json_decref(m);
}

/* 4×4 one-channel images of a bright bar, horizontal (class "h") or
 * vertical ("v"), at a position and brightness that vary; as a JSON
 * dataset body of n rows. */
static char *bars_dataset(size_t n)
{
    size_t cap = n * 200 + 256, at = 0;
    char *b = malloc(cap);
    cr_assert_not_null(b);
    at += (size_t)snprintf(b, cap, "{\"name\": \"bars\", \"inputs\": [");
    for (size_t r = 0; r < n; r++) {
        size_t pos = (r / 2) % 4, vertical = r % 2;
        double level = 0.5 + 0.1 * (double)((r / 8) % 5);
        at += (size_t)snprintf(b + at, cap - at, r ? ", [" : "[");
        for (size_t i = 0; i < 16; i++) {
            bool on = vertical ? i % 4 == pos : i / 4 == pos;
            at += (size_t)snprintf(b + at, cap - at, "%s%.2f", i ? ", " : "",
                                   on ? level : 0.05 * (double)((r + i) % 3));
        }
        at += (size_t)snprintf(b + at, cap - at, "]");
    }
    at += (size_t)snprintf(b + at, cap - at, "], \"labels\": [");
    for (size_t r = 0; r < n; r++)
        at += (size_t)snprintf(b + at, cap - at, "%s\"%s\"", r ? ", " : "",
                               r % 2 ? "v" : "h");
    snprintf(b + at, cap - at, "]}");
    return b;
}

/* A CNN trains through a job on an image dataset given as flat rows (the
 * model's input_shape gives them their shape). */
Test(models_cnn, a_cnn_trains_through_a_job)
{
    char *body = bars_dataset(160), ds[64], model[64], job[64];
    make_dataset(&srv, body, ds);
    free(body);
    make_model(&srv,
               "{\"name\": \"bars-cnn\", \"input_shape\": [1, 4, 4], \"layers\":"
               " [{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": [1, 4],"
               "   \"activation\": \"relu\"},"
               "  {\"type\": \"batchnorm\"}, {\"type\": \"flatten\"},"
               "  {\"type\": \"dropout\", \"rate\": 0.1},"
               "  {\"units\": 2, \"activation\": \"softmax\"}],"
               " \"loss\": \"cross_entropy\", \"init\": \"he\", \"seed\": 2}",
               model);
    start_job(&srv, model, ds,
              "\"epochs\": %u, \"batch_size\": 16, \"seed\": 3,"
              " \"validation_split\": 0.25,"
              " \"optimizer\": {\"name\": \"adam\", \"learning_rate\": 0.02}",
              job, 30);
    json_t *j = api_wait_job(&srv, job, 60);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded", "%s",
                     api_jstr(j, "error") ? api_jstr(j, "error") : "");
    double acc = json_number_value(json_object_get(j, "val_accuracy"));
    cr_assert_geq(acc, 0.95, "validation accuracy %g", acc);
    json_decref(j);
}
