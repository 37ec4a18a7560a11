/* Unit tests for ratelimit: burst, refill, pacing math, odd clocks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "ratelimit.h"

#define NEAR(a, b)	(fabs((a) - (b)) < 1e-6)

/* Take a token as the AWS client does: wait what is asked, ask again. */
static double
take_waiting(struct ratelimit *r, double *now)
{
	double w, waited = 0;

	while ((w = ratelimit_take(r, *now)) > 0) {
		*now += w;
		waited += w;
	}
	return waited;
}

static void
test_burst_then_wait(void **state)
{
	struct ratelimit r;
	int i;

	(void)state;
	ratelimit_init(&r, 4.0, 4.0, 100.0);
	for (i = 0; i < 4; i++)
		assert_true(ratelimit_take(&r, 100.0) == 0);
	assert_true(NEAR(ratelimit_take(&r, 100.0), 0.25));
	/* Asking again without time passing takes nothing. */
	assert_true(NEAR(ratelimit_take(&r, 100.0), 0.25));
	assert_true(NEAR(ratelimit_take(&r, 100.1), 0.15));
	assert_true(ratelimit_take(&r, 100.25) == 0);
	assert_true(NEAR(ratelimit_take(&r, 100.25), 0.25));
}

static void
test_steady_rate(void **state)
{
	struct ratelimit r;
	double now = 0;
	int i;

	(void)state;
	ratelimit_init(&r, 4.0, 4.0, now);
	for (i = 0; i < 104; i++)
		take_waiting(&r, &now);
	/* 4 from the bucket, then 100 at 4/s. */
	assert_true(NEAR(now, 25.0));
	ratelimit_init(&r, 0.5, 1.0, 0);
	now = 0;
	assert_true(take_waiting(&r, &now) == 0);
	assert_true(NEAR(take_waiting(&r, &now), 2.0));
	assert_true(NEAR(take_waiting(&r, &now), 2.0));
}

static void
test_idle_refill_is_capped(void **state)
{
	struct ratelimit r;
	int i;

	(void)state;
	ratelimit_init(&r, 2.0, 3.0, 0);
	for (i = 0; i < 3; i++)
		assert_true(ratelimit_take(&r, 0) == 0);
	/* An hour idle: only the burst is there. */
	for (i = 0; i < 3; i++)
		assert_true(ratelimit_take(&r, 3600) == 0);
	assert_true(NEAR(ratelimit_take(&r, 3600), 0.5));
}

static void
test_clock_going_back(void **state)
{
	struct ratelimit r;

	(void)state;
	ratelimit_init(&r, 1.0, 1.0, 50.0);
	assert_true(ratelimit_take(&r, 50.0) == 0);
	assert_true(NEAR(ratelimit_take(&r, 10.0), 1.0));
	assert_true(r.last == 50.0);
	assert_true(ratelimit_take(&r, 51.0) == 0);
}

static void
test_unlimited_and_small_burst(void **state)
{
	struct ratelimit r;
	int i;

	(void)state;
	ratelimit_init(&r, 0, 0, 0);
	for (i = 0; i < 1000; i++)
		assert_true(ratelimit_take(&r, 0) == 0);
	ratelimit_init(&r, 10.0, 0.2, 0);	/* burst below one token: one */
	assert_true(r.burst == 1.0);
	assert_true(ratelimit_take(&r, 0) == 0);
	assert_true(NEAR(ratelimit_take(&r, 0), 0.1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_wait),
		cmocka_unit_test(test_steady_rate),
		cmocka_unit_test(test_idle_refill_is_capped),
		cmocka_unit_test(test_clock_going_back),
		cmocka_unit_test(test_unlimited_and_small_burst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
