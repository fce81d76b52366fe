/* gpt_bench.h — bench-train's baby GPT mode (--gpt). */
#ifndef BENCH_GPT_BENCH_H
#define BENCH_GPT_BENCH_H

/* Runs `bench-train --gpt FILE …` (see bench/gpt_bench.c for the flags):
 * trains nanoGPT's baby GPT on the file's characters and prints
 * per-interval losses, a sample and, last,
 *   RESULT tokens_per_s=<n> tokens_per_cpu_s=<c> train_loss=<x>
 *          val_loss=<y> val_acc=<z> generated_per_s=<g>
 * Returns the exit status. */
int bench_gpt_main(int argc, char **argv);

#endif
