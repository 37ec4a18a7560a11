/*
 * libFuzzer target: the STS XML reader (sts.h), on whatever an STS endpoint
 * (or a proxy in the way) may answer: credentials and error documents.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_creds c;
	struct buf err = BUF_INIT, code = BUF_INIT, msg = BUF_INIT;
	size_t sum = 0;

	if (sts_parse_credentials((const char *)data, size, &c, &err) == 0) {
		if (err.len != 0 || c.access_key_id == NULL ||
		    c.secret_access_key == NULL || c.session_token == NULL ||
		    c.expiration <= 0)
			__builtin_trap();
		sum += strlen(c.access_key_id) + strlen(c.secret_access_key) +
		    strlen(c.session_token);
	} else if (err.len == 0 || c.access_key_id != NULL ||
	    c.secret_access_key != NULL || c.session_token != NULL)
		__builtin_trap();	/* an error says why and leaves nothing */
	aws_creds_clear(&c);
	if (sts_parse_error((const char *)data, size, &code, &msg) == 0) {
		if (code.len == 0 || code.len > 128 || msg.len > 400)
			__builtin_trap();
		sum += strlen(code.data);
	}
	buf_free(&err);
	buf_free(&code);
	buf_free(&msg);
	return sum == (size_t)-1;
}
