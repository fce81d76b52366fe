/* export_checks.h — checks of a model's ONNX and C exports by the tools a
 * deployer uses: onnx.checker with full checking (Debian python3-onnx,
 * tools/onnx-check/check_model.py), onnxruntime-node
 * (tools/onnx-check/run.js) and gcc -std=c99 -pedantic, each run on the
 * same inputs as /predict and compared with its outputs. */
#ifndef API_EXPORT_CHECKS_H
#define API_EXPORT_CHECKS_H

#include <jansson.h>
#include <stddef.h>

#include "harness.h"

/* The largest relative difference |a − b| / max(|a|, |b|, 1e-6) an
 * export's outputs may have from /predict's. */
#define EXPORT_MAX_REL 1e-5

/* Inputs for a check: rows × cols floats, and the ONNX input's shape per
 * row (the model's input_shape: rank 1 [cols] or 3 [C, H, W]). */
typedef struct {
    const float *x;
    size_t rows, cols;
    size_t shape[3], rank;
} export_inputs;

/* What a check measured: file sizes (bytes) and the largest relative
 * difference from /predict of each format, and the checker's line of
 * facts about the ONNX model (its opset, input, output, metadata) as JSON
 * (the caller decrefs). */
typedef struct {
    size_t onnx_bytes, c_bytes;
    double onnx_rel, c_rel;
    json_t *onnx_facts;
} export_result;

/* Exports model id (whose name made a C identifier is ident) as ONNX and
 * as C, asserts that the checker passes, that onnxruntime and the compiled
 * header each give /predict's outputs on in within EXPORT_MAX_REL, and
 * fills *res. Prints one line of the figures on stderr, named label. */
void export_check(api_server *s, const char *label, const char *id,
                  const char *ident, const export_inputs *in,
                  export_result *res);

/* The ONNX or C export of model id (format "onnx" or "c"), asserted 200
 * with content type ctype; the caller api_free's it. */
api_response export_get(api_server *s, const char *id, const char *format,
                        const char *ctype);

#endif
