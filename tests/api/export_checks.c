/* export_checks.c — a model's ONNX and C exports run by onnx.checker,
 * onnxruntime-node and gcc, compared with /predict (export_checks.h). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_checks.h"

/* The folder of check_model.py, run.js and its node_modules. */
static const char *tools_dir(void)
{
    const char *d = getenv("NEUROND_ONNX_CHECK");
    return d && *d ? d : "tools/onnx-check";
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len, "%s", path);
    cr_assert_eq(fclose(f), 0, "%s", path);
}

/* Runs cmd through the shell; what it prints on stdout goes into out
 * (terminated, truncated to cap). Returns its exit status. */
static int run_capture(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "%s", cmd);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double rel_diff(double a, double b)
{
    double m = fmax(fmax(fabs(a), fabs(b)), 1e-6);
    return fabs(a - b) / m;
}

/* /predict's outputs for in: rows × *outs floats (the caller frees). */
static float *predict(api_server *s, const char *id, const export_inputs *in,
                      size_t *outs)
{
    json_t *rows = json_array();
    for (size_t r = 0; r < in->rows; r++) {
        json_t *row = json_array();
        for (size_t c = 0; c < in->cols; c++)
            json_array_append_new(row, json_real(in->x[r * in->cols + c]));
        json_array_append_new(rows, row);
    }
    char path[128];
    snprintf(path, sizeof path, "/v1/models/%s/predict", id);
    api_response r = api_pack(s, "POST", path, "{s:o}", "inputs", rows);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *o = json_object_get(r.json, "outputs");
    *outs = json_array_size(json_array_get(o, 0));
    cr_assert_eq(json_array_size(o), in->rows);
    float *y = malloc(in->rows * *outs * sizeof *y);
    for (size_t i = 0; i < in->rows; i++)
        for (size_t j = 0; j < *outs; j++)
            y[i * *outs + j] = (float)json_number_value(
                json_array_get(json_array_get(o, i), j));
    api_free(&r);
    return y;
}

api_response export_get(api_server *s, const char *id, const char *format,
                        const char *ctype)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/models/%s/export?format=%s", id, format);
    api_response r = api_call(s, "GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
    cr_assert(strncmp(r.content_type, ctype, strlen(ctype)) == 0, "%s",
              r.content_type);
    return r;
}

/* onnx.checker's verdict on path (asserted "ok") and its facts line. */
static json_t *onnx_checker(const char *path)
{
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/check_model.py' '%s'",
             tools_dir(), path);
    int rc = run_capture(cmd, out, sizeof out);
    cr_assert_eq(rc, 0, "onnx.checker refused %s: %s", path, out);
    cr_assert_not_null(strstr(out, "\nok"), "%s", out);
    json_t *facts = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
    cr_assert_not_null(facts, "%s", out);
    /* The contract: opset 13 (in 13–17), one input "input", one output
     * "output". */
    json_t *opset = json_object_get(facts, "opset");
    cr_assert_eq(json_array_size(opset), 1);
    cr_assert_eq(json_integer_value(json_array_get(opset, 0)), 13);
    json_t *in = json_object_get(facts, "input");
    json_t *outs = json_object_get(facts, "output");
    cr_assert_eq(json_array_size(in), 1);
    cr_assert_str_eq(json_string_value(json_array_get(in, 0)), "input");
    cr_assert_eq(json_array_size(outs), 1);
    cr_assert_str_eq(json_string_value(json_array_get(outs, 0)), "output");
    return facts;
}

/* The largest relative difference of onnxruntime's outputs on in from
 * want (rows × outs). */
static double onnx_run(api_server *s, const char *model,
                       const export_inputs *in, const float *want,
                       size_t outs)
{
    json_t *shape = json_pack("[i]", (json_int_t)in->rows);
    for (size_t i = 0; i < in->rank; i++)
        json_array_append_new(shape, json_integer((json_int_t)in->shape[i]));
    json_t *data = json_array();
    for (size_t i = 0; i < in->rows * in->cols; i++)
        json_array_append_new(data, json_real(in->x[i]));
    char inputs[320], cmd[1024];
    snprintf(inputs, sizeof inputs, "%s/onnx-inputs.json", s->dir);
    json_t *doc = json_pack("{s:o,s:o}", "shape", shape, "data", data);
    cr_assert_eq(json_dump_file(doc, inputs, JSON_COMPACT), 0);
    json_decref(doc);
    snprintf(cmd, sizeof cmd, "node '%s/run.js' '%s' '%s'", tools_dir(),
             model, inputs);
    size_t cap = 1 << 20;
    char *out = malloc(cap);
    cr_assert_eq(run_capture(cmd, out, cap), 0, "%s: %s", cmd, out);
    json_t *got = json_loads(out, 0, NULL);
    cr_assert_not_null(got, "%s", out);
    free(out);
    json_t *rows = json_object_get(got, "outputs");
    cr_assert_eq(json_array_size(rows), in->rows);
    double worst = 0.0;
    for (size_t r = 0; r < in->rows; r++) {
        json_t *row = json_array_get(rows, r);
        cr_assert_eq(json_array_size(row), outs);
        for (size_t j = 0; j < outs; j++)
            worst = fmax(worst, rel_diff(json_number_value(json_array_get(row, j)),
                                         want[r * outs + j]));
    }
    json_decref(got);
    return worst;
}

/* A program that reads rows of inputs and prints each row's outputs. */
static void write_main(const char *path, const char *ident)
{
    char ID[64];
    size_t i = 0;
    for (; ident[i] && i + 1 < sizeof ID; i++)
        ID[i] = (char)toupper((unsigned char)ident[i]);
    ID[i] = '\0';
    char text[2048];
    int n = snprintf(
        text, sizeof text,
        "#include <stdio.h>\n#include \"%s.h\"\n\n"
        "int main(void)\n{\n"
        "    static float in[%s_INPUTS], out[%s_OUTPUTS];\n"
        "    for (;;) {\n        int i;\n"
        "        for (i = 0; i < %s_INPUTS; i++)\n"
        "            if (scanf(\"%%f\", &in[i]) != 1)\n                return 0;\n"
        "        if (%s_predict(in, out) != 0)\n            return 2;\n"
        "        for (i = 0; i < %s_OUTPUTS; i++)\n"
        "            printf(\"%%.9g\\n\", (double)out[i]);\n    }\n}\n",
        ident, ID, ID, ID, ident, ID);
    write_file(path, text, (size_t)n);
}

/* The largest relative difference of the compiled header's outputs on in
 * from want. */
static double c_run(api_server *s, const char *ident, const export_inputs *in,
                    const float *want, size_t outs)
{
    char main_c[320], exe[320], inputs[320], cmd[1400];
    snprintf(main_c, sizeof main_c, "%s/main_%s.c", s->dir, ident);
    snprintf(exe, sizeof exe, "%s/main_%s", s->dir, ident);
    snprintf(inputs, sizeof inputs, "%s/c-inputs.txt", s->dir);
    write_main(main_c, ident);
    snprintf(cmd, sizeof cmd,
             "gcc -std=c99 -Wall -Wextra -Werror -pedantic -I'%s' '%s' -o '%s' "
             "-lm 2>&1",
             s->dir, main_c, exe);
    char out[8192];
    cr_assert_eq(run_capture(cmd, out, sizeof out), 0, "%s\n%s", cmd, out);
    FILE *f = fopen(inputs, "w");
    cr_assert_not_null(f);
    for (size_t i = 0; i < in->rows * in->cols; i++)
        fprintf(f, "%.9g\n", (double)in->x[i]);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' < '%s'", exe, inputs);
    size_t cap = 1 << 20;
    char *text = malloc(cap);
    cr_assert_eq(run_capture(cmd, text, cap), 0, "%s", cmd);
    double worst = 0.0;
    char *p = text;
    for (size_t i = 0; i < in->rows * outs; i++) {
        char *end;
        double v = strtod(p, &end);
        cr_assert(end != p, "output %zu missing: %s", i, text);
        worst = fmax(worst, rel_diff(v, want[i]));
        p = end;
    }
    free(text);
    return worst;
}

void export_check(api_server *s, const char *label, const char *id,
                  const char *ident, const export_inputs *in,
                  export_result *res)
{
    size_t outs = 0;
    float *want = predict(s, id, in, &outs);
    char path[320];

    api_response onnx = export_get(s, id, "onnx", "application/onnx");
    snprintf(path, sizeof path, "%s/%s.onnx", s->dir, ident);
    write_file(path, onnx.body, onnx.len);
    res->onnx_bytes = onnx.len;
    api_free(&onnx);
    res->onnx_facts = onnx_checker(path);
    res->onnx_rel = onnx_run(s, path, in, want, outs);

    api_response c = export_get(s, id, "c", "text/x-c");
    snprintf(path, sizeof path, "%s/%s.h", s->dir, ident);
    write_file(path, c.body, c.len);
    res->c_bytes = c.len;
    api_free(&c);
    res->c_rel = c_run(s, ident, in, want, outs);
    free(want);

    fprintf(stderr,
            "export %s: onnx %zu bytes, checker ok, max rel diff %.3g; "
            "c %zu bytes, max rel diff %.3g\n",
            label, res->onnx_bytes, res->onnx_rel, res->c_bytes, res->c_rel);
    cr_assert_leq(res->onnx_rel, EXPORT_MAX_REL, "%s onnx: %g", label,
                  res->onnx_rel);
    cr_assert_leq(res->c_rel, EXPORT_MAX_REL, "%s c: %g", label, res->c_rel);
}
