/*
 * libFuzzer target: AWS error responses (JSON __type/message, XML
 * Code/Message, the X-Amzn-ErrorType header) and HTTP Date headers, as
 * CloudWatch Logs, STS and KMS may send them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "awserr.h"
#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The name and message are NUL-terminated, bounded, single-line text. */
static void
check_error(const struct aws_error *err)
{
	if (memchr(err->name, '\0', sizeof(err->name)) == NULL ||
	    memchr(err->message, '\0', sizeof(err->message)) == NULL)
		__builtin_trap();
	if (strchr(err->message, '\n') != NULL || strchr(err->name, '\n') != NULL)
		__builtin_trap();
	if (err->cls < AWSERR_NONE || err->cls > AWSERR_FATAL)
		__builtin_trap();
	(void)awserr_advice(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf header = BUF_INIT, text = BUF_INIT;
	struct aws_error err;
	static const long statuses[] = { 400, 403, 429, 500, 503, 200, 0, 404 };
	const char *split;
	size_t hlen;

	if (size < 1)
		return 0;
	/* First byte: status; up to the first newline: the error-type header. */
	split = memchr(data + 1, '\n', size - 1);
	hlen = split ? (size_t)(split - (const char *)data) - 1 : 0;
	if (split != NULL)
		buf_add(&header, data + 1, hlen);
	memset(&err, 0x55, sizeof(err));
	awserr_classify(&err, statuses[data[0] & 7],
	    split != NULL && (data[0] & 8) ? header.data : NULL,
	    (const char *)data + 1 + (split ? hlen + 1 : 0),
	    size - 1 - (split ? hlen + 1 : 0));
	check_error(&err);
	buf_add(&text, data, size);
	(void)awserr_parse_http_date(text.data);
	buf_free(&header);
	buf_free(&text);
	return 0;
}
