/* nn_export.h — a network written out for use without neurond: as one
 * self-contained C99 header (weights as static const float arrays and a
 * predict function needing only math.h), and the window geometry an
 * exporter to another format (ONNX, in the server) needs for conv2d and
 * the pools. Each exporter keeps its own table of what it writes per layer
 * kind; a kind missing from a table is refused by name, so a layer kind
 * added later without its export fails loudly instead of exporting wrong. */
#ifndef NN_EXPORT_H
#define NN_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "nn_error.h"
#include "nn_network.h"

/* A sliding window as a conv2d or a pool of net applies it: kernel
 * kh × kw every stride pixels, padding (zeros) before and after each axis. */
typedef struct {
    size_t kh, kw, stride;
    size_t pad_top, pad_left, pad_bottom, pad_right;
} nn_export_window;

/* Fills *w for layer k of net when it is a conv2d, maxpool2d or avgpool2d
 * and returns true; false (w untouched) for any other layer. */
bool nn_export_window_of(const nn_network *net, size_t k, nn_export_window *w);

/* The reciprocal standard deviation a batchnorm layer predicts with,
 * 1/√(running variance + eps), computed exactly as libnn's forward pass
 * does, for a running variance var. */
float nn_export_batchnorm_istd(float var);

/* NN_OK when supported[kind] holds for the kind of every layer of net;
 * otherwise NN_ERR_INVALID naming "/layers/K/type" for the first that
 * does not ("a <kind> layer cannot be exported as <format>"), or
 * "/layers/K/activation" for a gelu activation, which no export writes
 * yet. */
nn_status nn_export_check_kinds(const nn_network *net,
                                const bool supported[NN_LAYER_KIND_COUNT],
                                const char *format, nn_error *err);

/* Writes a C identifier made from name into buf (cap ≥ 2 bytes, always
 * terminated): letters, digits and '_' kept, every other byte '_', "m_"
 * before a leading digit, "model" for an empty name; at most cap − 1 bytes. */
void nn_export_c_ident(const char *name, char *buf, size_t cap);

/* Writes net as one C99 header for identifier `ident` (from
 * nn_export_c_ident): #defines <IDENT>_INPUTS, _OUTPUTS, _N_CLASSES and
 * _CLASSES (an initializer of the class names), the weights as static
 * const float arrays, and `int <ident>_predict(const float *in, float *out)`
 * applying the normalisation and every layer as nn_predict does, which
 * returns 0, or −1 (out untouched) when an input is not finite. `trained`
 * is written into the header's comment and <IDENT>_TRAINED. On NN_OK,
 * *out is the malloc'd NUL-terminated text (*len bytes without the NUL),
 * the caller's to free. NN_ERR_INVALID naming "/layers/K/type" when layer K
 * is of a kind the C export cannot express; NN_ERR_NOMEM. */
nn_status nn_export_c(const nn_network *net, const char *ident, bool trained,
                      char **out, size_t *len, nn_error *err);

#endif
