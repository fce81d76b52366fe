/* export_c.c — a network as one self-contained C99 header (nn_export.h):
 * the document, its weight arrays and its predict function, with one row
 * per layer kind in c_layers[] (a kind without a row cannot be exported
 * to C and is refused by name); the helper functions' text is in
 * export_c_kernels.c. Also the window geometry and batchnorm factor the
 * other exporters share. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_c_text.h"
#include "layers/layer.h"
#include "nn_export.h"

bool nn_export_window_of(const nn_network *net, size_t k, nn_export_window *w)
{
    const nn_layer_spec *s = &net->layers[k];
    const nn_layer_info *info = &net->info[k];
    nn_window g;
    if (s->kind == NN_LAYER_CONV2D)
        nn_window_infer(&info->in, s->kernel_h, s->kernel_w, s->stride,
                        s->padding, "", "kernel", &g, NULL);
    else if (s->kind == NN_LAYER_MAXPOOL2D || s->kind == NN_LAYER_AVGPOOL2D)
        nn_window_infer(&info->in, s->size, s->size, s->stride, NN_PAD_VALID,
                        "", "size", &g, NULL);
    else
        return false;
    /* Whatever "same" padding needs past the input at the bottom/right. */
    size_t need_h = (g.OH - 1) * g.stride + g.kh;
    size_t need_w = (g.OW - 1) * g.stride + g.kw;
    *w = (nn_export_window){
        .kh = g.kh, .kw = g.kw, .stride = g.stride,
        .pad_top = g.pad_top, .pad_left = g.pad_left,
        .pad_bottom = need_h > g.H + g.pad_top ? need_h - g.H - g.pad_top : 0,
        .pad_right = need_w > g.W + g.pad_left ? need_w - g.W - g.pad_left : 0,
    };
    return true;
}

float nn_export_batchnorm_istd(float var)
{
    double v = var; /* as batchnorm.c: the state read into a double */
    return (float)(1.0 / sqrt(v + NN_BATCHNORM_EPS));
}

void nn_export_c_ident(const char *name, char *buf, size_t cap)
{
    size_t at = 0;
    if (!name || !*name)
        name = "model";
    if (isdigit((unsigned char)name[0]) && cap > 3)
        buf[at++] = 'm', buf[at++] = '_';
    for (const char *p = name; *p && at + 1 < cap; p++)
        buf[at++] = isalnum((unsigned char)*p) ? *p : '_';
    buf[at] = '\0';
}

/* What the export writes for one layer kind: its arrays (before the
 * kernels) and its call in predict, from x into y (or in place in x;
 * *swap then false). */
typedef struct {
    void (*arrays)(nn_ctext *t, const nn_network *net, size_t k);
    void (*call)(nn_ctext *t, const nn_network *net, size_t k, bool *swap);
} c_layer;

/* The activation a over the n values of buffer v ("x" or "y"). */
static void put_act(nn_ctext *t, const char *v, const nn_activation *a,
                    size_t n)
{
    char p[40];
    if (a->kind == NN_ACT_LINEAR)
        return;
    nn_ctext_put(t, "    %s_activate(%s, %zu, %d, %s); /* %s */\n", t->id, v,
                 n, (int)a->kind, nn_ctext_float(a->param, p),
                 nn_activation_name(a->kind));
}

static void weight_arrays(nn_ctext *t, const nn_network *net, size_t k)
{
    char name[32];
    snprintf(name, sizeof name, "l%zu_w", k);
    nn_ctext_array(t, name, net->params + net->w_offset[k], net->info[k].n_w);
    snprintf(name, sizeof name, "l%zu_b", k);
    nn_ctext_array(t, name, net->params + net->b_offset[k], net->info[k].n_b);
}

static void dense_call(nn_ctext *t, const nn_network *net, size_t k,
                       bool *swap)
{
    const nn_layer_info *info = &net->info[k];
    nn_ctext_put(t, "    %s_dense(y, x, %s_l%zu_w, %s_l%zu_b, %zu, %zu);\n",
                 t->id, t->id, k, t->id, k, info->in.dim[0], info->out.dim[0]);
    put_act(t, "y", &net->layers[k].act, info->out.dim[0]);
    *swap = true;
}

static void conv2d_call(nn_ctext *t, const nn_network *net, size_t k,
                        bool *swap)
{
    const nn_layer_info *info = &net->info[k];
    nn_export_window w;
    nn_export_window_of(net, k, &w);
    nn_ctext_put(t,
                 "    {\n        static const int g[11] = {%zu, %zu, %zu, "
                 "%zu, %zu, %zu, %zu, %zu, %zu, %zu, %zu};\n"
                 "        %s_conv2d(y, x, %s_l%zu_w, %s_l%zu_b, g);\n    }\n",
                 info->in.dim[0], info->in.dim[1], info->in.dim[2],
                 info->out.dim[0], w.kh, w.kw, w.stride, w.pad_top, w.pad_left,
                 info->out.dim[1], info->out.dim[2], t->id, t->id, k, t->id, k);
    put_act(t, "y", &net->layers[k].act, nn_shape_size(&info->out));
    *swap = true;
}

static void pool_call(nn_ctext *t, const nn_network *net, size_t k,
                      bool *swap)
{
    const nn_layer_info *info = &net->info[k];
    const nn_layer_spec *s = &net->layers[k];
    nn_ctext_put(t,
                 "    {\n        static const int g[7] = {%zu, %zu, %zu, %zu, "
                 "%zu, %zu, %zu};\n        %s_pool(y, x, g, %d);\n    }\n",
                 info->in.dim[0], info->in.dim[1], info->in.dim[2], s->size,
                 s->stride, info->out.dim[1], info->out.dim[2], t->id,
                 s->kind == NN_LAYER_AVGPOOL2D);
    *swap = true;
}

/* flatten: the layout already is C, H, W; dropout: identity when
 * predicting. Nothing to do. */
static void identity_call(nn_ctext *t, const nn_network *net, size_t k,
                          bool *swap)
{
    nn_ctext_put(t, "    /* layer %zu, %s: nothing to do */\n", k,
                 nn_layer_kind_name(net->layers[k].kind));
    *swap = false;
}

static void batchnorm_arrays(nn_ctext *t, const nn_network *net, size_t k)
{
    size_t C = net->info[k].n_w;
    const float *state = net->state + net->s_offset[k];
    float *istd = malloc(C * sizeof *istd);
    if (!istd) {
        t->text.oom = true;
        return;
    }
    for (size_t c = 0; c < C; c++)
        istd[c] = nn_export_batchnorm_istd(state[C + c]);
    weight_arrays(t, net, k);
    char name[32];
    snprintf(name, sizeof name, "l%zu_mean", k);
    nn_ctext_array(t, name, state, C);
    snprintf(name, sizeof name, "l%zu_istd", k);
    nn_ctext_array(t, name, istd, C);
    free(istd);
}

static void batchnorm_call(nn_ctext *t, const nn_network *net, size_t k,
                           bool *swap)
{
    const nn_layer_info *info = &net->info[k];
    size_t C = info->n_w, n = nn_shape_size(&info->out);
    nn_ctext_put(t,
                 "    %s_batchnorm(x, %s_l%zu_w, %s_l%zu_b, %s_l%zu_mean, "
                 "%s_l%zu_istd, %zu, %zu);\n",
                 t->id, t->id, k, t->id, k, t->id, k, t->id, k, C, n / C);
    put_act(t, "x", &net->layers[k].act, n);
    *swap = false;
}

static const c_layer c_layers[NN_LAYER_KIND_COUNT] = {
    [NN_LAYER_DENSE] = {weight_arrays, dense_call},
    [NN_LAYER_CONV2D] = {weight_arrays, conv2d_call},
    [NN_LAYER_MAXPOOL2D] = {NULL, pool_call},
    [NN_LAYER_AVGPOOL2D] = {NULL, pool_call},
    [NN_LAYER_FLATTEN] = {NULL, identity_call},
    [NN_LAYER_DROPOUT] = {NULL, identity_call},
    [NN_LAYER_BATCHNORM] = {batchnorm_arrays, batchnorm_call},
};

/* A C string literal of s (escaped as needed). */
static void put_string(nn_ctext *t, const char *s)
{
    nn_ctext_put(t, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            nn_ctext_put(t, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            nn_ctext_put(t, "\\%03o", *p); /* octal: never eats a digit */
        else
            nn_ctext_put(t, "%c", *p);
    }
    nn_ctext_put(t, "\"");
}

static void put_preamble(nn_ctext *t, const nn_network *net, bool trained)
{
    char shape[64];
    nn_ctext_put(t,
                 "/* %s.h — a neurond model as one C99 header: weights as "
                 "static const float\n * arrays and %s_predict(in, out), no "
                 "allocation, only math.h (link -lm).\n * Input: %zu floats "
                 "(shape %s, raw: the normalisation is applied here);\n"
                 " * output: %zu floats, what neurond's /predict returns. %s\n"
                 " * Define %s_predict in one .c file: include this header "
                 "there. Not reentrant:\n * predict works in two static "
                 "buffers. Returns 0, or -1 for an input that is not\n"
                 " * finite. */\n",
                 t->id, t->id, net->inputs,
                 nn_shape_format(&net->input_shape, shape, sizeof shape),
                 nn_network_outputs(net),
                 trained ? "Trained." : "Never trained: initial weights.",
                 t->id);
    nn_ctext_put(t, "#ifndef %s_NEUROND_H\n#define %s_NEUROND_H\n\n"
                    "#include <math.h>\n\n", t->ID, t->ID);
    nn_ctext_put(t, "#define %s_INPUTS %zu\n#define %s_OUTPUTS %zu\n"
                    "#define %s_TRAINED %d\n#define %s_N_CLASSES %zu\n",
                 t->ID, net->inputs, t->ID, nn_network_outputs(net), t->ID,
                 trained, t->ID, net->n_classes);
    nn_ctext_put(t, "#define %s_CLASSES {", t->ID);
    for (size_t i = 0; i < net->n_classes; i++) {
        nn_ctext_put(t, i ? ", " : " ");
        put_string(t, net->classes[i]);
    }
    nn_ctext_put(t, net->n_classes ? " }\n\n" : " 0 }\n\n");
}

static void put_predict(nn_ctext *t, const nn_network *net)
{
    nn_ctext_put(t,
                 "int %s_predict(const float *in, float *out);\n\n"
                 "int %s_predict(const float *in, float *out)\n{\n"
                 "    static float buf0[%zu], buf1[%zu];\n"
                 "    float *x = buf0, *y = buf1, *t;\n    int i;\n"
                 "    for (i = 0; i < %zu; i++)\n        if (!isfinite(in[i]))\n"
                 "            return -1;\n    for (i = 0; i < %zu; i++)\n",
                 t->id, t->id, net->max_width, net->max_width, net->inputs,
                 net->inputs);
    if (net->norm.kind == NN_NORM_NONE)
        nn_ctext_put(t, "        x[i] = in[i];\n");
    else
        nn_ctext_put(t, "        x[i] = (in[i] - %s_shift[i]) * %s_scale[i];\n",
                     t->id, t->id);
    for (size_t k = 0; k < net->n_layers; k++) {
        bool swap = false;
        c_layers[net->layers[k].kind].call(t, net, k, &swap);
        if (swap)
            nn_ctext_put(t, "    t = x, x = y, y = t;\n");
    }
    nn_ctext_put(t, "    for (i = 0; i < %zu; i++)\n        out[i] = x[i];\n"
                    "    (void)y, (void)t;\n    return 0;\n}\n\n#endif\n",
                 nn_network_outputs(net));
}

nn_status nn_export_check_kinds(const nn_network *net,
                                const bool supported[NN_LAYER_KIND_COUNT],
                                const char *format, nn_error *err)
{
    for (size_t k = 0; k < net->n_layers; k++) {
        nn_layer_kind kind = net->layers[k].kind;
        char field[48];
        if (net->info[k].has_act && net->layers[k].act.kind == NN_ACT_GELU) {
            snprintf(field, sizeof field, "/layers/%zu/activation", k);
            return nn_fail(err, NN_ERR_INVALID, field,
                           "a gelu activation cannot be exported as %s",
                           format);
        }
        if ((unsigned)kind < NN_LAYER_KIND_COUNT && supported[kind])
            continue;
        snprintf(field, sizeof field, "/layers/%zu/type", k);
        return nn_fail(err, NN_ERR_INVALID, field,
                       "a %s layer cannot be exported as %s",
                       nn_layer_kind_name(kind), format);
    }
    return NN_OK;
}

nn_status nn_export_c(const nn_network *net, const char *ident, bool trained,
                      char **out, size_t *len, nn_error *err)
{
    bool supported[NN_LAYER_KIND_COUNT];
    for (unsigned k = 0; k < NN_LAYER_KIND_COUNT; k++)
        supported[k] = c_layers[k].call != NULL;
    nn_status st = nn_export_check_kinds(net, supported, "C", err);
    if (st != NN_OK)
        return st;
    nn_ctext t = {.id = ident};
    size_t i = 0;
    for (; ident[i] && i + 1 < sizeof t.ID; i++)
        t.ID[i] = (char)toupper((unsigned char)ident[i]);
    t.ID[i] = '\0';
    for (size_t k = 0; k < net->n_layers; k++) {
        t.uses[net->layers[k].kind] = true;
        t.uses_act |= net->layers[k].act.kind != NN_ACT_LINEAR &&
                      net->info[k].has_act;
    }
    put_preamble(&t, net, trained);
    if (net->norm.kind != NN_NORM_NONE) {
        nn_ctext_array(&t, "shift", net->norm.shift, net->inputs);
        nn_ctext_array(&t, "scale", net->norm.scale, net->inputs);
    }
    for (size_t k = 0; k < net->n_layers; k++)
        if (c_layers[net->layers[k].kind].arrays)
            c_layers[net->layers[k].kind].arrays(&t, net, k);
    nn_ctext_put(&t, "\n");
    nn_ctext_kernels(&t);
    put_predict(&t, net);
    nn_wbuf_bytes(&t.text, "", 1);
    if (t.text.oom) {
        free(t.text.data);
        return nn_fail(err, NN_ERR_NOMEM, NULL, "out of memory");
    }
    *out = (char *)t.text.data;
    *len = t.text.len - 1;
    return NN_OK;
}
