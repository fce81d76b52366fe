/* model_file.h — bench-train's --model FILE.json: the body POST /v1/models
 * takes, read by the server's own parser (server/model_def.c), so the
 * benchmark trains exactly the network the API would build. */
#ifndef BENCH_MODEL_FILE_H
#define BENCH_MODEL_FILE_H

#include <stddef.h>

#include "nn.h"

/* Reads path and builds its network with the weights its init and seed
 * draw (no parameter limit but libnn's). Returns 0 with *out owned by the
 * caller, or −1 with the reason in msg (the problem the API would reply
 * for a bad definition). */
int bench_model_file(const char *path, nn_network **out, char *msg, size_t n);

#endif
