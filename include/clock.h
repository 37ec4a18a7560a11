/*
 * clock: the two clocks the daemon reads. Monotonic time for waits,
 * deadlines and pacing (immune to clock steps); real time for data (event
 * timestamps, scan windows).
 */
#ifndef VPCFLOWD_CLOCK_H
#define VPCFLOWD_CLOCK_H

#include <stdint.h>

int64_t	clock_mono_ms(void);	/* CLOCK_MONOTONIC, milliseconds */
double	clock_mono_s(void);	/* CLOCK_MONOTONIC, seconds with fraction */
double	clock_cpu_s(void);	/* CPU time of the process, seconds (benchmarks) */
int64_t	clock_epoch_ms(void);	/* CLOCK_REALTIME, ms since the epoch */

#endif
