/*
 * schedule: which time ranges to scan, when. A pure core (time is an
 * argument), so its guarantees are unit-tested.
 *
 * VPC flow log events carry the flow's start as timestamp but are ingested
 * minutes later. Every timestamp is scanned once per level, at growing ages:
 * level k scans the timestamps that are ages[k] old. Level 0 has age 0 (the
 * freshest data, for latency); then ages grow by a factor of 4 from
 * poll_interval, capped at max_delay, and the last level is max_delay
 * exactly (0, 30 s, 2 min, 8 min, 15 min for the defaults; one level of age
 * 0 when max_delay is 0). An event ingested d seconds after its timestamp is
 * fetched by every level whose age is >= d (de-duplicated by eventId), so
 * the fetched / shipped ratio stays near 2 (1.94 in test_schedule's
 * simulation, d uniform in 1..10 min), and a late event waits at most
 * about 4 d (or max_delay) plus a poll before it is shipped. Completeness rests on the last level alone: it reads every
 * timestamp once it is max_delay old; the younger levels only cut latency.
 *
 * Due: a level's range [pos, now - age) is due once it is at least half a
 * poll interval wide (SCHEDULE_MIN_SPAN of poll_ms). A loop that wakes every
 * poll_interval finds every level due, however long the previous reads
 * took, and reads ranges about poll_interval wide: one FilterLogEvents
 * window per level per poll. A loop that asks more often (after each range)
 * gets no tiny ranges.
 *
 * Backlog (start_position in the past, a restart after a long stop): the
 * oldest level is served first and, when it is done with a range, younger
 * levels skip what it read (their position moves up to its position): that
 * read came when the data was already older than their own age, so it saw
 * everything they would. A backlog is read once, not once per level.
 */
#ifndef VPCFLOWD_SCHEDULE_H
#define VPCFLOWD_SCHEDULE_H

#include <stdint.h>

#define SCHEDULE_MAX_LEVELS	12
#define SCHEDULE_MIN_SPAN(poll_ms)	((poll_ms) / 2)

struct schedule {
	int	nlevels;	/* 0: none (no group state yet) */
	int64_t	poll_ms;	/* poll_interval: a range is due at half of it */
	int64_t	age_ms[SCHEDULE_MAX_LEVELS];	/* level k scans timestamps < now - age; increasing */
	int64_t	pos_ms[SCHEDULE_MAX_LEVELS];	/* level k has scanned [.., pos) */
};

/*
 * A range to scan: [start_ms, end_ms) at level. FilterLogEvents' endTime is
 * inclusive: asking for end_ms itself fetches the boundary millisecond twice
 * (harmless, de-duplicated); end_ms - 1 does not.
 */
struct scan_range {
	int	level;
	int64_t	start_ms;
	int64_t	end_ms;
};

/*
 * Levels for poll_interval (>= 1) and max_delay (>= 0) in seconds, every
 * position at start_ms (negative: 0).
 */
void	schedule_init(struct schedule *s, long poll_interval, long max_delay,
	    int64_t start_ms);
/*
 * The next range due at now_ms, oldest level first (so the horizon closes
 * before fresh data is read); 0 when nothing is due. A range is at most
 * max_span_ms wide (bounded work per step; <= 0: no limit).
 */
int	schedule_next(const struct schedule *s, int64_t now_ms,
	    int64_t max_span_ms, struct scan_range *r);
/*
 * The range r was read and everything in it acknowledged: its level's
 * position moves to r->end_ms, and younger levels behind it move up too
 * (see Backlog above). A range that does not start at or before its level's
 * position (it would leave a gap) or ends before it is ignored: positions
 * never go backwards.
 */
void	schedule_done(struct schedule *s, const struct scan_range *r);
/* Oldest timestamp any level may still fetch: the de-duplication horizon. */
int64_t	schedule_horizon(const struct schedule *s);
/* How far behind the freshest level is (now - newest position, ms, >= 0). */
int64_t	schedule_lag(const struct schedule *s, int64_t now_ms);
/*
 * Take the levels of fresh (schedule_init for the current poll_interval and
 * max_delay) without losing coverage: when the ages are the same the
 * positions are kept; otherwise every new level starts at the oldest old
 * position (the horizon: what lies after it is read again, and skipped by
 * eventId since the seen ids reach that far back). s without levels becomes
 * fresh as it is.
 */
void	schedule_reconfigure(struct schedule *s, const struct schedule *fresh);

#endif
