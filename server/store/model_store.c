/* model_store.c — the models table (see model_store.h), and loading and
 * storing a model's network for the training workers (models.h). Readers
 * take no write lock: a prediction reads the BLOB, finishes the statement
 * and computes afterwards, so it never holds up training. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_store.h"
#include "model_view.h"
#include "models.h"
#include "nn_model_io.h"
#include "seq_def.h"
#include "sharing.h"
#include "store.h"

/* The columns of a model object, in the order row_json reads them: those
 * an insert writes, then the sharing fields. The BLOB comes last, so
 * leaving it out never reads it. */
#define STORED_COLUMNS                                                         \
    "id, name, type, definition, parameters, trained, created_at, updated_at"
#define MODEL_COLUMNS STORED_COLUMNS ", " ND_SHARE_COLUMNS("models")
#define SHARE_COL 8   /* public, then owner (sharing.h) */
#define BLOB_COL 10   /* after MODEL_COLUMNS */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return ND_STORE_ERROR;
}

/* ND_STORE_ERROR with SQLite's message about what failed. */
static int db_fail(char *err, size_t errlen, const char *what)
{
    return fail(err, errlen, "%s: %s", what, nd_errmsg());
}

static const char *col_text(nd_stmt *st, int i)
{
    const char *t = nd_col_text(st, i);
    return t ? t : "";
}

/* The models.type column keeps the name it had before "network" (its
 * CHECK constraint allows 'mlp' and 'perceptron'); replies say "network". */
static const char *stored_type_name(nn_model_type type)
{
    return type == NN_MODEL_PERCEPTRON ? "perceptron" : "mlp";
}

/* The model object of the MODEL_COLUMNS of st's current row; NULL when
 * out of memory or when the stored definition is not JSON. */
static json_t *row_json(nd_stmt *st)
{
    json_t *def = json_loads(col_text(st, 3), 0, NULL);
    const char *type = col_text(st, 2);
    if (strcmp(type, stored_type_name(NN_MODEL_MLP)) == 0)
        type = nd_model_type_name(NN_MODEL_MLP);
    json_t *m = json_pack("{s:s, s:s, s:s}", "id", col_text(st, 0), "name",
                          col_text(st, 1), "type", type);
    int failed = !def || !m || json_object_update(m, def);
    json_decref(def);
    if (!failed)
        failed =
            json_object_set_new(m, "parameters",
                                json_integer(nd_col_int64(st, 4))) |
            json_object_set_new(m, "trained",
                                json_boolean(nd_col_int(st, 5))) |
            json_object_set_new(m, "created_at", json_string(col_text(st, 6))) |
            json_object_set_new(m, "updated_at", json_string(col_text(st, 7))) |
            nd_share_fields(m, st, SHARE_COL);
    if (failed) {
        json_decref(m);
        return NULL;
    }
    return m;
}

/* Loads the libnn model in column i of st's current row into *net. */
static int blob_network(nd_stmt *st, int i, nn_network **net, char *err,
                        size_t errlen)
{
    nn_error e;
    const void *blob = nd_col_blob(st, i);
    size_t len = (size_t)nd_col_bytes(st, i);
    if (nn_model_load(net, blob, len, &e) != NN_OK)
        return fail(err, errlen, "stored model: %s", e.message);
    return ND_STORE_OK;
}

int nd_model_get(const char *id, json_t **model, nn_network **net, char *err,
                 size_t errlen)
{
    nd_stmt *st = nd_prepare(
        net ? "SELECT " MODEL_COLUMNS ", blob FROM models WHERE id = ?1"
            : "SELECT " MODEL_COLUMNS " FROM models WHERE id = ?1");
    if (!st)
        return db_fail(err, errlen, "reading a model");
    nd_bind_text(st, 1, id);
    int rc = nd_step(st), result = ND_STORE_OK;
    if (rc == ND_DONE)
        result = ND_STORE_NOT_FOUND;
    else if (rc != ND_ROW)
        result = db_fail(err, errlen, "reading a model");
    else if (model && !(*model = row_json(st)))
        result = fail(err, errlen, "out of memory (or a corrupt definition)");
    if (result == ND_STORE_OK && net &&
        (result = blob_network(st, BLOB_COL, net, err, errlen)) != ND_STORE_OK &&
        model) {
        json_decref(*model);
        *model = NULL;
    }
    nd_finalize(st);
    return result;
}

int nd_model_load(const char *id, nn_network **net, char *err, size_t errlen)
{
    return nd_model_get(id, NULL, net, err, errlen);
}

/* Inserts the row, inside a transaction. */
static int insert_row(const char *id, const char *name, const nn_network *net,
                      const char *definition, const unsigned char *blob,
                      size_t len, bool trained, char *err, size_t errlen)
{
    char now[ND_TIME_MAX];
    nd_now(now);
    if (nd_tx_begin())
        return db_fail(err, errlen, "starting a transaction");
    nd_stmt *st =
        nd_prepare("INSERT INTO models (" STORED_COLUMNS ", blob) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)");
    int ok = st != NULL;
    if (ok) {
        nd_bind_text(st, 1, id);
        nd_bind_text(st, 2, name);
        nd_bind_text(st, 3, stored_type_name(net->type));
        nd_bind_text(st, 4, definition);
        nd_bind_int64(st, 5, (int64_t)net->n_params);
        nd_bind_int(st, 6, trained);
        nd_bind_text(st, 7, now);
        ok =
            nd_bind_blob(st, 8, blob, len) == ND_OK &&
            nd_step(st) == ND_DONE;
    }
    int result = ok ? ND_STORE_OK : db_fail(err, errlen, "storing a model");
    nd_finalize(st);
    if (!ok)
        nd_tx_rollback();
    else if (nd_tx_commit())
        result = db_fail(err, errlen, "committing a model");
    return result;
}

int nd_model_insert(const char *name, const nn_network *net,
                    const json_t *definition, bool trained, uint64_t max_bytes,
                    json_t **model, char *err, size_t errlen)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    nn_error e;
    if (nn_model_save(net, &blob, &len, &e) != NN_OK)
        return fail(err, errlen, "%s", e.message);
    if (max_bytes && len > max_bytes) {
        free(blob);
        snprintf(err, errlen, "the model (%zu bytes)", len);
        return ND_STORE_QUOTA;
    }
    char *def = json_dumps(definition, JSON_COMPACT | JSON_REAL_PRECISION(9));
    char id[ND_ID_MAX];
    nd_new_id(id, ND_MODEL_ID_PREFIX);
    int result =
        def ? insert_row(id, name, net, def, blob, len, trained, err, errlen)
            : fail(err, errlen, "out of memory");
    free(def);
    free(blob);
    if (result == ND_STORE_OK)
        result = nd_model_get(id, model, NULL, err, errlen);
    return result == ND_STORE_NOT_FOUND
               ? fail(err, errlen, "model %s vanished after insert", id)
               : result;
}

/* Appends to items the model objects st yields, up to limit; *more tells
 * whether a further row exists. */
static int collect(nd_stmt *st, size_t limit, json_t *items, bool *more,
                   char *err, size_t errlen)
{
    int rc;
    *more = false;
    while ((rc = nd_step(st)) == ND_ROW) {
        if (json_array_size(items) == limit) {
            *more = true;
            return ND_STORE_OK;
        }
        if (json_array_append_new(items, row_json(st)))
            return fail(err, errlen, "out of memory");
    }
    return rc == ND_DONE ? ND_STORE_OK
                             : db_fail(err, errlen, "listing models");
}

int nd_model_list(const nd_page_key *after, size_t limit, json_t **page,
                  char *err, size_t errlen)
{
    nd_stmt *st =
        nd_prepare("SELECT " MODEL_COLUMNS " FROM models "
                   "WHERE (CAST(?1 AS TEXT) IS NULL OR "
                   "(created_at, id) < (?1, ?2)) "
                   "AND (CAST(?4 AS TEXT) IS NULL OR owner = ?4 OR public = 1) "
                   "ORDER BY created_at DESC, id DESC LIMIT ?3");
    if (!st)
        return db_fail(err, errlen, "listing models");
    if (after->id[0]) {
        nd_bind_text(st, 1, after->created_at);
        nd_bind_text(st, 2, after->id);
    }
    nd_bind_int64(st, 3, (int64_t)limit + 1);
    if (after->owner[0])
        nd_bind_text(st, 4, after->owner);
    json_t *items = json_array();
    bool more = false;
    int result = items ? collect(st, limit, items, &more, err, errlen)
                       : fail(err, errlen, "out of memory");
    nd_finalize(st);
    *page = result == ND_STORE_OK
                ? json_pack("{s:O, s:o}", "items", items, "next_cursor",
                            nd_page_next(items, more))
                : NULL;
    json_decref(items);
    if (result == ND_STORE_OK && !*page)
        result = fail(err, errlen, "out of memory");
    return result;
}

/* Whether model id exists and whether a queued, running or paused job uses it,
 * read inside the caller's transaction. */
static int model_state(const char *id, char *err, size_t errlen)
{
    nd_stmt *st =
        nd_prepare("SELECT EXISTS (SELECT 1 FROM models WHERE id = ?1), "
                   "EXISTS (SELECT 1 FROM jobs WHERE model_id = ?1 "
                   "AND status IN ('queued', 'running', 'paused'))");
    if (!st)
        return db_fail(err, errlen, "reading a model");
    nd_bind_text(st, 1, id);
    int result = nd_step(st) != ND_ROW
                     ? db_fail(err, errlen, "reading a model")
                 : !nd_col_int(st, 0) ? ND_STORE_NOT_FOUND
                 : nd_col_int(st, 1)  ? ND_STORE_BUSY
                                              : ND_STORE_OK;
    nd_finalize(st);
    return result;
}

/* One try of nd_model_remove. */
static int remove_once(const char *id, char *err, size_t errlen)
{
    if (nd_tx_begin())
        return db_fail(err, errlen, "starting a transaction");
    int result = model_state(id, err, errlen);
    if (result == ND_STORE_OK) {
        nd_stmt *st = nd_prepare("DELETE FROM models WHERE id = ?1");
        if (st)
            nd_bind_text(st, 1, id);
        if (!st || nd_step(st) != ND_DONE)
            result = db_fail(err, errlen, "deleting a model");
        nd_finalize(st);
    }
    if (result != ND_STORE_OK)
        nd_tx_rollback();
    else if (nd_tx_commit())
        result = db_fail(err, errlen, "committing a deletion");
    return result;
}

int nd_model_remove(const char *id, char *err, size_t errlen)
{
    int result = remove_once(id, err, errlen);
    if (result == ND_STORE_ERROR && nd_store_retry_full())
        result = remove_once(id, err, errlen);
    return result;
}

/* Model id's stored definition with net's vocabulary set in it (a job
 * on a text sets it: the model reply shows it), as a malloc'd string in
 * *out; *out NULL when net has none. Done here, not in SQL, because the
 * two databases' JSON functions differ (and PostgreSQL's jsonb would
 * reorder the keys). ND_STORE_OK or ND_STORE_ERROR. */
static int vocab_definition(const char *id, const nn_network *net,
                            char **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!nd_seq_vocab(net) || !net->n_classes)
        return ND_STORE_OK;
    nd_stmt *st = nd_prepare("SELECT definition FROM models WHERE id = ?1");
    if (!st)
        return db_fail(err, errlen, "reading a model");
    nd_bind_text(st, 1, id);
    json_t *def = nd_step(st) == ND_ROW
                      ? json_loads(col_text(st, 0), 0, NULL)
                      : NULL;
    nd_finalize(st);
    if (!json_is_object(def)) {
        json_decref(def);
        return fail(err, errlen, "model %s has no definition to update", id);
    }
    if (json_object_set_new(def, "vocabulary",
                            nd_model_vocabulary_json(net)) == 0)
        *out = json_dumps(def, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(def);
    return *out ? ND_STORE_OK : fail(err, errlen, "out of memory");
}

/* Replaces model id's BLOB, marks it trained; the parameter count must
 * match the stored one (same definition). Runs in the open transaction. */
static int update_blob(const char *id, const nn_network *net,
                       const unsigned char *blob, size_t len, char *err,
                       size_t errlen)
{
    char now[ND_TIME_MAX];
    nd_now(now);
    char *vocab = NULL;
    if (vocab_definition(id, net, &vocab, err, errlen))
        return ND_STORE_ERROR;
    nd_stmt *st = nd_prepare(
        "UPDATE models SET blob = ?1, trained = 1, updated_at = ?2, "
        "definition = COALESCE(?5, definition) "
        "WHERE id = ?3 AND parameters = ?4");
    if (!st) {
        free(vocab);
        return db_fail(err, errlen, "storing a model");
    }
    nd_bind_blob(st, 1, blob, len);
    nd_bind_text(st, 2, now);
    nd_bind_text(st, 3, id);
    nd_bind_int64(st, 4, (int64_t)net->n_params);
    if (vocab)
        nd_bind_text(st, 5, vocab);
    int rc = nd_step(st);
    nd_finalize(st);
    free(vocab);
    if (rc != ND_DONE)
        return db_fail(err, errlen, "storing a model");
    if (nd_changes() != 1)
        return fail(err, errlen, "no model %s with %zu parameters", id,
                    net->n_params);
    return ND_STORE_OK;
}

int nd_model_store(const char *id, const nn_network *net, char *err,
                   size_t errlen)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    nn_error e;
    if (nn_model_save(net, &blob, &len, &e) != NN_OK)
        return fail(err, errlen, "%s", e.message);
    /* In autocommit mode no transaction is open: this call owns one. */
    bool own = !nd_in_tx();
    int result = own && nd_tx_begin()
                     ? db_fail(err, errlen, "starting a transaction")
                     : update_blob(id, net, blob, len, err, errlen);
    free(blob);
    if (own && result == ND_STORE_OK && nd_tx_commit())
        result = db_fail(err, errlen, "committing a model");
    else if (own && result != ND_STORE_OK)
        nd_tx_rollback();
    return result;
}

/* Replaces model id's BLOB and definition and marks it untrained, in the
 * open transaction. */
static int reset_row(const char *id, const unsigned char *blob, size_t len,
                     const char *definition, char *err, size_t errlen)
{
    char now[ND_TIME_MAX];
    nd_now(now);
    nd_stmt *st = nd_prepare("UPDATE models SET blob = ?1, definition = "
                                  "?2, trained = 0, updated_at = ?3 WHERE id "
                                  "= ?4");
    if (!st)
        return db_fail(err, errlen, "resetting a model");
    nd_bind_blob(st, 1, blob, len);
    nd_bind_text(st, 2, definition);
    nd_bind_text(st, 3, now);
    nd_bind_text(st, 4, id);
    int rc = nd_step(st);
    nd_finalize(st);
    return rc == ND_DONE ? ND_STORE_OK
                             : db_fail(err, errlen, "resetting a model");
}

int nd_model_reset_store(const char *id, const nn_network *net,
                         const json_t *definition, char *err, size_t errlen)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    nn_error e;
    if (nn_model_save(net, &blob, &len, &e) != NN_OK)
        return fail(err, errlen, "%s", e.message);
    char *def = json_dumps(definition, JSON_COMPACT | JSON_REAL_PRECISION(9));
    int result = ND_STORE_OK;
    if (!def)
        result = fail(err, errlen, "out of memory");
    else if (nd_tx_begin())
        result = db_fail(err, errlen, "starting a transaction");
    else {
        result = model_state(id, err, errlen);
        if (result == ND_STORE_OK)
            result = reset_row(id, blob, len, def, err, errlen);
        if (result != ND_STORE_OK)
            nd_tx_rollback();
        else if (nd_tx_commit())
            result = db_fail(err, errlen, "committing a reset");
    }
    free(def);
    free(blob);
    return result;
}
