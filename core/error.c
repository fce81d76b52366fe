/* error.c — filling nn_error records. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nn_error.h"

nn_status nn_fail(nn_error *err, nn_status code, const char *field,
                  const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

void nn_error_clear(nn_error *err)
{
    if (!err)
        return;
    err->code = NN_OK;
    err->field[0] = '\0';
    err->message[0] = '\0';
}

const char *nn_status_name(nn_status code)
{
    switch (code) {
    case NN_OK: return "ok";
    case NN_ERR_INVALID: return "invalid";
    case NN_ERR_TOO_LARGE: return "too_large";
    case NN_ERR_NOMEM: return "out_of_memory";
    case NN_ERR_DIVERGED: return "diverged";
    case NN_ERR_FORMAT: return "bad_format";
    case NN_ERR_STOPPED: return "stopped";
    case NN_ERR_THREAD: return "thread";
    }
    return "unknown";
}
