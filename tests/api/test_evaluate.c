/* test_evaluate.c — POST /v1/models/{id}/evaluate: hand-weighted models
 * whose every prediction is known (so the confusion matrix, precision,
 * recall, loss and per-output errors are checked exactly), a perceptron,
 * an imported model whose stored normalisation must be applied, a network
 * trained on iris through a job, and every refusal with its status and
 * pointer. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dataset_checks.h"
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

TestSuite(evaluate, .init = setup, .fini = teardown, .timeout = 120);

/* POST /v1/models/{model}/evaluate {"dataset_id": dataset}; asserts 200
 * and returns the reply (the caller decrefs). */
static json_t *evaluate(const char *model, const char *dataset)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/evaluate", model);
    api_response r = api_pack(&srv, "POST", path, "{s:s}", "dataset_id",
                              dataset);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *body = json_incref(r.json);
    api_free(&r);
    return body;
}

static void assert_near(double got, double want, const char *what)
{
    cr_assert(fabs(got - want) <= 1e-6 * (1 + fabs(want)), "%s: %.9g, not "
              "%.9g", what, got, want);
}

/* Two softmax outputs with W = [[1, −1]]: class 0 ("pos", the first label
 * seen) exactly when x > 0. Row x = 3 is labelled neg, so one mistake. */
Test(evaluate, confusion_precision_recall_and_loss_of_a_known_classifier)
{
    char ds[64], md[64];
    make_dataset(&srv, "{\"name\": \"signs\", \"inputs\": [[1], [2], [-1], "
                       "[3], [-2]], \"labels\": [\"pos\", \"pos\", \"neg\", "
                       "\"neg\", \"neg\"]}", ds);
    make_model(&srv, "{\"name\": \"sign\", \"inputs\": 1, \"layers\": "
                     "[{\"units\": 2, \"activation\": \"softmax\"}], "
                     "\"loss\": \"cross_entropy\", \"weights\": [{\"W\": "
                     "[[1, -1]], \"b\": [0, 0]}]}", md);
    json_t *e = evaluate(md, ds);
    cr_assert_eq(api_int(e, "rows"), 5);
    cr_assert(json_is_false(json_object_get(e, "trained")));
    ds_assert_strings(json_object_get(e, "classes"),
                      (const char *[]){"pos", "neg", NULL});
    mt_assert_json(json_object_get(e, "confusion"), "[[2, 0], [1, 2]]");
    assert_near(api_num(e, "accuracy"), 0.8, "accuracy");
    ds_assert_numbers(json_object_get(e, "precision"),
                      (double[]){2.0 / 3, 1}, 2);
    ds_assert_numbers(json_object_get(e, "recall"), (double[]){1, 2.0 / 3},
                      2);
    /* mean of −log σ(2x) or −log σ(−2x), the true class's probability */
    assert_near(api_num(e, "loss"), 1.2585263126118589, "loss");
    cr_assert_null(json_object_get(e, "per_output"));
    json_decref(e);
}

/* A class the model never predicts has no precision (null), and its
 * recall is 0. */
Test(evaluate, a_class_never_predicted_has_null_precision)
{
    char ds[64], md[64];
    make_dataset(&srv, "{\"name\": \"all\", \"inputs\": [[1], [2], [3]], "
                       "\"labels\": [\"a\", \"b\", \"a\"]}", ds);
    make_model(&srv, "{\"name\": \"always a\", \"inputs\": 1, \"layers\": "
                     "[{\"units\": 2, \"activation\": \"softmax\"}], "
                     "\"loss\": \"cross_entropy\", \"weights\": [{\"W\": "
                     "[[0, 0]], \"b\": [1, 0]}]}", md);
    json_t *e = evaluate(md, ds);
    mt_assert_json(json_object_get(e, "confusion"), "[[2, 0], [1, 0]]");
    json_t *precision = json_object_get(e, "precision");
    assert_near(json_number_value(json_array_get(precision, 0)), 2.0 / 3,
                "precision a");
    cr_assert(json_is_null(json_array_get(precision, 1)));
    ds_assert_numbers(json_object_get(e, "recall"), (double[]){1, 0}, 2);
    json_decref(e);
}

Test(evaluate, hand_weighted_xor_net_and_perceptrons_on_truth_tables)
{
    char xor_ds[64], nor_ds[64], xor_net[64], nor[64], and_on_nor[64];
    make_generated(&srv, "xor", xor_ds);
    make_generated(&srv, "nor", nor_ds);
    json_t *m = mt_create(&srv, mt_xor_net);
    snprintf(xor_net, sizeof xor_net, "%s", api_jstr(m, "id"));
    json_decref(m);
    json_t *e = evaluate(xor_net, xor_ds);
    ds_assert_strings(json_object_get(e, "classes"),
                      (const char *[]){"0", "1", NULL});
    mt_assert_json(json_object_get(e, "confusion"), "[[2, 0], [0, 2]]");
    assert_near(api_num(e, "accuracy"), 1, "accuracy");
    assert_near(api_num(e, "loss"), 0, "loss");
    json_decref(e);

    make_model(&srv, "{\"name\": \"nor\", \"type\": \"perceptron\", "
                     "\"inputs\": 2, \"activation\": \"step\", \"weights\": "
                     "[{\"W\": [[-1], [-1]], \"b\": [0.5]}]}", nor);
    e = evaluate(nor, nor_ds);
    cr_assert_eq(api_int(e, "mistakes"), 0);
    assert_near(api_num(e, "loss"), 0, "loss");
    assert_near(api_num(e, "accuracy"), 1, "accuracy");
    json_decref(e);
    /* AND's weights on NOR's table: wrong on (0,0), true 1, and (1,1),
     * true 0 */
    make_model(&srv, "{\"name\": \"and\", \"type\": \"perceptron\", "
                     "\"inputs\": 2, \"activation\": \"step\", \"weights\": "
                     "[{\"W\": [[1], [1]], \"b\": [-1.5]}]}", and_on_nor);
    e = evaluate(and_on_nor, nor_ds);
    cr_assert_eq(api_int(e, "mistakes"), 2);
    assert_near(api_num(e, "loss"), 2, "loss");
    assert_near(api_num(e, "accuracy"), 0.5, "accuracy");
    mt_assert_json(json_object_get(e, "confusion"), "[[2, 1], [1, 0]]");
    json_decref(e);
}

/* y1 = x, y2 = 2x + 1 by hand; the targets miss y2 by 1 on one row. */
Test(evaluate, regression_errors_per_output)
{
    char ds[64], md[64];
    make_dataset(&srv, "{\"name\": \"lines\", \"inputs\": [[0], [1], [2], "
                       "[3]], \"targets\": [[0, 1], [1, 3], [2, 5], [3, 8]]}",
                 ds);
    make_model(&srv, "{\"name\": \"two lines\", \"inputs\": 1, \"layers\": "
                     "[{\"units\": 2, \"activation\": \"linear\"}], \"loss\": "
                     "\"mse\", \"weights\": [{\"W\": [[1, 2]], \"b\": [0, 1]}]}",
                 md);
    json_t *e = evaluate(md, ds);
    cr_assert_null(json_object_get(e, "confusion"));
    cr_assert_null(json_object_get(e, "accuracy"));
    json_t *per = json_object_get(e, "per_output");
    cr_assert_eq(json_array_size(per), 2);
    assert_near(api_num(json_array_get(per, 0), "mse"), 0, "mse y1");
    assert_near(api_num(json_array_get(per, 0), "mae"), 0, "mae y1");
    assert_near(api_num(json_array_get(per, 1), "mse"), 0.25, "mse y2");
    assert_near(api_num(json_array_get(per, 1), "mae"), 0.25, "mae y2");
    cr_assert_str_eq(api_jstr(json_array_get(per, 1), "name"), "y2");
    assert_near(api_num(e, "loss"), 0.125, "loss"); /* mean ½ Σ (y − o)² */
    json_decref(e);
}

/* The imported model computes y = 2 (x − 1) · 0.5 = x − 1 only with its
 * stored normalisation; raw, it would give 2x. */
Test(evaluate, the_stored_normalisation_is_applied)
{
    char ds[64];
    make_dataset(&srv, "{\"name\": \"shifted\", \"inputs\": [[1], [3], "
                       "[5]], \"targets\": [0, 2, 5]}", ds);
    json_t *doc = json_loads(mt_scaled_doc, 0, NULL);
    json_t *m = mt_import(&srv, doc);
    json_t *e = evaluate(api_jstr(m, "id"), ds);
    cr_assert(json_is_true(json_object_get(e, "trained")));
    json_t *y = json_array_get(json_object_get(e, "per_output"), 0);
    assert_near(api_num(y, "mae"), 1.0 / 3, "mae");
    assert_near(api_num(y, "mse"), 1.0 / 3, "mse");
    assert_near(api_num(e, "loss"), 1.0 / 6, "loss");
    json_decref(e);
    json_decref(m);
    json_decref(doc);
}

Test(evaluate, a_network_trained_on_iris)
{
    char ds[64], md[64], job[64];
    make_csv(&srv, api_shared_data("iris.csv"), "iris", "species", ds);
    make_model(&srv, "{\"name\": \"iris\", \"inputs\": 4, \"layers\": "
                     "[{\"units\": 8, \"activation\": \"tanh\"}, {\"units\": "
                     "3, \"activation\": \"softmax\"}], \"loss\": "
                     "\"cross_entropy\", \"seed\": 3}", md);
    start_job(&srv, md, ds, "\"epochs\": %u, \"batch_size\": 16, "
              "\"normalize\": \"standard\", \"optimizer\": {\"name\": "
              "\"adam\", \"learning_rate\": 0.05}", job, 60);
    json_t *j = api_wait_job(&srv, job, 60);
    cr_assert_str_eq(api_jstr(j, "status"), "succeeded");
    json_decref(j);
    json_t *e = evaluate(md, ds);
    cr_assert(json_is_true(json_object_get(e, "trained")));
    ds_assert_strings(json_object_get(e, "classes"),
                      (const char *[]){"setosa", "versicolor", "virginica",
                                       NULL});
    json_t *confusion = json_object_get(e, "confusion");
    json_int_t total = 0, diagonal = 0;
    for (size_t t = 0; t < 3; t++)
        for (size_t p = 0; p < 3; p++) {
            json_int_t n = json_integer_value(
                json_array_get(json_array_get(confusion, t), p));
            total += n;
            diagonal += t == p ? n : 0;
        }
    cr_assert_eq(total, 150);
    assert_near(api_num(e, "accuracy"), (double)diagonal / 150, "accuracy");
    cr_assert_gt(api_num(e, "accuracy"), 0.9);
    cr_assert_lt(api_num(e, "loss"), 0.4);
    json_decref(e);
}

Test(evaluate, refusals_name_the_field)
{
    char ds[64], wide[64], md[64], classes[64], cls_ds[64];
    make_generated(&srv, "xor", ds);
    make_dataset(&srv, "{\"name\": \"three\", \"inputs\": [[1, 2, 3]], "
                       "\"targets\": [1]}", wide);
    make_generated(&srv, "circle", cls_ds); /* classes "0", "1" */
    make_xor_net(&srv, md);
    json_t *doc = json_loads(mt_scaled_doc, 0, NULL);
    json_object_set_new(doc, "inputs", json_integer(2));
    json_object_set_new(doc, "layers", json_pack("[{s:i, s:s}]", "units", 2,
                                                 "activation", "softmax"));
    json_object_set_new(doc, "loss", json_string("cross_entropy"));
    json_object_set_new(doc, "weights",
                        json_pack("[{s:[[i, i], [i, i]], s:[i, i]}]", "W", 1,
                                  0, 0, 1, "b", 0, 0));
    json_object_set_new(doc, "normalization", json_pack("{s:s}", "kind",
                                                        "none"));
    json_t *m = mt_import(&srv, doc); /* classes "no", "yes" */
    snprintf(classes, sizeof classes, "%s", api_jstr(m, "id"));
    json_decref(m);
    json_decref(doc);

    char path[128], body[160];
    snprintf(path, sizeof path, "/v1/models/%s/evaluate", md);
    snprintf(body, sizeof body, "{\"dataset_id\": \"%s\"}", wide);
    mt_refused(&srv, "POST", path, body, 422, "/dataset_id"); /* inputs */
    snprintf(body, sizeof body, "{\"dataset_id\": \"%s\"}", cls_ds);
    mt_refused(&srv, "POST", path, body, 422, "/dataset_id"); /* 2 classes */
    mt_refused(&srv, "POST", path, "{\"dataset_id\": "
               "\"ds_aaaaaaaaaaaaaaaaaaaaaaaaaa\"}", 404, "/dataset_id");
    mt_refused(&srv, "POST", path, "{\"dataset_id\": \"nope\"}", 404,
               "/dataset_id");
    mt_refused(&srv, "POST", path, "{}", 422, "/dataset_id");
    mt_refused(&srv, "POST", path, "{\"dataset_id\": 3}", 400, "/dataset_id");
    snprintf(body, sizeof body, "{\"dataset_id\": \"%s\", \"x\": 1}", ds);
    mt_refused(&srv, "POST", path, body, 400, "/x");
    snprintf(body, sizeof body, "{\"dataset_id\": \"%s\"}", ds);
    mt_refused(&srv, "POST", "/v1/models/md_aaaaaaaaaaaaaaaaaaaaaaaaaa/"
               "evaluate", body, 404, NULL);
    mt_refused(&srv, "POST", "/v1/models/zzz/evaluate", body, 404, NULL);
    /* classes "no", "yes" against a dataset of classes "0", "1" */
    snprintf(path, sizeof path, "/v1/models/%s/evaluate", classes);
    snprintf(body, sizeof body, "{\"dataset_id\": \"%s\"}", cls_ds);
    mt_refused(&srv, "POST", path, body, 422, "/dataset_id");
}

/* A dataset of 4-value rows: as images [1, 2, 2] or [4, 1, 1] (shape
 * NULL: plain vectors); its id into id. */
static void four_value_rows(const char *shape, char id[64])
{
    char body[320];
    snprintf(body, sizeof body,
             "{\"name\": \"four\", \"inputs\": [[0, 1, 1, 0], [1, 0, 0, 1]],"
             " \"labels\": [\"a\", \"b\"]%s%s}",
             shape ? ", \"input_shape\": " : "", shape ? shape : "");
    make_dataset(&srv, body, id);
}

/* An image model takes an image dataset of its own [C, H, W] only (a
 * vector dataset's rows take its shape; a vector model takes any image
 * dataset of its row length): a 422 at /dataset_id naming both shapes. */
Test(evaluate, an_image_dataset_must_have_the_models_shape)
{
    char square[64], column[64], flat[64], image[64], dense[64];
    four_value_rows("[1, 2, 2]", square);
    four_value_rows("[4, 1, 1]", column);
    four_value_rows(NULL, flat);
    make_model(&srv,
               "{\"name\": \"img\", \"input_shape\": [1, 2, 2], \"layers\": "
               "[{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 1}, "
               "{\"type\": \"flatten\"}, {\"units\": 2, \"activation\": "
               "\"softmax\"}], \"loss\": \"cross_entropy\", \"seed\": 2}",
               image);
    make_model(&srv,
               "{\"name\": \"dense\", \"inputs\": 4, \"layers\": [{\"units\":"
               " 2, \"activation\": \"softmax\"}], \"loss\": "
               "\"cross_entropy\", \"seed\": 2}",
               dense);
    json_decref(evaluate(image, square));
    json_decref(evaluate(image, flat));
    json_decref(evaluate(dense, column));
    char path[128], body[256];
    snprintf(path, sizeof path, "/v1/models/%s/evaluate", image);
    snprintf(body, sizeof body, "{\"dataset_id\": \"%s\"}", column);
    api_response r = api_json(&srv, "POST", path, body);
    api_assert_problem(&r, 422, "/dataset_id");
    json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "message")),
                     "the dataset's images are [4, 1, 1]; the model takes "
                     "[1, 2, 2]");
    api_free(&r);
    /* a job on that pair is refused alike, before it is queued */
    snprintf(body, sizeof body, "{\"model_id\": \"%s\", \"dataset_id\": "
             "\"%s\"}", image, column);
    r = api_json(&srv, "POST", "/v1/jobs", body);
    api_assert_problem(&r, 422, "/dataset_id");
    cr_assert(strstr(r.body, "the dataset's images are [4, 1, 1]"), "%s",
              r.body);
    api_free(&r);
}
