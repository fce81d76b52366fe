/* test_models.c — /v1/models when all goes well: creating networks and
 * perceptrons (drawn or hand-given weights), what the model object
 * reports, listing with cursors, get/delete, export → import, and
 * prediction. The refusals are in test_model_errors.c.
 *
 * Not covered yet: DELETE of a model with a queued or running job (409)
 * needs POST /v1/jobs, which is not written yet; add it with the jobs. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

TestSuite(models, .init = setup, .fini = teardown, .timeout = 60);

Test(models, create_network_reports_its_definition)
{
    json_t *m = mt_create(
        &srv, "{\"name\": \"iris-net\", \"inputs\": 3,"
              " \"layers\": [{\"units\": 4, \"activation\": \"tanh\"},"
              "              {\"units\": 5, \"activation\": \"relu\"},"
              "              {\"units\": 2, \"activation\": \"softmax\"}],"
              " \"loss\": \"cross_entropy\", \"init\": \"he\", \"seed\": 42}");
    cr_assert(strncmp(api_jstr(m, "id"), "md_", 3) == 0);
    cr_assert_str_eq(api_jstr(m, "name"), "iris-net");
    cr_assert_str_eq(api_jstr(m, "type"), "network");
    cr_assert_eq(api_int(m, "inputs"), 3);
    cr_assert_eq(api_int(m, "outputs"), 2);
    mt_assert_json(json_object_get(m, "layers"),
                   "[{\"type\": \"dense\", \"units\": 4, \"activation\": \"tanh\","
                   "  \"output_shape\": [4], \"parameters\": 16},"
                   " {\"type\": \"dense\", \"units\": 5, \"activation\": \"relu\","
                   "  \"output_shape\": [5], \"parameters\": 25},"
                   " {\"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\","
                   "  \"output_shape\": [2], \"parameters\": 12}]");
    cr_assert_str_eq(api_jstr(m, "loss"), "cross_entropy");
    cr_assert_str_eq(api_jstr(m, "init"), "he");
    cr_assert_eq(api_int(m, "seed"), 42);
    /* Σ in·out + out = 3·4+4 + 4·5+5 + 5·2+2 */
    cr_assert_eq(api_int(m, "parameters"), 16 + 25 + 12);
    cr_assert(json_is_false(json_object_get(m, "trained")));
    cr_assert_eq(strlen(api_jstr(m, "created_at")), 27); /* …:00.000000Z */
    cr_assert_str_eq(api_jstr(m, "created_at"), api_jstr(m, "updated_at"));
    json_t *again = mt_get_model(&srv, api_jstr(m, "id"), false);
    cr_assert(json_equal(m, again), "GET differs from the 201 body");
    json_decref(again);
    json_decref(m);
}

Test(models, create_network_fills_in_defaults)
{
    json_t *m =
        mt_create(&srv, "{\"name\": \"d\", \"inputs\": 2, \"layers\":"
                        " [{\"units\": 1, \"activation\": \"sigmoid\"}]}");
    cr_assert_str_eq(api_jstr(m, "type"), "network");
    cr_assert_str_eq(api_jstr(m, "loss"), "mse");
    cr_assert_str_eq(api_jstr(m, "init"), "xavier");
    json_int_t seed = api_int(m, "seed");
    cr_assert(seed >= 0 && seed < (json_int_t)1 << 53, "seed %lld",
              (long long)seed);
    mt_assert_json(json_object_get(m, "layers"),
                   "[{\"type\": \"dense\", \"units\": 1, \"activation\": \"sigmoid\","
                   "  \"k\": 1.0, \"output_shape\": [1], \"parameters\": 3}]");
    cr_assert_eq(api_int(m, "parameters"), 3);
    json_decref(m);
}

Test(models, create_perceptron_starts_at_zero)
{
    json_t *m = mt_create(&srv, "{\"name\": \"p\", \"type\": \"perceptron\","
                                " \"inputs\": 3}");
    cr_assert_str_eq(api_jstr(m, "type"), "perceptron");
    cr_assert_str_eq(api_jstr(m, "activation"), "step");
    cr_assert_eq(api_int(m, "outputs"), 1);
    cr_assert_eq(api_int(m, "parameters"), 4);
    cr_assert_str_eq(api_jstr(m, "init"), "zeros");
    cr_assert(json_is_null(json_object_get(m, "seed")));
    cr_assert_null(json_object_get(m, "loss"));
    json_t *w = mt_get_model(&srv, api_jstr(m, "id"), true);
    mt_assert_json(json_object_get(w, "weights"),
                   "[{\"W\": [[0.0], [0.0], [0.0]], \"b\": [0.0]}]");
    json_decref(w);
    json_decref(m);

    m = mt_create(&srv,
                  "{\"name\": \"p2\", \"type\": \"perceptron\", \"inputs\": 3,"
                  " \"activation\": \"sign\", \"outputs\": 2}");
    cr_assert_str_eq(api_jstr(m, "activation"), "sign");
    cr_assert_eq(api_int(m, "outputs"), 2);
    cr_assert_eq(api_int(m, "parameters"), 8);
    json_decref(m);
}

Test(models, hand_weighted_nor_perceptron_computes_nor)
{
    json_t *m = mt_create(
        &srv, "{\"name\": \"nor\", \"type\": \"perceptron\", \"inputs\": 2,"
              " \"activation\": \"step\","
              " \"weights\": [{\"W\": [[-1], [-1]], \"b\": [0.5]}]}");
    cr_assert_str_eq(api_jstr(m, "init"), "given");
    json_t *p = mt_predict(&srv, api_jstr(m, "id"), mt_truth_table);
    mt_assert_json(p, "{\"outputs\": [[1.0], [0.0], [0.0], [0.0]]}");
    json_decref(p);
    /* A perceptron exports as it is written: activation and outputs. */
    json_t *doc = mt_export(&srv, api_jstr(m, "id"));
    mt_assert_json(doc, "{\"format\": \"neurond-model\", \"version\": 1,"
                        " \"name\": \"nor\", \"type\": \"perceptron\","
                        " \"inputs\": 2, \"outputs\": 1,"
                        " \"activation\": \"step\","
                        " \"weights\": [{\"W\": [[-1.0], [-1.0]],"
                        "               \"b\": [0.5]}],"
                        " \"normalization\": {\"kind\": \"none\"},"
                        " \"classes\": [], \"trained\": false}");
    json_t *copy = mt_import(&srv, doc);
    cr_assert_str_eq(api_jstr(copy, "type"), "perceptron");
    p = mt_predict(&srv, api_jstr(copy, "id"), mt_truth_table);
    mt_assert_json(p, "{\"outputs\": [[1.0], [0.0], [0.0], [0.0]]}");
    json_decref(p);
    json_decref(copy);
    json_decref(doc);
    json_decref(m);
}

Test(models, hand_weighted_two_layer_network_computes_xor)
{
    json_t *m = mt_create(&srv, mt_xor_net);
    cr_assert_str_eq(api_jstr(m, "init"), "given");
    cr_assert(json_is_null(json_object_get(m, "seed")));
    cr_assert_eq(api_int(m, "parameters"), 9);
    json_t *p = mt_predict(&srv, api_jstr(m, "id"), mt_truth_table);
    mt_assert_json(p, "{\"outputs\": [[0.0], [1.0], [1.0], [0.0]]}");
    json_decref(p);
    json_t *w = mt_get_model(&srv, api_jstr(m, "id"), true);
    mt_assert_json(json_object_get(w, "weights"),
                   "[{\"W\": [[1.0, 1.0], [1.0, 1.0]], \"b\": [-0.5, -1.5]},"
                   " {\"W\": [[1.0], [-1.0]], \"b\": [-0.5]}]");
    mt_assert_json(json_object_get(w, "normalization"), "{\"kind\": \"none\"}");
    mt_assert_json(json_object_get(w, "classes"), "[]");
    json_decref(w);
    json_decref(m);
}

Test(models, sigmoid_k_and_leaky_alpha_round_trip_and_apply)
{
    json_t *m = mt_create(
        &srv, "{\"name\": \"params\", \"inputs\": 1,"
              " \"layers\": [{\"units\": 1, \"activation\": \"leaky_relu\","
              "               \"alpha\": 0.2},"
              "              {\"units\": 1, \"activation\": \"sigmoid\", "
              "\"k\": 2.5}],"
              " \"weights\": [{\"W\": [[1]], \"b\": [0]},"
              "               {\"W\": [[1]], \"b\": [0]}]}");
    mt_assert_json(json_object_get(m, "layers"),
                   "[{\"type\": \"dense\", \"units\": 1, \"activation\": \"leaky_relu\","
                   "  \"alpha\": 0.2, \"output_shape\": [1], \"parameters\": 2},"
                   " {\"type\": \"dense\", \"units\": 1, \"activation\": \"sigmoid\","
                   "  \"k\": 2.5, \"output_shape\": [1], \"parameters\": 2}]");
    /* x = −1: leaky gives −0.2, then 1/(1+e^(−2.5·−0.2)) = σ(−0.5). */
    json_t *p = mt_predict(&srv, api_jstr(m, "id"), "[[-1], [2]]");
    json_t *out = json_object_get(p, "outputs");
    double y0 = json_real_value(json_array_get(json_array_get(out, 0), 0));
    double y1 = json_real_value(json_array_get(json_array_get(out, 1), 0));
    cr_assert_float_eq(y0, 1.0 / (1.0 + exp(0.5)), 1e-6);
    cr_assert_float_eq(y1, 1.0 / (1.0 + exp(-5.0)), 1e-6);
    json_decref(p);
    json_decref(m);
}

Test(models, seed_fixes_the_initial_weights)
{
    static const char fmt[] =
        "{\"name\": \"s\", \"inputs\": 3, \"init\": \"%s\", \"seed\": %d,"
        " \"layers\": [{\"units\": 4, \"activation\": \"tanh\"},"
        "              {\"units\": 2, \"activation\": \"linear\"}]}";
    char body[512];
    json_t *w[3];
    const int seeds[3] = {7, 7, 8};
    for (int i = 0; i < 3; i++) {
        snprintf(body, sizeof body, fmt, "uniform", seeds[i]);
        json_t *m = mt_create(&srv, body);
        cr_assert_eq(api_int(m, "seed"), seeds[i]);
        json_t *full = mt_get_model(&srv, api_jstr(m, "id"), true);
        w[i] = json_incref(json_object_get(full, "weights"));
        json_decref(full);
        json_decref(m);
    }
    cr_assert(json_equal(w[0], w[1]), "same seed, different weights");
    cr_assert(!json_equal(w[0], w[2]), "different seeds, same weights");
    double w00 = json_real_value(json_array_get(
        json_array_get(json_object_get(json_array_get(w[0], 0), "W"), 0), 0));
    cr_assert(w00 != 0.0 && fabs(w00) <= 1.0 / sqrt(3.0) + 1e-6, "%g", w00);
    for (int i = 0; i < 3; i++)
        json_decref(w[i]);
}

Test(models, name_counts_characters_not_bytes)
{
    char body[1024], name[512] = "";
    for (int i = 0; i < 200; i++)
        strcat(name, "\xc3\xa9"); /* é: two bytes, one character */
    snprintf(body, sizeof body,
             "{\"name\": \"%s\", \"type\": \"perceptron\", \"inputs\": 1}",
             name);
    json_t *m = mt_create(&srv, body);
    cr_assert_str_eq(api_jstr(m, "name"), name);
    json_decref(m);
    snprintf(body, sizeof body,
             "{\"name\": \"%s!\", \"type\": \"perceptron\", \"inputs\": 1}",
             name);
    mt_refused(&srv, "POST", "/v1/models", body, 422, "/name");
}

/* The names of a list page's items, space-separated. */
static void page_names(json_t *page, char *out, size_t cap)
{
    json_t *item;
    size_t i;
    out[0] = '\0';
    json_array_foreach(json_object_get(page, "items"), i, item)
    {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", n ? " " : "", api_jstr(item, "name"));
    }
}

Test(models, list_is_newest_first_in_cursor_pages)
{
    char body[256], names[256], path[512];
    for (int i = 0; i < 5; i++) {
        snprintf(body, sizeof body,
                 "{\"name\": \"m%d\", \"type\":"
                 " \"perceptron\", \"inputs\": 1}",
                 i);
        json_decref(mt_create(&srv, body)); /* created_at never ties */
    }
    const char *want[] = {"m4 m3", "m2 m1", "m0"};
    snprintf(path, sizeof path, "/v1/models?limit=2");
    for (int page = 0; page < 3; page++) {
        json_t *p = mt_get(&srv, path);
        page_names(p, names, sizeof names);
        cr_assert_str_eq(names, want[page], "page %d", page);
        json_t *next = json_object_get(p, "next_cursor");
        if (page < 2)
            snprintf(path, sizeof path, "/v1/models?limit=2&cursor=%s",
                     json_string_value(next));
        else
            cr_assert(json_is_null(next), "last page has a cursor");
        json_decref(p);
    }
    json_t *all =
        mt_get(&srv, "/v1/models?limit=1000"); /* clamped, not refused */
    page_names(all, names, sizeof names);
    cr_assert_str_eq(names, "m4 m3 m2 m1 m0");
    cr_assert(json_is_null(json_object_get(all, "next_cursor")));
    json_decref(all);
    json_t *dflt = mt_get(&srv, "/v1/models");
    cr_assert_eq(json_array_size(json_object_get(dflt, "items")), 5);
    json_decref(dflt);
}

Test(models, get_delete_and_unknown_ids)
{
    json_t *m = mt_create(&srv, mt_xor_net);
    char path[128], predict_path[160];
    snprintf(path, sizeof path, "/v1/models/%s", api_jstr(m, "id"));
    snprintf(predict_path, sizeof predict_path, "%s/predict", path);
    mt_refused(&srv, "GET", "/v1/models/md_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL,
               404, NULL);
    mt_refused(&srv, "GET", "/v1/models/nope", NULL, 404, NULL);
    mt_refused(&srv, "GET", "/v1/models/ds_aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL,
               404, NULL);
    char weights[200];
    snprintf(weights, sizeof weights, "%s?weights=maybe", path);
    mt_refused(&srv, "GET", weights, NULL, 400, "?weights");

    api_response r = api_call(&srv, "DELETE", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 204, "%ld %s", r.status, r.body);
    cr_assert_eq(r.len, 0);
    cr_assert_eq(r.content_type[0], '\0', "a 204 has no Content-Type: %s",
                 r.content_type);
    api_free(&r);
    mt_refused(&srv, "GET", path, NULL, 404, NULL);
    mt_refused(&srv, "DELETE", path, NULL, 404, NULL);
    mt_refused(&srv, "POST", predict_path, "{\"inputs\": [[0, 0]]}", 404, NULL);
    mt_refused(&srv, "DELETE", "/v1/models/nope", NULL, 404, NULL);
    json_t *list = mt_get(&srv, "/v1/models");
    cr_assert_eq(json_array_size(json_object_get(list, "items")), 0);
    json_decref(list);
    json_decref(m);
}

Test(models, export_then_import_predicts_identically)
{
    json_t *m = mt_create(
        &srv, "{\"name\": \"spiral\", \"inputs\": 2, \"seed\": 3,"
              " \"layers\": [{\"units\": 8, \"activation\": \"tanh\"},"
              "              {\"units\": 6, \"activation\": \"leaky_relu\","
              "               \"alpha\": 0.05},"
              "              {\"units\": 3, \"activation\": \"softmax\"}],"
              " \"loss\": \"cross_entropy\"}");
    static const char inputs[] =
        "[[0.1, -0.7], [1.5, 2.25], [-3, 0.333], [0, 0], [1e-3, 42]]";
    json_t *before = mt_predict(&srv, api_jstr(m, "id"), inputs);
    json_t *doc = mt_export(&srv, api_jstr(m, "id"));
    cr_assert_str_eq(api_jstr(doc, "format"), "neurond-model");
    cr_assert_eq(api_int(doc, "version"), 1);
    cr_assert_null(json_object_get(doc, "id"));
    cr_assert_eq(json_array_size(json_object_get(doc, "weights")), 3);

    json_t *copy = mt_import(&srv, doc);
    cr_assert_str_neq(api_jstr(copy, "id"), api_jstr(m, "id"));
    cr_assert_str_eq(api_jstr(copy, "init"), "given");
    cr_assert_eq(api_int(copy, "parameters"), api_int(m, "parameters"));
    cr_assert(json_equal(json_object_get(copy, "layers"),
                         json_object_get(m, "layers")));
    json_t *after = mt_predict(&srv, api_jstr(copy, "id"), inputs);
    cr_assert(json_equal(before, after), "predictions differ after import");
    json_t *doc2 = mt_export(&srv, api_jstr(copy, "id"));
    cr_assert(json_equal(doc, doc2), "the re-export differs");
    json_decref(doc2);
    json_decref(after);
    json_decref(copy);
    json_decref(doc);
    json_decref(before);
    json_decref(m);
}

Test(models, import_keeps_normalization_classes_and_trained)
{
    json_t *doc = json_loads(mt_scaled_doc, 0, NULL);
    cr_assert_not_null(doc);
    json_t *m = mt_import(&srv, doc);
    cr_assert(json_is_true(json_object_get(m, "trained")));
    json_t *p = mt_predict(&srv, api_jstr(m, "id"), "[[3], [1], [0]]");
    mt_assert_json(p, "{\"outputs\": [[2.0], [0.0], [-1.0]],"
                      " \"labels\": [\"yes\", \"no\", \"no\"]}");
    json_decref(p);
    json_t *w = mt_get_model(&srv, api_jstr(m, "id"), true);
    mt_assert_json(json_object_get(w, "normalization"),
                   "{\"kind\": \"standard\", \"shift\": [1.0],"
                   " \"scale\": [0.5]}");
    mt_assert_json(json_object_get(w, "classes"), "[\"no\", \"yes\"]");
    json_decref(w);
    json_t *again = mt_export(&srv, api_jstr(m, "id"));
    cr_assert(json_is_true(json_object_get(again, "trained")));
    mt_assert_json(json_object_get(again, "classes"), "[\"no\", \"yes\"]");
    json_decref(again);
    json_decref(m);
    json_decref(doc);
}

Test(models, predict_many_rows_in_workspace_chunks)
{
    json_t *m = mt_create(&srv, mt_xor_net);
    /* 2500 rows: more than one 1024-row workspace chunk. */
    size_t rows = 2500, cap = rows * 8 + 32, n = 0;
    char *inputs = malloc(cap);
    n += (size_t)snprintf(inputs, cap, "[");
    for (size_t i = 0; i < rows; i++)
        n += (size_t)snprintf(inputs + n, cap - n, "%s[%zu,%zu]", i ? "," : "",
                              i & 1, (i >> 1) & 1);
    snprintf(inputs + n, cap - n, "]");
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/predict", api_jstr(m, "id"));
    char *body = malloc(cap + 16);
    snprintf(body, cap + 16, "{\"inputs\": %s}", inputs);
    api_response r = api_json(&srv, "POST", path, body);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    json_t *out = json_object_get(r.json, "outputs");
    cr_assert_eq(json_array_size(out), rows);
    for (size_t i = 0; i < rows; i++) {
        double want = (double)((i & 1) ^ ((i >> 1) & 1));
        cr_assert_eq(json_real_value(json_array_get(json_array_get(out, i), 0)),
                     want, "row %zu", i);
    }
    api_free(&r);
    free(body);
    free(inputs);
    json_decref(m);
}
