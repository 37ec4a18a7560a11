/*
 * libFuzzer target: the JSON credentials parser of the IMDS and container
 * providers (creds_parse_json) and the ISO-8601 times in it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "creds_provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_creds c;
	struct buf err = BUF_INIT;
	time_t t;
	size_t sum = 0;

	if (creds_parse_json((const char *)data, size, &c, &err) == 0) {
		if (err.len != 0 || c.access_key_id == NULL ||
		    c.secret_access_key == NULL || c.expiration <= 0 ||
		    creds_validate(&c, &err) != 0)
			__builtin_trap();
		sum += strlen(c.access_key_id) + strlen(c.secret_access_key);
	} else if (err.len == 0 || c.access_key_id != NULL ||
	    c.secret_access_key != NULL || c.session_token != NULL)
		__builtin_trap();
	aws_creds_clear(&c);
	if (creds_parse_iso8601((const char *)data, size, &t) == 0 && t < 0)
		__builtin_trap();
	buf_free(&err);
	return sum == (size_t)-1;
}
