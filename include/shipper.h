/*
 * shipper: documents to the Logz.io bulk listener.
 *
 * Pure part: a batch of newline-delimited documents (at most batch_bytes
 * before compression, each line at most SHIPPER_MAX_LINE), gzip-compressed
 * when compress = true, and the classification of the listener's answer.
 * I/O part: POST {url}/?token=..&type=.. (Content-Type text/plain, as the
 * Logz.io senders use; Content-Encoding gzip when compressing) over a
 * kept-alive connection (http.h), retried as DESIGN.md says:
 *   200: acknowledged.
 *   5xx, 429, other unexpected answers, timeouts, connection and TLS
 *     errors: the same batch again, full-jitter backoff 1 s .. 60 s,
 *     without limit; a warning at the first failure, then at most one a
 *     minute (failures so far, next delay).
 *   413: split in halves at a line boundary and send each (recursively); a
 *     single document that still gets 413 is rejected (as for 400).
 *   400: the listener refused lines (malformed, oversized, empty). Logz.io
 *     indexes the good lines of such a batch (successfulLines), so it is
 *     never resent: its counts are logged, the whole batch (uncompressed
 *     NDJSON) is kept as rejected_dir/rejected-<UTC time>-<seq>.ndjson
 *     (written atomically; the oldest files are deleted, with a warning,
 *     to keep the directory under rejected_max bytes) and counted.
 *   401/403: the token is refused: an error (what to check, how to reload)
 *     at each attempt, the batch is kept, the next attempt comes after 60 s
 *     or as soon as shipper_set_token() brings a new token.
 * The URL holds the token: neither is ever logged; messages name the host.
 */
#ifndef VPCFLOWD_SHIPPER_H
#define VPCFLOWD_SHIPPER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SHIPPER_MAX_LINE	500000		/* Logz.io: bytes per document */
#define SHIPPER_MAX_BODY	10000000	/* batch bytes before compression */
#define SHIPPER_REJECTED_MAX	(100L << 20)	/* state_dir/rejected/ total */

/*
 * Documents in order, each followed by '\n'. Deliveries settle a prefix of
 * the batch: done_docs documents (done_off bytes) are acknowledged or
 * rejected for good, so a delivery interrupted by stop (shipper_send()
 * returning 1) resumes after them, and the caller may checkpoint them.
 */
struct batch {
	struct buf	docs;		/* NDJSON, one document per line */
	size_t		ndocs;
	int64_t		opened_ms;	/* when the first document went in */
	size_t		done_docs;	/* settled prefix: documents */
	size_t		done_off;	/* settled prefix: bytes of docs */
	uint64_t	oversized;	/* refused by batch_add, not yet counted */
};

void	batch_init(struct batch *b);
void	batch_free(struct batch *b);
/* Empty the batch (keeping its memory); done_* and oversized go to 0. */
void	batch_clear(struct batch *b);
/*
 * Would doc (len bytes, without newline) still fit under limit bytes
 * (capped at SHIPPER_MAX_BODY)? An empty batch takes any document, and a
 * document over SHIPPER_MAX_LINE "fits" (batch_add takes no room for it),
 * so a caller that flushes when this says no never loops.
 */
int	batch_fits(const struct batch *b, size_t len, size_t limit);
/*
 * Append doc and its newline; opened_ms is set by the first document.
 * A document over SHIPPER_MAX_LINE is not added: its size is logged, it is
 * counted in b->oversized (added to the shipper's stats by shipper_send)
 * and -1 is returned, so the caller can log which record it was. 0 if added.
 */
int	batch_add(struct batch *b, const char *doc, size_t len, int64_t now_ms);

/* gzip (RFC 1952) of in[0..len) appended to out. Returns 0 or -1. */
int	shipper_gzip(struct buf *out, const char *in, size_t len, int level);

/* The listener's answer, classified. */
enum ship_result {
	SHIP_OK = 0,		/* 2xx: acknowledged */
	SHIP_RETRY,		/* 5xx, 429, timeout, connection or TLS error,
				   anything unexpected (3xx, 404, ...): again */
	SHIP_TOO_LARGE,		/* 413: split */
	SHIP_REJECTED,		/* 400: refused lines; keep, count, move on */
	SHIP_UNAUTHORIZED	/* 401/403: token refused */
};

/*
 * Counts from a 400 body: {"malformedLines":N,"successfulLines":N,
 * "oversizedLines":N,"emptyLogLines":N}; -1 for each one the body lacks.
 */
struct ship_counts {
	long	malformed, successful, oversized, empty;
};

/* counts may be NULL; it is filled (all -1 unless a 400 says otherwise). */
enum ship_result shipper_classify(long status, int transport_error,
	    const char *body, size_t len, struct ship_counts *counts);

struct shipper_opts {
	const char	*url;		/* https://listener.logz.io:8071, no query */
	const char	*type;		/* NULL: "http-bulk" */
	int		 compress;
	const char	*ca_file;	/* NULL: system store */
	long		 timeout_ms;	/* per request; 0: 30 s */
	const char	*rejected_dir;	/* state_dir/rejected (created if missing) */
	long		 rejected_max;	/* bytes; 0: SHIPPER_REJECTED_MAX */
	long		 shutdown_ms;	/* stop: a request in flight goes on this
					   long at most (0: to its timeout) */
	void		(*keepalive)(void *);	/* at least once a second during a
					   request (a watchdog); must not use
					   the shipper; may be NULL */
	void		*keepalive_arg;
};

struct shipper_stats {
	uint64_t	batches;	/* requests acknowledged (200) */
	uint64_t	documents;	/* documents acknowledged */
	uint64_t	bytes_sent;	/* request bytes acknowledged (compressed) */
	uint64_t	retries;	/* attempts that failed and were repeated */
	uint64_t	rejected_batches;	/* 400, or 413 for one document */
	uint64_t	rejected_lines;	/* lines the listener refused */
	uint64_t	oversized_docs;	/* documents over SHIPPER_MAX_LINE, not sent */
};

struct shipper;

/*
 * token is copied (and wiped on free / replace). NULL, logged, when the
 * options are unusable (no token, URL not http(s):// or with a query).
 */
struct shipper *shipper_new(const struct shipper_opts *opts, const char *token);
void	shipper_free(struct shipper *s);
/*
 * SIGHUP: a new token for the next attempt. May be called from wait_cb:
 * a wait in progress (401 or backoff) then ends at once.
 */
void	shipper_set_token(struct shipper *s, const char *token);

/*
 * Deliver the documents of b after its settled prefix: returns 0 when all
 * are acknowledged or rejected for good (400, kept on disk), 1 when *stop
 * is set before that: at once if deadline_ms is 0, else no attempt starts
 * at or after deadline_ms (CLOCK_MONOTONIC milliseconds) and those started
 * while stopping are cut there. A request in flight when stop is set is
 * abandoned at deadline_ms, or, without one, shutdown_ms after the shipper
 * saw stop (shipper_stop_seen_ms). On 1 the
 * rest of the batch is the caller's (b->done_docs tells what was settled;
 * calling again resumes after it). stop may be NULL. Waits between
 * attempts are spent in short sleeps that watch *stop; wait_cb (may be
 * NULL) is called when a wait starts and every 200 ms during it
 * (watchdog, summary line, SIGHUP handling).
 */
int	shipper_send(struct shipper *s, struct batch *b, volatile int *stop,
	    int64_t deadline_ms, void (*wait_cb)(void *), void *wait_arg);
const struct shipper_stats *shipper_stats(const struct shipper *s);
/* When a request in flight first saw stop (monotonic ms), or 0. */
int64_t	shipper_stop_seen_ms(const struct shipper *s);

/*
 * Tests only: backoff from base_ms up to cap_ms, and unauthorized_ms
 * between attempts after a 401/403 (instead of 1 s, 60 s and 60 s).
 */
void	shipper_set_delays_for_tests(struct shipper *s, long base_ms,
	    long cap_ms, long unauthorized_ms);

#endif
