/* nn_limits.h — the sizes libnn refuses before allocating, and checked size
 * arithmetic. A server may impose tighter limits of its own at its edge. */
#ifndef NN_LIMITS_H
#define NN_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#define NN_MAX_LAYERS 256           /* dense layers in one network */
#define NN_MAX_UNITS (1u << 20)     /* units in one layer, or inputs */
#define NN_MAX_PARAMS (1ul << 28)   /* weights + biases: 1 GiB of float32 */
#define NN_MAX_BATCH (1u << 20)     /* rows in one mini-batch */
#define NN_MAX_ELEMENTS (1ul << 34) /* floats in one data matrix (64 GiB) */
#define NN_MAX_THREADS 64

/* *out = a * b; returns false (and leaves *out alone) on overflow. */
static inline bool nn_size_mul(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

/* *out = a + b; returns false (and leaves *out alone) on overflow. */
static inline bool nn_size_add(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

#endif
