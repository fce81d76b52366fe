/* dataset_shape.c — reading and checking the [C, H, W] shape of an image
 * dataset (see dataset_shape.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "dataset_shape.h"
#include "nn_limits.h"

/* Checks the three sizes and their product; false after filling e. */
static bool dims_check(const nd_shape *s, const char *pointer, nd_ds_error *e)
{
    size_t total = 1;
    for (size_t i = 0; i < ND_SHAPE_DIMS; i++) {
        if (s->dims[i] == 0 || s->dims[i] > NN_MAX_UNITS) {
            nd_ds_fail(e, 422, pointer, "size %zu of [C, H, W] must be 1 to "
                       "%u", i + 1, NN_MAX_UNITS);
            return false;
        }
        total *= s->dims[i]; /* each ≤ 2^20 and the running product ≤ 2^20 */
        if (total > NN_MAX_UNITS) {
            nd_ds_fail(e, 422, pointer, "C·H·W is more than the limit of %u "
                       "inputs", NN_MAX_UNITS);
            return false;
        }
    }
    return true;
}

bool nd_shape_parse(const char *text, const char *pointer, nd_shape *out,
                    nd_ds_error *e)
{
    const char *at = text;
    for (size_t i = 0; i < ND_SHAPE_DIMS; i++) {
        char *end;
        if (!isdigit((unsigned char)*at))
            break;
        errno = 0;
        unsigned long long v = strtoull(at, &end, 10);
        out->dims[i] = errno || v > NN_MAX_UNITS ? 0 : (size_t)v;
        at = end;
        if (i + 1 < ND_SHAPE_DIMS && *at++ != ',')
            break;
        if (i + 1 == ND_SHAPE_DIMS && *at == '\0')
            return dims_check(out, pointer, e);
    }
    nd_ds_fail(e, 422, pointer, "must be three whole numbers C,H,W (e.g. "
                                "1,28,28)");
    return false;
}

bool nd_shape_from_json(json_t *arr, const char *pointer, nd_shape *out,
                        nd_ds_error *e)
{
    if (!json_is_array(arr) || json_array_size(arr) != ND_SHAPE_DIMS) {
        nd_ds_fail(e, 400, pointer, "must be an array of three integers "
                                    "[C, H, W]");
        return false;
    }
    for (size_t i = 0; i < ND_SHAPE_DIMS; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_integer(v)) {
            nd_ds_fail(e, 400, pointer, "must be an array of three integers "
                                        "[C, H, W]");
            return false;
        }
        json_int_t n = json_integer_value(v);
        out->dims[i] = n < 0 || n > NN_MAX_UNITS ? 0 : (size_t)n;
    }
    return dims_check(out, pointer, e);
}

size_t nd_shape_size(const nd_shape *s)
{
    return s->dims[0] * s->dims[1] * s->dims[2];
}

bool nd_shape_matches(const nd_shape *s, size_t input_dim,
                      const char *pointer, nd_ds_error *e)
{
    if (nd_shape_size(s) == input_dim)
        return true;
    nd_ds_fail(e, 422, pointer, "[%zu, %zu, %zu] holds %zu values, but a "
               "row has %zu inputs", s->dims[0], s->dims[1], s->dims[2],
               nd_shape_size(s), input_dim);
    return false;
}

json_t *nd_shape_json(const nd_shape *s)
{
    return json_pack("[I, I, I]", (json_int_t)s->dims[0],
                     (json_int_t)s->dims[1], (json_int_t)s->dims[2]);
}

bool nd_shape_feeds(const nd_shape *image, const nn_shape *in,
                    const char *pointer, nd_ds_error *e)
{
    bool same = in->rank == ND_SHAPE_DIMS;
    for (size_t i = 0; same && i < ND_SHAPE_DIMS; i++)
        same = image->dims[i] == in->dim[i];
    if (image->dims[0] == 0 || in->rank != ND_SHAPE_DIMS || same)
        return true;
    char want[64];
    nd_ds_fail(e, 422, pointer, "the dataset's images are [%zu, %zu, %zu]; "
               "the model takes %s", image->dims[0], image->dims[1],
               image->dims[2], nn_shape_format(in, want, sizeof want));
    return false;
}
