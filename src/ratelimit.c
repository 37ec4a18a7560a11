/* ratelimit: token bucket pacing (include/ratelimit.h). */
#include "ratelimit.h"

/* Rounding slack: a caller that waited the time asked gets its token. */
#define RATELIMIT_EPSILON	1e-9

void
ratelimit_init(struct ratelimit *r, double rate, double burst, double now)
{
	r->rate = rate > 0 ? rate : 0;
	r->burst = burst >= 1 ? burst : 1;
	r->tokens = r->burst;
	r->last = now;
}

/*
 * Refill for the time elapsed since the last call, then take a token or
 * say how long until one is there. A clock that went back refills nothing.
 */
double
ratelimit_take(struct ratelimit *r, double now)
{
	if (r->rate <= 0)
		return 0;
	if (now > r->last) {
		r->tokens += (now - r->last) * r->rate;
		if (r->tokens > r->burst)
			r->tokens = r->burst;
		r->last = now;
	}
	if (r->tokens >= 1 - RATELIMIT_EPSILON) {
		r->tokens -= 1;
		if (r->tokens < 0)
			r->tokens = 0;
		return 0;
	}
	return (1 - r->tokens) / r->rate;
}
