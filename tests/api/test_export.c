/* test_export.c — GET /v1/models/{id}/export?format=onnx|c checked by the
 * tools deployers use (export_checks.h) for a perceptron, an XOR MLP, an
 * iris classifier with standard normalisation, a CNN with every image
 * layer, and an untrained network of every activation; and the errors
 * (an unknown format, an unknown model). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_checks.h"
#include "jobs_helpers.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(export, .init = setup, .fini = teardown, .timeout = 180);

static const float truth_table[] = {0, 0, 0, 1, 1, 0, 1, 1};

/* Trains model on dataset for epochs with extra job fields, asserting
 * that the job succeeds. */
static void train(const char *model, const char *dataset, const char *extra,
                  unsigned epochs)
{
    char job[64];
    start_job(&srv, model, dataset, extra, job, epochs);
    json_t *j = api_wait_job(&srv, job, 120);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded");
    json_decref(j);
}

static const char *meta(const export_result *r, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(r->onnx_facts, "metadata"), key));
}

Test(export, perceptron)
{
    char ds[64], md[64];
    make_generated(&srv, "and", ds);
    make_model(&srv,
               "{\"name\": \"and-gate\", \"type\": \"perceptron\", "
               "\"inputs\": 2, \"activation\": \"step\"}",
               md);
    train(md, ds, "\"epochs\": %u, \"seed\": 1", 20);
    export_inputs in = {truth_table, 4, 2, {2}, 1};
    export_result r;
    export_check(&srv, "perceptron", md, "and_gate", &in, &r);
    cr_assert_str_eq(meta(&r, "neurond.trained"), "true");
    cr_assert_str_eq(meta(&r, "neurond.normalization"), "none");
    cr_assert_str_eq(meta(&r, "neurond.name"), "and-gate");
    json_decref(r.onnx_facts);
}

Test(export, xor_mlp)
{
    char ds[64], md[64];
    make_generated(&srv, "xor", ds);
    make_model(&srv,
               "{\"name\": \"xor-net\", \"inputs\": 2, \"layers\": "
               "[{\"units\": 4, \"activation\": \"tanh\"}, "
               "{\"units\": 1, \"activation\": \"sigmoid\"}], \"seed\": 1}",
               md);
    train(md, ds,
          "\"epochs\": %u, \"batch_size\": 4, \"seed\": 1, "
          "\"optimizer\": {\"name\": \"sgd\", \"learning_rate\": 0.5}",
          300);
    export_inputs in = {truth_table, 4, 2, {2}, 1};
    export_result r;
    export_check(&srv, "xor-mlp", md, "xor_net", &in, &r);
    cr_assert_str_eq(meta(&r, "neurond.normalization"), "standard");
    json_decref(r.onnx_facts);
}

Test(export, iris_with_standard_normalisation)
{
    char ds[64], md[64];
    make_csv(&srv, api_shared_data("iris.csv"), "iris", "species", ds);
    make_model(&srv,
               "{\"name\": \"iris\", \"inputs\": 4, \"layers\": "
               "[{\"units\": 16, \"activation\": \"relu\"}, "
               "{\"units\": 3, \"activation\": \"softmax\"}], "
               "\"loss\": \"cross_entropy\", \"init\": \"he\", \"seed\": 3}",
               md);
    train(md, ds,
          "\"epochs\": %u, \"batch_size\": 16, \"normalize\": \"standard\", "
          "\"seed\": 5, "
          "\"optimizer\": {\"name\": \"adam\", \"learning_rate\": 0.01}",
          60);
    static const float x[] = {5.1f, 3.5f, 1.4f, 0.2f, 7.0f, 3.2f, 4.7f, 1.4f,
                              6.3f, 3.3f, 6.0f, 2.5f, 5.9f, 3.0f, 5.1f, 1.8f,
                              4.3f, 2.0f, 1.0f, 0.1f, 7.9f, 4.4f, 6.9f, 2.5f};
    export_inputs in = {x, 6, 4, {4}, 1};
    export_result r;
    export_check(&srv, "iris", md, "iris", &in, &r);
    cr_assert_str_eq(meta(&r, "neurond.normalization"), "standard");
    json_t *classes = json_loads(meta(&r, "neurond.classes"), 0, NULL);
    cr_assert_eq(json_array_size(classes), 3);
    json_decref(classes);
    json_decref(r.onnx_facts);
}

/* A deterministic pseudo-random value in [0, 1). */
static float lcg(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (float)((*state >> 8) & 0xffff) / 65536.0f;
}

/* n images [1, 6, 6]: a horizontal bar (class "h"), a vertical bar ("v")
 * or noise ("n"), as flat JSON rows with labels (the model's input_shape
 * gives them their shape); the first n_first floats also into first. */
static char *images_dataset(size_t n, float *first, size_t n_first)
{
    size_t cap = n * 36 * 12 + 256, at = 0;
    char *b = malloc(cap);
    unsigned seed = 9;
    at += (size_t)snprintf(b, cap, "{\"name\": \"bars\", \"inputs\": [");
    for (size_t i = 0; i < n; i++) {
        size_t cls = i % 3, line = (i / 3) % 6;
        for (size_t p = 0; p < 36; p++) {
            size_t r = p / 6, c = p % 6;
            bool on = (cls == 0 && r == line) || (cls == 1 && c == line);
            float v = (on ? 1.0f : 0.0f) + 0.3f * lcg(&seed);
            if (i * 36 + p < n_first)
                first[i * 36 + p] = v;
            at += (size_t)snprintf(b + at, cap - at, "%s%.4f",
                                   p ? ", " : (i ? "], [" : "["), (double)v);
        }
    }
    at += (size_t)snprintf(b + at, cap - at, "]], \"labels\": [");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(b + at, cap - at, "%s\"%c\"", i ? ", " : "",
                               "hvn"[i % 3]);
    snprintf(b + at, cap - at, "]}");
    return b;
}

Test(export, cnn_with_every_image_layer)
{
    char ds[64], md[64];
    float x[8 * 36];
    char *body = images_dataset(90, x, 8 * 36);
    make_dataset(&srv, body, ds);
    free(body);
    make_model(&srv,
               "{\"name\": \"bars cnn\", \"input_shape\": [1, 6, 6], "
               "\"layers\": ["
               " {\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3,"
               "  \"padding\": \"same\", \"activation\": \"relu\"},"
               " {\"type\": \"batchnorm\"},"
               " {\"type\": \"maxpool2d\", \"size\": 2},"
               " {\"type\": \"conv2d\", \"filters\": 3, \"kernel\": [2, 1],"
               "  \"stride\": 1, \"activation\": \"leaky_relu\", \"alpha\": 0.1},"
               " {\"type\": \"avgpool2d\", \"size\": 2, \"stride\": 1},"
               " {\"type\": \"flatten\"},"
               " {\"type\": \"dropout\", \"rate\": 0.2},"
               " {\"units\": 3, \"activation\": \"softmax\"}],"
               " \"loss\": \"cross_entropy\", \"init\": \"he\", \"seed\": 2}",
               md);
    train(md, ds,
          "\"epochs\": %u, \"batch_size\": 16, \"seed\": 3, "
          "\"optimizer\": {\"name\": \"adam\", \"learning_rate\": 0.02}",
          15);
    export_inputs in = {x, 8, 36, {1, 6, 6}, 3};
    export_result r;
    export_check(&srv, "cnn", md, "bars_cnn", &in, &r);
    json_decref(r.onnx_facts);
}

/* Every activation, batchnorm on a vector, never trained: the export
 * holds the initial weights and says so. */
Test(export, untrained_network_of_every_activation)
{
    char md[64];
    make_model(&srv,
               "{\"name\": \"acts\", \"inputs\": 3, \"layers\": ["
               " {\"units\": 6, \"activation\": \"leaky_relu\", \"alpha\": 0.2},"
               " {\"units\": 6, \"activation\": \"sigmoid\", \"k\": 2.5},"
               " {\"type\": \"batchnorm\", \"activation\": \"tanh\"},"
               " {\"units\": 5, \"activation\": \"linear\"},"
               " {\"units\": 5, \"activation\": \"sign\"},"
               " {\"units\": 4, \"activation\": \"step\"},"
               " {\"units\": 4, \"activation\": \"relu\"},"
               " {\"units\": 3, \"activation\": \"softmax\"}],"
               " \"loss\": \"cross_entropy\", \"init\": \"uniform\", \"seed\": 5}",
               md);
    static const float x[] = {0.5f, -1.0f, 2.0f, -0.3f, 0.8f, 0.1f,
                              3.0f, 2.0f, -2.5f, 0.0f, 0.0f, 1.0f};
    export_inputs in = {x, 4, 3, {3}, 1};
    export_result r;
    export_check(&srv, "activations (untrained)", md, "acts", &in, &r);
    cr_assert_str_eq(meta(&r, "neurond.trained"), "false");
    json_decref(r.onnx_facts);
    api_response c = export_get(&srv, md, "c", "text/x-c");
    cr_assert_not_null(strstr(c.body, "#define ACTS_TRAINED 0\n"));
    cr_assert_not_null(strstr(c.body, "Never trained: initial weights."));
    char disposition[128];
    cr_assert(api_header(&c, "Content-Disposition", disposition,
                         sizeof disposition));
    cr_assert_str_eq(disposition, "attachment; filename=\"acts.h\"");
    api_free(&c);
}

Test(export, an_unknown_format_is_a_422_at_the_query)
{
    char md[64], path[160];
    make_xor_net(&srv, md);
    const char *bad[] = {"zip", "ONNX", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(path, sizeof path, "/v1/models/%s/export?format=%s", md,
                 bad[i]);
        api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
        api_assert_problem(&r, 422, "?format");
        api_free(&r);
    }
    /* json, named or not, is the import document. */
    snprintf(path, sizeof path, "/v1/models/%s/export?format=json", md);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(api_str(&r, "format"), "neurond-model");
    api_free(&r);
    /* An unknown model is a 404 in every format. */
    r = api_call(&srv, "GET",
                 "/v1/models/md_aaaaaaaaaaaaaaaaaaaaaaaaaa/export?format=onnx",
                 NULL, NULL, 0);
    api_assert_problem(&r, 404, NULL);
    api_free(&r);
}

/* ---- limits ----------------------------------------------------------- */

static void setup_small_json(void)
{
    api_start(&srv, (const char *[]){"--max-json-bytes", "1024", NULL});
}

TestSuite(export_limits, .init = setup_small_json, .fini = teardown,
          .timeout = 60);

/* The C header is text like the JSON document (about 16 bytes a weight)
 * and is held to the same --max-json-bytes; the ONNX file (4 bytes a
 * weight) is bounded by --max-params alone. */
Test(export_limits, the_c_header_is_held_to_the_json_limit)
{
    char md[64], path[160];
    make_model(&srv, "{\"name\": \"p\", \"type\": \"perceptron\", \"inputs\": 99}",
               md);
    snprintf(path, sizeof path, "/v1/models/%s/export?format=c", md);
    api_response r = api_call(&srv, "GET", path, NULL, NULL, 0);
    api_assert_problem(&r, 422, "");
    api_free(&r);
    r = export_get(&srv, md, "onnx", "application/onnx");
    cr_assert_gt(r.len, 400);
    api_free(&r);
}
