/* Unit tests for log: levels, journald priority prefixes, timestamps. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "log.h"

static char capture_path[] = "/tmp/vpcflowd-test-log-XXXXXX";
static int saved_stderr = -1;

/* Point stderr at a fresh temporary file. */
static void
capture_start(void)
{
	int fd;

	strcpy(capture_path, "/tmp/vpcflowd-test-log-XXXXXX");
	fd = mkstemp(capture_path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Restore stderr and return what was written meanwhile. */
static void
capture_end(struct buf *out)
{
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	buf_reset(out);
	assert_int_equal(buf_read_file(out, capture_path), 0);
	unlink(capture_path);
}

static void
test_journald_prefixes(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	setenv("JOURNAL_STREAM", "8:12345", 1);
	log_init(1);
	capture_start();
	log_warnx("w %d", 1);
	log_info("i");
	log_debug("d");
	log_trace("t (not shown at -v)");
	errno = ENOENT;
	log_warn("open %s", "x");
	capture_end(&out);
	assert_string_equal(out.data,
	    "<4>w 1\n<6>i\n<7>d\n<4>open x: No such file or directory\n");
	buf_free(&out);
}

static void
test_levels_quiet(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	setenv("JOURNAL_STREAM", "8:12345", 1);
	log_init(-1);
	assert_false(log_enabled(LOG_LEVEL_INFO));
	assert_true(log_enabled(LOG_LEVEL_WARNING));
	capture_start();
	log_info("hidden");
	log_notice("hidden too");
	log_warnx("shown");
	capture_end(&out);
	assert_string_equal(out.data, "<4>shown\n");
	log_init(2);
	assert_true(log_enabled(LOG_LEVEL_TRACE));
	buf_free(&out);
}

static void
test_timestamps_without_journald(void **state)
{
	struct buf out = BUF_INIT;
	int y, mo, d, h, mi, s, ms, n = 0;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	log_init(0);
	capture_start();
	log_info("hello %s", "there");
	capture_end(&out);
	assert_int_equal(sscanf(out.data, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ info: %n",
	    &y, &mo, &d, &h, &mi, &s, &ms, &n), 7);
	assert_true(n > 0);
	assert_string_equal(out.data + n, "hello there\n");
	assert_true(y >= 2024 && mo >= 1 && mo <= 12);
	buf_free(&out);
}

static void
test_long_line_truncated(void **state)
{
	struct buf out = BUF_INIT;
	char big[10000];

	(void)state;
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_init(0);
	capture_start();
	log_warnx("%s", big);
	capture_end(&out);
	assert_true(out.len < 4200);
	assert_int_equal(out.data[out.len - 1], '\n');
	assert_memory_equal(out.data, "<4>yyy", 6);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journald_prefixes),
		cmocka_unit_test(test_levels_quiet),
		cmocka_unit_test(test_timestamps_without_journald),
		cmocka_unit_test(test_long_line_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
