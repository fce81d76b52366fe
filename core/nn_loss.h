/* nn_loss.h — losses over a mini-batch, and the gradient they start
 * backpropagation with.
 *
 * mse:                  J = (1/B) Σ_rows ½ Σ_j (y_j − o_j)², any output.
 * cross_entropy:        J = −(1/B) Σ_rows Σ_j y_j log softmax(z)_j, fused with
 *                       a softmax output (log-sum-exp, stable).
 * binary_cross_entropy: J = −(1/B) Σ [y log σ(kz) + (1−y) log(1−σ(kz))],
 *                       fused with a sigmoid output, computed from the logit. */
#ifndef NN_LOSS_H
#define NN_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "nn_activation.h"
#include "nn_error.h"

typedef enum {
    NN_LOSS_MSE,
    NN_LOSS_CROSS_ENTROPY,
    NN_LOSS_BCE,
    NN_LOSS_COUNT
} nn_loss_kind;

/* The loss named "mse", "cross_entropy" or "binary_cross_entropy";
 * NN_ERR_INVALID naming field otherwise. */
nn_status nn_loss_parse(const char *name, nn_loss_kind *out, const char *field,
                        nn_error *err);
const char *nn_loss_name(nn_loss_kind kind);

/* NN_OK when loss can follow an output layer of `units` units with
 * activation out (cross_entropy needs softmax with ≥ 2 units,
 * binary_cross_entropy needs sigmoid), else NN_ERR_INVALID naming field. */
nn_status nn_loss_check(nn_loss_kind loss, const nn_activation *out,
                        size_t units, const char *field, nn_error *err);

/* For a block of `rows` examples with `cols` outputs: given the output
 * layer's pre-activation z, its activation o = g(z) and the targets y,
 * returns the SUM over the rows of the per-example loss and writes
 * dz = scale · ∂(per-example loss)/∂z, the gradient backpropagation starts
 * from (scale is 1/B for a batch mean over B examples, possibly spread over
 * several blocks). dz may be NULL to compute the loss only. */
double nn_loss_eval(nn_loss_kind loss, const nn_activation *out,
                    const float *z, const float *o, const float *y,
                    size_t rows, size_t cols, float scale, float *dz);

/* A target id that stands for no target: its position adds no loss, no
 * gradient and no accuracy count (a validation window's positions that an
 * earlier window already scored). */
#define NN_NO_TARGET UINT32_MAX

/* Sparse cross-entropy fused with a softmax output, for `rows` positions
 * of `cols` classes: targets[r] is row r's class (< cols) or NN_NO_TARGET.
 * Returns Σ over scored rows of lse(z) − z[target] (nats); writes, when dz
 * is not NULL, dz = scale · (p − onehot(target)) (0 on an unscored row);
 * adds to *scored the rows with a target and to *correct those whose
 * argmax p is the target (either may be NULL). */
double nn_sparse_ce(const float *z, const float *p, const uint32_t *targets,
                    size_t rows, size_t cols, float scale, float *dz,
                    size_t *scored, size_t *correct);

#endif
