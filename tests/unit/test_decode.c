/* Unit tests for decode: line splitting across reads, header detection, CRLF, blank lines. */
#include <errno.h>
#include <fcntl.h>
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
#include "decode.h"
#include "flow.h"

#define REC "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"

/* Write input to a temp file, decode it into another; return the output. */
static void
decode_text(const char *input, size_t len, const struct flow_format *fmt,
    struct buf *out, struct decode_stats *st)
{
	char in_path[] = "/tmp/vpcflowd-test-decode-in-XXXXXX";
	char out_path[] = "/tmp/vpcflowd-test-decode-out-XXXXXX";
	struct flow_opts opts = { FLOW_STYLE_LOGZIO, 1, NULL };
	int in_fd, out_fd;

	in_fd = mkstemp(in_path);
	out_fd = mkstemp(out_path);
	assert_true(in_fd >= 0 && out_fd >= 0);
	assert_int_equal(write(in_fd, input, len), (ssize_t)len);
	assert_int_equal(lseek(in_fd, 0, SEEK_SET), 0);
	assert_int_equal(decode_stream(in_fd, out_fd, "test", fmt, &opts, st), 0);
	close(in_fd);
	close(out_fd);
	buf_reset(out);
	assert_int_equal(buf_read_file(out, out_path), 0);
	unlink(in_path);
	unlink(out_path);
}

/* Count the documents in NDJSON text, failing on any line that is not JSON. */
static int
count_docs(const struct buf *out)
{
	const char *p = out->data, *nl;
	json_error_t err;
	json_t *j;
	int n = 0;

	while (p < out->data + out->len && (nl = strchr(p, '\n')) != NULL) {
		j = json_loadb(p, (size_t)(nl - p), 0, &err);
		if (j == NULL)
			fail_msg("not JSON: %.*s", (int)(nl - p), p);
		json_decref(j);
		n++;
		p = nl + 1;
	}
	assert_ptr_equal(p, out->data + out->len);	/* ends with a newline */
	return n;
}

static void
test_blank_crlf_no_final_newline(void **state)
{
	const char in[] = "\n" REC "\r\n   \n" REC "\n\n" REC;
	struct buf out = BUF_INIT;
	struct decode_stats st;

	(void)state;
	decode_text(in, sizeof(in) - 1, NULL, &out, &st);
	assert_int_equal(count_docs(&out), 3);
	assert_int_equal(st.lines, 3);
	assert_int_equal(st.parse_errors, 0);
	assert_null(strstr(out.data, "\\r"));
	assert_int_equal(st.bytes_in, sizeof(in) - 1);
	assert_int_equal(st.bytes_out, out.len);
	buf_free(&out);
}

static void
test_header_line_sets_format(void **state)
{
	const char in[] = "srcaddr dstaddr dstport\n10.0.0.1 10.0.0.2 443\n";
	struct buf out = BUF_INIT;
	struct decode_stats st;

	(void)state;
	decode_text(in, sizeof(in) - 1, NULL, &out, &st);
	assert_int_equal(count_docs(&out), 1);
	assert_int_equal(st.lines, 1);
	assert_int_equal(st.parse_errors, 0);
	assert_non_null(strstr(out.data, "\"dstport\":443"));
	buf_free(&out);
}

static void
test_given_format_ignores_header_detection(void **state)
{
	const char in[] = "srcaddr dstaddr dstport\n10.0.0.1 10.0.0.2 443\n";
	struct flow_format fmt;
	struct buf out = BUF_INIT;
	struct decode_stats st;

	(void)state;
	assert_int_equal(flow_format_parse(&fmt, FLOW_DEFAULT_FORMAT, NULL, 0), 0);
	decode_text(in, sizeof(in) - 1, &fmt, &out, &st);
	assert_int_equal(count_docs(&out), 2);
	assert_int_equal(st.parse_errors, 2);
	assert_int_equal(st.first_error_line, 1);
	buf_free(&out);
}

/* More than one read buffer of input: lines that straddle reads stay whole. */
static void
test_many_reads(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct decode_stats st;
	int i, n = 30000;

	(void)state;
	for (i = 0; i < n; i++)
		buf_printf(&in, "%s%s\n", REC, i % 7 == 0 ? "   " : "");
	assert_true(in.len > (1 << 21));
	decode_text(in.data, in.len, NULL, &out, &st);
	assert_int_equal(count_docs(&out), n);
	assert_int_equal(st.parse_errors, 0);
	buf_free(&in);
	buf_free(&out);
}

static void
test_long_line_is_kept(void **state)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct decode_stats st;
	int i;

	(void)state;
	for (i = 0; i < 300000; i++)
		buf_addch(&in, (char)('a' + i % 26));
	buf_addstr(&in, "\n" REC "\n");
	decode_text(in.data, in.len, NULL, &out, &st);
	assert_int_equal(count_docs(&out), 2);
	assert_int_equal(st.parse_errors, 1);
	assert_true(out.len > 300000);
	buf_free(&in);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blank_crlf_no_final_newline),
		cmocka_unit_test(test_header_line_sets_format),
		cmocka_unit_test(test_given_format_ignores_header_detection),
		cmocka_unit_test(test_many_reads),
		cmocka_unit_test(test_long_line_is_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
