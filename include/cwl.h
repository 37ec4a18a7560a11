/*
 * cwl: the CloudWatch Logs FilterLogEvents client.
 *
 * Pure parts (no I/O, unit-tested and fuzzed): the JSON request body and the
 * parser of one response page. I/O part: cwl_filter() reads a whole time
 * window, page after page, through aws_json_call (which paces, signs,
 * retries and classifies), and hands each event to a callback, so memory is
 * bounded by one page whatever the size of the window.
 *
 * Pagination rules: only a page without a nextToken is the last one; a page
 * with no events but a nextToken is not. A rejected or expired nextToken
 * (AWSERR_BAD_NEXT_TOKEN) restarts the window at the timestamp of the last
 * event delivered; the eventIds already delivered from that millisecond on
 * are remembered, so no event is delivered twice.
 */
#ifndef VPCFLOWD_CWL_H
#define VPCFLOWD_CWL_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "awserr.h"
#include "buf.h"

#define CWL_TARGET		"Logs_20140328.FilterLogEvents"
#define CWL_MAX_LIMIT		10000	/* FilterLogEvents' own maximum */
#define CWL_MAX_RESTARTS	10	/* bad nextTokens in a row without progress */

/* What to read. Strings are borrowed; NULL / -1 / 0 members are left out. */
struct cwl_query {
	const char	*log_group;	/* logGroupName (ignored when the ARN is set) */
	const char	*log_group_arn;	/* logGroupIdentifier: the ARN without ":*" */
	const char	*log_stream_prefix;	/* logStreamNamePrefix */
	const char	*filter_pattern;	/* filterPattern ("" is left out too) */
	int64_t		 start_ms;	/* startTime, inclusive; -1: none */
	int64_t		 end_ms;	/* endTime; -1: none */
	int		 limit;		/* 1..CWL_MAX_LIMIT; 0: the service's default */
};

/* One event of a page; the strings live as long as the page. */
struct cwl_event {
	const char	*log_stream;
	const char	*event_id;
	const char	*message;
	size_t		 message_len;	/* the message may hold NUL bytes */
	int64_t		 timestamp;	/* ms since the epoch */
	int64_t		 ingestion_time;	/* ms since the epoch; -1 when absent */
};

/*
 * One parsed response page. It owns a copy of the body, in which the strings
 * are decoded in place, so the body may be freed or reused after parsing.
 */
struct cwl_page {
	struct buf	 text;		/* the body's copy (owns the strings) */
	struct buf	 store;		/* the memory of events */
	struct cwl_event *events;
	size_t		 nevents;
	const char	*next_token;	/* NULL on the last page */
};

/*
 * Append the FilterLogEvents request body for q (next_token NULL or "" for
 * the first page) to out. Returns 0, or -1 after appending the reason to err
 * (no log group, limit out of range).
 */
int	cwl_request_body(struct buf *out, const struct cwl_query *q,
	    const char *next_token, struct buf *err);

/*
 * Parse one response page body[0..len) into page (initialized here; release
 * it with cwl_page_free in both cases). The page copies the body: body may
 * be freed or reused as soon as this returns. The body must be strict JSON
 * (RFC 8259, what jansson accepts; a syntax error says "line L, column C,
 * offset O"). Members that are missing or of the wrong type are errors that
 * name the member ("events[3].timestamp: ..."); unknown members are skipped,
 * of duplicate keys the last one counts.
 * Returns 0, or -1 after appending the reason to err.
 */
int	cwl_page_parse(struct cwl_page *page, const char *body, size_t len,
	    struct buf *err);
void	cwl_page_free(struct cwl_page *page);

/*
 * The transport: send one request body, get the 200 body in out. Same
 * contract as aws_json_call. NULL in struct cwl_client means aws_json_call
 * on aws/ep with CWL_TARGET; tests put a fake here.
 */
typedef int (*cwl_call_fn)(void *arg, const char *body, struct buf *out,
	    struct aws_error *err);

struct cwl_client {
	struct aws_client	*aws;
	struct aws_endpoint	*ep;
	cwl_call_fn		 call;	/* NULL: aws_json_call(aws, ep, CWL_TARGET, ...) */
	void			*call_arg;
};

/* Per event: return 0 to go on, -1 to abort the read (cwl_filter returns -1). */
typedef int (*cwl_event_fn)(void *arg, const struct cwl_event *ev);

struct cwl_stats {
	uint64_t	pages;
	uint64_t	empty_pages;	/* pages without events (nextToken or not) */
	uint64_t	events;		/* delivered to the callback */
	uint64_t	duplicates;	/* skipped after a restart: already delivered */
	uint64_t	restarts;	/* after a rejected nextToken */
	int64_t		last_timestamp;	/* of the last event delivered; -1: none */
};

enum cwl_result {
	CWL_ERROR = -1,		/* AWS said no, the response was bad, or fn aborted */
	CWL_DONE = 0,		/* the whole window was read */
	CWL_STOPPED = 1		/* *stop was set: read up to some point */
};

/*
 * Read the whole window q, page after page, calling fn for each event in
 * the order FilterLogEvents returns them. stats is filled (zeroed first).
 * On CWL_ERROR, err says what AWS answered (cls AWSERR_NONE when the
 * response could not be parsed or fn aborted) and the error has been
 * logged, with awserr_advice for fatal ones. stop may be NULL.
 */
enum cwl_result cwl_filter(struct cwl_client *c, const struct cwl_query *q,
	    cwl_event_fn fn, void *arg, volatile int *stop,
	    struct cwl_stats *stats, struct aws_error *err);

#endif
