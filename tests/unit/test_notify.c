/*
 * Unit tests for notify: a fake service manager (a datagram socket on a
 * temporary path, or an abstract name) receives the exact messages, with
 * the sender's credentials that NotifyAccess=main relies on.
 */
#define _GNU_SOURCE	/* struct ucred, SCM_CREDENTIALS */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "notify.h"

struct fake_manager {
	int	fd;
	char	dir[64];
	char	path[128];
};

/* Bind a datagram socket that receives credentials, like systemd's. */
static int
fake_socket(const struct sockaddr_un *sun, socklen_t len)
{
	int fd, one = 1;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one,
	    sizeof(one)), 0);
	assert_int_equal(bind(fd, (const struct sockaddr *)sun, len), 0);
	return fd;
}

static int
setup_path(void **state)
{
	struct fake_manager *m = calloc(1, sizeof(*m));
	struct sockaddr_un sun;

	assert_non_null(m);
	strcpy(m->dir, "/tmp/vpcflowd-test-notify-XXXXXX");
	assert_non_null(mkdtemp(m->dir));
	snprintf(m->path, sizeof(m->path), "%s/notify", m->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, m->path);
	m->fd = fake_socket(&sun, sizeof(sun));
	setenv("NOTIFY_SOCKET", m->path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	*state = m;
	return 0;
}

static int
teardown_path(void **state)
{
	struct fake_manager *m = *state;

	close(m->fd);
	unlink(m->path);
	rmdir(m->dir);
	free(m);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

/*
 * Receive one datagram into out (NUL-terminated) and check that it carries
 * our pid; returns its length, or -1 when nothing is queued.
 */
static ssize_t
fake_recv(struct fake_manager *m, char *out, size_t size)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	struct iovec iov = { out, size - 1 };
	struct msghdr mh;
	struct cmsghdr *c;
	struct ucred cred;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);
	if ((n = recvmsg(m->fd, &mh, MSG_DONTWAIT)) == -1) {
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		return -1;
	}
	assert_false(mh.msg_flags & MSG_TRUNC);
	out[n] = '\0';
	c = CMSG_FIRSTHDR(&mh);
	assert_non_null(c);
	assert_int_equal(c->cmsg_type, SCM_CREDENTIALS);
	memcpy(&cred, CMSG_DATA(c), sizeof(cred));
	assert_int_equal(cred.pid, getpid());
	return n;
}

/* The next datagram is exactly want, and it is the only one queued. */
static void
expect_only(struct fake_manager *m, const char *want)
{
	char got[4096];

	assert_true(fake_recv(m, got, sizeof(got)) >= 0);
	assert_string_equal(got, want);
	assert_int_equal(fake_recv(m, got, sizeof(got)), -1);
}

static void
expect_nothing(struct fake_manager *m)
{
	char got[4096];

	assert_int_equal(fake_recv(m, got, sizeof(got)), -1);
}

static void
test_noop_without_socket(void **state)
{
	struct fake_manager *m = *state;
	const char *values[] = { NULL, "" };
	size_t i;

	setenv("WATCHDOG_USEC", "60000000", 1);
	for (i = 0; i < 2; i++) {
		if (values[i] == NULL)
			unsetenv("NOTIFY_SOCKET");
		else
			setenv("NOTIFY_SOCKET", values[i], 1);
		assert_int_equal(notify_ready(), 0);
		assert_int_equal(notify_status("x %d", 1), 0);
		assert_int_equal(notify_stopping(), 0);
		assert_int_equal(notify_reloading(), 0);
		assert_int_equal(notify_watchdog(), 0);
		assert_int_equal(notify_send("FDSTORE=1"), 0);
		assert_true(notify_watchdog_interval_usec() == 0);
	}
	expect_nothing(m);
}

static void
test_messages(void **state)
{
	struct fake_manager *m = *state;

	assert_int_equal(notify_ready(), 1);
	expect_only(m, "READY=1");
	assert_int_equal(notify_status("read %d, shipped %d, lag %ds", 120,
	    118, 42), 1);
	expect_only(m, "STATUS=read 120, shipped 118, lag 42s");
	assert_int_equal(notify_stopping(), 1);
	expect_only(m, "STOPPING=1");
	assert_int_equal(notify_send("READY=1\nSTATUS=reloaded"), 1);
	expect_only(m, "READY=1\nSTATUS=reloaded");
	/* No watchdog was asked for: nothing to send. */
	assert_int_equal(notify_watchdog(), 0);
	expect_nothing(m);
}

static uint64_t
monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
test_reloading(void **state)
{
	struct fake_manager *m = *state;
	char got[4096], *end;
	uint64_t before, after, v;
	const char *prefix = "RELOADING=1\nMONOTONIC_USEC=";

	before = monotonic_usec();
	assert_int_equal(notify_reloading(), 1);
	after = monotonic_usec();
	assert_true(fake_recv(m, got, sizeof(got)) > 0);
	assert_memory_equal(got, prefix, strlen(prefix));
	v = strtoull(got + strlen(prefix), &end, 10);
	assert_string_equal(end, "");
	assert_true(v >= before && v <= after);
	expect_nothing(m);
}

static void
test_status_sanitized(void **state)
{
	struct fake_manager *m = *state;
	char got[8192], *big;
	size_t i, n;

	/* A newline in a log group name must not smuggle in READY=1. */
	assert_int_equal(notify_status("group %s\r\n", "a\nREADY=1\tb\x7f"), 1);
	expect_only(m, "STATUS=group a READY=1 b   ");

	/* Cut at NOTIFY_MAX, never inside a two-byte character. */
	big = malloc(3 * NOTIFY_MAX + 1);
	assert_non_null(big);
	for (i = 0; i < 3 * NOTIFY_MAX / 2; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[2 * i] = '\0';
	assert_int_equal(notify_status("%s", big), 1);
	n = (size_t)fake_recv(m, got, sizeof(got));
	assert_true(n <= NOTIFY_MAX && n >= NOTIFY_MAX - 1);
	assert_memory_equal(got, "STATUS=", 7);
	assert_true((n - 7) % 2 == 0);
	assert_memory_equal(got + 7, big, n - 7);
	free(big);
	expect_nothing(m);
}

static void
test_watchdog(void **state)
{
	struct fake_manager *m = *state;
	const char *bad[] = { "", "0", "abc", "-5", "12x", "99999999999999999999" };
	char pid[32];
	size_t i;

	setenv("WATCHDOG_USEC", "60000000", 1);
	assert_true(notify_watchdog_interval_usec() == 30000000);
	assert_int_equal(notify_watchdog(), 1);
	expect_only(m, "WATCHDOG=1");

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_true(notify_watchdog_interval_usec() == 30000000);
	assert_int_equal(notify_watchdog(), 1);
	expect_only(m, "WATCHDOG=1");

	/* The watchdog belongs to another process (e.g. a wrapper). */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_true(notify_watchdog_interval_usec() == 0);
	assert_int_equal(notify_watchdog(), 0);
	setenv("WATCHDOG_PID", "", 1);
	assert_true(notify_watchdog_interval_usec() == 0);
	unsetenv("WATCHDOG_PID");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("WATCHDOG_USEC", bad[i], 1);
		assert_true(notify_watchdog_interval_usec() == 0);
		assert_int_equal(notify_watchdog(), 0);
	}
	setenv("WATCHDOG_USEC", "1", 1);
	assert_true(notify_watchdog_interval_usec() == 1);
	expect_nothing(m);
}

static void
test_abstract(void **state)
{
	struct fake_manager am;
	struct sockaddr_un sun;
	char name[64];
	size_t n;

	(void)state;
	n = (size_t)snprintf(name, sizeof(name), "@vpcflowd-test-notify-%ld-%ld",
	    (long)getpid(), (long)time(NULL));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, name + 1, n - 1);
	am.fd = fake_socket(&sun, (socklen_t)(offsetof(struct sockaddr_un,
	    sun_path) + n));
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(notify_ready(), 1);
	expect_only(&am, "READY=1");
	assert_int_equal(notify_stopping(), 1);
	expect_only(&am, "STOPPING=1");
	close(am.fd);
}

/* Send stderr into a non-blocking pipe; returns its read end. */
static int
stderr_to_pipe(int *saved)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	fflush(stderr);
	*saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	return p[0];
}

/* What was logged since the last call (empty string when nothing). */
static const char *
logged(int rfd)
{
	static char text[4096];
	ssize_t n;

	fflush(stderr);
	n = read(rfd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void
test_errors_logged_once(void **state)
{
	struct fake_manager *m = *state;
	char longpath[200], want[256];
	int rfd, saved;

	setenv("JOURNAL_STREAM", "8:1", 1);	/* "<N>" prefixes, no clock */
	log_init(0);
	rfd = stderr_to_pipe(&saved);

	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	assert_int_equal(notify_ready(), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_non_null(strstr(logged(rfd), "<4>systemd notification READY "
	    "to relative/notify failed: "));

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longpath, 1);
	assert_int_equal(notify_ready(), -1);
	assert_int_equal(errno, ENAMETOOLONG);

	setenv("NOTIFY_SOCKET", "/nonexistent-vpcflowd/notify", 1);
	assert_int_equal(notify_reloading(), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(logged(rfd), "");	/* still the same failure run */

	setenv("NOTIFY_SOCKET", m->path, 1);
	assert_int_equal(notify_ready(), 1);
	snprintf(want, sizeof(want), "<6>systemd notifications to %s work "
	    "again\n", m->path);
	assert_string_equal(logged(rfd), want);
	expect_only(m, "READY=1");
	assert_int_equal(notify_ready(), 1);
	assert_string_equal(logged(rfd), "");
	expect_only(m, "READY=1");

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(rfd);
	unsetenv("JOURNAL_STREAM");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_noop_without_socket,
		    setup_path, teardown_path),
		cmocka_unit_test_setup_teardown(test_messages,
		    setup_path, teardown_path),
		cmocka_unit_test_setup_teardown(test_reloading,
		    setup_path, teardown_path),
		cmocka_unit_test_setup_teardown(test_status_sanitized,
		    setup_path, teardown_path),
		cmocka_unit_test_setup_teardown(test_watchdog,
		    setup_path, teardown_path),
		cmocka_unit_test_setup_teardown(test_abstract,
		    setup_path, teardown_path),
		cmocka_unit_test_setup_teardown(test_errors_logged_once,
		    setup_path, teardown_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
