/* layer.h — internal: the layer table. Every layer kind is one file under
 * core/layers/ and one row of nn_layer_table (table.c): how it infers its
 * output shape and parameter counts from its input, initialises its
 * parameters, and runs forward and backward over a whole mini-batch. The
 * network loop (network.c, pass.c) walks the stack through this table and
 * never switches on the kind. Not part of libnn's public API. */
#ifndef NN_LAYERS_LAYER_H
#define NN_LAYERS_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_network.h"

/* What one call of a layer's forward or backward sees besides its tensors:
 * its definition and inferred shapes, its parameters and its share of the
 * worker's scratch. */
typedef struct {
    const nn_layer_spec *spec;
    const nn_layer_info *info;
    const float *W, *b; /* params + w_offset, params + b_offset */
    const float *state; /* the network's state of this layer, or NULL */
    float *scratch;     /* info->scratch floats, this worker's */
    float *saved;       /* training workspace: saved_fixed floats, then
                           saved_per_row per row; NULL otherwise */
    bool training;      /* a training pass (dropout on, batch statistics) */
    uint64_t seed;      /* training: this layer's seed for this batch */
    size_t row0;        /* training: the batch index of X's first row */
} nn_layer_ctx;

typedef struct {
    const char *name;
    /* Checks spec against the input shape info->in and fills the rest of
     * info (output shape, counts, scratch, flops). `at` is the layer's
     * pointer ("/layers/3"); errors name a field under it, with the shape
     * received and the one required. Sizes are checked before any product
     * could overflow. */
    nn_status (*infer)(const nn_layer_spec *spec, nn_layer_info *info,
                       const char *at, nn_error *err);
    /* Sets the parameters and state every network of this kind starts
     * with, whatever the initialisation (batchnorm: γ 1, β 0, running mean 0,
     * variance 1); NULL when zeros and random weights suit. */
    void (*init)(const nn_layer_info *info, float *W, float *b, float *state);
    /* Forward over rows examples: X is rows × size(in), A (and Z, the
     * pre-activation, when info->has_act; else Z == A) rows × size(out). */
    void (*forward)(const nn_layer_ctx *c, float *Z, float *A, const float *X,
                    size_t rows);
    /* Backward after forward on the same X: dY is the gradient with respect
     * to A (or to Z when dy_is_dz, as the loss gives it for the output
     * layer), rows × size(out), and may be overwritten. Writes dW, db
     * (info n_w, n_b floats; added to when accumulate) and, when dX is not
     * NULL, dX (rows × size(in)). */
    void (*backward)(const nn_layer_ctx *c, float *dX, float *dY,
                     bool dy_is_dz, const float *X, const float *Z,
                     const float *A, size_t rows, float *dW, float *db,
                     bool accumulate);
    /* Folds the batch statistics that n training passes saved (saved[t]
     * from rows[t] > 0 examples) into state; NULL for a kind without. */
    void (*merge_state)(const nn_layer_info *info, float *state,
                        const float *const *saved, const size_t *rows,
                        size_t n);
} nn_layer_ops;

/* The geometry of a 2-D window sliding over an image [C, H, W]: kernel
 * kh × kw, stride, padding before the first row and column, output
 * OH × OW. */
typedef struct {
    size_t C, H, W, kh, kw, stride, pad_top, pad_left, OH, OW;
} nn_window;

/* Checks a kh × kw window with stride and padding against the input image
 * shape `in`; fills *g. Errors name at + "/kernel" (or kernel_field),
 * "/stride", with the shapes received and required. */
nn_status nn_window_infer(const nn_shape *in, size_t kh, size_t kw,
                          size_t stride, nn_padding padding, const char *at,
                          const char *kernel_field, nn_window *g,
                          nn_error *err);

/* Fails naming at + "/units" unless 1 ≤ units ≤ NN_MAX_UNITS. */
nn_status nn_check_units(size_t units, const char *at, nn_error *err);

/* Fails naming at + "/type" unless in is an image [C, H, W]. */
nn_status nn_need_image(const nn_shape *in, const char *kind, const char *at,
                        nn_error *err);

/* Indexed by nn_layer_kind. */
extern const nn_layer_ops *const nn_layer_table[NN_LAYER_KIND_COUNT];

extern const nn_layer_ops nn_layer_dense, nn_layer_conv2d, nn_layer_maxpool2d,
    nn_layer_avgpool2d, nn_layer_flatten, nn_layer_dropout, nn_layer_batchnorm,
    nn_layer_embedding, nn_layer_rnn, nn_layer_lstm, nn_layer_gru,
    nn_layer_layernorm, nn_layer_transformer_block;

#endif
