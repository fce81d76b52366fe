/* test_honest.c — what a student is told instead of silence: feature
 * transforms of the 2-D shapes (what they compute, and that x² and y² let
 * one layer separate the circle), and the requests that would otherwise
 * be quietly ignored or train nothing, each refused with a 422 naming the
 * field: a gate's n or noise, gradient training of step/sign layers, a
 * perceptron's targets that are neither 0/1 nor ±1. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dataset_checks.h"
#include "harness.h"
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

TestSuite(honest, .init = setup, .fini = teardown, .timeout = 60);

static json_t *rows_of(json_t *ds)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/datasets/%s/rows?limit=1000",
             api_jstr(ds, "id"));
    return mt_get(&srv, path);
}

static double col(json_t *item, size_t j)
{
    return json_number_value(json_array_get(json_object_get(item, "inputs"),
                                            j));
}

Test(honest, features_are_computed_from_the_same_points)
{
    json_t *plain = ds_create(&srv, "{\"name\": \"c\", \"generator\": "
                                    "\"circle\", \"n\": 50, \"seed\": 4}");
    json_t *feat = ds_create(
        &srv, "{\"name\": \"c\", \"generator\": \"circle\", \"n\": 50, \"seed\":"
              " 4, \"features\": [\"x\", \"y\", \"x^2\", \"y^2\", \"x*y\","
              " \"sin(x)\", \"sin(y)\"]}");
    cr_assert_eq(api_int(feat, "input_dim"), 7);
    mt_assert_json(json_object_get(feat, "feature_names"),
                   "[\"x\", \"y\", \"x^2\", \"y^2\", \"x*y\", \"sin(x)\","
                   " \"sin(y)\"]");
    json_t *a = rows_of(plain), *b = rows_of(feat), *ra, *rb;
    size_t i;
    cr_assert_eq(json_array_size(json_object_get(b, "items")), 50);
    json_array_foreach(json_object_get(a, "items"), i, ra) {
        rb = json_array_get(json_object_get(b, "items"), i);
        double x = col(ra, 0), y = col(ra, 1);
        cr_assert_eq(col(rb, 0), x, "row %zu: the same points", i);
        cr_assert_eq(col(rb, 1), y);
        cr_assert_float_eq(col(rb, 2), x * x, 1e-6);
        cr_assert_float_eq(col(rb, 3), y * y, 1e-6);
        cr_assert_float_eq(col(rb, 4), x * y, 1e-6);
        cr_assert_float_eq(col(rb, 5), sin(x), 1e-6);
        cr_assert_float_eq(col(rb, 6), sin(y), 1e-6);
        cr_assert_str_eq(api_jstr(ra, "label"), api_jstr(rb, "label"));
    }
    json_decref(a);
    json_decref(b);
    json_decref(plain);
    json_decref(feat);
}

/* One softmax layer (a linear boundary) on the circle: hopeless on x, y;
 * nearly perfect on x², y², where the circle is a line. */
static double linear_accuracy(const char *features)
{
    char body[256], ds[64], md[64], job[64];
    snprintf(body, sizeof body, "{\"name\": \"c\", \"generator\": \"circle\","
             " \"features\": %s}", features);
    json_t *d = ds_create(&srv, body);
    snprintf(ds, sizeof ds, "%s", api_jstr(d, "id"));
    json_decref(d);
    make_model(&srv, "{\"name\":\"lin\",\"inputs\":2,\"layers\":[{\"units\":2,"
                     "\"activation\":\"softmax\"}],\"loss\":\"cross_entropy\","
                     "\"seed\":1}",
               md);
    start_job(&srv, md, ds, "\"epochs\":%u,\"batch_size\":16,\"seed\":1,"
                            "\"optimizer\":{\"name\":\"adam\","
                            "\"learning_rate\":0.05}",
              job, 200u);
    json_t *j = api_wait_job(&srv, job, 30);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded");
    double acc = api_num(j, "accuracy");
    json_decref(j);
    return acc;
}

Test(honest, squares_make_the_circle_linearly_separable)
{
    double plain = linear_accuracy("[\"x\", \"y\"]");
    double squares = linear_accuracy("[\"x^2\", \"y^2\"]");
    cr_assert_lt(plain, 0.8, "x, y: %g", plain);
    cr_assert_gt(squares, 0.95, "x², y²: %g", squares);
}

static void refused(const char *body, long status, const char *pointer)
{
    api_response r = api_json(&srv, "POST", "/v1/datasets", body);
    api_assert_problem(&r, status, pointer);
    api_free(&r);
}

Test(honest, feature_and_gate_refusals)
{
    refused("{\"name\": \"g\", \"generator\": \"circle\", \"features\": "
            "\"x^2\"}", 400, "/features");
    refused("{\"name\": \"g\", \"generator\": \"circle\", \"features\": []}",
            422, "/features");
    refused("{\"name\": \"g\", \"generator\": \"circle\", \"features\": "
            "[\"x\", \"z\"]}", 422, "/features/1");
    refused("{\"name\": \"g\", \"generator\": \"circle\", \"features\": "
            "[\"x\", 2]}", 400, "/features/1");
    refused("{\"name\": \"g\", \"generator\": \"circle\", \"features\": "
            "[\"x\", \"y\", \"x\"]}", 422, "/features/2");
    refused("{\"name\": \"g\", \"generator\": \"xor\", \"features\": [\"x\"]}",
            422, "/features");
    refused("{\"name\": \"g\", \"generator\": \"xor\", \"n\": 200}", 422,
            "/n");
    refused("{\"name\": \"g\", \"generator\": \"not\", \"n\": 4}", 422, "/n");
    refused("{\"name\": \"g\", \"generator\": \"and\", \"noise\": 0.1}", 422,
            "/noise");
    /* What is true of the table may be said. */
    json_decref(ds_create(&srv, "{\"name\": \"g\", \"generator\": \"xor\","
                                " \"n\": 4, \"noise\": 0}"));
}

static void job_refused(const char *model, const char *ds, long status,
                        const char *pointer)
{
    char body[256];
    snprintf(body, sizeof body, "{\"model_id\":\"%s\",\"dataset_id\":\"%s\"}",
             model, ds);
    api_response r = api_json(&srv, "POST", "/v1/jobs", body);
    api_assert_problem(&r, status, pointer);
    api_free(&r);
}

Test(honest, jobs_that_could_not_learn_are_refused)
{
    char xor_ds[64], half_ds[64], sign_ds[64], perceptron[64], job[64];
    make_generated(&srv, "xor", xor_ds);
    json_t *step = mt_create(&srv, mt_xor_net);
    job_refused(api_jstr(step, "id"), xor_ds, 422, "/model_id");
    json_decref(step);
    json_t *sign = mt_create(&srv, "{\"name\": \"s\", \"inputs\": 2, \"layers\":"
                                   " [{\"units\": 3, \"activation\": \"tanh\"},"
                                   "  {\"units\": 1, \"activation\": \"sign\"}]}");
    job_refused(api_jstr(sign, "id"), xor_ds, 422, "/model_id");
    json_decref(sign);

    make_model(&srv, "{\"name\":\"p\",\"type\":\"perceptron\",\"inputs\":2}",
               perceptron);
    make_dataset(&srv, "{\"name\": \"half\", \"inputs\": [[0, 0], [1, 1]],"
                       " \"targets\": [0, 0.5]}",
                 half_ds);
    job_refused(perceptron, half_ds, 422, "/dataset_id");
    make_dataset(&srv, "{\"name\": \"signs\", \"inputs\": [[0, 0], [1, 1]],"
                       " \"targets\": [-1, 1]}",
                 sign_ds);
    start_job(&srv, perceptron, sign_ds, "\"epochs\":%u", job, 10u);
    json_t *j = api_wait_job(&srv, job, 30);
    cr_assert(json_is_true(json_object_get(j, "converged")));
    json_decref(j);
}
