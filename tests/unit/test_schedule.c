/*
 * Unit tests for schedule: the levels, the due rule, ordering, convergence,
 * and simulated runs under a late-ingestion model (every event shipped,
 * every timestamp scanned once per level, few fetches per event).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "schedule.h"

#define T0	1700000000000LL		/* 2023-11-14T22:13:20Z */
#define SEC	1000LL
#define MIN	(60 * SEC)
#define HOUR	(60 * MIN)

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [lo, hi]. */
static int64_t
uniform(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1));
}

static void
check_levels(long poll, long delay, const int64_t *want, int n)
{
	struct schedule s;
	int k;

	schedule_init(&s, poll, delay, T0);
	assert_int_equal(s.nlevels, n);
	assert_int_equal(s.poll_ms, poll * SEC);
	for (k = 0; k < n; k++) {
		assert_int_equal(s.age_ms[k], want[k]);
		assert_int_equal(s.pos_ms[k], T0);
	}
}

static void
test_levels(void **state)
{
	static const int64_t dflt[] = { 0, 30 * SEC, 120 * SEC, 480 * SEC,
	    900 * SEC };
	static const int64_t none[] = { 0 };
	static const int64_t equal[] = { 0, 30 * SEC };
	static const int64_t capped[] = { 0, 20 * SEC };
	static const int64_t exact[] = { 0, 30 * SEC, 120 * SEC };
	static const int64_t hourly[] = { 0, HOUR, 4 * HOUR, 16 * HOUR,
	    24 * HOUR };
	struct schedule s;
	int k;

	(void)state;
	check_levels(30, 900, dflt, 5);
	check_levels(30, 0, none, 1);		/* max_delay 0: one level */
	check_levels(30, 30, equal, 2);		/* equal ages once */
	check_levels(30, 20, capped, 2);	/* capped at max_delay */
	check_levels(30, 120, exact, 3);
	check_levels(3600, 86400, hourly, 5);
	/* The widest configuration still fits, ending at max_delay. */
	schedule_init(&s, 1, 86400, T0);
	assert_true(s.nlevels <= SCHEDULE_MAX_LEVELS);
	assert_int_equal(s.age_ms[s.nlevels - 1], 86400 * SEC);
	for (k = 1; k < s.nlevels; k++)
		assert_true(s.age_ms[k] > s.age_ms[k - 1]);
	schedule_init(&s, 30, 900, -5);
	assert_int_equal(s.pos_ms[0], 0);
}

static void
test_due_rule(void **state)
{
	struct schedule s;
	struct scan_range r;

	(void)state;
	schedule_init(&s, 30, 900, T0);
	assert_int_equal(schedule_next(&s, T0, 0, &r), 0);
	/* Less than half a poll interval: nothing, however often asked. */
	assert_int_equal(schedule_next(&s, T0 + 15 * SEC - 1, 0, &r), 0);
	assert_int_equal(schedule_next(&s, T0 + 15 * SEC, 0, &r), 1);
	assert_int_equal(r.level, 0);
	assert_int_equal(r.start_ms, T0);
	assert_int_equal(r.end_ms, T0 + 15 * SEC);
	schedule_done(&s, &r);
	assert_int_equal(schedule_next(&s, T0 + 15 * SEC, 0, &r), 0);
	/* Level 1 (30 s) comes due once its range is 15 s wide. */
	assert_int_equal(schedule_next(&s, T0 + 45 * SEC - 1, 0, &r), 1);
	assert_int_equal(r.level, 0);
	schedule_done(&s, &r);
	assert_int_equal(schedule_next(&s, T0 + 45 * SEC, 0, &r), 1);
	assert_int_equal(r.level, 1);
	assert_int_equal(r.start_ms, T0);
	assert_int_equal(r.end_ms, T0 + 15 * SEC);
	/* A clock that went backwards makes nothing due. */
	assert_int_equal(schedule_next(&s, T0 - HOUR, 0, &r), 0);
}

static void
test_oldest_first_and_span(void **state)
{
	struct schedule s;
	struct scan_range r;

	(void)state;
	schedule_init(&s, 30, 900, T0);
	assert_int_equal(schedule_next(&s, T0 + 2 * HOUR, 10 * MIN, &r), 1);
	assert_int_equal(r.level, 4);
	assert_int_equal(r.start_ms, T0);
	assert_int_equal(r.end_ms, T0 + 10 * MIN);
	/* No limit, and a limit too large to add to a position. */
	assert_int_equal(schedule_next(&s, T0 + 2 * HOUR, 0, &r), 1);
	assert_int_equal(r.end_ms, T0 + 2 * HOUR - 15 * MIN);
	assert_int_equal(schedule_next(&s, T0 + 2 * HOUR, INT64_MAX, &r), 1);
	assert_int_equal(r.end_ms, T0 + 2 * HOUR - 15 * MIN);
}

static void
test_done_never_backwards(void **state)
{
	struct schedule s, before;
	struct scan_range r;

	(void)state;
	schedule_init(&s, 30, 900, T0);
	before = s;
	r = (struct scan_range){ 2, T0 + MIN, T0 + 2 * MIN };	/* a gap */
	schedule_done(&s, &r);
	r = (struct scan_range){ 2, T0 - 2 * MIN, T0 - MIN };	/* behind */
	schedule_done(&s, &r);
	r = (struct scan_range){ 7, T0, T0 + MIN };	/* no such level */
	schedule_done(&s, &r);
	r = (struct scan_range){ -1, T0, T0 + MIN };
	schedule_done(&s, &r);
	assert_memory_equal(&s, &before, sizeof(s));
	/* A range that overlaps what was read moves to its end. */
	r = (struct scan_range){ 0, T0 - MIN, T0 + MIN };
	schedule_done(&s, &r);
	assert_int_equal(s.pos_ms[0], T0 + MIN);
	assert_int_equal(s.pos_ms[1], T0);
}

static void
test_horizon_lag(void **state)
{
	struct schedule s, empty;
	struct scan_range r;

	(void)state;
	schedule_init(&s, 30, 900, T0);
	memset(&empty, 0, sizeof(empty));
	assert_int_equal(schedule_horizon(&empty), 0);
	assert_int_equal(schedule_lag(&empty, T0), 0);
	assert_int_equal(schedule_lag(&s, T0 + MIN), MIN);
	while (schedule_next(&s, T0 + HOUR, 0, &r))
		schedule_done(&s, &r);
	assert_int_equal(schedule_horizon(&s), T0 + HOUR - 15 * MIN);
	assert_int_equal(schedule_lag(&s, T0 + HOUR), 0);
	assert_int_equal(schedule_lag(&s, T0 + HOUR + 7 * SEC), 7 * SEC);
	assert_int_equal(schedule_lag(&s, T0), 0);
}

/*
 * At a fixed now, next/done reach a state where nothing is due, after a
 * bounded number of steps, with positions only moving forward.
 */
static void
test_converges(void **state)
{
	struct schedule s, prev;
	struct scan_range r;
	int64_t now = T0 + 6 * HOUR;
	int steps = 0, k;

	(void)state;
	schedule_init(&s, 30, 900, T0);
	while (schedule_next(&s, now, 20 * MIN, &r)) {
		prev = s;
		assert_true(r.start_ms < r.end_ms);
		assert_true(r.end_ms - r.start_ms <= 20 * MIN);
		schedule_done(&s, &r);
		for (k = 0; k < s.nlevels; k++)
			assert_true(s.pos_ms[k] >= prev.pos_ms[k]);
		assert_true(++steps < 100);
	}
	for (k = 0; k < s.nlevels; k++)
		assert_int_equal(s.pos_ms[k], now - s.age_ms[k]);
	assert_int_equal(schedule_next(&s, now, 20 * MIN, &r), 0);
	print_message("6 h of backlog, 20 min spans: %d ranges\n", steps);
	/* The backlog is read once: the last level's 18 ranges, then one
	 * range per younger level for the last max_delay. */
	assert_int_equal(steps, 18 + 4);
}

/* ---- simulation ---------------------------------------------------------- */

/* An event: visible from ts + delay on. */
struct event {
	int64_t	ts;
	int64_t	delay;
	int64_t	shipped_at;	/* -1: not yet */
};

struct sim {
	struct event	*ev;
	size_t		 nev;
	uint64_t	 fetched, shipped, ranges;
	int64_t		 covered[SCHEDULE_MAX_LEVELS];	/* each level: [start, covered) */
	int64_t		 skipped[SCHEDULE_MAX_LEVELS];	/* of it, read by older levels */
	int		 strict;	/* no level may skip */
	int64_t		 work_ms;	/* longest simulated read */
};

static int
by_ts(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* n events with timestamps in [from, to) and delays in [dmin, dmax]. */
static void
sim_init(struct sim *sim, size_t n, int64_t from, int64_t to, int64_t dmin,
    int64_t dmax)
{
	size_t i;
	int k;

	memset(sim, 0, sizeof(*sim));
	sim->ev = calloc(n, sizeof(*sim->ev));
	assert_non_null(sim->ev);
	sim->nev = n;
	for (i = 0; i < n; i++) {
		sim->ev[i].ts = uniform(from, to - 1);
		sim->ev[i].delay = uniform(dmin, dmax);
		sim->ev[i].shipped_at = -1;
	}
	/* The edges of the model: no delay, and exactly max_delay. */
	sim->ev[0].delay = dmin;
	sim->ev[n - 1].delay = dmax;
	qsort(sim->ev, n, sizeof(*sim->ev), by_ts);
	for (k = 0; k < SCHEDULE_MAX_LEVELS; k++)
		sim->covered[k] = from;
	sim->strict = 1;
}

/* Read r at now: what FilterLogEvents would return, shipped once. */
static void
sim_read(struct sim *sim, const struct scan_range *r, int64_t now)
{
	size_t lo = 0, hi = sim->nev, mid;
	struct event *e;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sim->ev[mid].ts < r->start_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < sim->nev && sim->ev[lo].ts < r->end_ms; lo++) {
		e = &sim->ev[lo];
		if (e->ts + e->delay > now)
			continue;
		sim->fetched++;
		if (e->shipped_at == -1) {
			e->shipped_at = now;
			sim->shipped++;
		}
	}
	/* Once per level: each range starts where the level's coverage ends. */
	assert_int_equal(r->start_ms, sim->covered[r->level]);
	sim->covered[r->level] = r->end_ms;
	sim->ranges++;
}

/*
 * After r was done: positions only move forward, and a younger level moves
 * past what it did not read only where r (older) read it: each level's
 * coverage, its own reads and those skips, stays [start, pos) exactly.
 */
static void
sim_check_done(struct sim *sim, const struct schedule *prev,
    const struct schedule *s, const struct scan_range *r)
{
	int k;

	for (k = 0; k < s->nlevels; k++) {
		assert_true(s->pos_ms[k] >= prev->pos_ms[k]);
		if (k < r->level && sim->covered[k] < r->end_ms) {
			assert_false(sim->strict);
			assert_true(s->age_ms[k] < s->age_ms[r->level]);
			sim->skipped[k] += r->end_ms - sim->covered[k];
			sim->covered[k] = r->end_ms;
		}
		assert_int_equal(sim->covered[k], s->pos_ms[k]);
	}
}

/*
 * The daemon's loop from now to until: wake every poll interval, read
 * every due range (each read takes up to work_ms of simulated time).
 */
static int64_t
sim_run(struct sim *sim, struct schedule *s, int64_t now, int64_t until,
    int64_t span)
{
	struct schedule prev;
	struct scan_range r;
	int64_t cycle = now;

	while (now < until) {
		while (schedule_next(s, now, span, &r)) {
			prev = *s;
			sim_read(sim, &r, now);
			schedule_done(s, &r);
			sim_check_done(sim, &prev, s, &r);
			if (sim->work_ms > 0)
				now += uniform(0, sim->work_ms);
		}
		cycle += s->poll_ms;
		now = now > cycle ? now : cycle;
	}
	return now;
}

static void
sim_free(struct sim *sim)
{
	free(sim->ev);
}

/*
 * Every event shipped, no later than max_delay (of s, or max_delay_ms
 * when larger) + 2 polls + read time after its timestamp, or than since
 * (a backlog is read when the run starts).
 */
static void
sim_check_all_shipped(const struct sim *sim, const struct schedule *s,
    int64_t max_delay_ms, int64_t since)
{
	int64_t bound, late;
	size_t i;

	if (max_delay_ms < s->age_ms[s->nlevels - 1])
		max_delay_ms = s->age_ms[s->nlevels - 1];
	bound = max_delay_ms + 2 * s->poll_ms + 8 * sim->work_ms;
	for (i = 0; i < sim->nev; i++) {
		assert_true(sim->ev[i].shipped_at != -1);
		assert_true(sim->ev[i].shipped_at >= sim->ev[i].ts +
		    sim->ev[i].delay);
		late = sim->ev[i].ts + bound;
		assert_true(sim->ev[i].shipped_at <= (late > since ? late :
		    since));
	}
	assert_int_equal(sim->shipped, sim->nev);
}

/* Mean wait from visibility to shipping, in seconds. */
static double
sim_mean_wait(const struct sim *sim)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < sim->nev; i++)
		sum += (double)(sim->ev[i].shipped_at - sim->ev[i].ts -
		    sim->ev[i].delay);
	return sum / (double)sim->nev / 1000;
}

/*
 * The VPC model: 6 h of events, each visible 1 to 10 min after its
 * timestamp; defaults (30 s, 900 s). Every event shipped; each level
 * scanned every timestamp exactly once; few fetches per event.
 */
static void
test_late_ingestion(void **state)
{
	struct schedule s;
	struct sim sim;
	double ratio;
	int k;
	int64_t end;

	(void)state;
	sim_init(&sim, 50000, T0, T0 + 6 * HOUR, 60 * SEC, 600 * SEC);
	schedule_init(&s, 30, 900, T0);
	end = sim_run(&sim, &s, T0, T0 + 6 * HOUR + 20 * MIN, HOUR);
	sim_check_all_shipped(&sim, &s, 0, 0);
	/* Every level read all of [T0, now - age - at most a poll) itself. */
	for (k = 0; k < s.nlevels; k++)
		assert_true(s.pos_ms[k] >= end - s.age_ms[k] - 2 * s.poll_ms);
	ratio = (double)sim.fetched / (double)sim.shipped;
	print_message("late ingestion, delay uniform 60..600 s, levels 0 30s "
	    "2m 8m 15m: fetched/shipped = %.2f (%llu / %llu), %llu ranges, "
	    "mean wait after ingestion %.0f s\n", ratio,
	    (unsigned long long)sim.fetched, (unsigned long long)sim.shipped,
	    (unsigned long long)sim.ranges, sim_mean_wait(&sim));
	assert_true(ratio <= 3.0);
	sim_free(&sim);
}

/* Delays over the whole 0 .. max_delay range, short polls: still complete. */
static void
test_any_delay_up_to_max(void **state)
{
	struct schedule s;
	struct sim sim;

	(void)state;
	sim_init(&sim, 20000, T0, T0 + 3 * HOUR, 0, 900 * SEC);
	sim.work_ms = 3000;	/* slow reads: levels drift apart */
	sim.strict = 0;
	schedule_init(&s, 10, 900, T0);
	sim_run(&sim, &s, T0, T0 + 3 * HOUR + 20 * MIN, 30 * MIN);
	sim_check_all_shipped(&sim, &s, 0, 0);
	assert_int_equal(sim.skipped[s.nlevels - 1], 0);
	print_message("delay uniform 0..900 s, poll 10 s, reads up to 3 s: "
	    "fetched/shipped = %.2f, level 0 skipped %lld s of 3 h (read "
	    "by level 1)\n", (double)sim.fetched / (double)sim.shipped,
	    (long long)(sim.skipped[0] / SEC));
	assert_true((double)sim.fetched / (double)sim.shipped <= 3.0);
	sim_free(&sim);
}

/*
 * A backlog (start 6 h back, everything ingested): read about once, then
 * the run goes on with fresh events and ships them all.
 */
static void
test_backlog_read_once(void **state)
{
	struct schedule s;
	struct sim sim;
	int64_t now = T0 + 6 * HOUR;

	(void)state;
	sim_init(&sim, 40000, T0, T0 + 8 * HOUR, 60 * SEC, 600 * SEC);
	sim.strict = 0;
	schedule_init(&s, 30, 900, T0);
	sim_run(&sim, &s, now, now + 1, HOUR);
	print_message("6 h backlog: fetched/shipped = %.2f after catching "
	    "up\n", (double)sim.fetched / (double)sim.shipped);
	assert_true((double)sim.fetched / (double)sim.shipped <= 1.25);
	sim_run(&sim, &s, now + 1, T0 + 8 * HOUR + 20 * MIN, HOUR);
	sim_check_all_shipped(&sim, &s, 0, now);
	assert_true((double)sim.fetched / (double)sim.shipped <= 3.0);
	/* The last level, the one completeness rests on, never skips. */
	assert_int_equal(sim.skipped[s.nlevels - 1], 0);
	sim_free(&sim);
}

/*
 * A configuration change half way (other levels): nothing is lost, and
 * the new levels start at the old horizon.
 */
static void
test_reconfigure(void **state)
{
	struct schedule s, fresh, before, empty;
	struct sim sim;
	int64_t now, horizon;
	int k;

	(void)state;
	sim_init(&sim, 30000, T0, T0 + 4 * HOUR, 60 * SEC, 600 * SEC);
	sim.strict = 0;
	schedule_init(&s, 30, 900, T0);
	now = sim_run(&sim, &s, T0, T0 + 2 * HOUR, HOUR);
	horizon = schedule_horizon(&s);
	schedule_init(&fresh, 20, 600, now);
	schedule_reconfigure(&s, &fresh);
	assert_int_equal(s.nlevels, fresh.nlevels);
	assert_int_equal(s.poll_ms, 20 * SEC);
	for (k = 0; k < s.nlevels; k++) {
		assert_int_equal(s.age_ms[k], fresh.age_ms[k]);
		assert_int_equal(s.pos_ms[k], horizon);
		sim.covered[k] = horizon;	/* read again from there */
	}
	sim_run(&sim, &s, now, T0 + 4 * HOUR + 20 * MIN, HOUR);
	sim_check_all_shipped(&sim, &s, 900 * SEC, 0);
	print_message("config change 30s/900s -> 20s/600s: fetched/shipped = "
	    "%.2f\n", (double)sim.fetched / (double)sim.shipped);
	/* Same ages: positions kept; nothing yet: fresh as it is. */
	before = s;
	schedule_init(&fresh, 20, 600, 0);
	schedule_reconfigure(&s, &fresh);
	assert_memory_equal(s.pos_ms, before.pos_ms, sizeof(s.pos_ms));
	memset(&empty, 0, sizeof(empty));
	schedule_reconfigure(&empty, &fresh);
	assert_memory_equal(&empty, &fresh, sizeof(fresh));
	sim_free(&sim);
}

/* max_delay 0: one level reading up to now, every event with no delay. */
static void
test_single_level(void **state)
{
	struct schedule s;
	struct sim sim;

	(void)state;
	sim_init(&sim, 5000, T0, T0 + HOUR, 0, 0);
	schedule_init(&s, 5, 0, T0);
	sim_run(&sim, &s, T0, T0 + HOUR + MIN, HOUR);
	sim_check_all_shipped(&sim, &s, 0, 0);
	assert_int_equal(sim.fetched, sim.shipped);
	sim_free(&sim);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_due_rule),
		cmocka_unit_test(test_oldest_first_and_span),
		cmocka_unit_test(test_done_never_backwards),
		cmocka_unit_test(test_horizon_lag),
		cmocka_unit_test(test_converges),
		cmocka_unit_test(test_late_ingestion),
		cmocka_unit_test(test_any_delay_up_to_max),
		cmocka_unit_test(test_backlog_read_once),
		cmocka_unit_test(test_reconfigure),
		cmocka_unit_test(test_single_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
