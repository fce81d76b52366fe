/* fuzz_support.c — see fuzz_support.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_support.h"
#include "json_body.h"
#include "store.h"

static nd_server server;
static char db_path[256];

nd_server *fuzz_server(void)
{
    if (!server.cfg.max_rows) {
        char *argv[] = {"fuzz", NULL};
        nd_config_load(&server.cfg, 1, argv, stdout, stderr);
        server.cfg.max_rows = 5000;
        server.cfg.max_params = 100000;
        server.cfg.max_epochs = 1000;
    }
    return &server;
}

static void remove_db(void)
{
    char path[300];
    nd_db_close();
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", db_path, suffix[i]);
        unlink(path);
    }
}

void fuzz_store_open(const char *harness)
{
    char err[256];
    snprintf(db_path, sizeof db_path, "/tmp/neurond-fuzz-%s-%d.db", harness,
             (int)getpid());
    if (nd_store_open(db_path, err, sizeof err)) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    atexit(remove_db);
    /* Durability is not under test here; speed is. */
    nd_exec("PRAGMA synchronous = OFF");
}

void fuzz_store_reset(void)
{
    nd_exec("DELETE FROM datasets");
}

void fuzz_request_init(nd_request *req)
{
    memset(req, 0, sizeof *req);
    req->srv = fuzz_server();
    req->method = "POST";
    req->url = "/fuzz";
}

void fuzz_request_free(nd_request *req)
{
    json_decref(req->json);
    nd_json_body_free(req->jbody);
    free(req->reply);
    for (size_t i = 0; i < req->n_headers; i++) {
        free(req->headers[i][0]);
        free(req->headers[i][1]);
    }
    memset(req, 0, sizeof *req);
}

json_t *fuzz_json(const uint8_t *data, size_t size)
{
    return json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
}

bool fuzz_json_body(nd_request *req, const uint8_t *data, size_t size,
                    size_t piece)
{
    req->jbody = nd_json_body_new(req->srv->cfg.max_rows);
    if (!req->jbody)
        abort();
    for (size_t at = 0; at < size; at += piece)
        nd_json_body_feed(req->jbody, (const char *)data + at,
                          size - at < piece ? size - at : piece);
    char msg[320];
    req->json = nd_json_body_finish(req->jbody, msg, sizeof msg);
    return req->json != NULL;
}
