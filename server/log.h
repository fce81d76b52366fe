/* log.h — neurond's log: one line per event (a request served, a job's
 * step, start-up and shutdown) on standard output, as logfmt text
 * (`ts=… level=info event=http.request method=GET …`, the default) or as
 * one JSON object per line (--log-format json). Every line has ts (RFC
 * 3339 UTC, milliseconds), level and event; msg and the event's fields
 * follow. A line is written whole, with one write(2) under a lock, so
 * lines from different threads never interleave. */
#ifndef ND_LOG_H
#define ND_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { ND_LOG_INFO, ND_LOG_WARN, ND_LOG_ERROR } nd_log_level;
typedef enum { ND_LOG_TEXT, ND_LOG_JSON } nd_log_format;

/* One field of a line; build them with ND_LS/ND_LI/ND_LN/ND_LB. A string
 * field whose value is NULL is left out. */
typedef struct {
    const char *key;
    enum { ND_LF_STR, ND_LF_INT, ND_LF_NUM, ND_LF_BOOL } type;
    union {
        const char *s;
        long long i;
        double n;
        bool b;
    } v;
} nd_log_field;

#define ND_LS(k, x) ((nd_log_field){(k), ND_LF_STR, {.s = (x)}})
#define ND_LI(k, x) ((nd_log_field){(k), ND_LF_INT, {.i = (long long)(x)}})
#define ND_LN(k, x) ((nd_log_field){(k), ND_LF_NUM, {.n = (double)(x)}})
#define ND_LB(k, x) ((nd_log_field){(k), ND_LF_BOOL, {.b = (x)}})

/* The format named "text" or "json" into *out; false for any other
 * name (a configuration error). */
bool nd_log_format_parse(const char *name, nd_log_format *out);

/* Sets the format of the lines written from now on (text until then).
 * Called once at start-up, before other threads log. */
void nd_log_set_format(nd_log_format format);

/* Writes one line: level, event (a dotted name such as "job.succeeded"),
 * msg (a sentence for people, or NULL) and n fields, in order. String
 * values are cut at 1 KiB and scrubbed of invalid UTF-8; in text, values
 * with spaces, quotes or control characters are quoted and escaped, so a
 * client-chosen path cannot forge a line. Never fails: a line that cannot
 * be written is dropped. */
void nd_log_fields(nd_log_level level, const char *event, const char *msg,
                   const nd_log_field *fields, size_t n);

/* nd_log(level, event, msg, ND_LS("job_id", id), ND_LI("epoch", 3)) */
#define nd_log(level, event, msg, ...)                                        \
    nd_log_fields((level), (event), (msg),                                    \
                  (const nd_log_field[]){__VA_ARGS__},                        \
                  sizeof((const nd_log_field[]){__VA_ARGS__}) /               \
                      sizeof(nd_log_field))

/* A line with only a printf-formatted msg (no fields). */
void nd_logf(nd_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void nd_logv(nd_log_level level, const char *event, const char *fmt,
             va_list ap);

#endif
