/* model_file.c — see model_file.h. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "model_def.h"
#include "model_file.h"
#include "nn_limits.h"
#include "server.h"

int bench_model_file(const char *path, nn_network **out, char *msg, size_t n)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(doc)) {
        snprintf(msg, n, "%s: not a JSON object (%s, line %d)", path,
                 jerr.text, jerr.line);
        json_decref(doc);
        return -1;
    }
    /* A request without a connection: the parser replies into it. */
    static nd_server srv;
    nd_request req;
    memset(&req, 0, sizeof req);
    req.srv = &srv;
    req.method = "POST";
    req.url = "/v1/models";
    nd_model_def def = {0};
    int rc = 0;
    if (nd_model_def_read(&req, doc, ND_DEF_CREATE, NN_MAX_PARAMS, &def)) {
        *out = def.net;
        def.net = NULL;
    } else {
        snprintf(msg, n, "%s: %u %.*s", path, req.status, (int)req.reply_len,
                 req.reply ? req.reply : "");
        rc = -1;
    }
    nd_model_def_free(&def);
    free(req.reply);
    for (size_t i = 0; i < req.n_headers; i++) {
        free(req.headers[i][0]);
        free(req.headers[i][1]);
    }
    json_decref(doc);
    return rc;
}
