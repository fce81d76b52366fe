/* test_datasets_idx.c — IDX uploads (multipart/form-data, parts images
 * and labels): Debian's Fashion-MNIST files as they are installed
 * (gzipped), the test set checked row by row against the file and the
 * 60000-image training set within a memory bound; small handmade files
 * gzipped or not, in either part order, giving the same dataset; and
 * every error — magic number, type, sizes, counts that disagree,
 * truncated files, labels out of range, parts missing, unknown or twice —
 * with its status and pointer, after which nothing may be stored. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dataset_checks.h"
#include "idx_parts.h"

#define FMNIST "/usr/share/datasets/fashion-mnist/"
#define FMNIST_CLASSES                                                      \
    "classes=T-shirt%2Ftop,Trouser,Pullover,Dress,Coat,Sandal,Shirt,"        \
    "Sneaker,Bag,Ankle%20boot"

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(datasets_idx, .init = setup, .fini = teardown, .timeout = 240);

typedef idx_part part;

/* POST /v1/datasets?query with the parts, without a token. */
static api_response post_parts(const char *query, const part *parts,
                               size_t n)
{
    return idx_post_parts(&srv, NULL, query, parts, n);
}

/* A whole file, gzipped or not, decompressed (zlib's gzread reads both). */
static unsigned char *gunzip_file(const char *path, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    size_t cap = 1 << 20;
    unsigned char *buf = malloc(cap);
    *len = 0;
    int n;
    while (buf && (n = gzread(f, buf + *len, (unsigned)(cap - *len))) > 0) {
        *len += (size_t)n;
        if (*len == cap)
            buf = realloc(buf, cap *= 2);
    }
    gzclose(f);
    cr_assert_not_null(buf);
    return buf;
}

/* bytes gzipped into a new buffer (*out_len). */
static unsigned char *gzip_bytes(const unsigned char *bytes, size_t len,
                                 size_t *out_len)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                              Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, len) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)bytes;
    z.avail_in = (unsigned)len;
    z.next_out = out;
    z.avail_out = (unsigned)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

/* Five 2×3 images and their five labels 0, 1, 2, 0, 1. */
static unsigned char *small_images(size_t *len)
{
    return idx_file(0x08, (unsigned[]){5, 2, 3}, 3, 30, 0, len);
}

static unsigned char *small_labels(size_t *len)
{
    return idx_file(0x08, (unsigned[]){5}, 1, 5, 3, len);
}

/* Asserts that nothing is stored: no dataset row, no chunk. */
static void assert_nothing_stored(void)
{
    long n = -1;
    if (api_sql(&srv, "SELECT (SELECT count(*) FROM datasets) + (SELECT "
                      "count(*) FROM dataset_chunks);", &n))
        cr_assert_eq(n, 0, "rows were left behind");
    api_response r = api_call(&srv, "GET", "/v1/datasets", NULL, NULL, 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0);
    api_free(&r);
}

/* Asserts the dataset's shape, rows and classes. */
static void assert_dataset(json_t *ds, json_int_t rows, json_int_t c,
                           json_int_t h, json_int_t w)
{
    cr_assert_eq(api_int(ds, "rows"), rows);
    cr_assert_eq(api_int(ds, "input_dim"), c * h * w);
    json_t *shape = json_object_get(ds, "input_shape");
    cr_assert_eq(json_array_size(shape), 3);
    cr_assert_eq(json_integer_value(json_array_get(shape, 0)), c);
    cr_assert_eq(json_integer_value(json_array_get(shape, 1)), h);
    cr_assert_eq(json_integer_value(json_array_get(shape, 2)), w);
    cr_assert_str_eq(api_jstr(ds, "task"), "classification");
}

Test(datasets_idx, fashion_mnist_test_set_matches_its_files)
{
    size_t il, ll;
    char *images = ds_read_file(FMNIST "t10k-images-idx3-ubyte.gz", &il);
    char *labels = ds_read_file(FMNIST "t10k-labels-idx1-ubyte.gz", &ll);
    part parts[] = {{"images", (unsigned char *)images, il},
                    {"labels", (unsigned char *)labels, ll}};
    api_response r = post_parts("name=fashion-test&" FMNIST_CLASSES, parts, 2);
    cr_assert_eq(r.status, 201, "%s", r.body);
    assert_dataset(r.json, 10000, 1, 28, 28);
    cr_assert_eq(api_int(r.json, "output_dim"), 10);
    ds_assert_strings(json_object_get(r.json, "classes"),
                      (const char *[]){"T-shirt/top", "Trouser", "Pullover",
                                       "Dress", "Coat", "Sandal", "Shirt",
                                       "Sneaker", "Bag", "Ankle boot", NULL});
    /* rows 0, 1 and the last, pixel by pixel, against the files */
    size_t pl, lbl;
    unsigned char *pixels = gunzip_file(FMNIST "t10k-images-idx3-ubyte.gz",
                                        &pl);
    unsigned char *lab = gunzip_file(FMNIST "t10k-labels-idx1-ubyte.gz", &lbl);
    cr_assert_eq(pl, 16 + 10000 * 784);
    json_t *classes = json_object_get(r.json, "classes");
    size_t offsets[] = {0, 1, 9999};
    for (size_t k = 0; k < 3; k++) {
        json_t *page = ds_rows(&srv, api_jstr(r.json, "id"), offsets[k], 1);
        json_t *row = json_array_get(json_object_get(page, "items"), 0);
        json_t *in = json_object_get(row, "inputs");
        cr_assert_eq(json_array_size(in), 784);
        for (size_t j = 0; j < 784; j++)
            cr_assert_eq(json_number_value(json_array_get(in, j)),
                         pixels[16 + offsets[k] * 784 + j], "row %zu pixel %zu",
                         offsets[k], j);
        cr_assert_str_eq(api_jstr(row, "label"),
                         json_string_value(json_array_get(
                             classes, lab[8 + offsets[k]])));
        json_decref(page);
    }
    free(pixels);
    free(lab);
    free(images);
    free(labels);
    api_free(&r);
}

Test(datasets_idx, training_set_streams_in_bounded_memory)
{
    api_cleanup(&srv);
    api_asan_small_quarantine();
    api_start(&srv, NULL);
    size_t il, ll;
    char *images = ds_read_file(FMNIST "train-images-idx3-ubyte.gz", &il);
    char *labels = ds_read_file(FMNIST "train-labels-idx1-ubyte.gz", &ll);
    part parts[] = {{"labels", (unsigned char *)labels, ll},
                    {"images", (unsigned char *)images, il}};
    long before = api_peak_rss_kb(&srv);
    api_response r = post_parts("name=fashion-train&" FMNIST_CLASSES, parts,
                                2);
    long peak = api_peak_rss_kb(&srv);
    cr_assert_eq(r.status, 201, "%s", r.body);
    assert_dataset(r.json, 60000, 1, 28, 28);
    cr_log_info("60000 images (%zu bytes gzipped): peak RSS %ld KiB, %ld "
                "before", il, peak, before);
    /* the decompressed images alone are 47,040,016 bytes */
    cr_assert_lt(peak - before, 24 * 1024, "peak RSS grew by %ld KiB",
                 peak - before);
    free(images);
    free(labels);
    api_free(&r);
}

Test(datasets_idx, either_order_gzipped_or_not_is_one_dataset)
{
    size_t il, ll, gil, gll;
    unsigned char *im = small_images(&il), *lb = small_labels(&ll);
    unsigned char *gim = gzip_bytes(im, il, &gil), *glb = gzip_bytes(lb, ll,
                                                                      &gll);
    part orders[4][2] = {{{"images", im, il}, {"labels", lb, ll}},
                         {{"labels", lb, ll}, {"images", im, il}},
                         {{"images", gim, gil}, {"labels", glb, gll}},
                         {{"labels", lb, ll}, {"images", gim, gil}}};
    char sha[4][80];
    for (int k = 0; k < 4; k++) {
        api_response r = post_parts("name=small", orders[k], 2);
        cr_assert_eq(r.status, 201, "order %d: %s", k, r.body);
        assert_dataset(r.json, 5, 1, 2, 3);
        ds_assert_strings(json_object_get(r.json, "classes"),
                          (const char *[]){"0", "1", "2", NULL});
        snprintf(sha[k], sizeof sha[k], "%s", api_jstr(r.json, "sha256"));
        json_t *page = ds_rows(&srv, api_jstr(r.json, "id"), 0, 5);
        json_t *items = json_object_get(page, "items");
        for (size_t i = 0; i < 5; i++) {
            json_t *row = json_array_get(items, i);
            char want[8];
            snprintf(want, sizeof want, "%zu", i % 3);
            cr_assert_str_eq(api_jstr(row, "label"), want, "order %d", k);
            cr_assert_eq(json_number_value(json_array_get(
                             json_object_get(row, "inputs"), 5)),
                         (double)(((i * 6 + 5) * 7 + 3) % 256));
        }
        json_decref(page);
        api_free(&r);
    }
    for (int k = 1; k < 4; k++)
        cr_assert_str_eq(sha[k], sha[0], "order %d", k);
    free(im);
    free(lb);
    free(gim);
    free(glb);
}

/* Posts parts with query and asserts the problem, then that nothing was
 * stored. */
static void assert_refused(const char *query, const part *parts, size_t n,
                           long status, const char *pointer)
{
    api_response r = post_parts(query, parts, n);
    api_assert_problem(&r, status, pointer);
    api_free(&r);
    assert_nothing_stored();
}

Test(datasets_idx, bad_files_name_their_part)
{
    size_t il, ll, n;
    unsigned char *im = small_images(&il), *lb = small_labels(&ll);
    part good[] = {{"images", im, il}, {"labels", lb, ll}};

    unsigned char *bad = idx_file(0x08, (unsigned[]){5, 2, 3}, 3, 30, 0, &n);
    bad[1] = 0x12; /* not the magic number */
    assert_refused("name=x", (part[]){{"images", bad, n}, good[1]}, 2, 422,
                   "/images");
    bad[1] = 0;
    bad[2] = 0x0d; /* floats */
    assert_refused("name=x", (part[]){good[1], {"images", bad, n}}, 2, 422,
                   "/images");
    free(bad);
    bad = idx_file(0x08, (unsigned[]){30}, 1, 30, 0, &n); /* 1-D images */
    assert_refused("name=x", (part[]){{"images", bad, n}, good[1]}, 2, 422,
                   "/images");
    free(bad);
    bad = idx_file(0x08, (unsigned[]){5, 1}, 2, 5, 3, &n); /* 2-D labels */
    assert_refused("name=x", (part[]){good[0], {"labels", bad, n}}, 2, 422,
                   "/labels");
    free(bad);
    bad = idx_file(0x08, (unsigned[]){4}, 1, 4, 3, &n); /* 4 labels, 5 images */
    assert_refused("name=x", (part[]){good[0], {"labels", bad, n}}, 2, 422,
                   "/labels");
    assert_refused("name=x", (part[]){{"labels", bad, n}, good[0]}, 2, 422,
                   "/images");
    free(bad);
    bad = idx_file(0x08, (unsigned[]){0, 2, 3}, 3, 0, 0, &n); /* no images */
    assert_refused("name=x", (part[]){{"images", bad, n}, good[1]}, 2, 422,
                   "/images");
    free(bad);
    free(im);
    free(lb);
}

Test(datasets_idx, truncated_files_are_refused)
{
    size_t il, ll, gl;
    unsigned char *im = small_images(&il), *lb = small_labels(&ll);
    part good[] = {{"images", im, il}, {"labels", lb, ll}};
    /* raw, cut inside the last image; then cut inside the header */
    assert_refused("name=x", (part[]){{"images", im, il - 4}, good[1]}, 2,
                   422, "/images");
    assert_refused("name=x", (part[]){good[0], {"labels", lb, 6}}, 2, 422,
                   "/labels");
    assert_refused("name=x", (part[]){good[1], {"images", im, 0}}, 2, 422,
                   "/images");
    /* bytes past the items the header announces */
    unsigned char *longer = idx_file(0x08, (unsigned[]){5}, 1, 6, 3, &ll);
    assert_refused("name=x", (part[]){good[0], {"labels", longer, ll}}, 2,
                   422, "/labels");
    free(longer);
    /* a gzip stream cut short, and one that is not gzip after its magic */
    unsigned char *gz = gzip_bytes(im, il, &gl);
    assert_refused("name=x", (part[]){{"images", gz, gl - 10}, good[1]}, 2,
                   422, "/images");
    gz[5] ^= 0xff;
    gz[12] ^= 0xff;
    assert_refused("name=x", (part[]){good[1], {"images", gz, gl}}, 2, 422,
                   "/images");
    free(gz);
    free(im);
    free(lb);
}

Test(datasets_idx, labels_classes_and_parts)
{
    size_t il, ll;
    unsigned char *im = small_images(&il), *lb = small_labels(&ll);
    part good[] = {{"images", im, il}, {"labels", lb, ll}};
    /* labels 0..2, but ?classes names two: label 2 is the third label */
    assert_refused("name=x&classes=a,b", good, 2, 422, "/labels/2");
    assert_refused("name=x&classes=a,b,a", good, 2, 422, "?classes");
    assert_refused("name=x&classes=a,,c", good, 2, 422, "?classes");
    assert_refused("name=x", good, 1, 422, "/labels");
    assert_refused("name=x", good + 1, 1, 422, "/images");
    assert_refused("name=x", (part[]){good[0], good[1], {"extra", lb, ll}}, 3,
                   400, "/extra");
    assert_refused("name=x", (part[]){good[1], good[0], good[1]}, 3, 400,
                   "/labels");
    assert_refused("x=1&name=x", good, 2, 400, "?x");
    assert_refused("", good, 2, 422, "?name");
    api_response r0 = api_call(&srv, "POST", "/v1/datasets?name=x",
                               "multipart/form-data", (const char *)im, il);
    api_assert_problem(&r0, 400, NULL);
    cr_assert(strstr(r0.body, "boundary"), "%s", r0.body);
    api_free(&r0);
    /* with ?classes naming them, labels 0..2 are a, b, c */
    api_response r = post_parts("name=named&classes=a,b,c,d", good, 2);
    cr_assert_eq(r.status, 201, "%s", r.body);
    ds_assert_strings(json_object_get(r.json, "classes"),
                      (const char *[]){"a", "b", "c", "d", NULL});
    cr_assert_eq(api_int(r.json, "output_dim"), 4);
    api_free(&r);
    free(im);
    free(lb);
}
