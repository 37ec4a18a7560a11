/* Unit tests for backoff: full-jitter bounds, growth, cap, reset, seeding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <math.h>
#include <cmocka.h>

#include "backoff.h"

#define SEED	0x1234abcd5678ef90ULL
#define SAMPLES	4000

/* The delay of a fresh backoff after n failures already counted. */
static double
delay_at(struct backoff *b, unsigned n)
{
	backoff_reset(b);
	b->attempt = n;
	return backoff_next(b);
}

static void
test_bounds_and_growth(void **state)
{
	struct backoff b;
	double d, max, sum, ceiling;
	unsigned n, i;

	(void)state;
	backoff_init(&b, 1.0, 20.0, SEED);
	for (n = 0; n < 12; n++) {
		ceiling = n < 5 ? (double)(1u << n) : 20.0;
		max = sum = 0;
		for (i = 0; i < SAMPLES; i++) {
			d = delay_at(&b, n);
			assert_true(d >= 0 && d < ceiling);
			if (d > max)
				max = d;
			sum += d;
		}
		/* Uniform on [0, ceiling): max near the top, mean near half. */
		assert_true(max > 0.95 * ceiling);
		assert_true(fabs(sum / SAMPLES - ceiling / 2) < 0.05 * ceiling);
	}
}

static void
test_sequence_counts_attempts(void **state)
{
	struct backoff b;
	unsigned i;

	(void)state;
	backoff_init(&b, 0.5, 8.0, SEED);
	for (i = 0; i < 10; i++) {
		assert_int_equal(b.attempt, i);
		assert_true(backoff_next(&b) < 8.0);
	}
	backoff_reset(&b);
	assert_int_equal(b.attempt, 0);
	assert_true(backoff_next(&b) < 0.5);
	assert_int_equal(b.attempt, 1);
}

static void
test_deterministic_seed(void **state)
{
	struct backoff a, b, c;
	int i, differ = 0;

	(void)state;
	backoff_init(&a, 1.0, 20.0, SEED);
	backoff_init(&b, 1.0, 20.0, SEED);
	backoff_init(&c, 1.0, 20.0, SEED + 1);
	for (i = 0; i < 50; i++) {
		double da = backoff_next(&a), dc = backoff_next(&c);

		assert_true(da == backoff_next(&b));
		differ |= da != dc;
	}
	assert_true(differ);
}

static void
test_zero_seed_is_usable(void **state)
{
	struct backoff b;
	double first;
	int i, moved = 0;

	(void)state;
	backoff_init(&b, 1.0, 1.0, 0);
	assert_true(b.rng != 0);
	first = backoff_next(&b);
	for (i = 0; i < 20; i++)
		moved |= backoff_next(&b) != first;
	assert_true(moved);
}

static void
test_long_outage_stays_capped(void **state)
{
	struct backoff b;
	double d;

	(void)state;
	backoff_init(&b, 2.0, 60.0, SEED);
	d = delay_at(&b, UINT_MAX - 1);
	assert_true(isfinite(d) && d >= 0 && d < 60.0);
	d = backoff_next(&b);	/* attempt saturates */
	assert_true(isfinite(d) && d < 60.0);
	assert_int_equal(b.attempt, UINT_MAX);
	d = backoff_next(&b);
	assert_int_equal(b.attempt, UINT_MAX);
	assert_true(d < 60.0);
}

static void
test_odd_parameters(void **state)
{
	struct backoff b;
	int i;

	(void)state;
	backoff_init(&b, 5.0, 1.0, SEED);	/* cap below base: base wins */
	assert_true(b.cap == 5.0);
	for (i = 0; i < 100; i++)
		assert_true(backoff_next(&b) < 5.0);
	backoff_init(&b, 0, 0, SEED);		/* no delay at all */
	for (i = 0; i < 10; i++)
		assert_true(backoff_next(&b) == 0);
	backoff_init(&b, -1, -3, SEED);
	assert_true(backoff_next(&b) == 0);
}

/* Seeds of two calls differ (the clock moves), and neither is 0. */
static void
test_seed(void **state)
{
	uint64_t a, b;

	(void)state;
	a = backoff_seed();
	b = backoff_seed();
	assert_true(a != 0 && b != 0);
	assert_true(a != b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds_and_growth),
		cmocka_unit_test(test_sequence_counts_attempts),
		cmocka_unit_test(test_deterministic_seed),
		cmocka_unit_test(test_zero_seed_is_usable),
		cmocka_unit_test(test_long_outage_stays_capped),
		cmocka_unit_test(test_odd_parameters),
		cmocka_unit_test(test_seed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
