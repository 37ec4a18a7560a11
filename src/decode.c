/* decode: stdin-to-stdout record decoding around the flow core (include/decode.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "decode.h"
#include "log.h"

#define DECODE_READ_SIZE	(1 << 20)
#define DECODE_FLUSH_SIZE	(1 << 18)

/* Write all of b to fd and empty it; EINTR and short writes are retried. */
static int
write_all(int fd, struct buf *b)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		n = write(fd, b->data + off, b->len - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	buf_reset(b);
	return 0;
}

static int
is_blank(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len == 0;
}

/*
 * Decode one input line (without its newline). The first non-blank line may
 * be a header that sets the format when the caller gave none.
 */
static void
decode_line(const char *line, size_t len, struct flow_format *fmt,
    int *format_open, const struct flow_opts *opts, struct buf *out,
    struct decode_stats *st, uint64_t lineno)
{
	static const struct flow_meta no_meta = { NULL, NULL, NULL, -1 };
	char err[256];

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (is_blank(line, len))
		return;
	if (*format_open) {
		*format_open = 0;
		if (flow_line_is_header(line, len)) {
			struct buf spec = BUF_INIT;

			buf_add(&spec, line, len);
			if (flow_format_parse(fmt, spec.data, err, sizeof(err)) == -1)
				fatalx("header line %llu: %s",
				    (unsigned long long)lineno, err);
			buf_free(&spec);
			log_debug("line %llu is a header: using it as the format",
			    (unsigned long long)lineno);
			return;
		}
	}
	st->lines++;
	if (flow_encode(out, fmt, opts, &no_meta, line, len) != 0) {
		if (st->parse_errors++ == 0)
			st->first_error_line = lineno;
		log_debug("line %llu did not parse", (unsigned long long)lineno);
	}
	buf_addch(out, '\n');
}

int
decode_stream(int in_fd, int out_fd, const char *name,
    const struct flow_format *given, const struct flow_opts *opts,
    struct decode_stats *st)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct flow_format fmt;
	size_t start = 0;
	uint64_t lineno = 0;
	int format_open = given == NULL, rc = 0;
	ssize_t n;
	char *nl;

	memset(st, 0, sizeof(*st));
	if (given != NULL)
		fmt = *given;
	else if (flow_format_parse(&fmt, FLOW_DEFAULT_FORMAT, NULL, 0) == -1)
		fatalx("built-in default format does not parse");
	buf_grow(&in, DECODE_READ_SIZE);
	buf_grow(&out, DECODE_FLUSH_SIZE + 65536);
	for (;;) {
		/* Keep the unfinished tail, then read more after it. */
		if (start > 0) {
			memmove(in.data, in.data + start, in.len - start);
			in.len -= start;
			start = 0;
		}
		buf_grow(&in, DECODE_READ_SIZE);
		n = read(in_fd, in.data + in.len, in.cap - in.len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: read", name);
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		st->bytes_in += (uint64_t)n;
		in.len += (size_t)n;
		while ((nl = memchr(in.data + start, '\n', in.len - start)) != NULL) {
			decode_line(in.data + start, (size_t)(nl - in.data) - start,
			    &fmt, &format_open, opts, &out, st, ++lineno);
			start = (size_t)(nl - in.data) + 1;
			if (out.len >= DECODE_FLUSH_SIZE) {
				st->bytes_out += out.len;
				if (write_all(out_fd, &out) == -1)
					goto write_failed;
			}
		}
	}
	if (rc == 0 && start < in.len)	/* last line without a newline */
		decode_line(in.data + start, in.len - start, &fmt, &format_open,
		    opts, &out, st, ++lineno);
	st->bytes_out += out.len;
	if (write_all(out_fd, &out) == -1)
		goto write_failed;
	buf_free(&in);
	buf_free(&out);
	return rc;

write_failed:
	log_warn("write of decoded documents failed");
	buf_free(&in);
	buf_free(&out);
	return -1;
}
