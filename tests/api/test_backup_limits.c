/* test_backup_limits.c — what backups may hold: POST /v1/admin/backup
 * copies open at once are bounded by --max-backups (429 with Retry-After
 * past it, while readers stall), and a slot comes back when its reader
 * goes; `neurond backup FILE` removes what a killed one left. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "harness.h"
#include "jobs_helpers.h"

static api_server srv;

static void teardown(void)
{
    api_cleanup(&srv);
}

TestSuite(backup_limits, .fini = teardown, .timeout = 120);

/* A database of about 10 MB: more than the loopback socket buffers of a
 * reader that stops reading, so its copy stays open on the server. */
static void fill_database(void)
{
    api_response r = api_json(&srv, "POST", "/v1/datasets",
                              "{\"name\":\"big\",\"generator\":\"gauss\","
                              "\"n\":800000}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    api_free(&r);
}

/* Starts a backup on a connection with a 4 KiB receive buffer, reads its
 * status line and then nothing more: a client that stalls. Returns the
 * socket, to close when done. */
static int stalled_backup(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), small = 4096;
    cr_assert_geq(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    static const char req[] = "POST /v1/admin/backup HTTP/1.1\r\nHost: x\r\n"
                              "Content-Length: 0\r\n\r\n";
    cr_assert_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    char head[64] = "";
    ssize_t n = read(fd, head, sizeof head - 1);
    cr_assert_gt(n, 12, "no reply to the backup");
    head[n] = '\0';
    cr_assert(strncmp(head, "HTTP/1.1 200", 12) == 0, "%s", head);
    return fd;
}

/* POST /v1/admin/backup until it is 200 (the whole copy read), at most
 * timeout_s; returns the number of 429s seen before. */
static int backup_until_200(double timeout_s)
{
    struct timespec ts = {0, 50000000};
    for (int i = 0, refused = 0; i < (int)(timeout_s * 20); i++) {
        api_response r = api_call(&srv, "POST", "/v1/admin/backup", NULL,
                                  NULL, 0);
        long status = r.status;
        api_free(&r);
        if (status == 200)
            return refused;
        cr_assert_eq(status, 429, "a backup answered %ld", status);
        refused++;
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("no backup slot came back in %.0f s", timeout_s);
    return -1;
}

Test(backup_limits, copies_past_max_backups_are_429_while_readers_stall)
{
    API_SQLITE_ONLY("the backup copies a SQLite file (PostgreSQL: pg_dump)");
    api_start(&srv, (const char *[]){"--max-backups", "2", NULL});
    fill_database();
    int stalled[2] = {stalled_backup(srv.port), stalled_backup(srv.port)};
    api_response r = api_call(&srv, "POST", "/v1/admin/backup", NULL, NULL, 0);
    api_assert_problem(&r, 429, NULL);
    cr_assert(strstr(api_str(&r, "detail"), "--max-backups"), "%s", r.body);
    cr_assert(r.retry_after[0], "429 without Retry-After");
    api_free(&r);
    /* A reader that goes frees its copy and its slot. */
    close(stalled[0]);
    backup_until_200(10);
    close(stalled[1]);
    char *log = api_log_with(&srv, "event=backup.refused");
    cr_assert(strstr(log, "event=backup.refused"), "no log line: %s", log);
    free(log);
}

/* Creates the file dir/name holding a few bytes; returns it open. */
static int touch(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0, "%s", path);
    cr_assert_eq(write(fd, "partial", 7), 7);
    return fd;
}

static bool present(const char *dir, const char *name)
{
    char path[512];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &sb) == 0;
}

/* What a `neurond backup FILE` killed midway leaves, FILE.tmp-XXXXXX and
 * its journal, goes with the next backup to FILE; look-alikes stay, and
 * so does a copy another backup still writes (it holds it locked). */
Test(backup_limits, a_cli_backup_removes_what_a_killed_one_left)
{
    API_SQLITE_ONLY("the backup copies a SQLite file (PostgreSQL: pg_dump)");
    api_start(&srv, NULL);
    char ds[64];
    make_generated(&srv, "xor", ds);
    static const char *const stale[] = {"copy.db.tmp-a1B2c3",
                                        "copy.db.tmp-a1B2c3-journal",
                                        "copy.db.tmp-Zz9Yy8-journal"};
    static const char *const kept[] = {"copy.db.tmp-keep",
                                       "copy.db.tmp-a1B2c3.txt",
                                       "other.db.tmp-a1B2c3"};
    for (int i = 0; i < 3; i++) {
        close(touch(srv.dir, stale[i]));
        close(touch(srv.dir, kept[i]));
    }
    int live = touch(srv.dir, "copy.db.tmp-LiVe42");
    cr_assert_eq(flock(live, LOCK_EX), 0);
    close(touch(srv.dir, "copy.db.tmp-LiVe42-journal"));
    char args[1200], out[2048];
    snprintf(args, sizeof args, "--db '%s' backup '%s/copy.db'", srv.db,
             srv.dir);
    cr_assert_eq(api_cli(args, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "removed 3 files"), "%s", out);
    for (int i = 0; i < 3; i++) {
        cr_assert_not(present(srv.dir, stale[i]), "%s is left", stale[i]);
        cr_assert(present(srv.dir, kept[i]), "%s was removed", kept[i]);
    }
    cr_assert(present(srv.dir, "copy.db.tmp-LiVe42"), "a copy in use went");
    cr_assert(present(srv.dir, "copy.db.tmp-LiVe42-journal"));
    cr_assert(present(srv.dir, "copy.db"));
    close(live);
}
