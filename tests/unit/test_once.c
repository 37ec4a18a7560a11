/* Unit tests for once: the window read for each start_position. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "once.h"

#define NOW	1700000000123LL

static void
test_window_beginning(void **state)
{
	struct config_start s = { CONFIG_START_BEGINNING, 0, 0 };
	int64_t start, end;

	(void)state;
	assert_int_equal(once_window(&s, NOW, &start, &end), 0);
	assert_int_equal(start, -1);
	assert_int_equal(end, NOW);
}

/* "end" without a checkpoint: from now on, so nothing for one pass. */
static void
test_window_end(void **state)
{
	struct config_start s = { CONFIG_START_END, 0, 0 };
	int64_t start, end;

	(void)state;
	assert_int_equal(once_window(&s, NOW, &start, &end), 1);
	assert_int_equal(start, NOW);
	assert_int_equal(end, NOW);
}

static void
test_window_relative(void **state)
{
	struct config_start s = { CONFIG_START_RELATIVE, 7200, 0 };
	int64_t start, end;

	(void)state;
	assert_int_equal(once_window(&s, NOW, &start, &end), 0);
	assert_int_equal(start, NOW - 7200000);
	assert_int_equal(end, NOW);
	/* Further back than the epoch: from the epoch. */
	s.seconds = 1000000000000L;
	assert_int_equal(once_window(&s, NOW, &start, &end), 0);
	assert_int_equal(start, 0);
}

static void
test_window_absolute(void **state)
{
	struct config_start s = { CONFIG_START_ABSOLUTE, 0, 1600000000000LL };
	int64_t start, end;

	(void)state;
	assert_int_equal(once_window(&s, NOW, &start, &end), 0);
	assert_int_equal(start, 1600000000000LL);
	assert_int_equal(end, NOW);
	/* In the future: nothing yet. */
	s.epoch_ms = NOW + 1;
	assert_int_equal(once_window(&s, NOW, &start, &end), 1);
	s.epoch_ms = NOW;
	assert_int_equal(once_window(&s, NOW, &start, &end), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_beginning),
		cmocka_unit_test(test_window_end),
		cmocka_unit_test(test_window_relative),
		cmocka_unit_test(test_window_absolute),
	};

	log_init(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
