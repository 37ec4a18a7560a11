/* clock: monotonic and real time in the units the modules use (include/clock.h). */
#include <time.h>

#include "clock.h"

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t
clock_epoch_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
clock_mono_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

double
clock_cpu_s(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}
