/*
 * test_es_sysex.c - estel-sysex, the system extension's executable, run
 * against the fake ES runtime: it starts the runtime with the es source,
 * stops cleanly on SIGTERM (exit 0) and maps usage and configuration
 * errors to exit status 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#ifndef ESTEL_SYSEX_BIN
#define ESTEL_SYSEX_BIN "estel-sysex"
#endif

struct child {
    pid_t pid;
    int err_fd;                     /* its stderr */
    char out[8192];
    size_t len;
};

static void
spawn(struct child *c, char *const argv[])
{
    int fds[2];

    memset(c, 0, sizeof(*c));
    assert_int_equal(pipe(fds), 0);
    c->pid = fork();
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(fds[1], STDERR_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        execv(ESTEL_SYSEX_BIN, argv);
        _exit(127);
    }
    close(fds[1]);
    c->err_fd = fds[0];
}

/* Read the child's output until needle shows up or timeout_ms passes. */
static bool
read_until(struct child *c, const char *needle, int timeout_ms)
{
    struct pollfd p = { c->err_fd, POLLIN, 0 };

    for (int waited = 0; waited < timeout_ms; waited += 50) {
        c->out[c->len] = '\0';
        if (needle != NULL && strstr(c->out, needle) != NULL)
            return true;
        if (poll(&p, 1, 50) > 0) {
            ssize_t n = read(c->err_fd, c->out + c->len,
                             sizeof(c->out) - 1 - c->len);

            if (n <= 0)
                break;
            c->len += (size_t)n;
        }
    }
    c->out[c->len] = '\0';
    return needle != NULL && strstr(c->out, needle) != NULL;
}

/* Wait for the child's exit status (-1 if it did not exit in time). */
static int
finish(struct child *c, int timeout_ms)
{
    int status;

    for (int waited = 0; waited < timeout_ms; waited += 10) {
        pid_t r = waitpid(c->pid, &status, WNOHANG);

        if (r == c->pid) {
            (void)read_until(c, NULL, 100);
            close(c->err_fd);
            return WIFEXITED(status) ? WEXITSTATUS(status) :
                   128 + WTERMSIG(status);
        }
        usleep(10000);
    }
    kill(c->pid, SIGKILL);
    waitpid(c->pid, &status, 0);
    close(c->err_fd);
    return -1;
}

static void
test_es_sysex_runs_and_stops_on_sigterm(void **state)
{
    char spool[] = "/tmp/test_es_sysex.XXXXXX";
    char *argv[] = { "estel-sysex", "--spool", spool, NULL };
    char rm[64];
    struct child c;

    (void)state;
    assert_non_null(mkdtemp(spool));
    spawn(&c, argv);
    if (!read_until(&c, "starting: source es", 10000))
        fail_msg("estel-sysex did not start:\n%s", c.out);
    assert_int_equal(kill(c.pid, SIGTERM), 0);
    if (finish(&c, 10000) != 0)
        fail_msg("estel-sysex did not exit 0 on SIGTERM:\n%s", c.out);
    assert_non_null(strstr(c.out, "signal 15: stopping"));
    assert_non_null(strstr(c.out, "stopped:"));
    /* the spool was used (and released) */
    c.len = 0;
    spawn(&c, argv);
    assert_true(read_until(&c, "starting: source es", 10000));
    kill(c.pid, SIGTERM);
    assert_int_equal(finish(&c, 10000), 0);
    snprintf(rm, sizeof(rm), "rm -rf '%s'", spool);
    assert_int_equal(system(rm), 0);
}

static void
test_es_sysex_usage_and_config_errors(void **state)
{
    char *bad_opt[] = { "estel-sysex", "--bogus", NULL };
    char *bad_cfg[] = { "estel-sysex", "--config",
                        "/nonexistent/estel.plist", NULL };
    char *help[] = { "estel-sysex", "--help", NULL };
    struct child c;

    (void)state;
    spawn(&c, bad_opt);
    assert_int_equal(finish(&c, 10000), 2);
    assert_non_null(strstr(c.out, "usage: estel-sysex"));
    spawn(&c, bad_cfg);
    assert_int_equal(finish(&c, 10000), 2);
    assert_non_null(strstr(c.out, "/nonexistent/estel.plist"));
    spawn(&c, help);
    assert_int_equal(finish(&c, 10000), 0);
    assert_non_null(strstr(c.out, "Full Disk Access"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_es_sysex_runs_and_stops_on_sigterm),
        cmocka_unit_test(test_es_sysex_usage_and_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
