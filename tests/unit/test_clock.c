/* Unit tests for clock: units, agreement between the two monotonic forms, real time, CPU time. */
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

/* CPU time grows with work, not with sleep, and is in seconds. */
static void
test_cpu_time(void **state)
{
	struct timespec nap = { 0, 200 * 1000 * 1000 };
	volatile uint64_t x = 1;
	double a, b, c;
	int i;

	(void)state;
	a = clock_cpu_s();
	nanosleep(&nap, NULL);
	b = clock_cpu_s();
	assert_true(b >= a && b - a < 0.1);
	for (i = 0; i < 50000000; i++)
		x = x * 6364136223846793005ULL + 1;
	c = clock_cpu_s();
	assert_true(c > b && c - b < 60);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic_units_agree),
		cmocka_unit_test(test_epoch_is_real_time),
		cmocka_unit_test(test_cpu_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
