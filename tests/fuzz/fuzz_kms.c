/*
 * libFuzzer target: the KMS Decrypt response parser and the token check
 * (kms.h), and base64 decoding against re-encoding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "kms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever decodes must encode back to the same bytes, once more. */
static void
base64_roundtrip(const char *s, size_t n)
{
	struct buf dec = BUF_INIT, enc = BUF_INIT, again = BUF_INIT;

	if (kms_base64_decode(&dec, s, n) == 0) {
		kms_base64_encode(&enc, dec.data ? dec.data : "", dec.len);
		if (kms_base64_decode(&again, enc.data ? enc.data : "",
		    enc.len) != 0 || again.len != dec.len ||
		    (dec.len > 0 && memcmp(again.data, dec.data, dec.len) != 0))
			__builtin_trap();
	}
	buf_free(&dec);
	buf_free(&enc);
	buf_free(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf pt = BUF_INIT, err = BUF_INIT;

	if (kms_response_parse(&pt, (const char *)data, size, &err) == 0) {
		if (kms_token_check(&pt, &err) == 0 && (pt.len == 0 ||
		    strlen(pt.data) != pt.len))
			__builtin_trap();
	} else if (err.len == 0 || pt.len != 0)
		__builtin_trap();
	base64_roundtrip((const char *)data, size);
	buf_free(&pt);
	buf_free(&err);
	return 0;
}
