/* schedule: scan ranges at growing ages (include/schedule.h). */
#include <stdint.h>
#include <string.h>

#include "schedule.h"

void
schedule_init(struct schedule *s, long poll_interval, long max_delay,
    int64_t start_ms)
{
	int64_t max = (int64_t)(max_delay > 0 ? max_delay : 0) * 1000;
	int64_t age;
	int i, n = 0;

	memset(s, 0, sizeof(*s));
	s->poll_ms = (int64_t)(poll_interval > 0 ? poll_interval : 1) * 1000;
	s->age_ms[n++] = 0;
	for (age = s->poll_ms; age < max && n < SCHEDULE_MAX_LEVELS - 1;
	    age *= 4)
		s->age_ms[n++] = age;
	if (max > 0)
		s->age_ms[n++] = max;
	s->nlevels = n;
	for (i = 0; i < n; i++)
		s->pos_ms[i] = start_ms > 0 ? start_ms : 0;
}

/*
 * The range of level k at now_ms when it is due (at least half a poll
 * interval wide), clipped to max_span_ms. Returns 1 when due, else 0.
 */
static int
level_range(const struct schedule *s, int k, int64_t now_ms,
    int64_t max_span_ms, struct scan_range *r)
{
	int64_t end = now_ms - s->age_ms[k], pos = s->pos_ms[k];

	if (end <= pos || end - pos < SCHEDULE_MIN_SPAN(s->poll_ms))
		return 0;
	r->level = k;
	r->start_ms = pos;
	r->end_ms = max_span_ms > 0 && end - pos > max_span_ms ?
	    pos + max_span_ms : end;
	return 1;
}

int
schedule_next(const struct schedule *s, int64_t now_ms, int64_t max_span_ms,
    struct scan_range *r)
{
	int k;

	for (k = s->nlevels - 1; k >= 0; k--)
		if (level_range(s, k, now_ms, max_span_ms, r))
			return 1;
	return 0;
}

void
schedule_done(struct schedule *s, const struct scan_range *r)
{
	int k;

	if (r->level < 0 || r->level >= s->nlevels ||
	    r->start_ms > s->pos_ms[r->level] ||
	    r->end_ms <= s->pos_ms[r->level])
		return;
	for (k = 0; k <= r->level; k++)
		if (s->pos_ms[k] < r->end_ms)
			s->pos_ms[k] = r->end_ms;
}

/* The oldest position (newest: the newest one); 0 without levels. */
static int64_t
position_bound(const struct schedule *s, int newest)
{
	int64_t v;
	int k;

	if (s->nlevels <= 0)
		return 0;
	v = s->pos_ms[0];
	for (k = 1; k < s->nlevels; k++)
		if (newest ? s->pos_ms[k] > v : s->pos_ms[k] < v)
			v = s->pos_ms[k];
	return v;
}

int64_t
schedule_horizon(const struct schedule *s)
{
	return position_bound(s, 0);
}

int64_t
schedule_lag(const struct schedule *s, int64_t now_ms)
{
	int64_t newest = position_bound(s, 1);

	return s->nlevels > 0 && now_ms > newest ? now_ms - newest : 0;
}

void
schedule_reconfigure(struct schedule *s, const struct schedule *fresh)
{
	int64_t from = schedule_horizon(s);
	int same, k, had = s->nlevels;

	same = s->nlevels == fresh->nlevels && memcmp(s->age_ms,
	    fresh->age_ms, sizeof(s->age_ms[0]) * (size_t)fresh->nlevels) == 0;
	if (same) {
		s->poll_ms = fresh->poll_ms;
		return;
	}
	*s = *fresh;
	if (had > 0)
		for (k = 0; k < s->nlevels; k++)
			s->pos_ms[k] = from;
}
