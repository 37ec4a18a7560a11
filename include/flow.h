/*
 * flow: VPC Flow Log records to JSON documents. A pure core: no I/O, no
 * clock, no allocation on the per-record path (the caller's buf grows).
 */
#ifndef VPCFLOWD_FLOW_H
#define VPCFLOWD_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define FLOW_MAX_FIELDS	64

/* The AWS default format (version 2, 14 fields). */
#define FLOW_DEFAULT_FORMAT \
	"${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} " \
	"${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} " \
	"${end} ${action} ${log-status}"

enum flow_style {
	FLOW_STYLE_LOGZIO = 0,	/* flat, field names of the Logz.io Lambda shipper */
	FLOW_STYLE_ECS		/* Elastic Common Schema, nested objects, no dots */
};

/* A parsed format: field ids (indices into the field table), in record order. */
struct flow_format {
	int	nfields;
	uint8_t	field[FLOW_MAX_FIELDS];
};

/* Per-document options, fixed for the life of a configuration. */
struct flow_opts {
	enum flow_style	 style;
	int		 include_message;	/* 1: add "message" with the raw record */
	const char	*add_json;	/* NULL or pre-rendered members, e.g. "\"env\":\"prod\"" */
};

/* CloudWatch metadata of the record; NULL / -1 members are omitted. */
struct flow_meta {
	const char	*log_group;
	const char	*log_stream;
	const char	*event_id;
	int64_t		 timestamp_ms;	/* event timestamp, -1 when unknown */
};

/*
 * Parse a format in the "${a} ${b}" form or the plain "a b" header form.
 * Returns 0, or -1 with a message naming the offending field in err.
 */
int	flow_format_parse(struct flow_format *fmt, const char *spec,
	    char *err, size_t errlen);

/*
 * True when line[0..len) is a plain header of known field names
 * ("version account-id interface-id ..."), as in flow log files on S3:
 * space- or tab-separated, each name once, trailing CR/LF ignored. When it
 * is, flow_format_parse() accepts the same text.
 */
int	flow_line_is_header(const char *line, size_t len);

/* Number of known fields, and the AWS name of field id i (for -n, docs, tests). */
int		 flow_field_count(void);
const char	*flow_field_name(int id);

/* Style names: "logzio" / "ecs". Returns -1 for an unknown name. */
int		 flow_style_parse(const char *name);
const char	*flow_style_name(enum flow_style style);

/*
 * Append one JSON object (no trailing newline) for the record line[0..len)
 * (a trailing "\n" or "\r\n" is ignored). Returns 0 when the record parsed,
 * 1 when it did not: the document is still written, with the raw message,
 * the metadata, "tags":["_vpcflow_parse_error"] and "parse_error" naming the
 * field and the problem ("field 7 (dstport): not a number"; in style ecs
 * error.message). The members of each style are listed at the top of
 * src/flow.c. fmt must come from flow_format_parse(); meta and opts may be
 * NULL (no metadata; style logzio with the message).
 */
int	flow_encode(struct buf *out, const struct flow_format *fmt,
	    const struct flow_opts *opts, const struct flow_meta *meta,
	    const char *line, size_t len);

#endif
