/* Unit tests for buf: growth, formatting, integers, JSON string escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "buf.h"

static void
test_add_and_grow(void **state)
{
	struct buf b = BUF_INIT;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++)
		buf_addch(&b, (char)('a' + i % 26));
	assert_int_equal(b.len, 10000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(b.data[27], 'b');
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_addstr(&b, "hello ");
	buf_add(&b, "world!!", 5);
	assert_string_equal(b.data, "hello world");
	buf_free(&b);
	assert_null(b.data);
}

static void
test_printf_long(void **state)
{
	struct buf b = BUF_INIT;
	char big[5000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "%d-", 42);
	buf_printf(&b, "%s|%s", big, "end");
	assert_int_equal(b.len, 3 + 4999 + 4);
	assert_memory_equal(b.data, "42-xxx", 6);
	assert_string_equal(b.data + b.len - 4, "|end");
	buf_free(&b);
}

static void
test_detach_empty(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	(void)state;
	s = buf_detach(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_null(b.data);
	free(s);
}

static void
test_integers(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_add_u64(&b, 0);
	buf_addch(&b, ' ');
	buf_add_u64(&b, UINT64_MAX);
	buf_addch(&b, ' ');
	buf_add_i64(&b, INT64_MIN);
	buf_addch(&b, ' ');
	buf_add_i64(&b, -7);
	assert_string_equal(b.data,
	    "0 18446744073709551615 -9223372036854775808 -7");
	buf_free(&b);
}

/* Escape s and return the decoded JSON string (jansson), or NULL. */
static char *
roundtrip(const char *s, size_t n, struct buf *b)
{
	json_error_t err;
	json_t *j;
	char *out;

	buf_reset(b);
	buf_add_json_str(b, s, n);
	j = json_loadb(b->data, b->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (j == NULL)
		return NULL;
	out = strdup(json_string_value(j));
	json_decref(j);
	return out;
}

#define UTF8_OK	"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"
#define UTF8_BAD	"\x80x\xc0\xafy\xed\xa0\x80z\xe2\x82"

static void
test_json_escaping(void **state)
{
	struct buf b = BUF_INIT;
	char *r;

	(void)state;
	r = roundtrip("a\"b\\c\n\r\t\x01\x1f\x7f/", 12, &b);
	assert_non_null(r);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f\\u007f/\"");
	assert_string_equal(r, "a\"b\\c\n\r\t\x01\x1f\x7f/");
	free(r);

	/* valid multi-byte UTF-8 passes through unchanged */
	r = roundtrip(UTF8_OK, sizeof(UTF8_OK) - 1, &b);
	assert_non_null(r);
	assert_string_equal(r, UTF8_OK);
	free(r);

	/* invalid UTF-8 (lone continuation, overlong, surrogate, truncated) -> U+FFFD */
	r = roundtrip(UTF8_BAD, sizeof(UTF8_BAD) - 1, &b);
	assert_non_null(r);
	assert_string_equal(r, "\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbdy"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd");
	free(r);

	/* an embedded NUL is escaped, not a terminator */
	r = roundtrip("a\0b", 3, &b);
	assert_non_null(r);
	assert_string_equal(b.data, "\"a\\u0000b\"");
	free(r);
	buf_free(&b);
}

/* Every byte value, alone and in pairs, must give valid JSON. */
static void
test_json_every_byte(void **state)
{
	struct buf b = BUF_INIT;
	unsigned char s[2];
	json_error_t err;
	json_t *j;
	int i, k;

	(void)state;
	for (i = 0; i < 256; i++) {
		for (k = 0; k < 256; k += 17) {
			s[0] = (unsigned char)i;
			s[1] = (unsigned char)k;
			buf_reset(&b);
			buf_add_json_str(&b, (const char *)s, 2);
			j = json_loadb(b.data, b.len,
			    JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
			if (j == NULL)
				fail_msg("bytes %02x %02x: %s: %s", i, k,
				    b.data, err.text);
			json_decref(j);
		}
	}
	buf_free(&b);
}

/* buf_wipe_free: empty and reusable after, on any buffer, twice. */
static void
test_wipe_free(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_wipe_free(&b);
	assert_null(b.data);
	buf_addstr(&b, "secret-token-0123456789");
	buf_grow(&b, 1000);
	assert_true(b.cap > b.len + 1000);
	buf_wipe_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	buf_wipe_free(&b);
	buf_addstr(&b, "again");
	assert_string_equal(b.data, "again");
	buf_reset(&b);
	buf_wipe_free(&b);
	assert_null(b.data);
}

/* buf_trim: both ends, in place, nothing else; the tail is zeroed. */
static void
test_trim(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "", "" }, { " \t\r\n", "" }, { "a", "a" }, { " a b ", "a b" },
		{ "\n\ntoken\r\n", "token" }, { "\vx\f", "\vx\f" },
	};
	struct buf b = BUF_INIT;
	size_t i, n;

	(void)state;
	buf_trim(&b);
	assert_null(b.data);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_addstr(&b, cases[i].in);
		n = b.len;
		buf_trim(&b);
		assert_string_equal(b.data, cases[i].out);
		assert_int_equal(b.len, strlen(cases[i].out));
		for (; n > b.len; n--)
			assert_int_equal(b.data[n - 1], '\0');
	}
	/* A NUL byte is not white space. */
	buf_reset(&b);
	buf_add(&b, " a\0 ", 4);
	buf_trim(&b);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "a\0", 2);
	buf_free(&b);
}

/* The heap string helpers. */
static void
test_strings(void **state)
{
	char *s;

	(void)state;
	s = buf_strndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	s = buf_strndup("", 0);
	assert_string_equal(s, "");
	free(s);
	assert_null(buf_strdup(NULL));
	s = buf_strdup("secret");
	assert_string_equal(s, "secret");
	buf_str_wipe_free(&s);
	assert_null(s);
	buf_str_wipe_free(&s);
}

static void
test_read_file(void **state)
{
	char path[] = "/tmp/vpcflowd-test-buf-XXXXXX";
	struct buf b = BUF_INIT;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "line1\nline2", 11), 11);
	close(fd);
	buf_addstr(&b, ">");
	assert_int_equal(buf_read_file(&b, path), 0);
	assert_string_equal(b.data, ">line1\nline2");
	unlink(path);
	assert_int_equal(buf_read_file(&b, path), -1);
	buf_free(&b);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * mem_hash: the same bytes give the same hash wherever they sit; 200,000
 * eventId-like strings (56 digits, differing in a few) and every length
 * 0..64 of one text give distinct hashes; the low bits (table index) spread.
 */
static void
test_mem_hash(void **state)
{
	enum { N = 200000 };
	uint64_t *h = calloc(N, sizeof(*h)), low[16] = { 0 };
	char id[64], *copy;
	size_t i;

	(void)state;
	assert_non_null(h);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "3799%020zu%032zu", i * 7919 % N, i);
		h[i] = mem_hash(id, strlen(id));
		low[h[i] & 15]++;
		if (i % 1000 == 0) {
			copy = strdup(id);
			assert_true(mem_hash(copy, strlen(copy)) == h[i]);
			free(copy);
		}
	}
	for (i = 0; i < 16; i++)
		assert_true(low[i] > N / 16 * 9 / 10 && low[i] < N / 16 * 11 / 10);
	qsort(h, N, sizeof(*h), cmp_u64);
	for (i = 1; i < N; i++)
		assert_true(h[i] != h[i - 1]);
	for (i = 0; i <= 64; i++)
		h[i] = mem_hash("eni-0123456789abcdef0-all/eni-0123456789abcdef0-"
		    "all/eni-01234567", i);
	qsort(h, 65, sizeof(*h), cmp_u64);
	for (i = 1; i <= 64; i++)
		assert_true(h[i] != h[i - 1]);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_grow),
		cmocka_unit_test(test_printf_long),
		cmocka_unit_test(test_detach_empty),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_every_byte),
		cmocka_unit_test(test_wipe_free),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_mem_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
