/* test_datasets_text.c — text/plain uploads: tiny Shakespeare as
 * characters, the byte tokenizer, characters cut between the pieces of a
 * chunked upload, slices of the text through /rows, the memory an upload
 * takes, and every refusal (binary, invalid or cut-off UTF-8, an empty
 * text, a bad tokenizer or charset, a job of a vector model on a text:
 * test_sequence_jobs.c trains language models), after which nothing
 * may be left in the database. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_checks.h"

static api_server srv;

static void setup(void)
{
    api_start(&srv, NULL);
}

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(datasets_text, .init = setup, .fini = teardown, .timeout = 120);

#define TEXT_TYPE "text/plain; charset=utf-8"

static api_response post_text(const char *query, const char *text,
                              size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/datasets?%s", query);
    return api_call(&srv, "POST", path, TEXT_TYPE, text, len);
}

/* Uploads text, asserts 201 and returns the dataset. */
static json_t *create_text(const char *query, const char *text, size_t len)
{
    api_response r = post_text(query, text, len);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert(r.location[0]);
    json_t *ds = json_incref(r.json);
    api_free(&r);
    return ds;
}

static void assert_nothing_stored(void)
{
    long n = -1;
    if (api_sql(&srv, "SELECT (SELECT count(*) FROM datasets) + (SELECT "
                      "count(*) FROM dataset_chunks);", &n))
        cr_assert_eq(n, 0, "rows were left behind");
}

Test(datasets_text, tiny_shakespeare_is_65_characters)
{
    size_t len;
    char *text = ds_read_file(api_shared_data("tinyshakespeare.txt"), &len);
    json_t *ds = create_text("name=shakespeare", text, len);
    cr_assert_str_eq(api_jstr(ds, "task"), "language_modeling");
    cr_assert_str_eq(api_jstr(ds, "tokenizer"), "char");
    cr_assert_eq(api_int(ds, "tokens"), 1115394);
    cr_assert_eq(api_int(ds, "vocab_size"), 65);
    json_t *vocab = json_object_get(ds, "vocabulary");
    cr_assert_eq(json_array_size(vocab), 65);
    /* token order is first appearance: "First Citizen:" */
    cr_assert_str_eq(json_string_value(json_array_get(vocab, 0)), "F");
    cr_assert_str_eq(json_string_value(json_array_get(vocab, 5)), " ");
    cr_assert_str_eq(json_string_value(json_array_get(vocab, 10)), ":");
    cr_assert_str_eq(json_string_value(json_array_get(vocab, 11)), "\n");
    cr_assert_null(json_object_get(ds, "rows"));

    /* the slice at 1,115,390 is the text's last four characters */
    json_t *page = ds_rows(&srv, api_jstr(ds, "id"), 1115390, 100);
    cr_assert_str_eq(api_jstr(page, "text"), text + 1115390);
    cr_assert_eq(api_int(page, "total"), 1115394);
    cr_assert_eq(json_array_size(json_object_get(page, "tokens")), 4);
    json_decref(page);
    page = ds_rows(&srv, api_jstr(ds, "id"), 0, 14);
    cr_assert_str_eq(api_jstr(page, "text"), "First Citizen:");
    ds_assert_numbers(json_object_get(page, "tokens"),
                      (double[]){0, 1, 2, 3, 4, 5, 6, 1, 4, 1, 7, 8, 9, 10},
                      14);
    json_decref(page);
    json_decref(ds);
    free(text);
}

Test(datasets_text, characters_cut_between_pieces_are_joined)
{
    /* é is 2 bytes, € 3, 🙂 4: pieces of 1 and 3 bytes cut each of them */
    const char *text = "é€🙂é a";
    for (size_t piece = 1; piece <= 3; piece += 2) {
        api_response r = api_call_chunked(&srv, "POST",
                                          "/v1/datasets?name=cut", TEXT_TYPE,
                                          text, strlen(text), piece);
        cr_assert_eq(r.status, 201, "%s", r.body);
        cr_assert_eq(api_int(r.json, "tokens"), 6);
        cr_assert_eq(api_int(r.json, "vocab_size"), 5);
        ds_assert_strings(json_object_get(r.json, "vocabulary"),
                          (const char *[]){"é", "€", "🙂", " ", "a", NULL});
        json_t *page = ds_rows(&srv, api_jstr(r.json, "id"), 1, 3);
        cr_assert_str_eq(api_jstr(page, "text"), "€🙂é");
        json_decref(page);
        api_free(&r);
    }
}

Test(datasets_text, byte_tokens_are_the_utf8_bytes)
{
    const char *text = "aé\n"; /* 61 c3 a9 0a */
    json_t *ds = create_text("name=bytes&tokenizer=byte", text, strlen(text));
    cr_assert_str_eq(api_jstr(ds, "tokenizer"), "byte");
    cr_assert_eq(api_int(ds, "tokens"), 4);
    cr_assert_eq(api_int(ds, "vocab_size"), 256);
    json_t *vocab = json_object_get(ds, "vocabulary");
    cr_assert_str_eq(json_string_value(json_array_get(vocab, 0)), "\\x00");
    cr_assert_str_eq(json_string_value(json_array_get(vocab, 'a')), "a");
    cr_assert_str_eq(json_string_value(json_array_get(vocab, 0xc3)), "\\xc3");
    json_t *page = ds_rows(&srv, api_jstr(ds, "id"), 0, 10);
    cr_assert_str_eq(api_jstr(page, "text"), text);
    ds_assert_numbers(json_object_get(page, "tokens"),
                      (double[]){0x61, 0xc3, 0xa9, 0x0a}, 4);
    json_decref(page);
    /* a slice that cuts é shows its stray byte as '?' */
    page = ds_rows(&srv, api_jstr(ds, "id"), 0, 2);
    cr_assert_str_eq(api_jstr(page, "text"), "a?");
    json_decref(page);
    json_decref(ds);
}

Test(datasets_text, upload_memory_is_bounded_by_a_chunk)
{
    /* 8.9 MB of text streamed: holding its tokens as the stored float
     * pairs would take 68 MiB; a chunk at a time takes a few (6.3 MiB of
     * growth measured, most of it SQLite's page cache) */
    size_t len;
    char *one = ds_read_file(api_shared_data("tinyshakespeare.txt"), &len);
    size_t total = 8 * len;
    char *text = malloc(total);
    cr_assert(text);
    for (size_t i = 0; i < 8; i++)
        memcpy(text + i * len, one, len);
    /* a server of its own whose ASan (in the sanitized run) keeps freed
     * memory only briefly: its quarantine would read as growth */
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=1", asan ? asan : "",
             asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    api_server own;
    api_start(&own, NULL);
    long before = api_rss_kb(&own);
    api_response r = api_call_chunked(&own, "POST", "/v1/datasets?name=big",
                                      TEXT_TYPE, text, total, 65536);
    long after = api_rss_kb(&own);
    api_cleanup(&own);
    cr_log_info("RSS %ld KiB before a %zu-byte text, %ld KiB after", before,
                total, after);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_eq(api_int(r.json, "tokens"), (json_int_t)total);
    cr_assert_eq(api_int(r.json, "vocab_size"), 65);
    cr_assert_lt(after - before, 16 * 1024, "RSS grew %ld KiB for %zu bytes",
                 after - before, total);
    api_free(&r);
    free(text);
    free(one);
}

/* Asserts that posting text (query "name=x" unless given) is refused with
 * status at pointer and leaves nothing behind. */
static void assert_refused(const char *query, const char *text, size_t len,
                           long status, const char *pointer,
                           const char *detail_part)
{
    api_response r = post_text(query ? query : "name=x", text, len);
    api_assert_problem(&r, status, pointer);
    if (detail_part)
        cr_assert(strstr(api_str(&r, "detail"), detail_part), "%s", r.body);
    api_free(&r);
    assert_nothing_stored();
}

Test(datasets_text, bad_bodies_name_their_byte_offset)
{
    static const char binary[] = {'P', 'K', 3, 4, 0, 0, (char)0x8f, 1};
    assert_refused(NULL, binary, sizeof binary, 422, "/bytes/4", "binary");
    assert_refused(NULL, "abc\xff", 4, 422, "/bytes/3", "invalid UTF-8");
    assert_refused(NULL, "ab\xc3" "c", 4, 422, "/bytes/3", "invalid UTF-8");
    assert_refused(NULL, "\xc0\xaf", 2, 422, "/bytes/0", NULL); /* overlong */
    assert_refused(NULL, "x\xed\xa0\x80", 4, 422, "/bytes/1", "surrogate");
    assert_refused(NULL, "ok \xe2\x82", 5, 422, "/bytes/3", "ends inside");
    assert_refused(NULL, "", 0, 422, "/bytes", "empty");
    assert_refused("name=x&tokenizer=byte", "", 0, 422, "/bytes", "empty");
}

Test(datasets_text, bad_queries_and_charsets)
{
    assert_refused("tokenizer=char", "abc", 3, 422, "?name", NULL);
    assert_refused("name=x&tokenizer=word", "abc", 3, 422, "?tokenizer",
                   NULL);
    assert_refused("name=x&target=y", "abc", 3, 400, "?target", NULL);
    api_response r = api_call(&srv, "POST", "/v1/datasets?name=x",
                              "text/plain; charset=iso-8859-1", "abc", 3);
    api_assert_problem(&r, 415, NULL);
    api_free(&r);
    r = api_call(&srv, "POST", "/v1/datasets?name=x", "text/plain", "abc", 3);
    cr_assert_eq(r.status, 201, "no charset is UTF-8: %s", r.body);
    api_free(&r);
}

Test(datasets_text, a_vector_model_does_not_train_on_a_text)
{
    json_t *ds = create_text("name=t", "abcabc", 6);
    api_response m = api_json(&srv, "POST", "/v1/models",
                              "{\"name\": \"m\", \"inputs\": 1, \"layers\": [{\"units\": 3, "
                              "\"activation\": \"softmax\"}], \"loss\": "
                              "\"cross_entropy\"}");
    cr_assert_eq(m.status, 201, "%s", m.body);
    api_response r = api_pack(&srv, "POST", "/v1/jobs", "{s:s, s:s}",
                              "model_id", api_str(&m, "id"), "dataset_id",
                              api_jstr(ds, "id"));
    api_assert_problem(&r, 422, "/model_id");
    api_free(&r);
    api_free(&m);
    json_decref(ds);
}
