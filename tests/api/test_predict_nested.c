/* test_predict_nested.c — predict on an image model with rows nested as
 * its input_shape ([C][H][W] arrays): the same outputs as flat rows, also
 * when the body streams in small pieces; each level's length checked, a
 * wrong one a 422 naming that array and the length expected; a value
 * where an array belongs, or an array where a value does, a 400 at it. */
#include <criterion/criterion.h>
#include <stdio.h>
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

TestSuite(predict_nested, .init = setup, .fini = teardown, .timeout = 60);

/* A conv net over [2, 2, 3] images: 2 channels of 2 rows of 3. */
static const char image_model[] =
    "{\"name\": \"img\", \"input_shape\": [2, 2, 3], \"layers\": ["
    " {\"type\": \"conv2d\", \"filters\": 2, \"kernel\": [1, 2],"
    "  \"activation\": \"relu\"}, {\"type\": \"flatten\"},"
    " {\"units\": 3, \"activation\": \"softmax\"}],"
    " \"loss\": \"cross_entropy\", \"seed\": 5}";

/* Row 0 and row 1 of the image, nested and flat (C, H, W order). */
#define G0 "[[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]"
#define G1 "[[[0.5, -1, 2], [3, 0, -2]], [[1, 1, 0], [-3, 2, 0.25]]]"
#define F0 "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]"
#define F1 "[0.5, -1, 2, 3, 0, -2, 1, 1, 0, -3, 2, 0.25]"

static void make_image_model(char id[64])
{
    make_model(&srv, image_model, id);
}

static void predict_path(char *path, size_t n, const char *id)
{
    snprintf(path, n, "/v1/models/%s/predict", id);
}

Test(predict_nested, nested_rows_predict_as_flat_rows_do)
{
    char id[64], path[128];
    make_image_model(id);
    json_t *flat = mt_predict(&srv, id, "[" F0 ", " F1 "]");
    json_t *nested = mt_predict(&srv, id, "[" G0 ", " G1 "]");
    cr_assert(json_equal(flat, nested), "nested rows predict as flat ones");
    cr_assert_eq(json_array_size(json_object_get(nested, "outputs")), 2);
    /* streamed in pieces of 3 bytes, so that arrays and numbers split */
    static const char body[] = "{\"inputs\": [" G0 ", " G1 "]}";
    predict_path(path, sizeof path, id);
    api_response r = api_call_chunked(&srv, "POST", path, "application/json",
                                      body, strlen(body), 3);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(json_equal(r.json, flat), "streamed nested rows predict alike");
    api_free(&r);
    json_decref(flat);
    json_decref(nested);
}

/* A refused inputs array: status, pointer, and the message's text. */
typedef struct {
    const char *inputs;
    long status;
    const char *pointer;
    const char *message;
} refusal;

static const refusal refusals[] = {
    /* element 0's first path against the shape, level by level */
    {"[[[[1, 2, 3], [4, 5, 6]]]]", 422, "/inputs/0",
     "has 1 values, expected 2"},
    {"[[[[1, 2, 3]], [[7, 8, 9], [10, 11, 12]]]]", 422, "/inputs/0/0",
     "has 1 values, expected 2"},
    {"[[[[1, 2], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]]", 422,
     "/inputs/0/0/0", "has 2 values, expected 3"},
    /* another row, at each level */
    {"[" G0 ", [[[1, 2, 3], [4, 5, 6]]]]", 422, "/inputs/1",
     "has 1 values, expected 2"},
    {"[" G0 ", [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9]]]]", 422, "/inputs/1/1",
     "has 1 values, expected 2"},
    {"[" G0 ", [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12, 13]]]]",
     422, "/inputs/1/1/1", "has 4 values, expected 3"},
    {"[" G0 ", " G1 ", " G1 ", [[[1, 2, 3], [4, 5]], [[7, 8, 9], [1, 2, 3]]]]",
     422, "/inputs/3/0/1", "has 2 values, expected 3"},
    /* a value where an array belongs */
    {"[" G0 ", [[[1, 2, 3], [4, 5, 6]], 7]]", 400, "/inputs/1/1",
     "must be an array of 2 arrays"},
    {"[" G0 ", [[[1, 2, 3], 4], [[7, 8, 9], [10, 11, 12]]]]", 400,
     "/inputs/1/0/1", "must be an array of 3 numbers"},
    {"[" G0 ", [[[1, 2, 3], {\"a\": [4]}], [[7, 8, 9], [1, 2, 3]]]]", 400,
     "/inputs/1/0/1", "must be an array of 3 numbers"},
    {"[" G0 ", " F1 "]", 400, "/inputs/1/0", "must be an array of 2 arrays"},
    {"[[[1, 2, 3], [4, 5, 6]]]", 422, "/inputs/0/0",
     "has 3 values, expected 2"},
    {"[[[1, 2], [4, 5]]]", 400, "/inputs/0/0/0",
     "must be an array of 3 numbers"},
    /* an array where a value belongs, and values that are no float32 */
    {"[[[[1, 2, 3], [4, [5], 6]], [[7, 8, 9], [10, 11, 12]]]]", 400,
     "/inputs/0/0/1/1", "must be a number"},
    {"[[[[[1], 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]]", 400,
     "/inputs/0/0/0/0", "must be a number"},
    {"[" G0 ", [[[1, 2, 3], [4, 5, 6]], [[7, \"x\", 9], [1, 2, 3]]]]", 400,
     "/inputs/1/1/0/1", "must be a number"},
    {"[" G0 ", [[[1, 2, 1e39], [4, 5, 6]], [[7, 8, 9], [1, 2, 3]]]]", 422,
     "/inputs/1/0/0/2", "1e+39 does not fit a float32"},
    /* flat rows are held to the flat length, nested ones after them too */
    {"[" F0 ", " G1 "]", 422, "/inputs/1", "has 2 values, expected 12"},
};

static void assert_refused(const char *path, const refusal *c)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"inputs\": %s}", c->inputs);
    api_response r = api_json(&srv, "POST", path, body);
    cr_assert_eq(r.status, c->status, "%s -> %ld %s", c->inputs, r.status,
                 r.body);
    api_assert_problem(&r, c->status, c->pointer);
    json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
    const char *message = json_string_value(json_object_get(e, "message"));
    cr_assert(message && strcmp(message, c->message) == 0,
              "%s: message \"%s\", want \"%s\"", c->inputs,
              message ? message : "(none)", c->message);
    api_free(&r);
}

Test(predict_nested, each_wrong_level_is_named_with_its_length)
{
    char id[64], path[128];
    make_image_model(id);
    predict_path(path, sizeof path, id);
    for (size_t i = 0; i < sizeof refusals / sizeof *refusals; i++)
        assert_refused(path, &refusals[i]);
}

/* A model without an input_shape of rank > 1 takes flat rows only: a
 * nested row's array is refused where a number belongs. */
Test(predict_nested, a_vector_model_refuses_nested_rows)
{
    char id[64], path[128];
    make_model(&srv,
               "{\"name\": \"v\", \"inputs\": 2, \"layers\": [{\"units\": 1,"
               " \"activation\": \"sigmoid\"}], \"seed\": 1}",
               id);
    predict_path(path, sizeof path, id);
    refusal c = {"[[[1], [2]]]", 400, "/inputs/0/0", "must be a number"};
    assert_refused(path, &c);
}
