/*
 * Unit tests for kms: base64 both ways, the Decrypt request body, the
 * response parser and the token check; no message ever quotes the secret.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "kms.h"
#include "log.h"

/* RFC 4648 section 10. */
static const char *const rfc4648[][2] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void
test_base64_vectors(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		buf_reset(&b);
		kms_base64_encode(&b, rfc4648[i][0], strlen(rfc4648[i][0]));
		assert_string_equal(b.data ? b.data : "", rfc4648[i][1]);
		buf_reset(&b);
		assert_int_equal(kms_base64_decode(&b, rfc4648[i][1],
		    strlen(rfc4648[i][1])), 0);
		assert_int_equal(b.len, strlen(rfc4648[i][0]));
		assert_memory_equal(b.data, rfc4648[i][0], b.len);
	}
	buf_free(&b);
}

static void
test_base64_lenient(void **state)
{
	static const char *const ok[][2] = {
		{ "Zm9v\nYmFy\r\n", "foobar" },
		{ "  Zm9vYg==  ", "foob" },
		{ "Zm9vYg", "foob" },		/* padding left out */
		{ "Zm9vYmE", "fooba" },
		{ "Zm9vYg=\n=", "foob" },
		{ "+/+/", "\xfb\xff\xbf" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		buf_reset(&b);
		assert_int_equal(kms_base64_decode(&b, ok[i][0],
		    strlen(ok[i][0])), 0);
		assert_int_equal(b.len, strlen(ok[i][1]));
		assert_memory_equal(b.data, ok[i][1], b.len);
	}
	buf_free(&b);
}

static void
test_base64_invalid(void **state)
{
	static const char *const bad[] = {
		"Z", "Zm9vY", "Zm9v=", "Zm9vYg=", "Zm9vYg===", "Zm9v!mFy",
		"Zg==Zg==", "Zm-_", "=", "Zm9vYmFy=",
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		buf_addstr(&b, "keep");
		if (kms_base64_decode(&b, bad[i], strlen(bad[i])) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_string_equal(b.data, "keep");
	}
	buf_free(&b);
}

static void
test_base64_roundtrip(void **state)
{
	unsigned char bytes[300];
	struct buf enc = BUF_INIT, dec = BUF_INIT;
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7919 + 13);
	for (n = 0; n <= sizeof(bytes); n += 1 + n / 3) {
		buf_reset(&enc);
		buf_reset(&dec);
		kms_base64_encode(&enc, bytes, n);
		assert_int_equal(enc.len, (n + 2) / 3 * 4);
		assert_int_equal(kms_base64_decode(&dec, enc.data ? enc.data :
		    "", enc.len), 0);
		assert_int_equal(dec.len, n);
		if (n > 0)
			assert_memory_equal(dec.data, bytes, n);
	}
	buf_free(&enc);
	buf_free(&dec);
}

static void
test_request_body(void **state)
{
	struct config_kv kv[] = {
		{ "LambdaFunctionName", "shipper", 1 },
		{ "Stage", "3", 0 },
	};
	struct config_map ctx = { kv, 2 };
	struct buf out = BUF_INIT, err = BUF_INIT;
	json_t *j, *c;

	(void)state;
	assert_int_equal(kms_request_body(&out, " Zm9v\nYmFy ", &ctx, &err), 0);
	j = json_loads(out.data, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j,
	    "CiphertextBlob")), "Zm9vYmFy");
	c = json_object_get(j, "EncryptionContext");
	assert_int_equal(json_object_size(c), 2);
	assert_string_equal(json_string_value(json_object_get(c,
	    "LambdaFunctionName")), "shipper");
	assert_string_equal(json_string_value(json_object_get(c, "Stage")),
	    "3");
	json_decref(j);

	/* No context: no EncryptionContext member. */
	buf_reset(&out);
	assert_int_equal(kms_request_body(&out, "Zm9vYmFy", NULL, &err), 0);
	assert_string_equal(out.data, "{\"CiphertextBlob\":\"Zm9vYmFy\"}");
	ctx.n = 0;
	buf_reset(&out);
	assert_int_equal(kms_request_body(&out, "Zm9vYmFy", &ctx, &err), 0);
	assert_string_equal(out.data, "{\"CiphertextBlob\":\"Zm9vYmFy\"}");
	assert_int_equal(err.len, 0);
	buf_free(&out);
	buf_free(&err);
}

static void
test_request_body_errors(void **state)
{
	struct buf out = BUF_INIT, err = BUF_INIT, big = BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(kms_request_body(&out, "not base64!", NULL, &err), -1);
	assert_non_null(strstr(err.data, "token_kms is not base64"));
	buf_reset(&err);
	assert_int_equal(kms_request_body(&out, "", NULL, &err), -1);
	assert_non_null(strstr(err.data, "0 bytes"));
	buf_reset(&err);
	assert_int_equal(kms_request_body(&out, NULL, NULL, &err), -1);
	buf_reset(&err);
	for (i = 0; i < KMS_MAX_CIPHERTEXT / 3 + 1; i++)
		buf_addstr(&big, "QUJD");
	assert_int_equal(kms_request_body(&out, big.data, NULL, &err), -1);
	assert_non_null(strstr(err.data, "1 to 6144"));
	assert_int_equal(out.len, 0);
	buf_free(&out);
	buf_free(&err);
	buf_free(&big);
}

#define SECRET		"Sup3rS3cretLogzToken"
#define SECRET_B64	"U3VwM3JTM2NyZXRMb2d6VG9rZW4="

static void
test_response_parse(void **state)
{
	static const char good[] = "{\"KeyId\":\"arn:aws:kms:us-east-1:1:key/x\","
	    "\"Plaintext\":\"" SECRET_B64 "\",\"EncryptionAlgorithm\":"
	    "\"SYMMETRIC_DEFAULT\"}";
	struct buf pt = BUF_INIT, err = BUF_INIT;

	(void)state;
	assert_int_equal(kms_response_parse(&pt, good, strlen(good), &err), 0);
	assert_string_equal(pt.data, SECRET);
	assert_int_equal(err.len, 0);
	buf_free(&pt);
}

static void
test_response_errors(void **state)
{
	static const struct {
		const char	*body;
		const char	*says;
	} cases[] = {
		{ "", "not JSON" },
		{ "{\"Plaintext\":\"" SECRET_B64, "not JSON" },
		{ "[\"" SECRET_B64 "\"]", "not a JSON object" },
		{ "{}", "Plaintext is missing" },
		{ "{\"Plaintext\":null}", "Plaintext is missing or not a string" },
		{ "{\"Plaintext\":7}", "Plaintext is missing or not a string" },
		{ "{\"Plaintext\":\"" SECRET "!\"}", "Plaintext is not base64" },
	};
	struct buf pt = BUF_INIT, err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&err);
		buf_reset(&pt);
		assert_int_equal(kms_response_parse(&pt, cases[i].body,
		    strlen(cases[i].body), &err), -1);
		if (strstr(err.data, cases[i].says) == NULL)
			fail_msg("case %zu: said %s", i, err.data);
		assert_null(strstr(err.data, SECRET));
		assert_null(strstr(err.data, SECRET_B64));
		assert_int_equal(pt.len, 0);
	}
	buf_free(&pt);
	buf_free(&err);
}

static void
test_token_check(void **state)
{
	struct buf t = BUF_INIT, err = BUF_INIT;

	(void)state;
	buf_addstr(&t, "\n  " SECRET " \r\n");
	assert_int_equal(kms_token_check(&t, &err), 0);
	assert_string_equal(t.data, SECRET);
	assert_int_equal(t.len, strlen(SECRET));

	buf_reset(&t);
	buf_addstr(&t, " \n\t");
	assert_int_equal(kms_token_check(&t, &err), -1);
	assert_non_null(strstr(err.data, "empty"));

	buf_reset(&t);
	buf_reset(&err);
	buf_add(&t, SECRET "\0x\xff", strlen(SECRET) + 3);
	assert_int_equal(kms_token_check(&t, &err), -1);
	assert_non_null(strstr(err.data, "byte 21"));
	assert_null(strstr(err.data, SECRET));

	buf_reset(&t);
	buf_reset(&err);
	buf_addstr(&t, "two words");
	assert_int_equal(kms_token_check(&t, &err), -1);
	assert_non_null(strstr(err.data, "9 bytes"));
	buf_free(&t);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_lenient),
		cmocka_unit_test(test_base64_invalid),
		cmocka_unit_test(test_base64_roundtrip),
		cmocka_unit_test(test_request_body),
		cmocka_unit_test(test_request_body_errors),
		cmocka_unit_test(test_response_parse),
		cmocka_unit_test(test_response_errors),
		cmocka_unit_test(test_token_check),
	};

	log_init(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
