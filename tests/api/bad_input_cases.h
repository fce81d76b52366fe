/* bad_input_cases.h — the table of hostile or broken requests that
 * test_bad_input.c sends: one row per case, each expecting a 4xx
 * problem+json and, where the server can name it, the error's pointer.
 * In paths and bodies {md} is a model with 2 inputs and 1 output, {ds} a
 * 2-input regression dataset and {cls} a 2-class dataset; a body of
 * DEEP_NESTING is made at run time. */
#ifndef API_BAD_INPUT_CASES_H
#define API_BAD_INPUT_CASES_H

#include <stddef.h>

typedef struct {
    const char *what;
    const char *method, *path, *content_type;
    const char *body; /* NULL: none */
    size_t len;       /* bytes of body; 0: strlen */
    long status;
    const char *pointer; /* NULL: not checked */
} bad_case;

#define DEEP_NESTING "<deep>"
#define JSON "application/json"
#define CSV "text/csv"
/* A body with NUL bytes in it: its length is the literal's. */
#define BYTES(s) s, sizeof s - 1
#define TEXT(s) s, 0

#define MODEL(rest) "{\"name\":\"m\",\"inputs\":2," rest "}"
#define LAYER1 "\"layers\":[{\"units\":1,\"activation\":\"sigmoid\"}]"
#define JOB(rest) "{\"model_id\":\"{md}\",\"dataset_id\":\"{ds}\"" rest "}"

static const bad_case bad_cases[] = {
    /* JSON syntax */
    {"truncated", "POST", "/v1/models", JSON, TEXT("{\"name\":"), 400, ""},
    {"unclosed", "POST", "/v1/models", JSON,
     TEXT(MODEL("\"layers\":[{\"units\":1")), 400, ""},
    {"not an object", "POST", "/v1/models", JSON, TEXT("[1,2]"), 400, ""},
    {"empty body", "POST", "/v1/models", JSON, TEXT(""), 400, NULL},
    {"garbage", "POST", "/v1/jobs", JSON, TEXT("}{"), 400, ""},
    {"duplicate keys", "POST", "/v1/models", JSON,
     TEXT("{\"name\":\"a\",\"name\":\"b\",\"inputs\":2," LAYER1 "}"), 400, ""},
    {"10^5-deep nesting", "POST", "/v1/models", JSON, TEXT(DEEP_NESTING), 400,
     ""},
    {"1e999", "POST", "/v1/models", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":1e999," LAYER1 "}"), 400, ""},
    {"2^63", "POST", "/v1/models", JSON,
     TEXT(MODEL(LAYER1 ",\"seed\":9223372036854775808")), 400, ""},
    {"2^64", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":[[1,2]],\"labels\":"
          "[18446744073709551616]}"), 400, ""},
    {"NaN literal", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":[[NaN,1]],\"targets\":[1]}"), 400, ""},
    {"Infinity literal", "POST", "/v1/models/{md}/predict", JSON,
     TEXT("{\"inputs\":[[Infinity,1]]}"), 400, ""},
    {"-Infinity literal", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":[[1,1]],\"targets\":[-Infinity]}"), 400,
     ""},
    {"invalid UTF-8", "POST", "/v1/models", JSON,
     TEXT("{\"name\":\"a\xff\xfe\",\"inputs\":2," LAYER1 "}"), 400, ""},
    {"\\u0000", "POST", "/v1/models", JSON,
     TEXT(MODEL(LAYER1 ",\"init\":\"he\\u0000\"")), 400, ""},
    {"raw NUL in JSON", "POST", "/v1/models", JSON,
     BYTES("{\"name\":\"a\0\",\"inputs\":2}"), 400, ""},
    {"lone surrogate", "POST", "/v1/models", JSON,
     TEXT("{\"name\":\"\\ud800\",\"inputs\":2}"), 400, ""},
    {"wrong content type", "POST", "/v1/models", "text/plain", TEXT("{}"),
     415, NULL},
    {"CSV where JSON only", "POST", "/v1/jobs", CSV, TEXT("a,b\n1,2\n"), 415,
     NULL},
    {"body on a GET", "GET", "/v1/models", JSON, TEXT("{}"), 400, NULL},

    /* JSON types and fields */
    {"name not a string", "POST", "/v1/models", JSON,
     TEXT("{\"name\":5,\"inputs\":2," LAYER1 "}"), 400, "/name"},
    {"inputs as text", "POST", "/v1/models", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":\"2\"," LAYER1 "}"), 400, "/inputs"},
    {"unknown field", "POST", "/v1/models", JSON,
     TEXT(MODEL(LAYER1 ",\"bogus\":1")), 400, "/bogus"},
    {"unknown job field", "POST", "/v1/jobs", JSON, TEXT(JOB(",\"lr\":1")),
     400, "/lr"},
    {"data cell as text", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":[[1,\"x\"]],\"targets\":[1]}"), 400,
     "/inputs/0/1"},
    {"mixed label types", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":[[1,1],[2,2]],\"labels\":[1,\"a\"]}"),
     400, "/labels/1"},
    {"learning rate as text", "POST", "/v1/jobs", JSON,
     TEXT(JOB(",\"optimizer\":{\"name\":\"sgd\",\"learning_rate\":\"x\"}")),
     400, "/optimizer/learning_rate"},
    {"NaN learning rate", "POST", "/v1/jobs", JSON,
     TEXT(JOB(",\"optimizer\":{\"name\":\"sgd\",\"learning_rate\":NaN}")), 400,
     ""},
    {"id as number", "POST", "/v1/jobs", JSON,
     TEXT("{\"model_id\":\"{md}\",\"dataset_id\":5}"), 400, "/dataset_id"},

    /* sizes and names */
    {"zero inputs", "POST", "/v1/models", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":0," LAYER1 "}"), 422, "/inputs"},
    {"zero units", "POST", "/v1/models", JSON,
     TEXT(MODEL("\"layers\":[{\"units\":0,\"activation\":\"relu\"}]")), 422,
     "/layers/0/units"},
    {"absurd units", "POST", "/v1/models", JSON,
     TEXT(MODEL("\"layers\":[{\"units\":1000000000,\"activation\":\"relu\"}]")),
     422, "/layers/0/units"},
    {"absurd parameters", "POST", "/v1/models", JSON,
     TEXT(MODEL("\"layers\":[{\"units\":1048576,\"activation\":\"relu\"},"
                "{\"units\":1048576,\"activation\":\"relu\"}]")),
     422, "/layers"},
    {"no layers", "POST", "/v1/models", JSON, TEXT(MODEL("\"layers\":[]")), 422,
     "/layers"},
    {"empty name", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"\",\"inputs\":[[1,1]],\"targets\":[1]}"), 422, "/name"},
    {"unknown activation", "POST", "/v1/models", JSON,
     TEXT(MODEL("\"layers\":[{\"units\":1,\"activation\":\"swish\"}]")), 422,
     "/layers/0/activation"},
    {"unknown loss", "POST", "/v1/models", JSON,
     TEXT(MODEL(LAYER1 ",\"loss\":\"hinge\"")), 422, "/loss"},
    {"unknown init", "POST", "/v1/models", JSON,
     TEXT(MODEL(LAYER1 ",\"init\":\"magic\"")), 422, "/init"},
    {"unknown type", "POST", "/v1/models", JSON,
     TEXT(MODEL(LAYER1 ",\"type\":\"boltzmann\"")), 422, "/type"},
    {"negative seed", "POST", "/v1/models", JSON,
     TEXT(MODEL(LAYER1 ",\"seed\":-1")), 422, "/seed"},
    {"negative steepness", "POST", "/v1/models", JSON,
     TEXT(MODEL("\"layers\":[{\"units\":1,\"activation\":\"sigmoid\","
                "\"k\":-1}]")),
     422, "/layers/0/k"},
    {"ragged weights", "POST", "/v1/models", JSON,
     TEXT(MODEL("\"layers\":[{\"units\":2,\"activation\":\"tanh\"}],"
                "\"weights\":[{\"W\":[[1,2],[3]],\"b\":[1,2]}]")),
     422, "/weights/0/W/1"},
    {"import of an unknown version", "POST", "/v1/models/import", JSON,
     TEXT("{\"format\":\"neurond-model\",\"version\":99}"), 422, "/version"},

    /* JSON datasets */
    {"ragged rows", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":[[1,2],[3]],\"targets\":[1,2]}"), 422,
     "/inputs/1"},
    {"targets short", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":[[1,2],[3,4]],\"targets\":[1]}"), 422,
     "/targets"},
    {"no rows", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":[],\"targets\":[]}"), 422, "/inputs"},
    {"past float32", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":[[1e39,1]],\"targets\":[1]}"), 422,
     "/inputs/0/0"},
    {"targets and labels", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"inputs\":[[1,2]],\"targets\":[1],"
          "\"labels\":[\"a\"]}"),
     422, "/labels"},
    {"unknown generator", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"generator\":\"mandelbrot\"}"), 422, "/generator"},
    {"zero rows generated", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"generator\":\"circle\",\"n\":0}"), 422, "/n"},
    {"absurd rows generated", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"generator\":\"circle\",\"n\":1000000000000}"),
     422, "/n"},
    {"negative noise", "POST", "/v1/datasets", JSON,
     TEXT("{\"name\":\"a\",\"generator\":\"circle\",\"noise\":-1}"), 422,
     "/noise"},

    /* CSV */
    {"ragged CSV row", "POST", "/v1/datasets?name=c", CSV,
     TEXT("a,b,y\n1,2,3\n4,5\n"), 422, "/rows/2/y"},
    {"empty CSV", "POST", "/v1/datasets?name=c", CSV, TEXT(""), 422, "/rows"},
    {"header-only CSV", "POST", "/v1/datasets?name=c", CSV, TEXT("a,b,y\n"),
     422, "/rows"},
    {"NUL in CSV", "POST", "/v1/datasets?name=c", CSV,
     BYTES("a,b,y\n1,\0002,3\n"), 422, "/rows"},
    {"NaN in CSV", "POST", "/v1/datasets?name=c", CSV, TEXT("a,b,y\n1,nan,3\n"),
     422, "/rows/1/b"},
    /* In the target of the first row "inf" is text, so a class label; in
     * an input column it is not a number. */
    {"inf in CSV", "POST", "/v1/datasets?name=c", CSV, TEXT("a,b,y\n1,inf,3\n"),
     422, "/rows/1/b"},
    {"hex in CSV", "POST", "/v1/datasets?name=c", CSV,
     TEXT("a,b,y\n0x10,2,3\n"), 422, "/rows/1/a"},
    {"1e999 in CSV", "POST", "/v1/datasets?name=c", CSV,
     TEXT("a,b,y\n1e999,2,3\n"), 422, "/rows/1/a"},
    {"invalid UTF-8 in a CSV cell", "POST", "/v1/datasets?name=c", CSV,
     TEXT("a,b,y\n1,\xff\xfe,3\n"), 422, "/rows/1/b"},
    {"invalid UTF-8 in a CSV label", "POST", "/v1/datasets?name=c", CSV,
     TEXT("a,b,y\n1,2,\xff\n"), 422, "/rows/1/y"},
    {"CSV column name with a lead byte past 0xF4", "POST",
     "/v1/datasets?name=c", CSV, TEXT("a,es\xff\x89\x96\n1,2\n"), 422,
     "/rows/0"},
    {"CSV label with a lead byte past 0xF4", "POST", "/v1/datasets?name=c",
     CSV, TEXT("a,y\n1,\xf5\x80\x80\n"), 422, "/rows/1/y"},
    {"duplicate CSV column", "POST", "/v1/datasets?name=c", CSV,
     TEXT("a,a,y\n1,2,3\n"), 422, "/rows/0/a"},
    {"CSV without a name", "POST", "/v1/datasets", CSV, TEXT("a,y\n1,2\n"), 422,
     "?name"},
    {"CSV name not UTF-8", "POST", "/v1/datasets?name=c%ff", CSV,
     TEXT("a,y\n1,2\n"), 422, "?name"},
    {"unknown CSV target", "POST", "/v1/datasets?name=c&target=%ff", CSV,
     TEXT("a,y\n1,2\n"), 422, "?target"},
    {"unknown task", "POST", "/v1/datasets?name=c&task=regress", CSV,
     TEXT("a,y\n1,2\n"), 422, "?task"},

    /* jobs */
    {"negative learning rate", "POST", "/v1/jobs", JSON,
     TEXT(JOB(",\"optimizer\":{\"name\":\"sgd\",\"learning_rate\":-1}")), 422,
     "/optimizer/learning_rate"},
    {"zero learning rate", "POST", "/v1/jobs", JSON,
     TEXT(JOB(",\"optimizer\":{\"name\":\"adam\",\"learning_rate\":0}")), 422,
     "/optimizer/learning_rate"},
    {"unknown optimizer", "POST", "/v1/jobs", JSON,
     TEXT(JOB(",\"optimizer\":{\"name\":\"lbfgs\"}")), 422, "/optimizer/name"},
    {"zero epochs", "POST", "/v1/jobs", JSON, TEXT(JOB(",\"epochs\":0")), 422,
     "/epochs"},
    {"absurd epochs", "POST", "/v1/jobs", JSON,
     TEXT(JOB(",\"epochs\":1000000000000")), 422, "/epochs"},
    {"zero batch", "POST", "/v1/jobs", JSON, TEXT(JOB(",\"batch_size\":0")),
     422, "/batch_size"},
    {"absurd batch", "POST", "/v1/jobs", JSON,
     TEXT(JOB(",\"batch_size\":100000000")), 422, "/batch_size"},
    {"validation split past 1", "POST", "/v1/jobs", JSON,
     TEXT(JOB(",\"validation_split\":1.5")), 422, "/validation_split"},
    {"unknown normalization", "POST", "/v1/jobs", JSON,
     TEXT(JOB(",\"normalize\":\"zscore\"")), 422, "/normalize"},
    {"labels past the model's outputs", "POST", "/v1/jobs", JSON,
     TEXT("{\"model_id\":\"{md}\",\"dataset_id\":\"{cls}\"}"), 422,
     "/dataset_id"},
    {"unknown model id", "POST", "/v1/jobs", JSON,
     TEXT("{\"model_id\":\"md_nope\",\"dataset_id\":\"{ds}\"}"), 422,
     "/model_id"},
    {"unknown dataset id", "POST", "/v1/jobs", JSON,
     TEXT("{\"model_id\":\"{md}\",\"dataset_id\":"
          "\"ds_aaaaaaaaaaaaaaaaaaaaaaaaaa\"}"),
     422, "/dataset_id"},

    /* query arguments an operation does not list: refused on every route,
     * before anything is done (the DELETE must not delete) */
    {"unknown query on create", "POST", "/v1/models?zz=1", JSON,
     TEXT(MODEL(LAYER1)), 400, "?zz"},
    {"unknown query on predict", "POST", "/v1/models/{md}/predict?zz=1", JSON,
     TEXT("{\"inputs\":[[0,1]]}"), 400, "?zz"},
    {"unknown query on delete", "DELETE", "/v1/models/{md}?zz=1", NULL, NULL,
     0, 400, "?zz"},
    {"unknown query on a model", "GET", "/v1/models/{md}?zz=1", NULL, NULL, 0,
     400, "?zz"},
    {"unknown query on the job list", "GET", "/v1/jobs?limit=2&zz=1", NULL,
     NULL, 0, 400, "?zz"},
    {"unknown query on a new job", "POST", "/v1/jobs?zz=1", JSON, TEXT(JOB("")),
     400, "?zz"},
    {"unknown query on health", "GET", "/healthz?zz=1", NULL, NULL, 0, 400,
     "?zz"},
    {"unknown query on the version", "GET", "/v1/version?zz", NULL, NULL, 0,
     400, "?zz"},
    {"unknown query on the dashboard", "GET", "/web/app.js?v=2", NULL, NULL,
     0, 400, "?v"},
    {"a CSV argument with a JSON body", "POST", "/v1/datasets?name=x", JSON,
     TEXT("{\"name\":\"g\",\"generator\":\"xor\"}"), 400, "?name"},
    {"a body on a GET", "GET", "/v1/models/{md}/export", JSON, TEXT("{}"),
     400, NULL},

    /* predictions */
    {"prediction too wide", "POST", "/v1/models/{md}/predict", JSON,
     TEXT("{\"inputs\":[[1,2,3]]}"), 422, "/inputs/0"},
    {"prediction as text", "POST", "/v1/models/{md}/predict", JSON,
     TEXT("{\"inputs\":[[1,\"a\"]]}"), 400, "/inputs/0/1"},
    {"prediction of nothing", "POST", "/v1/models/{md}/predict", JSON,
     TEXT("{\"inputs\":[]}"), 422, "/inputs"},

    /* ids, paths and queries */
    {"unknown model", "POST", "/v1/models/md_nope/predict", JSON,
     TEXT("{\"inputs\":[[1,2]]}"), 404, NULL},
    {"id not UTF-8", "GET", "/v1/models/md_%ff", NULL, NULL, 0, 404, NULL},
    {"route not UTF-8", "GET", "/v1/nothing%ff%c0", NULL, NULL, 0, 404, NULL},
    {"SQL in an id", "GET", "/v1/datasets/ds_'%20OR%201=1--", NULL, NULL, 0,
     404, NULL},
    {"dot segments", "GET", "/v1/models/..%2f..%2fetc%2fpasswd", NULL, NULL, 0,
     404, NULL},
    {"NUL in an id", "GET", "/v1/jobs/jb_%00x", NULL, NULL, 0, 404, NULL},
    {"long id", "GET",
     "/v1/jobs/jb_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     NULL, NULL, 0, 404, NULL},
    {"unknown job", "GET", "/v1/jobs/jb_nope/history", NULL, NULL, 0, 404,
     NULL},
    {"cancel an unknown job", "POST", "/v1/jobs/jb_nope/cancel", NULL, NULL, 0,
     404, NULL},
    {"delete an unknown dataset", "DELETE", "/v1/datasets/nope", NULL, NULL, 0,
     404, NULL},
    {"wrong method", "PUT", "/v1/models", NULL, NULL, 0, 405, NULL},
    {"limit as text", "GET", "/v1/models?limit=abc", NULL, NULL, 0, 400,
     "?limit"},
    {"zero limit", "GET", "/v1/jobs?limit=0", NULL, NULL, 0, 422, "?limit"},
    {"forged cursor", "GET", "/v1/datasets?cursor=%ff%fe", NULL, NULL, 0, 400,
     "?cursor"},
    {"negative offset", "GET", "/v1/datasets/{ds}/rows?offset=-1", NULL, NULL,
     0, 400, "?offset"},
    {"unknown status", "GET", "/v1/jobs?status=%ff", NULL, NULL, 0, 422,
     "?status"},
};

#endif
