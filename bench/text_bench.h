/* text_bench.h — bench-train's character language model mode (--text). */
#ifndef BENCH_TEXT_BENCH_H
#define BENCH_TEXT_BENCH_H

/* Runs `bench-train --text FILE …` (see bench/text_bench.c for the flags):
 * trains embedding → lstm → dense softmax on the file's characters and
 * prints per-interval losses and, last,
 *   RESULT tokens_per_s=<n> tokens_per_cpu_s=<c> train_loss=<x>
 *          val_loss=<y> val_acc=<z>
 * (tokens_per_cpu_s: per second of CPU time of all threads, a figure a
 * loaded machine disturbs less than wall time).
 * Returns the exit status. */
int bench_text_main(int argc, char **argv);

#endif
