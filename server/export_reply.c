/* export_reply.c — the ?format argument of a model export and the replies
 * in ONNX (export_onnx.c) and C (libnn's nn_export_c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_onnx.h"
#include "export_reply.h"
#include "nn_export.h"

bool nd_export_format_arg(nd_request *req, nd_export_format *out)
{
    static const char *const names[] = {"json", "onnx", "c"};
    const char *v = nd_query(req, "format");
    if (!v) {
        *out = ND_EXPORT_JSON;
        return true;
    }
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = (nd_export_format)i;
            return true;
        }
    nd_reply_invalid(req, 422, "?format", "must be json, onnx or c");
    return false;
}

/* The class names as a JSON array (malloc'd text), or NULL. */
static char *classes_json(const nn_network *net)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < net->n_classes; i++)
        if (json_array_append_new(a, json_string(net->classes[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

/* The ONNX model with metadata_props: name, classes (a JSON array),
 * normalization, trained. */
static nn_status onnx_bytes(const nn_network *net, const char *name,
                            bool trained, unsigned char **out, size_t *len,
                            nn_error *err)
{
    char *classes = classes_json(net);
    if (!classes)
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    nd_onnx_meta meta[] = {
        {"neurond.name", name},
        {"neurond.classes", classes},
        {"neurond.normalization", nn_norm_name(net->norm.kind)},
        {"neurond.trained", trained ? "true" : "false"},
    };
    nn_status st = nd_export_onnx(net, name, meta, sizeof meta / sizeof *meta,
                                  out, len, err);
    free(classes);
    return st;
}

void nd_export_reply(nd_request *req, nd_export_format format,
                     const nn_network *net, const char *name, bool trained)
{
    char ident[64], disposition[128];
    nn_export_c_ident(name, ident, sizeof ident);
    nn_error err;
    nn_error_clear(&err);
    unsigned char *bytes = NULL;
    char *text = NULL;
    size_t len = 0;
    nn_status st = format == ND_EXPORT_ONNX
                       ? onnx_bytes(net, name, trained, &bytes, &len, &err)
                       : nn_export_c(net, ident, trained, &text, &len, &err);
    if (st == NN_ERR_INVALID) {
        nd_reply_invalid(req, 422, err.field, "%s", err.message);
        return;
    }
    if (st != NN_OK) {
        nd_reply_problem(req, 500, "%s", err.message);
        return;
    }
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s.%s\"",
             ident, format == ND_EXPORT_ONNX ? "onnx" : "h");
    nd_reply_header(req, "Content-Disposition", disposition);
    if (format == ND_EXPORT_ONNX)
        nd_reply_raw(req, 200, "application/onnx", (const char *)bytes, len);
    else
        nd_reply_raw(req, 200, "text/x-c; charset=utf-8", text, len);
    free(bytes);
    free(text);
}
