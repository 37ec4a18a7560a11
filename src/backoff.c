/* backoff: exponential backoff with full jitter (include/backoff.h). */
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"

/* Any fixed non-zero value: xorshift never leaves the all-zero state. */
#define BACKOFF_SEED_ZERO	0x9e3779b97f4a7c15ULL

/*
 * xorshift64* (Vigna): fast, small state, good enough to spread retries of
 * many daemons apart; nothing here needs a cryptographic generator.
 */
static uint64_t
xorshift64star(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void
backoff_init(struct backoff *b, double base, double cap, uint64_t seed)
{
	b->base = base > 0 ? base : 0;
	b->cap = cap > b->base ? cap : b->base;
	b->attempt = 0;
	b->rng = seed != 0 ? seed : BACKOFF_SEED_ZERO;
}

/*
 * Full jitter: uniform in [0, min(cap, base * 2^attempt)). The ceiling is
 * doubled step by step so a long outage never overflows anything.
 */
double
backoff_next(struct backoff *b)
{
	double ceiling = b->base, unit;
	unsigned i;

	for (i = 0; i < b->attempt && ceiling < b->cap; i++)
		ceiling *= 2;
	if (ceiling > b->cap)
		ceiling = b->cap;
	if (b->attempt < UINT32_MAX)
		b->attempt++;
	/* The top 53 bits make a double in [0, 1). */
	unit = (double)(xorshift64star(&b->rng) >> 11) * 0x1.0p-53;
	return unit * ceiling;
}

void
backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}

uint64_t
backoff_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 16);
}
