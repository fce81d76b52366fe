/* nn_error.h — status codes and the error record every libnn call fills.
 *
 * libnn never exits or aborts: a failing call returns a status other than
 * NN_OK and, when the caller passed an nn_error, writes a message a server can
 * show to its user and the path of the offending field ("/layers/1/units"),
 * empty when no single field is to blame. */
#ifndef NN_ERROR_H
#define NN_ERROR_H

#include <stddef.h>

typedef enum {
    NN_OK = 0,
    NN_ERR_INVALID,   /* a value is out of its domain (size 0, NaN, bad name) */
    NN_ERR_TOO_LARGE, /* a size or product of sizes is past libnn's limits */
    NN_ERR_NOMEM,     /* an allocation failed */
    NN_ERR_DIVERGED,  /* the loss became NaN or infinite while training */
    NN_ERR_FORMAT,    /* a saved model or checkpoint is corrupt or foreign */
    NN_ERR_STOPPED,   /* the epoch callback asked training to stop */
    NN_ERR_THREAD     /* a worker thread could not be started */
} nn_status;

typedef struct {
    nn_status code;
    char field[64];    /* JSON-pointer-like path of the bad field, or "" */
    char message[192]; /* one sentence, no trailing newline */
} nn_error;

/* Records an error in err (which may be NULL) and returns code, so that a
 * failing path reads `return nn_fail(err, NN_ERR_INVALID, "/epochs", "...")`.
 * field may be NULL. The message is printf-formatted and truncated to fit. */
nn_status nn_fail(nn_error *err, nn_status code, const char *field,
                  const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Clears err to NN_OK with empty strings; err may be NULL. */
void nn_error_clear(nn_error *err);

/* A stable lower-case name for a status ("invalid", "too_large", ...). */
const char *nn_status_name(nn_status code);

#endif
