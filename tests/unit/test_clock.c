/* Unit tests for clock: units, agreement between the two monotonic forms, real time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "clock.h"

static void
test_monotonic_units_agree(void **state)
{
	int64_t a, c;
	double b;

	(void)state;
	a = clock_mono_ms();
	b = clock_mono_s();
	c = clock_mono_ms();
	assert_true(c >= a);
	assert_true(b * 1000 >= (double)a - 1 && b * 1000 <= (double)c + 1);
}

static void
test_epoch_is_real_time(void **state)
{
	int64_t ms;
	time_t t;

	(void)state;
	t = time(NULL);
	ms = clock_epoch_ms();
	assert_true(ms / 1000 >= (int64_t)t - 1 && ms / 1000 <= (int64_t)t + 1);
	assert_true(ms > 1700000000000LL);	/* after 2023-11: milliseconds, not seconds */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic_units_agree),
		cmocka_unit_test(test_epoch_is_real_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
