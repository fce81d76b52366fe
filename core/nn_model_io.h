/* nn_model_io.h — saving and loading a model in libnn's binary format.
 *
 * The format is versioned and little-endian whatever the host: the magic
 * "NNMODEL\0", a u32 version, then the definition (type, inputs, loss,
 * layers: units, activation and parameter, then — from version 2 — kind,
 * filters, kernel h and w, stride, padding, pool size and dropout rate;
 * from version 3 vocab, positions and return_sequences; from version 4
 * heads and mlp_ratio; from version 2 the input shape), normalisation, class names, the
 * parameters as IEEE-754 binary32, from version 2 the layers' state
 * (batchnorm running mean and variance), and a 64-bit FNV-1a checksum of all
 * that precedes it. Versions 1 (dense layers only) to 3 are still read. Loading checks every size against libnn's limits before
 * allocating and rejects anything truncated, trailing or corrupt. */
#ifndef NN_MODEL_IO_H
#define NN_MODEL_IO_H

#include <stddef.h>

#include "nn_error.h"
#include "nn_network.h"

#define NN_MODEL_FORMAT_VERSION 4u

/* Serialises net into a malloc'd buffer (*buf, *len) the caller frees. */
nn_status nn_model_save(const nn_network *net, unsigned char **buf,
                        size_t *len, nn_error *err);

/* Rebuilds a network from buf[0..len); NN_ERR_FORMAT when it is not a valid
 * model of a version this build reads. */
nn_status nn_model_load(nn_network **out, const unsigned char *buf,
                        size_t len, nn_error *err);

#endif
