/* test_ops.c — liveness, readiness, version, the API document, unknown
 * routes and methods, and the headers every response carries. */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(ops, .init = setup, .fini = teardown, .timeout = 60);

Test(ops, healthz_and_readyz)
{
    api_response r = api_call(&srv, "GET", "/healthz", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(api_str(&r, "status"), "ok");
    api_free(&r);
    r = api_call(&srv, "GET", "/readyz", NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(api_str(&r, "status"), "ready");
    json_t *db = json_object_get(r.json, "database");
    cr_assert_eq(json_integer_value(json_object_get(db, "schema_version")),
                 json_integer_value(json_object_get(db, "migrations")));
    cr_assert_eq(json_integer_value(json_object_get(
                     json_object_get(r.json, "workers"), "running")),
                 2);
    api_free(&r);
}

Test(ops, version)
{
    api_response r = api_call(&srv, "GET", "/v1/version", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(api_str(&r, "api"), "v1");
    cr_assert(strlen(api_str(&r, "version")) > 0);
    api_free(&r);
}

Test(ops, openapi_document_is_served)
{
    api_response r = api_call(&srv, "GET", "/openapi.yaml", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.content_type, "yaml"), "%s", r.content_type);
    cr_assert(strncmp(r.body, "openapi: 3.1", 12) == 0, "%.40s", r.body);
    api_free(&r);
}

Test(ops, unknown_route_is_404_problem)
{
    api_response r = api_call(&srv, "GET", "/v1/nothing", NULL, NULL, 0);
    api_assert_problem(&r, 404, NULL);
    api_free(&r);
}

Test(ops, wrong_method_is_405)
{
    api_response r = api_call(&srv, "PUT", "/v1/datasets", NULL, NULL, 0);
    api_assert_problem(&r, 405, NULL);
    api_free(&r);
}

Test(ops, body_on_a_bodiless_route_is_400)
{
    api_response r = api_json(&srv, "GET", "/healthz", "{}");
    api_assert_problem(&r, 400, NULL);
    api_free(&r);
}
