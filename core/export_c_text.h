/* export_c_text.h — internal: the text writer the C-header export
 * (export_c.c) and its kernels (export_c_kernels.c) share. Not part of
 * libnn's public API. */
#ifndef NN_EXPORT_C_TEXT_H
#define NN_EXPORT_C_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "bytes.h"
#include "nn_network.h"

/* What one header being written needs: the text so far, the identifier
 * its names start with (lower case for functions and arrays, upper case
 * for macros) and which kernels its layers call. */
typedef struct {
    nn_wbuf text;
    const char *id;
    char ID[80];
    bool uses[NN_LAYER_KIND_COUNT];
    bool uses_act;
} nn_ctext;

/* Appends printf-formatted text (oom is kept in text). */
void nn_ctext_put(nn_ctext *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* v as a C float literal that reads back as the same float ("1.0f",
 * "-2.5e-07f"), written into buf; returns buf. */
char *nn_ctext_float(float v, char buf[40]);

/* Appends `static const float <id>_<name>[n] = {…};`, the values written
 * so that they read back as the same floats. */
void nn_ctext_array(nn_ctext *t, const char *name, const float *v, size_t n);

/* Appends the static helper functions the layers of t->uses call. */
void nn_ctext_kernels(nn_ctext *t);

#endif
