/* test_disk_full.c — the disk holding the database fills up, for real: a
 * small tmpfs in a namespace of the server's own (tests/api/small-disk.sh).
 * Writes past it are 507 naming the cause, counted in
 * neurond_sqlite_errors_total and logged as sqlite.error; a DELETE still
 * frees space (the store's reserve file), and uploads work again after. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Room for the default reserve of 8 MiB (--disk-reserve-bytes) and a few
 * datasets. */
#define DISK_BYTES "16000000"
#define UPLOADS_MAX 40 /* each about 0.5 MB: the disk is full well before */

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(disk_full, .fini = teardown, .timeout = 120);

/* Starts neurond with its database on a fresh DISK_BYTES tmpfs; skips
 * the test where this machine allows no user namespace. */
static void start_on_small_disk(const char *const *extra)
{
    if (system("unshare -rm true > /dev/null 2>&1") != 0)
        cr_skip_test("unshare -rm is not allowed here: no small disk");
    const char *bin = getenv("NEUROND_BIN");
    setenv("SMALL_DISK_BIN", bin ? bin : "build/neurond", 1);
    setenv("SMALL_DISK_BYTES", DISK_BYTES, 1);
    setenv("NEUROND_BIN", "tests/api/small-disk.sh", 1);
    api_prepare(&srv);
    setenv("SMALL_DISK_DIR", srv.dir, 1);
    api_restart(&srv, extra);
}

/* POST of a generated dataset of n rows; the response. */
static api_response upload(unsigned n)
{
    char body[128];
    snprintf(body, sizeof body,
             "{\"name\":\"g\",\"generator\":\"gauss\",\"n\":%u}", n);
    return api_json(&srv, "POST", "/v1/datasets", body);
}

/* The value of the sample `name` in GET /metrics. */
static double metric(const char *name)
{
    api_response r = api_call(&srv, "GET", "/metrics", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *at = strstr(r.body, key);
    cr_assert_not_null(at, "no %s in /metrics", name);
    double v = strtod(at + strlen(key), NULL);
    api_free(&r);
    return v;
}

Test(disk_full, writes_past_a_full_disk_are_507_counted_and_delete_frees)
{
    API_SQLITE_ONLY("the full disk is a small file system under the file");
    start_on_small_disk(NULL);
    char first[64] = "";
    api_response r = {0};
    int stored = 0;
    for (; stored < UPLOADS_MAX; stored++) {
        r = upload(40000);
        if (r.status != 201)
            break;
        if (!first[0])
            snprintf(first, sizeof first, "%s", api_str(&r, "id"));
        api_free(&r);
    }
    cr_assert(first[0], "not even one dataset fit");
    api_assert_problem(&r, 507, NULL);
    cr_assert(strstr(api_str(&r, "detail"), "full"), "%s", r.body);
    api_free(&r);
    cr_log_info("%d datasets fit, then 507", stored);
    cr_assert_geq(metric("neurond_sqlite_errors_total"), 1);
    char *log = api_log(&srv);
    cr_assert(strstr(log, "event=sqlite.error") &&
                  strstr(log, "database or disk is full"),
              "no sqlite.error line: %s", log);
    free(log);
    /* A user frees space through the API, and can store again. */
    char path[128];
    snprintf(path, sizeof path, "/v1/datasets/%s", first);
    r = api_call(&srv, "DELETE", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 204, "DELETE on a full disk: %ld %s", r.status,
                 r.body);
    api_free(&r);
    r = upload(20000);
    cr_assert_eq(r.status, 201, "an upload after the DELETE: %ld %s",
                 r.status, r.body);
    api_free(&r);
    log = api_log_with(&srv, "event=store.reserve_released");
    cr_assert(strstr(log, "event=store.reserve_released"), "%s", log);
    free(log);
    api_stop(&srv);
}

/* Without a reserve the same DELETE cannot be written: what the reserve
 * is for (and the operator's remedy, README: free room on the disk). */
Test(disk_full, without_a_reserve_delete_on_a_full_disk_is_507)
{
    API_SQLITE_ONLY("the full disk is a small file system under the file");
    start_on_small_disk((const char *[]){"--disk-reserve-bytes", "0", NULL});
    char first[64] = "";
    api_response r = {0};
    for (int i = 0; i < UPLOADS_MAX; i++, api_free(&r)) {
        r = upload(40000);
        if (r.status != 201)
            break;
        if (!first[0])
            snprintf(first, sizeof first, "%s", api_str(&r, "id"));
    }
    api_assert_problem(&r, 507, NULL);
    api_free(&r);
    /* Fill what room is left with ever smaller uploads, so that the disk
     * is full whatever the size of the last page written (it depends on
     * the schema), and not only too full for one large upload. */
    for (int rows = 4000; rows >= 1; rows /= 10)
        for (int i = 0; i < UPLOADS_MAX; i++, api_free(&r)) {
            r = upload(rows);
            if (r.status != 201)
                break;
        }
    api_assert_problem(&r, 507, NULL);
    api_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/v1/datasets/%s", first);
    r = api_call(&srv, "DELETE", path, NULL, NULL, 0);
    api_assert_problem(&r, 507, NULL);
    api_free(&r);
    api_stop(&srv);
}
