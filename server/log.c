/* log.c — whole log lines, as logfmt text or JSON (see log.h). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "log.h"

#define LINE_MAX_BYTES 8192 /* a text line; longer ones are cut */
#define VALUE_MAX 1024      /* bytes of one string value */

static nd_log_format log_format = ND_LOG_TEXT;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"info", "warn", "error"};

bool nd_log_format_parse(const char *name, nd_log_format *out)
{
    if (strcmp(name, "text") == 0)
        *out = ND_LOG_TEXT;
    else if (strcmp(name, "json") == 0)
        *out = ND_LOG_JSON;
    else
        return false;
    return true;
}

void nd_log_set_format(nd_log_format format)
{
    log_format = format;
}

/* Now as RFC 3339 UTC with milliseconds: 2025-01-31T12:00:00.123Z. */
static void timestamp(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Writes all of line under the lock: one write(2) unless the pipe takes
 * it in parts. */
static void emit(const char *line, size_t len)
{
    pthread_mutex_lock(&write_lock);
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, line, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        line += n;
        len -= (size_t)n;
    }
    pthread_mutex_unlock(&write_lock);
}

/* s cut at VALUE_MAX bytes and scrubbed of invalid UTF-8, into buf. */
static const char *clean(const char *s, char buf[VALUE_MAX + 1])
{
    snprintf(buf, VALUE_MAX + 1, "%s", s);
    nd_utf8_scrub(buf);
    return buf;
}

typedef struct {
    char buf[LINE_MAX_BYTES];
    size_t len;
} text_line;

/* Appends n bytes, keeping room for the newline. */
static void put(text_line *l, const char *s, size_t n)
{
    size_t room = sizeof l->buf - 1 - l->len;
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void putf(text_line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(text_line *l, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(l, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Whether a logfmt value can go unquoted: printable ASCII without space,
 * quote, equals sign or backslash, and not empty. */
static bool bare(const char *s)
{
    if (!*s)
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c <= ' ' || *c >= 0x7f || *c == '"' || *c == '=' || *c == '\\')
            return false;
    return true;
}

/* Appends a string value, quoted and escaped as logfmt reads it when it
 * is not bare (UTF-8 passes through). */
static void put_string(text_line *l, const char *s)
{
    char v[VALUE_MAX + 1];
    clean(s, v);
    if (bare(v)) {
        put(l, v, strlen(v));
        return;
    }
    put(l, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
        if (*c == '"' || *c == '\\')
            putf(l, "\\%c", *c);
        else if (*c == '\n')
            put(l, "\\n", 2);
        else if (*c == '\t')
            put(l, "\\t", 2);
        else if (*c == '\r')
            put(l, "\\r", 2);
        else if (*c < ' ' || *c == 0x7f)
            putf(l, "\\u%04x", *c);
        else
            put(l, (const char *)c, 1);
    }
    put(l, "\"", 1);
}

static void put_field(text_line *l, const nd_log_field *f)
{
    putf(l, " %s=", f->key);
    switch (f->type) {
    case ND_LF_STR: put_string(l, f->v.s); break;
    case ND_LF_INT: putf(l, "%lld", f->v.i); break;
    case ND_LF_NUM: putf(l, "%.6g", f->v.n); break;
    case ND_LF_BOOL: put(l, f->v.b ? "true" : "false", f->v.b ? 4 : 5); break;
    }
}

static void write_text(const char *ts, nd_log_level level, const char *event,
                       const char *msg, const nd_log_field *fields, size_t n)
{
    text_line *l = malloc(sizeof *l);
    if (!l)
        return;
    l->len = 0;
    putf(l, "ts=%s level=%s event=", ts, level_names[level]);
    put_string(l, event);
    if (msg)
        put_field(l, &ND_LS("msg", msg));
    for (size_t i = 0; i < n; i++)
        if (fields[i].type != ND_LF_STR || fields[i].v.s)
            put_field(l, &fields[i]);
    l->buf[l->len++] = '\n';
    emit(l->buf, l->len);
    free(l);
}

static json_t *json_value(const nd_log_field *f)
{
    char v[VALUE_MAX + 1];
    switch (f->type) {
    case ND_LF_STR: return json_string(clean(f->v.s, v));
    case ND_LF_INT: return json_integer(f->v.i);
    case ND_LF_NUM: return isfinite(f->v.n) ? json_real(f->v.n) : json_null();
    case ND_LF_BOOL: return json_boolean(f->v.b);
    }
    return NULL;
}

static void write_json(const char *ts, nd_log_level level, const char *event,
                       const char *msg, const nd_log_field *fields, size_t n)
{
    json_t *o = json_object();
    char v[VALUE_MAX + 1];
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(level_names[level]));
    json_object_set_new(o, "event", json_string(clean(event, v)));
    if (msg)
        json_object_set_new(o, "msg", json_string(clean(msg, v)));
    for (size_t i = 0; i < n; i++)
        if (fields[i].type != ND_LF_STR || fields[i].v.s)
            json_object_set_new(o, fields[i].key, json_value(&fields[i]));
    char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(o);
    size_t len = text ? strlen(text) : 0;
    char *line = text ? realloc(text, len + 2) : NULL;
    if (!line) {
        free(text);
        return;
    }
    line[len] = '\n';
    emit(line, len + 1);
    free(line);
}

void nd_log_fields(nd_log_level level, const char *event, const char *msg,
                   const nd_log_field *fields, size_t n)
{
    char ts[32];
    timestamp(ts);
    if (log_format == ND_LOG_JSON)
        write_json(ts, level, event, msg, fields, n);
    else
        write_text(ts, level, event, msg, fields, n);
}

void nd_logv(nd_log_level level, const char *event, const char *fmt,
             va_list ap)
{
    char msg[VALUE_MAX + 1];
    vsnprintf(msg, sizeof msg, fmt, ap);
    nd_log_fields(level, event, msg, NULL, 0);
}

void nd_logf(nd_log_level level, const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nd_logv(level, event, fmt, ap);
    va_end(ap);
}
