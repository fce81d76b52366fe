/* seq_def.c — vocab_size, context and the layer rules of sequence models
 * (see seq_def.h). */
#include <math.h>

#include "jsonv.h"
#include "seq_def.h"

bool nd_seq_read_input(nd_request *req, json_t *doc, size_t *vocab,
                       nn_shape *shape)
{
    bool has_v = json_object_get(doc, "vocab_size") != NULL;
    bool has_c = json_object_get(doc, "context") != NULL;
    uint64_t v = 0, c = 0;
    *vocab = 0;
    if (!has_v && !has_c)
        return true;
    const char *other = json_object_get(doc, "inputs")        ? "/inputs"
                        : json_object_get(doc, "input_shape") ? "/input_shape"
                                                              : NULL;
    if (other) {
        nd_reply_invalid(req, 422, other,
                         "cannot be combined with vocab_size and context: "
                         "the input is context token ids");
        return false;
    }
    if (!nd_field_uint(req, doc, "", "vocab_size", true, 1, ND_MAX_VOCAB,
                       &v) ||
        !nd_field_uint(req, doc, "", "context", true, 1, ND_MAX_CONTEXT, &c))
        return false;
    *vocab = (size_t)v;
    *shape = nn_shape_vector((size_t)c);
    return true;
}

bool nd_seq_per_position(const nn_layer_spec *layers, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        nn_layer_kind kind = layers[k].kind;
        bool recurrent = kind == NN_LAYER_RNN || kind == NN_LAYER_LSTM ||
                         kind == NN_LAYER_GRU;
        if (kind == NN_LAYER_FLATTEN || (recurrent && !layers[k].return_sequences))
            return false;
    }
    return true;
}

/* The language model's last layer: dense, vocab units, softmax, and the
 * loss cross_entropy; false after replying. */
static bool check_lm_output(nd_request *req, size_t vocab,
                            const nn_layer_spec *last, size_t k,
                            nn_loss_kind loss)
{
    char base[ND_PTR_MAX], p[ND_PTR_MAX];
    nd_ptr_index(base, "/layers", k);
    if (last->kind != NN_LAYER_DENSE) {
        nd_ptr(p, base, "type");
        nd_reply_invalid(req, 422, p,
                         "a language model (an output per position) ends in "
                         "a dense layer of vocab_size (%zu) units",
                         vocab);
        return false;
    }
    if (last->units != vocab) {
        nd_ptr(p, base, "units");
        nd_reply_invalid(req, 422, p,
                         "is %zu but a language model's last layer has "
                         "vocab_size (%zu) units, one per next token",
                         last->units, vocab);
        return false;
    }
    if (last->act.kind != NN_ACT_SOFTMAX) {
        nd_ptr(p, base, "activation");
        nd_reply_invalid(req, 422, p,
                         "must be softmax: a language model predicts a "
                         "distribution over the next token");
        return false;
    }
    if (loss != NN_LOSS_CROSS_ENTROPY) {
        nd_reply_invalid(req, 422, "/loss",
                         "must be cross_entropy for a language model");
        return false;
    }
    return true;
}

bool nd_seq_check_layers(nd_request *req, size_t vocab, nn_layer_spec *layers,
                         size_t n, nn_loss_kind loss)
{
    char base[ND_PTR_MAX], p[ND_PTR_MAX];
    if (vocab && layers[0].kind != NN_LAYER_EMBEDDING) {
        nd_reply_invalid(req, 422, "/layers/0/type",
                         "a model of token ids (vocab_size) starts with an "
                         "embedding, not %s",
                         nn_layer_kind_name(layers[0].kind));
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        if (layers[k].kind != NN_LAYER_EMBEDDING)
            continue;
        nd_ptr_index(base, "/layers", k);
        nd_ptr(p, base, "type");
        if (!vocab || k != 0) {
            nd_reply_invalid(req, 422, p,
                             vocab ? "an embedding takes token ids, so it "
                                     "comes first only"
                                   : "an embedding takes token ids: give the "
                                     "model vocab_size and context instead "
                                     "of inputs");
            return false;
        }
        layers[k].vocab = vocab;
    }
    return !vocab || !nd_seq_per_position(layers, n) ||
           check_lm_output(req, vocab, &layers[n - 1], n - 1, loss);
}

size_t nd_seq_vocab(const nn_network *net)
{
    bool seq = net->n_layers && net->layers[0].kind == NN_LAYER_EMBEDDING;
    return seq ? net->layers[0].vocab : 0;
}

bool nd_seq_ids_ok(nd_request *req, const nn_network *net, const float *X,
                   size_t rows)
{
    size_t vocab = nd_seq_vocab(net), T = net->inputs;
    for (size_t i = 0; vocab && i < rows * T; i++) {
        if (X[i] >= 0.0f && X[i] < (float)vocab && X[i] == floorf(X[i]))
            continue;
        char row[ND_PTR_MAX], p[ND_PTR_MAX];
        nd_ptr_index(row, "/inputs", i / T);
        nd_ptr_index(p, row, i % T);
        nd_reply_invalid(req, 422, p,
                         "must be a token id, a whole number from 0 to %zu",
                         vocab - 1);
        return false;
    }
    return true;
}
