/*
 * decode: the streaming I/O around the flow core for `vpcflowd --decode`:
 * raw records, one per line, in; one document per line out. Memory stays
 * flat whatever the input size (bounded by the longest line).
 */
#ifndef VPCFLOWD_DECODE_H
#define VPCFLOWD_DECODE_H

#include <stdint.h>

#include "flow.h"

struct decode_stats {
	uint64_t	lines;		/* records read (header and blank lines excluded) */
	uint64_t	parse_errors;	/* records shipped tagged _vpcflow_parse_error */
	uint64_t	first_error_line;	/* 1-based input line of the first one, 0 if none */
	uint64_t	bytes_in;
	uint64_t	bytes_out;
};

/*
 * Decode every line of in_fd to out_fd. fmt NULL: a first line that is a
 * header of field names becomes the format, else the AWS default applies.
 * Returns 0, or -1 after logging a read or write error (name is the input's
 * name for messages).
 */
int	decode_stream(int in_fd, int out_fd, const char *name,
	    const struct flow_format *fmt, const struct flow_opts *opts,
	    struct decode_stats *stats);

#endif
