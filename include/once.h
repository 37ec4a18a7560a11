/*
 * once: `vpcflowd -c FILE --once --output stdout`: one pass over the log
 * group, from the configured start_position up to now, every page of
 * FilterLogEvents, each event encoded by flow_encode() and written to
 * stdout as NDJSON, in large writes; no checkpoint is written.
 *
 * Also the AWS side of a configuration for whoever needs it (-n, the
 * daemon): the credential chain, the region, the pacing token bucket and
 * the CloudWatch Logs endpoint (once_aws_open), and the Logz.io token from
 * whichever source is configured (once_token; KMS: once_kms_token).
 */
#ifndef VPCFLOWD_ONCE_H
#define VPCFLOWD_ONCE_H

#include <stdint.h>

#include "aws.h"
#include "awssetup.h"
#include "buf.h"
#include "config.h"

#define ONCE_TIMEOUT_MS		30000	/* per AWS request */
#define ONCE_MAX_ATTEMPTS	10	/* per AWS call, transient errors included */
#define ONCE_FLUSH_BYTES	(1 << 20)	/* stdout write size */

/* The AWS client of one configuration. */
struct once_aws {
	struct aws_setup	 setup;		/* region, URLs, credential options */
	int			 setup_done;
	struct aws_client	 client;
	struct aws_endpoint	 logs;		/* CloudWatch Logs */
	int			 logs_open;
};

/*
 * The window to read at now_ms for start (pure). Returns 0 with
 * [*start_ms, *end_ms] (*start_ms -1: from the beginning), or 1 when there
 * is nothing to read: "end" (without a checkpoint: from now on), or a start
 * in the future.
 */
int	once_window(const struct config_start *start, int64_t now_ms,
	    int64_t *start_ms, int64_t *end_ms);

/*
 * Set up a: the region, endpoint URLs and credential options
 * (aws_setup_init), the credential chain, pacing at aws.max_rps (burst
 * max(1, max_rps)), the logs endpoint. stop (may be NULL) ends retries early. Returns 0, or -1 after
 * appending the reason to err; call once_aws_close in both cases.
 */
int	once_aws_open(struct once_aws *a, const struct config *cfg,
	    volatile int *stop, struct buf *err);
void	once_aws_close(struct once_aws *a);

/*
 * Decrypt logzio.token_kms (under logzio.token_kms_context) with KMS at
 * aws.kms_endpoint, else the region's KMS endpoint; append the token to
 * token (free it with buf_wipe_free). Returns 0, or -1 after appending
 * the reason to err (never the token).
 */
int	once_kms_token(struct once_aws *a, const struct config *cfg,
	    struct buf *token, struct buf *err);

/*
 * The Logz.io token from whichever source the configuration names: KMS
 * (once_kms_token), else config_read_token. Same contract as those.
 */
int	once_token(struct once_aws *a, const struct config *cfg,
	    struct buf *token, struct buf *err);

/*
 * The whole of --once --output stdout: NDJSON documents on stdout, no
 * checkpoint. stop (may be NULL): set by SIGTERM/SIGINT, ends the pass
 * early but cleanly. Logs a one-line summary at info. Returns the exit
 * status: 0, or 1 on a runtime failure (reported on stderr).
 */
int	once_run(const struct config *cfg, volatile int *stop);

#endif
