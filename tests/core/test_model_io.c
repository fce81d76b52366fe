/* test_model_io.c — the binary model format: its documented layout, round
 * trips, and refusal (NN_ERR_FORMAT, no crash, no leak) of anything
 * truncated, corrupt, trailing, foreign or of another version — also when
 * the checksum has been recomputed so the loader must look inside. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* Offsets of the fixed header: magic[8], u32 version, u32 type, u64
 * inputs, u32 loss, u32 n_layers, then per layer u64 units, u32 kind,
 * f32 param (V1_LAYER_BYTES, all of a version 1 layer), then u32 layer
 * kind, u64 filters, kernel_h, kernel_w, stride, u32 padding, u64 size, f32
 * rate, u64 vocab, u32 positions, u32 return_sequences, u64 heads, u64
 * mlp_ratio; after the layers the input shape: u32 rank and a u64 per
 * dim. */
#define OFF_VERSION 8
#define OFF_TYPE 12
#define OFF_INPUTS 16
#define OFF_LOSS 24
#define OFF_NLAYERS 28
#define OFF_LAYER0 32
#define V1_LAYER_BYTES 16
#define LAYER_BYTES (V1_LAYER_BYTES + 52 + 16 + 16)
#define VECTOR_SHAPE_BYTES 12
#define OFF_NORM (OFF_LAYER0 + 2 * LAYER_BYTES + VECTOR_SHAPE_BYTES)

/* 3-4-2 tanh/softmax with minmax normalisation and two classes. */
static nn_network *sample_net(void)
{
    nn_layer_spec L[2] = {layer(4, NN_ACT_TANH, 0), layer(2, NN_ACT_SOFTMAX, 0)};
    nn_network *net = make_net(NN_MODEL_MLP, 3, L, 2, NN_LOSS_CROSS_ENTROPY);
    init_net(net, 17, 0.5f);
    const float shift[3] = {-1, 0, 2}, scale[3] = {0.5f, 1, 0.25f};
    cr_assert_eq(nn_network_set_norm(net, NN_NORM_MINMAX, shift, scale, NULL),
                 NN_OK);
    const char *names[2] = {"cat", "dog"};
    cr_assert_eq(nn_network_set_classes(net, names, 2, NULL), NN_OK);
    return net;
}

static unsigned char *save(const nn_network *net, size_t *len)
{
    unsigned char *buf = NULL;
    nn_error err;
    cr_assert_eq(nn_model_save(net, &buf, len, &err), NN_OK, "%s",
                 err.message);
    return buf;
}

static void assert_bad(const unsigned char *buf, size_t len, const char *what)
{
    nn_network *net = (nn_network *)&net; /* must stay untouched */
    nn_network *const sentinel = net;
    nn_error err;
    nn_error_clear(&err);
    nn_status st = nn_model_load(&net, buf, len, &err);
    cr_assert_eq(st, NN_ERR_FORMAT, "%s: got %s (%s)", what,
                 nn_status_name(st), err.message);
    cr_assert_eq(err.code, NN_ERR_FORMAT);
    cr_assert_eq(net, sentinel, "%s: *out was written on failure", what);
    size_t n = strnlen(err.message, sizeof err.message);
    cr_assert(n > 0 && n < sizeof err.message, "%s: no message", what);
}

Test(model_io, layout_is_as_documented)
{
    nn_network *net = sample_net();
    size_t len = 0;
    unsigned char *buf = save(net, &len);
    cr_assert(memcmp(buf, "NNMODEL\0", 8) == 0);
    cr_assert_eq(buf[OFF_VERSION], NN_MODEL_FORMAT_VERSION);
    cr_assert_eq(buf[OFF_VERSION + 1] | buf[OFF_VERSION + 2] |
                     buf[OFF_VERSION + 3],
                 0, "little-endian u32 version");
    cr_assert_eq(buf[OFF_INPUTS], 3);
    cr_assert_eq(buf[OFF_NLAYERS], 2);
    cr_assert_eq(buf[OFF_LAYER0], 4);
    cr_assert_eq(buf[OFF_LAYER0 + LAYER_BYTES], 2);
    cr_assert_eq(buf[OFF_LAYER0 + V1_LAYER_BYTES], NN_LAYER_DENSE);
    cr_assert_eq(buf[OFF_NORM - VECTOR_SHAPE_BYTES], 1, "rank 1");
    cr_assert_eq(buf[OFF_NORM - 8], 3, "shape [3]");
    /* header + 2 layers + shape + norm (kind, 2×3 floats) + classes (count,
     * 2 × (len + 3 bytes)) + param count + params + state count (0) +
     * checksum */
    size_t want = OFF_NORM + 4 + 24 + 4 + 2 * 7 + 8 + 4 * net->n_params + 8 +
                  8;
    cr_assert_eq(len, want);
    uint64_t sum = 0;
    for (int i = 7; i >= 0; i--)
        sum = sum << 8 | buf[len - 8 + i];
    cr_assert_eq(sum, ref_fnv1a64(buf, len - 8), "trailing FNV-1a 64");
    /* The parameters come before the state count and checksum, LE. */
    const unsigned char *p = buf + len - 16 - 4 * net->n_params;
    for (size_t i = 0; i < net->n_params; i++) {
        uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                     (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
        float f;
        memcpy(&f, &u, 4);
        cr_assert(ieee_ulp_eq(flt, f, net->params[i], 0));
    }
    free(buf);
    nn_network_free(net);
}

Test(model_io, perceptron_round_trip)
{
    nn_layer_spec L[1] = {layer(1, NN_ACT_SIGN, 0)};
    nn_network *net = make_net(NN_MODEL_PERCEPTRON, 2, L, 1, NN_LOSS_MSE);
    const float W[2] = {1.5f, -2}, b[1] = {0.25f};
    cr_assert_eq(nn_network_set_layer(net, 0, W, b, NULL), NN_OK);
    size_t len = 0;
    unsigned char *buf = save(net, &len);
    nn_network *back = NULL;
    cr_assert_eq(nn_model_load(&back, buf, len, NULL), NN_OK);
    cr_assert_eq(back->type, NN_MODEL_PERCEPTRON);
    cr_assert_eq(back->layers[0].act.kind, NN_ACT_SIGN);
    cr_assert_eq(back->norm.kind, NN_NORM_NONE);
    cr_assert_null(back->norm.shift);
    cr_assert_eq(back->n_classes, 0);
    cr_assert(memcmp(back->params, net->params, 3 * sizeof(float)) == 0);
    free(buf);
    nn_network_free(net);
    nn_network_free(back);
}

Test(model_io, truncated_at_every_length)
{
    nn_network *net = sample_net();
    size_t len = 0;
    unsigned char *buf = save(net, &len);
    for (size_t n = 0; n < len; n++) {
        /* A private copy of exactly n bytes, so ASan sees any over-read. */
        unsigned char *cut = malloc(n ? n : 1);
        cr_assert_not_null(cut);
        memcpy(cut, buf, n);
        assert_bad(cut, n, "truncated");
        free(cut);
    }
    assert_bad(NULL, 0, "NULL buffer");
    free(buf);
    nn_network_free(net);
}

Test(model_io, every_flipped_byte_fails_the_checksum)
{
    nn_network *net = sample_net();
    size_t len = 0;
    unsigned char *buf = save(net, &len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            buf[i] ^= (unsigned char)(1u << bit);
            assert_bad(buf, len, "flipped bit");
            buf[i] ^= (unsigned char)(1u << bit);
        }
    }
    nn_network *back = NULL; /* the unflipped original still loads */
    cr_assert_eq(nn_model_load(&back, buf, len, NULL), NN_OK);
    nn_network_free(back);
    free(buf);
    nn_network_free(net);
}

Test(model_io, trailing_bytes_are_refused)
{
    nn_network *net = sample_net();
    size_t len = 0;
    unsigned char *buf = save(net, &len);
    unsigned char *longer = malloc(len + 4);
    cr_assert_not_null(longer);
    memcpy(longer, buf, len - 8);
    memset(longer + len - 8, 0, 4); /* 4 extra bytes before the checksum */
    memcpy(longer + len - 4, buf + len - 8, 8);
    assert_bad(longer, len + 4, "trailing bytes, old checksum");
    reseal(longer, len + 4);
    assert_bad(longer, len + 4, "trailing bytes, resealed");
    free(longer);
    free(buf);
    nn_network_free(net);
}

/* Edits one field of a saved sample model, reseals it and expects the
 * loader to refuse it with a message containing `needle` (or any message
 * when needle is NULL). */
static void assert_edit_refused(size_t off, const void *bytes, size_t n,
                                const char *what, const char *needle)
{
    nn_network *net = sample_net();
    size_t len = 0;
    unsigned char *buf = save(net, &len);
    cr_assert_leq(off + n, len - 8);
    memcpy(buf + off, bytes, n);
    reseal(buf, len);
    assert_bad(buf, len, what);
    nn_error err;
    nn_network *out = NULL;
    nn_model_load(&out, buf, len, &err);
    cr_assert_null(out);
    if (needle)
        cr_assert(strstr(err.message, needle) != NULL, "%s: message '%s' lacks '%s'",
                  what, err.message, needle);
    free(buf);
    nn_network_free(net);
}

static void assert_u32_refused(size_t off, uint32_t v, const char *what,
                               const char *needle)
{
    unsigned char b[4];
    put_u32(b, v);
    assert_edit_refused(off, b, 4, what, needle);
}

static void assert_u64_refused(size_t off, uint64_t v, const char *what)
{
    unsigned char b[8];
    put_u64(b, v);
    assert_edit_refused(off, b, 8, what, NULL);
}

Test(model_io, wrong_version_or_magic)
{
    assert_u32_refused(OFF_VERSION, NN_MODEL_FORMAT_VERSION + 1,
                       "next version", "version");
    assert_u32_refused(OFF_VERSION, 0, "version 0", "version");
    assert_u32_refused(OFF_VERSION, 0xffffffffu, "version 2^32 − 1",
                       "version");
    assert_edit_refused(0, "NNMODEX", 8, "bad magic", "magic");
}

/* Fields that decode but describe no valid network. The loader goes
 * through nn_network_create, whose error message it quotes: that message
 * must come out intact, not garbled. */
Test(model_io, invalid_definitions)
{
    assert_u64_refused(OFF_LAYER0, 0, "zero units");
    assert_u32_refused(OFF_LAYER0, 0, "zero units (low word)",
                       "units must be");
    assert_u64_refused(OFF_LAYER0, 1ull << 30, "2^30 units");
    assert_u64_refused(OFF_LAYER0, UINT64_MAX, "2^64 − 1 units");
    assert_u64_refused(OFF_INPUTS, 0, "zero inputs");
    assert_u64_refused(OFF_INPUTS, 1ull << 40, "2^40 inputs");
    assert_u32_refused(OFF_NLAYERS, 0, "no layers", NULL);
    assert_u32_refused(OFF_NLAYERS, 3, "a layer more than there is", NULL);
    assert_u32_refused(OFF_NLAYERS, 1000000, "a million layers", NULL);
    assert_u32_refused(OFF_NLAYERS, UINT32_MAX, "2^32 − 1 layers", NULL);
    assert_u32_refused(OFF_TYPE, 7, "unknown model type", NULL);
    assert_u32_refused(OFF_TYPE, NN_MODEL_PERCEPTRON, "tanh perceptron", NULL);
    assert_u32_refused(OFF_LOSS, 99, "unknown loss", NULL);
    assert_u32_refused(OFF_LOSS, NN_LOSS_BCE, "bce after softmax",
                       "binary_cross_entropy");
    assert_u32_refused(OFF_LAYER0 + 8, 99, "unknown activation", NULL);
    assert_u32_refused(OFF_LAYER0 + 8, NN_ACT_SIGMOID, "sigmoid with k = 0",
                       "steepness");
    float nan = NAN;
    assert_edit_refused(OFF_LAYER0 + 12, &nan, 4, "NaN parameter", NULL);
}

Test(model_io, invalid_normalisation_and_classes)
{
    size_t norm = OFF_NORM;
    assert_u32_refused(norm, 3, "unknown normalisation kind", NULL);
    assert_u32_refused(norm, UINT32_MAX, "normalisation kind 2^32 − 1", NULL);
    float inf = INFINITY;
    assert_edit_refused(norm + 4, &inf, 4, "infinite shift", NULL);
    assert_edit_refused(norm + 4 + 12, &inf, 4, "infinite scale", NULL);
    size_t classes = norm + 4 + 24;
    assert_u32_refused(classes, 3, "a class more than there is", NULL);
    assert_u32_refused(classes, UINT32_MAX, "2^32 − 1 classes", NULL);
    assert_u32_refused(classes + 4, 1000, "a class name past the end", NULL);
    assert_u32_refused(classes + 4, UINT32_MAX, "class name 2^32 − 1 long",
                       NULL);
    assert_edit_refused(classes + 8, "c\0t", 3, "a NUL in a class name", NULL);
    size_t count = classes + 4 + 2 * 7;
    assert_u64_refused(count, 0, "zero parameters");
    assert_u64_refused(count, 5, "too few parameters");
    assert_u64_refused(count, UINT64_MAX / 2, "2^63 parameters");
    size_t state = count + 8 + 4 * 26; /* 3-4-2: 26 parameters */
    assert_u64_refused(state, 1, "state where the network keeps none");
}

/* net saved as an older version would have written it, resealed; *n its
 * length. Version 1: dense layers (V1_LAYER_BYTES), no shape, no state
 * count; version 2: layers without the 16 bytes of sequence fields nor the
 * 16 of the transformer's; version 3: without the transformer's. */
static unsigned char *downgraded(const nn_network *net, uint32_t version,
                                 size_t *n)
{
    size_t len = 0;
    unsigned char *buf = save(net, &len), *old = malloc(len);
    cr_assert_not_null(old);
    size_t layer = version == 1   ? V1_LAYER_BYTES
                   : version == 2 ? LAYER_BYTES - 32
                                  : LAYER_BYTES - 16;
    memcpy(old, buf, OFF_LAYER0);
    *n = OFF_LAYER0;
    for (int k = 0; k < 2; k++, *n += layer)
        memcpy(old + *n, buf + OFF_LAYER0 + k * LAYER_BYTES, layer);
    /* version 1: from the normalisation up to the state count; else from
     * the shape to the end */
    size_t from = version == 1 ? OFF_NORM : OFF_LAYER0 + 2 * LAYER_BYTES;
    size_t rest = version == 1 ? len - 16 - OFF_NORM : len - 8 - from;
    memcpy(old + *n, buf + from, rest);
    *n += rest + 8;
    put_u32(old + OFF_VERSION, version);
    reseal(old, *n);
    free(buf);
    return old;
}

/* Version 1 files (dense layers only, no shape, no state), version 2
 * files (layers without the sequence fields) and version 3 files (without
 * the transformer's) still load: the same layers (the missing fields
 * zero), weights and classes. */
Test(model_io, versions_1_to_3_still_load)
{
    nn_network *net = sample_net();
    for (uint32_t version = 1; version <= 3; version++) {
        size_t n;
        unsigned char *old = downgraded(net, version, &n);
        nn_network *back = NULL;
        nn_error err;
        cr_assert_eq(nn_model_load(&back, old, n, &err), NN_OK,
                     "version %u: %s", version, err.message);
        cr_assert_eq(back->input_shape.rank, 1);
        cr_assert_eq(back->inputs, 3);
        for (size_t k = 0; k < 2; k++)
            cr_assert(nn_layer_spec_equal(&back->layers[k], &net->layers[k]),
                      "version %u, layer %zu", version, k);
        cr_assert_eq(back->n_params, net->n_params);
        cr_assert(memcmp(back->params, net->params, 4 * net->n_params) == 0);
        cr_assert_eq(back->n_classes, 2);
        nn_network_free(back);
        free(old);
    }
    nn_network_free(net);
}

/* Random garbage of many lengths, resealed so that it passes the checksum
 * and reaches the parser. */
Test(model_io, resealed_garbage_never_loads)
{
    nn_rng rng;
    nn_rng_seed(&rng, 1234);
    for (size_t n = 8; n < 400; n += 3) {
        unsigned char *buf = malloc(n);
        cr_assert_not_null(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)nn_rng_next(&rng);
        if (n >= 16)
            memcpy(buf, "NNMODEL\0\1\0\0\0", 12); /* get past the magic */
        reseal(buf, n);
        assert_bad(buf, n, "garbage");
        free(buf);
    }
}
