/* text_data.h — what bench-train's text modes (--text, the char LSTM;
 * --gpt, the baby GPT) share: the text as character ids, clocks, the
 * interval callback and the sample after "ROMEO:". */
#ifndef BENCH_TEXT_DATA_H
#define BENCH_TEXT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn.h"

/* The file's bytes as ids into its sorted distinct bytes (nanoGPT's
 * shakespeare_char: sorted(set(text))), which go to chars (256 entries) in
 * id order; *n the length, *vocab the distinct bytes. NULL when the file
 * cannot be read or memory runs out (free() the result). */
uint32_t *text_read(const char *path, size_t *n, size_t *vocab,
                    unsigned char *chars);

/* Seconds of wall time (monotonic), and of CPU time of all threads. */
double text_wall_s(void);
double text_cpu_s(void);

/* nn_trainer_run's callback for text runs: sums the epochs' wall time,
 * keeps the last loss and prints "step S loss L …" unless quiet. */
typedef struct {
    double train_ms, last_loss;
    size_t every;
    int quiet;
} text_progress;
bool text_on_interval(const nn_epoch_stats *st, void *user);

/* What text_train measured. */
typedef struct {
    double tokens_per_s, tokens_per_cpu_s; /* training steps only */
    double train_loss;                     /* the last interval's mean */
    double val_loss, val_acc;              /* the held-out block, whole */
} text_result;

/* Trains net, a language model over V tokens with input length context,
 * on the first 90% of ids[0..n) for `steps` steps of cfg's batch (epochs
 * of `every` steps drawn uniformly, a "step …" line each unless quiet),
 * scores the last 10% whole (nn_text_score), prints "threads T, N
 * parameters, …" and fills *r. Returns 0, or 1 after printing the error. */
int text_train(nn_network *net, const nn_train_config *cfg, size_t context,
               size_t steps, size_t every, int quiet, const uint32_t *ids,
               size_t n, size_t V, text_result *r);

/* Prints "RESULT tokens_per_s=… tokens_per_cpu_s=… train_loss=…
 * val_loss=… val_acc=…" without the newline (a caller may add fields). */
void text_print_result(const text_result *r);

/* A text mode's run: the options it parsed, the text as ids (n of them,
 * V distinct, chars their bytes); returns the exit status. */
typedef int (*text_run_fn)(const void *options, const uint32_t *ids,
                           size_t n, size_t V, const unsigned char *chars);

/* Reads path (text_read), checks that it holds 20 windows of context + 1,
 * and calls run on it; the exit status (1 when the text is unusable). */
int text_run_on(const char *path, size_t context, text_run_fn run,
                const void *options);

/* Samples n_tokens characters after "ROMEO:" (temperature 0.8, top-k 40,
 * seed 1) with nn_generate and prints "generation: N tokens in … ms (R
 * tokens/s), first after … ms; ROMEO:<text>". Returns R, or 0 when the text
 * lacks the prompt's characters or generation fails. */
double text_sample(const nn_network *net, const unsigned char *chars,
                   size_t V, size_t n_tokens);

#endif
