/*
 * daemon: the long-running pipeline, `vpcflowd -c FILE` and `--once`.
 *
 * Data flows one way: the scan schedule (schedule.h) names a due time
 * range; cwl_filter reads it; each event is looked up in its stream's
 * checkpoint (checkpoint.h) and skipped when its eventId was shipped
 * already, else encoded (flow.h) into the batch; a full or old batch goes
 * to the shipper (shipper.h), which retries inside, so polling pauses
 * meanwhile and memory stays at one batch plus one page; what the listener
 * acknowledged is added to the seen sets and written (checkpoint_sync, only
 * the streams that changed). A range ends with a flush, then schedule_done
 * and a sync of the group file.
 *
 * Signals are flags set by main.c's handlers and read here between steps:
 * stop (SIGTERM/SIGINT): no more polling, the batch in flight gets up to
 * shutdown_timeout, what was acknowledged is checkpointed, exit 0. reload
 * (SIGHUP): the configuration file is loaded again (see daemon_fixed_key).
 */
#ifndef VPCFLOWD_DAEMON_H
#define VPCFLOWD_DAEMON_H

#include <stdint.h>

#include "config.h"

#define DAEMON_SUMMARY_MS	60000	/* the one-line summary at info */
#define DAEMON_MAX_SPAN_MS	(15 * 60 * 1000)	/* widest range read at once */
#define DAEMON_PROBE_SPAN_MS	(1LL << 50)	/* widest empty range probed: 35,000 years */
#define DAEMON_ERROR_WAIT_MAX	300	/* seconds between reads after AWS errors */
#define DAEMON_FORGET_MS	(30LL * 86400000)	/* streams idle this long before the horizon are forgotten */
#define DAEMON_FORGET_EVERY_MS	3600000	/* how often the daemon looks for them */
#define DAEMON_STEP_MS		100	/* sleeps are cut in steps this long */

struct daemon_opts {
	int		 once;		/* one cycle: every due range, then exit */
	volatile int	*stop;		/* SIGTERM/SIGINT; never NULL */
	volatile int	*reload;	/* SIGHUP; reset here; may be NULL */
};

/*
 * Run the pipeline on cfg (loaded by the caller, who frees it after; a
 * reloaded configuration lives inside the daemon). Returns the exit status:
 * 0 after a stop or a complete --once cycle, 1 on a runtime failure (a
 * corrupt checkpoint, no token, checkpoints that could not be written at
 * the end, a --once cycle that could not read everything).
 */
int	daemon_run(struct config *cfg, const struct daemon_opts *opts);

/*
 * The first configuration key that differs between a and b among those
 * that cannot change while the daemon runs (log_group, region, endpoint,
 * state_dir, ca_file, aws.* but max_rps), or NULL when none does. Pure.
 */
const char *daemon_fixed_key(const struct config *a, const struct config *b);

#endif
