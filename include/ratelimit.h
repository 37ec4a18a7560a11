/*
 * ratelimit: a token bucket that paces requests (aws.max_rps), because the
 * FilterLogEvents quota (5 requests/s) is shared by the whole account and
 * region. Pure: time is an argument (seconds, monotonic).
 */
#ifndef VPCFLOWD_RATELIMIT_H
#define VPCFLOWD_RATELIMIT_H

struct ratelimit {
	double	rate;	/* tokens per second */
	double	burst;	/* bucket size */
	double	tokens;
	double	last;	/* time of the last refill */
};

/* rate <= 0: no pacing at all; burst below 1 is raised to 1. Starts full. */
void	ratelimit_init(struct ratelimit *r, double rate, double burst, double now);
/*
 * Take one token: returns 0 if one was there (it is taken), else the seconds
 * until one is there; nothing is taken then: wait, and call again.
 */
double	ratelimit_take(struct ratelimit *r, double now);

#endif
