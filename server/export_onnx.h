/* export_onnx.h — a network as an ONNX model (opset 13, IR version 7),
 * serialised with protobuf-c from the onnx.proto compiled at build time. */
#ifndef ND_EXPORT_ONNX_H
#define ND_EXPORT_ONNX_H

#include <stddef.h>

#include "nn.h"

/* One metadata_props entry. */
typedef struct {
    const char *key, *value;
} nd_onnx_meta;

#define ND_ONNX_OPSET 13

/* Writes net as an ONNX model named `name`: one float32 input "input" of
 * shape [N, input_shape…], the stored normalisation as its first nodes
 * (Sub, Mul), every layer as its ONNX operators (dropout as Identity,
 * batchnorm with its running statistics), and the output "output"
 * [N, outputs]: what nn_predict returns. meta[0..n_meta) become the
 * model's metadata_props. On NN_OK *out is the malloc'd serialised model
 * (*len bytes), the caller's to free. NN_ERR_INVALID naming
 * "/layers/K/type" for a layer kind ONNX export cannot express;
 * NN_ERR_NOMEM. */
nn_status nd_export_onnx(const nn_network *net, const char *name,
                         const nd_onnx_meta *meta, size_t n_meta,
                         unsigned char **out, size_t *len, nn_error *err);

#endif
