/*
 * backoff: exponential backoff with full jitter (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"): delay = random(0, min(cap, base * 2^n)).
 * Pure: the random source is an argument so tests are deterministic.
 */
#ifndef VPCFLOWD_BACKOFF_H
#define VPCFLOWD_BACKOFF_H

#include <stdint.h>

struct backoff {
	double		base;	/* seconds */
	double		cap;	/* seconds */
	unsigned	attempt;	/* failures so far */
	uint64_t	rng;	/* xorshift state; never 0 */
};

/*
 * cap below base is raised to base; seed 0 is replaced by a fixed non-zero
 * value (the RNG is xorshift64*, which needs a non-zero state).
 */
void	backoff_init(struct backoff *b, double base, double cap, uint64_t seed);
/*
 * The delay before the next attempt (seconds, uniform in [0, ceiling)),
 * and count one more failure (attempt saturates, the ceiling stays cap).
 */
double	backoff_next(struct backoff *b);
/* After a success. */
void	backoff_reset(struct backoff *b);
/*
 * A seed that differs between processes and between calls (real time in
 * nanoseconds, pid), so daemons restarted together do not retry in step.
 * The one part that is not pure; tests pass their own seeds.
 */
uint64_t backoff_seed(void);

#endif
