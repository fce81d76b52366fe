/* export_reply.h — GET /v1/models/{id}/export?format=…: which format a
 * request asks for, and the ONNX and C-header replies (the JSON document
 * stays in models.c). */
#ifndef ND_EXPORT_REPLY_H
#define ND_EXPORT_REPLY_H

#include <stdbool.h>

#include "http.h"
#include "nn.h"

typedef enum { ND_EXPORT_JSON, ND_EXPORT_ONNX, ND_EXPORT_C } nd_export_format;

/* Reads ?format: absent or "json", "onnx", "c". Returns false after
 * replying 422 naming "?format" for anything else. */
bool nd_export_format_arg(nd_request *req, nd_export_format *out);

/* Replies 200 with net as an ONNX model (application/onnx) or a C header
 * (text/x-c), named after the model's `name` in Content-Disposition; 422
 * naming "/layers/K/type" when a layer kind cannot be expressed in that
 * format; 500 when out of memory. `trained` is false for a model never
 * trained (its initial weights are exported, and the file says so). */
void nd_export_reply(nd_request *req, nd_export_format format,
                     const nn_network *net, const char *name, bool trained);

#endif
