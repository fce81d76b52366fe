/* test_model_errors.c — every way /v1/models refuses a definition, an
 * export document, a prediction request or list arguments: 400 for a
 * wrong JSON type or an unknown field, 422 for a bad value, each naming
 * the field's JSON pointer; and the server's size limits. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

TestSuite(model_errors, .init = setup, .fini = teardown, .timeout = 60);

/* A model definition that POST /v1/models must refuse. */
static void refuse(const char *body, long status, const char *pointer)
{
    mt_refused(&srv, "POST", "/v1/models", body, status, pointer);
}

Test(model_errors, create_refuses_unknown_fields)
{
    refuse("{\"name\": \"x\", \"inputs\": 2, \"colour\": \"red\","
           " \"layers\": [{\"units\": 1, \"activation\": \"relu\"}]}",
           400, "/colour");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\", \"bias\": false}]}",
           400, "/layers/0/bias");
    refuse("{\"name\": \"x\", \"inputs\": 1, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\"}],"
           " \"weights\": [{\"W\": [[1]], \"b\": [0], \"c\": 1}]}",
           400, "/weights/0/c");
    /* A perceptron is not a network: no layers, loss, init or seed. */
    refuse("{\"name\": \"p\", \"type\": \"perceptron\", \"inputs\": 2,"
           " \"layers\": [{\"units\": 1, \"activation\": \"step\"}]}",
           400, "/layers");
    refuse("{\"name\": \"p\", \"type\": \"perceptron\", \"inputs\": 2,"
           " \"loss\": \"mse\"}",
           400, "/loss");
    refuse("{\"name\": \"p\", \"type\": \"perceptron\", \"inputs\": 2,"
           " \"seed\": 1}",
           400, "/seed");
    /* Export-only fields are not part of a definition. */
    refuse("{\"name\": \"p\", \"type\": \"perceptron\", \"inputs\": 2,"
           " \"classes\": [\"a\", \"b\"]}",
           400, "/classes");
}

/* The same rule as a dataset's name: UTF-8 without control characters. */
Test(model_errors, create_refuses_names_with_control_characters)
{
    static const char *const names[] = {"\\u0001", "a\\tb", "bell\\u0007",
                                        "del\\u007f", "esc\\u001b[31m", ""};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"name\": \"%s\", \"type\": \"perceptron\", \"inputs\": 2}",
                 names[i]);
        refuse(body, 422, "/name");
    }
    json_decref(mt_create(&srv, "{\"name\": \"ünïcode ok\", \"type\":"
                                " \"perceptron\", \"inputs\": 2}"));
}

Test(model_errors, create_refuses_wrong_json_types)
{
    static const char layer[] =
        "\"layers\": [{\"units\": 1, \"activation\": \"relu\"}]";
    char body[512];
    snprintf(body, sizeof body, "{\"name\": 5, \"inputs\": 2, %s}", layer);
    refuse(body, 400, "/name");
    snprintf(body, sizeof body, "{\"name\": \"x\", \"inputs\": \"2\", %s}",
             layer);
    refuse(body, 400, "/inputs");
    snprintf(body, sizeof body,
             "{\"name\": \"x\", \"inputs\": 2, \"seed\":"
             " \"7\", %s}",
             layer);
    refuse(body, 400, "/seed");
    snprintf(body, sizeof body,
             "{\"name\": \"x\", \"inputs\": 2, \"type\":"
             " 1, %s}",
             layer);
    refuse(body, 400, "/type");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\": {}}", 400, "/layers");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\": [\"relu\"]}", 400,
           "/layers/0");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1.5, \"activation\": \"relu\"}]}",
           400, "/layers/0/units");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": [\"relu\"]}]}",
           400, "/layers/0/activation");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"sigmoid\", \"k\": \"2\"}]}",
           400, "/layers/0/k");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\"}], \"weights\": {}}",
           400, "/weights");
    mt_refused(&srv, "POST", "/v1/models", "[1, 2]", 400, "");
}

Test(model_errors, create_refuses_bad_values)
{
    refuse("{\"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\"}]}",
           422, "/name");
    refuse("{\"name\": \"\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\"}]}",
           422, "/name");
    refuse("{\"name\": \"x\", \"inputs\": 0, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\"}]}",
           422, "/inputs");
    refuse("{\"name\": \"x\", \"inputs\": 2}", 422, "/layers");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\": []}", 422, "/layers");
    refuse("{\"name\": \"x\", \"type\": \"rnn\", \"inputs\": 2}", 422, "/type");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 3, \"activation\": \"relu\"},"
           "  {\"units\": 0, \"activation\": \"relu\"}]}",
           422, "/layers/1/units");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1000000000, \"activation\": \"relu\"}]}",
           422, "/layers/0/units");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"swish\"}]}",
           422, "/layers/0/activation");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\"}], \"loss\": \"mae\"}",
           422, "/loss");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\"}], \"init\": \"glorot\"}",
           422, "/init");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\"}], \"seed\": -1}",
           422, "/seed");
}

Test(model_errors, create_refuses_values_that_do_not_fit_together)
{
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 3, \"activation\": \"sigmoid\"}],"
           " \"loss\": \"cross_entropy\"}",
           422, "/loss");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 3, \"activation\": \"relu\"}],"
           " \"loss\": \"binary_cross_entropy\"}",
           422, "/loss");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\", \"k\": 2}]}",
           422, "/layers/0/k");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"sigmoid\", \"alpha\": 0.1}]}",
           422, "/layers/0/alpha");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"sigmoid\", \"k\": 0}]}",
           422, "/layers/0/k");
    refuse("{\"name\": \"x\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 1, \"activation\": \"leaky_relu\", \"alpha\": 1}]}",
           422, "/layers/0/alpha");
    refuse("{\"name\": \"p\", \"type\": \"perceptron\", \"inputs\": 2,"
           " \"activation\": \"sigmoid\"}",
           422, "/activation");
    refuse("{\"name\": \"p\", \"type\": \"perceptron\", \"inputs\": 2,"
           " \"outputs\": 0}",
           422, "/outputs");
    refuse("{\"name\": \"x\", \"inputs\": 1, \"init\": \"he\", \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\"}],"
           " \"weights\": [{\"W\": [[1]], \"b\": [0]}]}",
           422, "/init");
    refuse("{\"name\": \"x\", \"inputs\": 1, \"seed\": 3, \"layers\":"
           " [{\"units\": 1, \"activation\": \"relu\"}],"
           " \"weights\": [{\"W\": [[1]], \"b\": [0]}]}",
           422, "/seed");
}

Test(model_errors, create_refuses_too_many_layers)
{
    size_t cap = 300 * 48 + 128, n = 0;
    char *body = malloc(cap);
    n += (size_t)snprintf(body, cap,
                          "{\"name\": \"deep\", \"inputs\": 1, "
                          "\"layers\": [");
    for (int k = 0; k < 257; k++)
        n += (size_t)snprintf(body + n, cap - n,
                              "%s{\"units\": 1, "
                              "\"activation\": \"relu\"}",
                              k ? ", " : "");
    snprintf(body + n, cap - n, "]}");
    refuse(body, 422, "/layers");
    free(body);
}

Test(model_errors, create_refuses_misshapen_weights)
{
    static const char head[] =
        "{\"name\": \"w\", \"inputs\": 2, \"layers\":"
        " [{\"units\": 2, \"activation\": \"step\"},"
        "  {\"units\": 1, \"activation\": \"step\"}], \"weights\": ";
    static const struct {
        const char *weights, *pointer;
        long status;
    } cases[] = {
        {"[{\"W\": [[1, 1], [1, 1]], \"b\": [0, 0]}]", "/weights", 422},
        {"[{\"W\": [[1, 1], [1, 1], [1, 1]], \"b\": [0, 0]},"
         " {\"W\": [[1], [1]], \"b\": [0]}]",
         "/weights/0/W", 422},
        {"[{\"W\": [[1, 1]], \"b\": [0, 0]},"
         " {\"W\": [[1], [1]], \"b\": [0]}]",
         "/weights/0/W", 422},
        {"[{\"W\": [[1, 1], [1, 1, 1]], \"b\": [0, 0]},"
         " {\"W\": [[1], [1]], \"b\": [0]}]",
         "/weights/0/W/1", 422},
        {"[{\"W\": [[1, 1], [1, 1]], \"b\": [0, 0]},"
         " {\"W\": [[1], [1]], \"b\": [0, 0]}]",
         "/weights/1/b", 422},
        {"[{\"W\": [[1, 1], [1, 1]]},"
         " {\"W\": [[1], [1]], \"b\": [0]}]",
         "/weights/0/b", 422},
        {"[{\"W\": [[1, \"1\"], [1, 1]], \"b\": [0, 0]},"
         " {\"W\": [[1], [1]], \"b\": [0]}]",
         "/weights/0/W/0/1", 400},
        {"[{\"W\": [[1, 1], [1, 1]], \"b\": [0, 0]},"
         " {\"W\": [[1e39], [1]], \"b\": [0]}]",
         "/weights/1/W/0/0", 422},
        {"[[1, 1], {\"W\": [[1], [1]], \"b\": [0]}]", "/weights/0", 400},
    };
    char body[1024];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(body, sizeof body, "%s%s}", head, cases[i].weights);
        refuse(body, cases[i].status, cases[i].pointer);
    }
}

Test(model_errors, predict_refuses_bad_inputs)
{
    json_t *m = mt_create(&srv, mt_xor_net);
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/predict", api_jstr(m, "id"));
    mt_refused(&srv, "POST", path, "{\"inputs\": [[0, 1], [1, 1, 0]]}", 422,
               "/inputs/1");
    mt_refused(&srv, "POST", path, "{\"inputs\": [[0]]}", 422, "/inputs/0");
    mt_refused(&srv, "POST", path, "{\"inputs\": []}", 422, "/inputs");
    mt_refused(&srv, "POST", path, "{}", 422, "/inputs");
    mt_refused(&srv, "POST", path, "{\"inputs\": [[0, \"1\"]]}", 400,
               "/inputs/0/1");
    mt_refused(&srv, "POST", path, "{\"inputs\": [0, 1]}", 400, "/inputs/0");
    mt_refused(&srv, "POST", path, "{\"inputs\": \"0,1\"}", 400, "/inputs");
    mt_refused(&srv, "POST", path, "{\"inputs\": [[0, 1]], \"batch\": 4}", 400,
               "/batch");
    /* One row past the limit of 100000. */
    size_t rows = 100001, cap = rows * 7 + 32, n = 0;
    char *body = malloc(cap);
    n += (size_t)snprintf(body, cap, "{\"inputs\": [");
    for (size_t i = 0; i < rows; i++)
        n += (size_t)snprintf(body + n, cap - n, "%s[0,1]", i ? "," : "");
    snprintf(body + n, cap - n, "]}");
    mt_refused(&srv, "POST", path, body, 422, "/inputs");
    free(body);
    json_decref(m);
}

/* A linear model with weights 1: 3e38 + 3e38 overflows float32, so the
 * second row's output is infinite; JSON has no number for it. */
Test(model_errors, predict_of_an_output_past_float32_is_422_naming_the_row)
{
    json_t *m = mt_create(&srv,
                          "{\"name\": \"sum\", \"inputs\": 2, \"layers\":"
                          " [{\"units\": 1, \"activation\": \"linear\"}],"
                          " \"weights\": [{\"W\": [[1], [1]], \"b\": [0]}]}");
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/predict", api_jstr(m, "id"));
    api_response r = api_json(&srv, "POST", path,
                              "{\"inputs\": [[1, 2], [3e38, 3e38]]}");
    api_assert_problem(&r, 422, "/inputs/1");
    cr_assert(strstr(api_str(&r, "detail"), "not finite"), "%s", r.body);
    cr_assert(strstr(api_str(&r, "request_id"), "rq_") == api_str(&r,
                                                                  "request_id"),
              "%s", r.body);
    api_free(&r);
    /* The same model still answers rows it can. */
    json_t *p = mt_predict(&srv, api_jstr(m, "id"), "[[1, 2]]");
    mt_assert_json(json_object_get(p, "outputs"), "[[3.0]]");
    json_decref(p);
    json_decref(m);
}

Test(model_errors, list_refuses_bad_arguments)
{
    mt_refused(&srv, "GET", "/v1/models?cursor=nonsense", NULL, 400, "?cursor");
    mt_refused(&srv, "GET", "/v1/models?cursor=3132", NULL, 400, "?cursor");
    mt_refused(&srv, "GET", "/v1/models?limit=abc", NULL, 400, "?limit");
    mt_refused(&srv, "GET", "/v1/models?limit=-1", NULL, 400, "?limit");
    mt_refused(&srv, "GET", "/v1/models?limit=0", NULL, 422, "?limit");
}

/* Imports mt_scaled_doc with member key replaced by value (JSON text), or
 * removed when value is NULL, and expects a refusal. */
static void refuse_import(const char *key, const char *value, long status,
                          const char *pointer)
{
    json_t *doc = json_loads(mt_scaled_doc, 0, NULL);
    if (value)
        json_object_set_new(doc, key, json_loads(value, JSON_DECODE_ANY, NULL));
    else
        json_object_del(doc, key);
    char *text = json_dumps(doc, JSON_COMPACT);
    mt_refused(&srv, "POST", "/v1/models/import", text, status, pointer);
    free(text);
    json_decref(doc);
}

Test(model_errors, import_refuses_bad_documents)
{
    refuse_import("format", "\"onnx\"", 422, "/format");
    refuse_import("format", NULL, 422, "/format");
    refuse_import("version", "2", 422, "/version");
    refuse_import("version", "\"1\"", 400, "/version");
    refuse_import("weights", NULL, 422, "/weights");
    refuse_import("init", "\"he\"", 400, "/init");
    refuse_import("classes", "[\"a\", \"b\", \"c\"]", 422, "/classes");
    refuse_import("classes", "[\"a\", 2]", 400, "/classes/1");
    refuse_import("normalization", "{\"kind\": \"zscore\"}", 422,
                  "/normalization/kind");
    refuse_import("normalization",
                  "{\"kind\": \"minmax\", \"shift\": [1, 2],"
                  " \"scale\": [1]}",
                  422, "/normalization/shift");
    refuse_import("normalization", "{\"kind\": \"minmax\", \"shift\": [1]}",
                  422, "/normalization/scale");
    refuse_import("normalization", "{\"kind\": \"none\", \"scale\": [1]}", 422,
                  "/normalization/scale");
    refuse_import("trained", "\"yes\"", 400, "/trained");
    /* Class names are names, as in a dataset: distinct, not empty, no
     * control characters. */
    refuse_import("classes", "[\"yes\", \"yes\"]", 422, "/classes/1");
    refuse_import("classes", "[\"\", \"yes\"]", 422, "/classes/0");
    refuse_import("classes", "[\"no\", \"y\\u0007s\"]", 422, "/classes/1");
    refuse_import("name", "\"line\\nbreak\"", 422, "/name");
    refuse_import("weights", "[{\"W\": [[2, 3]], \"b\": [0]}]", 422,
                  "/weights/0/W/0");
}

/* ---- limits ----------------------------------------------------------- */

static void setup_limits(void)
{
    api_start(&srv, (const char *[]){"--max-params", "100", "--max-json-bytes",
                                     "1024", NULL});
}

TestSuite(model_limits, .init = setup_limits, .fini = teardown, .timeout = 60);

Test(model_limits, max_params_is_refused_before_allocating)
{
    /* 2·10+10 + 10·10+10 + 10·1+1 = 151 > 100 */
    refuse("{\"name\": \"big\", \"inputs\": 2, \"layers\":"
           " [{\"units\": 10, \"activation\": \"relu\"},"
           "  {\"units\": 10, \"activation\": \"relu\"},"
           "  {\"units\": 1, \"activation\": \"linear\"}]}",
           422, "/layers");
    /* Far past any size: the count must not overflow. */
    refuse("{\"name\": \"huge\", \"inputs\": 1048576, \"layers\":"
           " [{\"units\": 1048576, \"activation\": \"relu\"},"
           "  {\"units\": 1048576, \"activation\": \"relu\"}]}",
           422, "/layers");
    json_t *m =
        mt_create(&srv, "{\"name\": \"ok\", \"inputs\": 2, \"layers\":"
                        " [{\"units\": 10, \"activation\": \"relu\"},"
                        "  {\"units\": 1, \"activation\": \"linear\"}]}");
    cr_assert_eq(api_int(m, "parameters"), 41);
    json_decref(m);
    m = mt_create(
        &srv, "{\"name\": \"p\", \"type\": \"perceptron\", \"inputs\": 99}");
    cr_assert_eq(api_int(m, "parameters"), 100);
    json_decref(m);
    refuse("{\"name\": \"p\", \"type\": \"perceptron\", \"inputs\": 100}", 422,
           "/outputs");
}

Test(model_limits, weights_views_stay_within_the_json_limit)
{
    /* 1024 bytes hold 51 floats of 20 characters: 41 fit, 100 do not. */
    json_t *small =
        mt_create(&srv, "{\"name\": \"ok\", \"inputs\": 2, \"layers\":"
                        " [{\"units\": 10, \"activation\": \"relu\"},"
                        "  {\"units\": 1, \"activation\": \"linear\"}]}");
    json_decref(mt_get_model(&srv, api_jstr(small, "id"), true));
    json_decref(mt_export(&srv, api_jstr(small, "id")));
    json_t *big = mt_create(&srv, "{\"name\": \"p\", \"type\": \"perceptron\","
                                  " \"inputs\": 99}");
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s?weights=true",
             api_jstr(big, "id"));
    mt_refused(&srv, "GET", path, NULL, 422, "?weights");
    snprintf(path, sizeof path, "/v1/models/%s/export", api_jstr(big, "id"));
    mt_refused(&srv, "GET", path, NULL, 422, "");
    json_decref(mt_get_model(&srv, api_jstr(big, "id"), false));
    json_decref(small);
    json_decref(big);
}
