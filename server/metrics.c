/* metrics.c — lock-free counters and the Prometheus exposition (see
 * metrics.h). */
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "metrics.h"
#include "version.h"

#define MAX_ROUTES 64 /* the route table has fewer (checked at init) */

/* Unmatched requests keep their method only from this bounded set. */
static const char *const methods[] = {"GET",    "HEAD",    "POST",
                                      "PUT",    "DELETE",  "PATCH",
                                      "OPTIONS", "other"};
#define N_METHODS (sizeof methods / sizeof *methods)

/* Every status neurond replies with; any other counts as "other". */
static const unsigned statuses[] = {200, 201, 202, 204, 400, 401, 404, 405,
                                    409, 413, 415, 422, 429, 499, 500, 503};
#define N_STATUSES (sizeof statuses / sizeof *statuses)

/* Latency buckets (seconds): loopback API calls take well under a
 * millisecond, predictions and lists a few, CSV uploads seconds; an event
 * stream lasts as long as its job and lands in the top buckets of its own
 * route, which is why the histogram is per route. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                5,      10,    30,     60};
#define N_BOUNDS (sizeof bounds / sizeof *bounds)

/* Request slots: the routes, then unmatched requests by method. */
static atomic_ullong requests[MAX_ROUTES + N_METHODS][N_STATUSES + 1];
/* Latency slots: the routes, then one for every unmatched request;
 * bucket N_BOUNDS is +Inf (counts are per bucket, not cumulative). */
static atomic_ullong buckets[MAX_ROUTES + 1][N_BOUNDS + 1];
static atomic_ullong latency_us[MAX_ROUTES + 1];

static atomic_ullong epochs_total, samples_total, sqlite_errors;
static _Atomic double job_rate[ND_METRICS_MAX_WORKERS];
static double start_time, start_mono; /* Unix seconds, monotonic */

static double now_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int nd_metrics_init(char *err, size_t errlen)
{
    unsigned n;
    nd_routes(&n);
    if (n > MAX_ROUTES) {
        snprintf(err, errlen, "%u routes; metrics count at most %d", n,
                 MAX_ROUTES);
        return -1;
    }
    start_time = now_s(CLOCK_REALTIME);
    start_mono = nd_clock_ms() / 1e3;
    return 0;
}

static size_t method_slot(const char *method)
{
    for (size_t i = 0; i + 1 < N_METHODS; i++)
        if (strcmp(methods[i], method) == 0)
            return i;
    return N_METHODS - 1;
}

static size_t status_slot(unsigned status)
{
    for (size_t i = 0; i < N_STATUSES; i++)
        if (statuses[i] == status)
            return i;
    return N_STATUSES;
}

static void add(atomic_ullong *c, unsigned long long n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static unsigned long long get(atomic_ullong *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

void nd_metrics_request(const nd_route *route, const char *method,
                        unsigned status, double seconds)
{
    unsigned n;
    const nd_route *table = nd_routes(&n);
    size_t r = route ? (size_t)(route - table) : MAX_ROUTES;
    size_t slot = route ? r : MAX_ROUTES + method_slot(method);
    add(&requests[slot][status_slot(status)], 1);
    size_t b = 0;
    while (b < N_BOUNDS && seconds > bounds[b])
        b++;
    add(&buckets[r][b], 1);
    add(&latency_us[r], (unsigned long long)(seconds * 1e6 + 0.5));
}

void nd_metrics_epoch(size_t samples)
{
    add(&epochs_total, 1);
    add(&samples_total, samples);
}

void nd_metrics_job_rate(unsigned worker, double samples_per_s)
{
    if (worker < ND_METRICS_MAX_WORKERS)
        atomic_store_explicit(&job_rate[worker], samples_per_s,
                              memory_order_relaxed);
}

void nd_metrics_sqlite_error(void)
{
    add(&sqlite_errors, 1);
}

static void family(FILE *f, const char *name, const char *type,
                   const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The route and method labels of request slot i. */
static void slot_labels(size_t i, const nd_route *table, const char **route,
                        const char **method)
{
    *route = i < MAX_ROUTES ? table[i].pattern : "unmatched";
    *method = i < MAX_ROUTES ? table[i].method : methods[i - MAX_ROUTES];
}

static void render_requests(FILE *f, const nd_route *table, unsigned n)
{
    family(f, "neurond_http_requests_total", "counter",
           "HTTP requests answered, by method, route template and status "
           "(499: the client left before the reply).");
    for (size_t i = 0; i < MAX_ROUTES + N_METHODS; i++) {
        if (i >= n && i < MAX_ROUTES)
            continue;
        const char *route, *method;
        slot_labels(i, table, &route, &method);
        for (size_t s = 0; s <= N_STATUSES; s++) {
            unsigned long long v = get(&requests[i][s]);
            if (!v)
                continue;
            char code[8] = "other";
            if (s < N_STATUSES)
                snprintf(code, sizeof code, "%u", statuses[s]);
            fprintf(f,
                    "neurond_http_requests_total{method=\"%s\",route=\"%s\","
                    "status=\"%s\"} %llu\n",
                    method, route, code, v);
        }
    }
}

/* One route's histogram series; nothing when it saw no request. */
static void render_route_latency(FILE *f, size_t r, const char *route)
{
    unsigned long long cum = 0;
    for (size_t b = 0; b <= N_BOUNDS; b++)
        cum += get(&buckets[r][b]);
    if (!cum)
        return;
    const char *name = "neurond_http_request_duration_seconds";
    cum = 0;
    for (size_t b = 0; b <= N_BOUNDS; b++) {
        cum += get(&buckets[r][b]);
        if (b < N_BOUNDS)
            fprintf(f, "%s_bucket{route=\"%s\",le=\"%g\"} %llu\n", name,
                    route, bounds[b], cum);
        else
            fprintf(f, "%s_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", name,
                    route, cum);
    }
    fprintf(f, "%s_sum{route=\"%s\"} %.6f\n%s_count{route=\"%s\"} %llu\n",
            name, route, (double)get(&latency_us[r]) / 1e6, name, route, cum);
}

static void render_latency(FILE *f, const nd_route *table, unsigned n)
{
    family(f, "neurond_http_request_duration_seconds", "histogram",
           "Time from a request's headers to its reply's last byte, by "
           "route template (an event stream: its whole life).");
    for (unsigned r = 0; r < n; r++)
        render_route_latency(f, r, table[r].pattern);
    render_route_latency(f, MAX_ROUTES, "unmatched");
}

static void render_training(FILE *f, const nd_metrics_gauges *g)
{
    family(f, "neurond_training_epochs_total", "counter",
           "Epochs trained by every job since the server started.");
    fprintf(f, "neurond_training_epochs_total %llu\n", get(&epochs_total));
    family(f, "neurond_training_samples_total", "counter",
           "Training rows processed (rows per epoch, validation excluded).");
    fprintf(f, "neurond_training_samples_total %llu\n", get(&samples_total));
    double rate = 0;
    for (unsigned w = 0; w < g->workers && w < ND_METRICS_MAX_WORKERS; w++)
        rate += atomic_load_explicit(&job_rate[w], memory_order_relaxed);
    family(f, "neurond_training_samples_per_second", "gauge",
           "Throughput of the jobs training now, summed (over the last "
           "quarter second or more of each).");
    fprintf(f, "neurond_training_samples_per_second %.6g\n", rate);
    family(f, "neurond_workers", "gauge", "Training workers configured.");
    fprintf(f, "neurond_workers %u\n", g->workers);
    family(f, "neurond_workers_busy", "gauge", "Workers training a job now.");
    fprintf(f, "neurond_workers_busy %u\n", g->workers_busy);
}

static void render_jobs(FILE *f, const nd_metrics_gauges *g)
{
    long long queued = 0;
    family(f, "neurond_jobs", "gauge", "Jobs in the store, by state.");
    for (size_t i = 0; i < g->n_states; i++) {
        fprintf(f, "neurond_jobs{state=\"%s\"} %lld\n", g->states[i],
                g->jobs[i]);
        if (strcmp(g->states[i], "queued") == 0)
            queued = g->jobs[i];
    }
    family(f, "neurond_job_queue_length", "gauge",
           "Jobs waiting for a worker.");
    fprintf(f, "neurond_job_queue_length %lld\n", queued);
    family(f, "neurond_job_queue_limit", "gauge",
           "Jobs the queue takes before POST /v1/jobs is 429 "
           "(--max-queued-jobs).");
    fprintf(f, "neurond_job_queue_limit %lld\n", g->queue_limit);
    family(f, "neurond_event_streams", "gauge",
           "Event streams (GET /v1/jobs/{id}/events) open now.");
    fprintf(f, "neurond_event_streams %u\n", g->event_streams);
    family(f, "neurond_sqlite_errors_total", "counter",
           "Errors SQLite reported on any connection.");
    fprintf(f, "neurond_sqlite_errors_total %llu\n", get(&sqlite_errors));
}

/* Entries of /proc/self/fd, less the one opendir holds; −1 if unread. */
static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n - 3; /* ".", ".." and the directory's own descriptor */
}

static void render_process(FILE *f)
{
    unsigned long long pages = 0, resident = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (!statm || fscanf(statm, "%llu %llu", &pages, &resident) != 2)
        pages = resident = 0;
    if (statm)
        fclose(statm);
    unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                 ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) /
                     1e6;
    family(f, "process_resident_memory_bytes", "gauge",
           "Resident memory size in bytes.");
    fprintf(f, "process_resident_memory_bytes %llu\n", resident * page);
    family(f, "process_virtual_memory_bytes", "gauge",
           "Virtual memory size in bytes.");
    fprintf(f, "process_virtual_memory_bytes %llu\n", pages * page);
    family(f, "process_cpu_seconds_total", "counter",
           "User and system CPU time spent in seconds.");
    fprintf(f, "process_cpu_seconds_total %.6f\n", cpu);
    family(f, "process_open_fds", "gauge", "Open file descriptors.");
    fprintf(f, "process_open_fds %ld\n", open_fds());
    family(f, "process_start_time_seconds", "gauge",
           "Start time of the process since the Unix epoch in seconds.");
    fprintf(f, "process_start_time_seconds %.3f\n", start_time);
}

static void render_build(FILE *f)
{
    family(f, "neurond_uptime_seconds", "gauge",
           "Seconds since the server started.");
    fprintf(f, "neurond_uptime_seconds %.3f\n",
            nd_clock_ms() / 1e3 - start_mono);
    family(f, "neurond_build_info", "gauge",
           "Always 1; the labels name the release and its API version.");
    fprintf(f, "neurond_build_info{version=\"%s\",api=\"%s\"} 1\n",
            ND_VERSION, ND_API_VERSION);
}

char *nd_metrics_render(const nd_metrics_gauges *g, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f)
        return NULL;
    unsigned n;
    const nd_route *table = nd_routes(&n);
    render_requests(f, table, n);
    render_latency(f, table, n);
    render_training(f, g);
    render_jobs(f, g);
    render_process(f);
    render_build(f);
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed) {
        free(text);
        return NULL;
    }
    return text;
}
