/* text_data.c — the parts of bench-train's text modes that --text and
 * --gpt share (see text_data.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text_data.h"

uint32_t *text_read(const char *path, size_t *n, size_t *vocab,
                    unsigned char *chars)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        unsigned char *more = len == cap ? realloc(buf, cap *= 2) : buf;
        if (!more)
            free(buf);
        buf = more;
    }
    fclose(f);
    uint32_t map[256] = {0}, *ids = buf ? malloc(len * sizeof *ids) : NULL;
    *vocab = 0;
    for (size_t i = 0; ids && i < len; i++)
        map[buf[i]] = 1;
    for (int c = 0; c < 256; c++) {
        if (map[c])
            chars[*vocab] = (unsigned char)c;
        map[c] = map[c] ? (uint32_t)(*vocab)++ : 0;
    }
    for (size_t i = 0; ids && i < len; i++)
        ids[i] = map[buf[i]];
    free(buf);
    *n = len;
    return ids;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double text_wall_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

double text_cpu_s(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

bool text_on_interval(const nn_epoch_stats *st, void *user)
{
    text_progress *p = user;
    p->train_ms += st->elapsed_ms;
    p->last_loss = st->loss;
    if (!p->quiet)
        printf("step %zu loss %.4f (mean of the last %zu) %.1f ms\n",
               st->epoch * p->every, st->loss, p->every, st->elapsed_ms);
    fflush(stdout);
    return true;
}

int text_train(nn_network *net, const nn_train_config *cfg, size_t context,
               size_t steps, size_t every, int quiet, const uint32_t *ids,
               size_t n, size_t V, text_result *r)
{
    nn_error err = {0};
    size_t n_train = n - n / 10;
    nn_tokens train = {ids, n_train, V}, val = {ids + n_train, n - n_train, V};
    nn_train_config c = *cfg;
    c.epochs = steps / every;
    c.epoch_steps = every;
    nn_trainer *tr = NULL;
    nn_workspace *ws = NULL;
    text_progress p = {0, 0, every, quiet};
    double cpu = 0, score_s = 0;
    int rc = nn_trainer_create_tokens(&tr, net, &train, &c, &err);
    if (!rc) {
        cpu = text_cpu_s();
        rc = nn_trainer_run(tr, text_on_interval, &p, NULL, &err);
        cpu = text_cpu_s() - cpu;
    }
    if (!rc) {
        score_s = text_wall_s();
        rc = nn_workspace_create(&ws, net, 64, false, &err) ||
             nn_text_score(net, ws, &val, &r->val_loss, &r->val_acc, &err);
        score_s = text_wall_s() - score_s;
    }
    if (rc) {
        fprintf(stderr, "bench-train: %s%s%s\n", err.message,
                err.field[0] ? " at " : "", err.field);
    } else {
        double tokens = (double)c.epochs * every * c.batch_size * context;
        r->tokens_per_s = tokens / (p.train_ms / 1e3);
        r->tokens_per_cpu_s = tokens / cpu;
        r->train_loss = p.last_loss;
        printf("threads %u, %zu parameters, vocabulary %zu, %zu training "
               "tokens, %zu held out, scored in %.1f s\n",
               nn_trainer_threads(tr), net->n_params, V, n_train, n - n_train,
               score_s);
    }
    nn_workspace_free(ws);
    nn_trainer_free(tr);
    return rc ? 1 : 0;
}

void text_print_result(const text_result *r)
{
    printf("RESULT tokens_per_s=%.0f tokens_per_cpu_s=%.0f train_loss=%.4f "
           "val_loss=%.4f val_acc=%.4f",
           r->tokens_per_s, r->tokens_per_cpu_s, r->train_loss, r->val_loss,
           r->val_acc);
}

int text_run_on(const char *path, size_t context, text_run_fn run,
                const void *options)
{
    size_t n = 0, V = 0;
    unsigned char chars[256];
    uint32_t *ids = text_read(path, &n, &V, chars);
    if (!ids || n < 2 * (context + 1) * 10) {
        fprintf(stderr, "bench-train: cannot read a long enough text from %s\n",
                path);
        free(ids);
        return 1;
    }
    int rc = run(options, ids, n, V, chars);
    free(ids);
    return rc;
}

typedef struct {
    const unsigned char *chars;
    double t0, first_s;
    size_t n;
    char text[1024];
} sample_out;

static bool on_token(uint32_t id, size_t index, void *user)
{
    sample_out *s = user;
    if (index == 0)
        s->first_s = text_wall_s() - s->t0;
    if (s->n + 1 < sizeof s->text)
        s->text[s->n++] = (char)s->chars[id];
    return true;
}

double text_sample(const nn_network *net, const unsigned char *chars,
                   size_t V, size_t n_tokens)
{
    const char *prompt = "ROMEO:";
    uint32_t ids[8];
    size_t n = 0;
    for (const char *p = prompt; *p; p++)
        for (uint32_t v = 0; v < V; v++)
            if (chars[v] == (unsigned char)*p)
                ids[n++] = v;
    if (n != strlen(prompt))
        return 0; /* a text without these characters */
    nn_sample_config cfg = {.temperature = 0.8f, .top_k = 40, .seed = 1};
    sample_out s = {.chars = chars, .t0 = text_wall_s()};
    nn_error err;
    if (nn_generate(net, ids, n, n_tokens, &cfg, NULL, NULL, on_token, &s,
                    &err))
        return 0;
    double total = text_wall_s() - s.t0;
    s.text[s.n] = 0;
    printf("generation: %zu tokens in %.1f ms (%.0f tokens/s), first after "
           "%.2f ms; %s%s\n",
           n_tokens, total * 1e3, (double)n_tokens / total, s.first_s * 1e3,
           prompt, s.text);
    return (double)n_tokens / total;
}
