/*
 * Unit tests for cwl: the FilterLogEvents request body, the response page
 * parser, and the read loop (pagination, empty pages, rejected nextTokens,
 * errors, stop) against an in-memory fake of the service.
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

#include "awserr.h"
#include "buf.h"
#include "cwl.h"
#include "log.h"

static const struct cwl_query base_query = {
	"/vpc/flowlogs/prod", NULL, NULL, NULL, -1, -1, 0
};

static json_t *
body_json(const struct cwl_query *q, const char *token)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	json_t *j;

	assert_int_equal(cwl_request_body(&out, q, token, &err), 0);
	assert_int_equal(err.len, 0);
	j = json_loads(out.data, 0, NULL);
	assert_non_null(j);
	buf_free(&out);
	return j;
}

static void
test_body_minimal(void **state)
{
	json_t *j;

	(void)state;
	j = body_json(&base_query, NULL);
	assert_int_equal(json_object_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(j,
	    "logGroupName")), "/vpc/flowlogs/prod");
	json_decref(j);
	/* An empty nextToken is no token. */
	j = body_json(&base_query, "");
	assert_null(json_object_get(j, "nextToken"));
	json_decref(j);
}

static void
test_body_full(void **state)
{
	struct cwl_query q = base_query;
	json_t *j;

	(void)state;
	q.log_group_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/x";
	q.log_stream_prefix = "eni-";
	q.filter_pattern = "[version, account, eni, src, dst=\"10.*\"]";
	q.start_ms = 0;
	q.end_ms = 1700000000123LL;
	q.limit = 500;
	j = body_json(&q, "tok/+=");
	assert_null(json_object_get(j, "logGroupName"));
	assert_string_equal(json_string_value(json_object_get(j,
	    "logGroupIdentifier")), q.log_group_arn);
	assert_string_equal(json_string_value(json_object_get(j,
	    "logStreamNamePrefix")), "eni-");
	assert_string_equal(json_string_value(json_object_get(j,
	    "filterPattern")), q.filter_pattern);
	assert_int_equal(json_integer_value(json_object_get(j, "startTime")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "endTime")),
	    1700000000123LL);
	assert_int_equal(json_integer_value(json_object_get(j, "limit")), 500);
	assert_string_equal(json_string_value(json_object_get(j,
	    "nextToken")), "tok/+=");
	json_decref(j);
	/* An empty filter pattern and prefix are left out. */
	q.filter_pattern = "";
	q.log_stream_prefix = "";
	j = body_json(&q, NULL);
	assert_null(json_object_get(j, "filterPattern"));
	assert_null(json_object_get(j, "logStreamNamePrefix"));
	json_decref(j);
}

static void
test_body_errors(void **state)
{
	struct cwl_query q = base_query;
	struct buf out = BUF_INIT, err = BUF_INIT;

	(void)state;
	q.log_group = NULL;
	assert_int_equal(cwl_request_body(&out, &q, NULL, &err), -1);
	assert_non_null(strstr(err.data, "no log group"));
	buf_reset(&err);
	q = base_query;
	q.limit = CWL_MAX_LIMIT + 1;
	assert_int_equal(cwl_request_body(&out, &q, NULL, &err), -1);
	assert_non_null(strstr(err.data, "limit"));
	assert_int_equal(out.len, 0);
	buf_free(&out);
	buf_free(&err);
}

static const char good_page[] =
    "{\"events\":[{\"logStreamName\":\"eni-1-all\",\"timestamp\":1700000000000,"
    "\"message\":\"2 123 eni-1 - - - - - - - 1 2 - NODATA\","
    "\"ingestionTime\":1700000100000,\"eventId\":\"111\"},"
    "{\"logStreamName\":\"eni-2-all\",\"timestamp\":1700000000001,"
    "\"message\":\"a\\u0000b\",\"eventId\":\"222\"}],"
    "\"searchedLogStreams\":[],\"nextToken\":\"next/1\"}";

static void
test_parse_good(void **state)
{
	struct cwl_page page;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(cwl_page_parse(&page, good_page, strlen(good_page),
	    &err), 0);
	assert_int_equal(page.nevents, 2);
	assert_string_equal(page.events[0].log_stream, "eni-1-all");
	assert_string_equal(page.events[0].event_id, "111");
	assert_int_equal(page.events[0].timestamp, 1700000000000LL);
	assert_int_equal(page.events[0].ingestion_time, 1700000100000LL);
	assert_string_equal(page.events[0].message,
	    "2 123 eni-1 - - - - - - - 1 2 - NODATA");
	assert_int_equal(page.events[1].ingestion_time, -1);
	assert_int_equal(page.events[1].message_len, 3);
	assert_memory_equal(page.events[1].message, "a\0b", 3);
	assert_string_equal(page.next_token, "next/1");
	cwl_page_free(&page);
	assert_null(page.events);
	assert_null(page.text.data);
	buf_free(&err);
}

/* Pages that are not the end, and pages that are. */
static void
test_parse_empty_pages(void **state)
{
	static const struct {
		const char	*body;
		const char	*token;
	} cases[] = {
		{ "{\"events\":[],\"nextToken\":\"t\"}", "t" },
		{ "{\"nextToken\":\"t\"}", "t" },
		{ "{\"events\":null,\"nextToken\":\"t\"}", "t" },
		{ "{\"events\":[]}", NULL },
		{ "{\"events\":[],\"nextToken\":null}", NULL },
		{ "{\"events\":[],\"nextToken\":\"\"}", NULL },
		{ "{}", NULL },
	};
	struct cwl_page page;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cwl_page_parse(&page, cases[i].body,
		    strlen(cases[i].body), &err), 0);
		assert_int_equal(page.nevents, 0);
		if (cases[i].token == NULL)
			assert_null(page.next_token);
		else
			assert_string_equal(page.next_token, cases[i].token);
		cwl_page_free(&page);
	}
	buf_free(&err);
}

/* Each bad document fails with a message naming what is wrong. */
static void
test_parse_errors(void **state)
{
	static const struct {
		const char	*body;
		const char	*says;
	} cases[] = {
		{ "", "not JSON" },
		{ "{\"events\":[", "not JSON" },
		{ "[]", "expected an object, got an array" },
		{ "\"x\"", "expected an object, got a string" },
		{ "{\"events\":{}}", "events: expected an array, got an object" },
		{ "{\"events\":[],\"nextToken\":5}",
		    "nextToken: expected a string, got an integer" },
		{ "{\"events\":[],\"nextToken\":\"a\\u0000b\"}", "nextToken" },
		{ "{\"events\":[1]}", "events[0]: expected an object" },
		{ "{\"events\":[{\"logStreamName\":\"s\",\"eventId\":\"1\","
		    "\"message\":\"m\"}]}",
		    "events[0].timestamp: expected milliseconds since the "
		    "epoch (an integer >= 0), got nothing (missing)" },
		{ "{\"events\":[{\"logStreamName\":\"s\",\"eventId\":\"1\","
		    "\"message\":\"m\",\"timestamp\":\"17\"}]}",
		    "events[0].timestamp: expected milliseconds since the "
		    "epoch (an integer >= 0), got a string" },
		{ "{\"events\":[{\"logStreamName\":\"s\",\"eventId\":\"1\","
		    "\"message\":\"m\",\"timestamp\":1.5}]}",
		    "events[0].timestamp", },
		{ "{\"events\":[{\"logStreamName\":\"s\",\"eventId\":\"1\","
		    "\"message\":\"m\",\"timestamp\":-1}]}",
		    "events[0].timestamp" },
		{ "{\"events\":[{\"logStreamName\":\"s\",\"eventId\":\"1\","
		    "\"message\":\"m\",\"timestamp\":1,\"ingestionTime\":true}]}",
		    "events[0].ingestionTime: expected milliseconds since the "
		    "epoch (an integer >= 0), got a boolean" },
		{ "{\"events\":[{\"logStreamName\":\"s\",\"eventId\":\"1\","
		    "\"message\":\"m\",\"timestamp\":1},{\"logStreamName\":\"s\","
		    "\"message\":\"m\",\"timestamp\":1}]}",
		    "events[1].eventId: expected a string, got nothing" },
		{ "{\"events\":[{\"logStreamName\":\"s\",\"eventId\":\"\","
		    "\"message\":\"m\",\"timestamp\":1}]}",
		    "events[0].eventId: empty" },
		{ "{\"events\":[{\"logStreamName\":\"s\\u0000\",\"eventId\":"
		    "\"1\",\"message\":\"m\",\"timestamp\":1}]}",
		    "events[0].logStreamName: empty or holds a NUL" },
		{ "{\"events\":[{\"logStreamName\":null,\"eventId\":\"1\","
		    "\"message\":\"m\",\"timestamp\":1}]}",
		    "events[0].logStreamName: expected a string, got null" },
		{ "{\"events\":[{\"logStreamName\":\"s\",\"eventId\":\"1\","
		    "\"message\":[],\"timestamp\":1}]}",
		    "events[0].message: expected a string, got an array" },
	};
	struct cwl_page page;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&err);
		assert_int_equal(cwl_page_parse(&page, cases[i].body,
		    strlen(cases[i].body), &err), -1);
		if (strstr(err.data, cases[i].says) == NULL)
			fail_msg("case %zu: %s\n  said: %s\n  want: %s", i,
			    cases[i].body, err.data, cases[i].says);
		cwl_page_free(&page);
	}
	buf_free(&err);
}

/* Parse body (a C string) and expect success. */
static void
parse_ok(struct cwl_page *page, const char *body, size_t len)
{
	struct buf err = BUF_INIT;

	if (cwl_page_parse(page, body, len, &err) != 0)
		fail_msg("%s\n  said: %s", body, err.data);
	buf_free(&err);
}

/* Parse body and expect a failure whose message holds says. */
static void
parse_fails(const char *body, size_t len, const char *says)
{
	struct cwl_page page;
	struct buf err = BUF_INIT;

	if (cwl_page_parse(&page, body, len, &err) != -1)
		fail_msg("accepted: %.*s", (int)(len > 200 ? 200 : len), body);
	if (err.data == NULL || strstr(err.data, says) == NULL)
		fail_msg("%.*s\n  said: %s\n  want: %s",
		    (int)(len > 200 ? 200 : len), body, err.data, says);
	cwl_page_free(&page);
	buf_free(&err);
}

static void
test_parse_escapes(void **state)
{
	static const char body[] =
	    "{\"events\":[{\"logStreamName\":\"eni-\\u0041\\/b\",\"eventId\":"
	    "\"1\\\\2\",\"message\":\"q\\\"\\n\\t\\r\\b\\f\\u00e9\\u20AC"
	    "\\ud83d\\ude00\\u0000z \xc3\xa9\",\"timestamp\":1}],"
	    "\"nextToken\":\"a\\/b\\u002B\"}";
	static const char want[] = "q\"\n\t\r\b\f\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80\0z \xc3\xa9";
	struct cwl_page page;

	(void)state;
	parse_ok(&page, body, strlen(body));
	assert_int_equal(page.nevents, 1);
	assert_string_equal(page.events[0].log_stream, "eni-A/b");
	assert_string_equal(page.events[0].event_id, "1\\2");
	assert_int_equal(page.events[0].message_len, sizeof(want) - 1);
	assert_memory_equal(page.events[0].message, want, sizeof(want) - 1);
	assert_true(strlen(page.events[0].message) <
	    page.events[0].message_len);
	assert_int_equal(page.events[0].message[page.events[0].message_len],
	    '\0');
	assert_string_equal(page.next_token, "a/b+");
	cwl_page_free(&page);
}

/* Members not used, of every type, at both levels; whitespace everywhere. */
static void
test_parse_skips_unknown(void **state)
{
	static const char body[] =
	    " \t\r\n{ \"searchedLogStreams\" : [ { \"logStreamName\" : \"s\" ,"
	    " \"searchedCompletely\" : true } , [ [ ] , { } , [ [ { \"a\" :"
	    " [ null ] } ] ] ] ] ,\n\"n\" : -0.5e+10 , \"m\" : 1E-3 , \"o\" :"
	    " { } , \"f\" : false , \"z\" : null , \"s\" : \"\\\"}]\" ,\r\n"
	    "\"events\" : [ { \"x\" : { \"y\" : [ 1 , 2.0 , \"z\" , { } ] } ,"
	    " \"logStreamName\" : \"s\" , \"big\" : 12345678901234567890.5 ,"
	    " \"eventId\" : \"1\" , \"t\" : true , \"message\" : \"m\" ,"
	    " \"timestamp\" : 9223372036854775807 , \"ingestionTime\" : 0 ,"
	    " \"neg\" : -9223372036854775808 , \"e\" : 1e308 , \"arr\" : [ ] ,"
	    " \"nul\" : null } ] , \"nextToken\" : \"t\" } \n\t ";
	struct cwl_page page;

	(void)state;
	parse_ok(&page, body, strlen(body));
	assert_int_equal(page.nevents, 1);
	assert_string_equal(page.events[0].log_stream, "s");
	assert_string_equal(page.events[0].event_id, "1");
	assert_string_equal(page.events[0].message, "m");
	assert_int_equal(page.events[0].timestamp, INT64_MAX);
	assert_int_equal(page.events[0].ingestion_time, 0);
	assert_string_equal(page.next_token, "t");
	cwl_page_free(&page);
}

/* Duplicate keys: the last one wins, as with jansson. */
static void
test_parse_duplicates(void **state)
{
	static const char body[] =
	    "{\"events\":[{\"logStreamName\":\"a\",\"eventId\":\"1\","
	    "\"message\":\"x\",\"timestamp\":1}],\"nextToken\":5,"
	    "\"events\":[{\"logStreamName\":\"b\",\"logStreamName\":\"c\","
	    "\"eventId\":\"2\",\"message\":\"y\",\"message\":\"z\","
	    "\"timestamp\":\"t\",\"timestamp\":2,\"ingestionTime\":7,"
	    "\"ingestionTime\":null}],\"nextToken\":\"n\"}";
	static const char bad_first[] =
	    "{\"events\":[1],\"events\":[],\"nextToken\":\"n\"}";
	static const char bad_last[] =
	    "{\"events\":[],\"events\":{}}";
	struct cwl_page page;

	(void)state;
	parse_ok(&page, body, strlen(body));
	assert_int_equal(page.nevents, 1);
	assert_string_equal(page.events[0].log_stream, "c");
	assert_string_equal(page.events[0].event_id, "2");
	assert_string_equal(page.events[0].message, "z");
	assert_int_equal(page.events[0].timestamp, 2);
	assert_int_equal(page.events[0].ingestion_time, -1);
	assert_string_equal(page.next_token, "n");
	cwl_page_free(&page);
	/* A bad events array replaced by a good one is no error. */
	parse_ok(&page, bad_first, strlen(bad_first));
	assert_int_equal(page.nevents, 0);
	cwl_page_free(&page);
	parse_fails(bad_last, strlen(bad_last),
	    "events: expected an array, got an object");
}

/* Documents jansson rejects are rejected, with where and why. */
static void
test_parse_not_json(void **state)
{
	static const struct {
		const char	*body;
		size_t		 len;	/* 0: strlen */
		const char	*says;
	} cases[] = {
		{ "{\"events\":[]} x", 0, "end of file expected (line 1, "
		    "column 15, offset 14)" },
		{ "{\"events\":[]}{}", 0, "end of file expected" },
		{ "{\"events\":[]}\0", 14, "end of file expected" },
		{ "{\"events\":[],}", 0, "string or '}' expected" },
		{ "{\"events\":[1,]}", 0, "unexpected token" },
		{ "{\"events\" []}", 0, "':' expected" },
		{ "{\"events\":[] \"a\":1}", 0, "'}' expected" },
		{ "{\"a\":[1 2]}", 0, "']' expected" },
		{ "{\n\"a\":\"x\ny\"}", 0, "unexpected newline (line 2, "
		    "column 7, offset 8)" },
		{ "{\"a\":\"x\ty\"}", 0, "control character 0x9" },
		{ "{\"a\":\"x\\qy\"}", 0, "invalid escape" },
		{ "{\"a\":\"\\u12\"}", 0, "invalid escape" },
		{ "{\"a\":\"\\ud800\"}", 0, "invalid Unicode '\\uD800'" },
		{ "{\"a\":\"\\udc00\\ud800\"}", 0, "invalid Unicode '\\uDC00'" },
		{ "{\"a\":\"\\ud800\\u0041\"}", 0,
		    "invalid Unicode '\\uD800\\u0041'" },
		{ "{\"a\":\"\\ud800x\"}", 0, "invalid Unicode" },
		{ "{\"a\":\"\xc3\"}", 0, "unable to decode byte 0xc3" },
		{ "{\"a\":\"\xc0\x80\"}", 0, "unable to decode byte 0xc0" },
		{ "{\"a\":\"\xed\xa0\x80\"}", 0, "unable to decode byte 0xed" },
		{ "{\"a\":\"\xf4\x90\x80\x80\"}", 0, "unable to decode" },
		{ "{\"a\":\"\xe2\x82\"}", 0, "unable to decode" },
		{ "{\"a\":\"\x80\"}", 0, "unable to decode byte 0x80" },
		{ "{\"a\":1} \xff", 0, "end of file expected" },
		{ "\xef\xbb\xbf{}", 0, "unexpected token" },
		{ "{\"a\\u0000\":1}", 0, "NUL byte in object key" },
		{ "{\"a\":[{\"b\\u0000\":1}]}", 0, "NUL byte in object key" },
		{ "{\"a\":9223372036854775808}", 0, "too big integer" },
		{ "{\"a\":-9223372036854775809}", 0, "too big negative integer" },
		{ "{\"events\":[{\"timestamp\":99999999999999999999}]}", 0,
		    "too big integer" },
		{ "{\"a\":[1e309]}", 0, "real number overflow" },
		{ "{\"a\":-1.8e308}", 0, "real number overflow" },
		{ "{\"a\":01}", 0, "invalid token" },
		{ "{\"a\":1.}", 0, "invalid token" },
		{ "{\"a\":.5}", 0, "unexpected token" },
		{ "{\"a\":1e+}", 0, "invalid token" },
		{ "{\"a\":-}", 0, "invalid token" },
		{ "{\"a\":tru}", 0, "invalid token" },
		{ "{\"a\":nul}", 0, "invalid token" },
		{ "{\"a\":True}", 0, "unexpected token" },
		{ "{\"a\":1\0}", 7, "'}' expected" },
		{ "{'a':1}", 0, "string or '}' expected" },
		{ "  ", 0, "near end of file" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_fails(cases[i].body, cases[i].len ? cases[i].len :
		    strlen(cases[i].body), cases[i].says);
}

/* Every prefix of a page, every offset cut: a clean failure each time. */
static void
test_parse_truncated(void **state)
{
	static const char escaped[] =
	    "{ \"events\" : [ {\"logStreamName\":\"s\\u00e9\",\"eventId\":"
	    "\"1\",\"message\":\"\\ud83d\\ude00 \xc3\xa9 \\\"x\\\"\","
	    "\"timestamp\":-0,\"ingestionTime\":1.5e1} ] }";
	const char *pages[] = { good_page, escaped };
	struct cwl_page page;
	struct buf err = BUF_INIT;
	size_t i, n, len;
	char *copy;

	(void)state;
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		len = strlen(pages[i]);
		for (n = 0; n < len; n++) {
			/* An exact-size copy: ASan sees any read past the cut. */
			copy = malloc(n + 1);
			assert_non_null(copy);
			memcpy(copy, pages[i], n);
			buf_reset(&err);
			assert_int_equal(cwl_page_parse(&page, copy, n, &err), -1);
			assert_non_null(strstr(err.data, "not JSON"));
			cwl_page_free(&page);
			free(copy);
		}
	}
	/* The whole second page is JSON: its ingestionTime is a real. */
	buf_reset(&err);
	assert_int_equal(cwl_page_parse(&page, escaped, strlen(escaped), &err),
	    -1);
	assert_non_null(strstr(err.data, "events[0].ingestionTime: expected "
	    "milliseconds since the epoch (an integer >= 0), got a real "
	    "number"));
	cwl_page_free(&page);
	buf_free(&err);
}

/* Nesting: jansson's limit of 2048 levels, and a bomb far deeper. */
static void
test_parse_depth(void **state)
{
	struct buf b = BUF_INIT;
	json_error_t jerr;
	json_t *j;
	struct cwl_page page;
	size_t depth, i;
	int inner, ok;

	(void)state;
	/* {"x": + d arrays (+ a number inside) + }: the arrays at 2..d+1. */
	for (depth = 2045; depth <= 2049; depth++)
		for (inner = 0; inner <= 1; inner++) {
			buf_reset(&b);
			buf_addstr(&b, "{\"events\":[],\"x\":");
			for (i = 0; i < depth; i++)
				buf_addch(&b, '[');
			if (inner)
				buf_addch(&b, '1');
			for (i = 0; i < depth; i++)
				buf_addch(&b, ']');
			buf_addch(&b, '}');
			j = json_loadb(b.data, b.len, JSON_ALLOW_NUL |
			    JSON_DECODE_ANY, &jerr);
			ok = j != NULL;
			json_decref(j);
			if (ok) {
				parse_ok(&page, b.data, b.len);
				cwl_page_free(&page);
			} else
				parse_fails(b.data, b.len,
				    "maximum parsing depth reached");
		}
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_addstr(&b, "[{\"a\":");
	parse_fails(b.data, b.len, "maximum parsing depth reached");
	buf_reset(&b);
	buf_addstr(&b, "{\"events\":[{\"a\":");
	for (i = 0; i < 100000; i++)
		buf_addch(&b, '[');
	parse_fails(b.data, b.len, "maximum parsing depth reached");
	buf_free(&b);
}

/* The records of default-v2.log in the shared test data, one a string. */
static size_t
example_records(struct buf *text, char **rec, size_t max)
{
	const char *dir = getenv("VPCFLOWD_SHARED");
	struct buf path = BUF_INIT;
	char *line, *save = NULL;
	size_t n = 0;

	buf_printf(&path, "%s/testdata/flowlogs/default-v2.log",
	    dir != NULL && *dir != '\0' ? dir : "../shared");
	if (buf_read_file(text, path.data) == -1)
		fail_msg("%s: cannot read it (set VPCFLOWD_SHARED)", path.data);
	buf_free(&path);
	for (line = strtok_r(text->data, "\n", &save); line != NULL && n < max;
	    line = strtok_r(NULL, "\n", &save))
		if (line[0] != '$')	/* the format line */
			rec[n++] = line;
	assert_true(n > 0);
	return n;
}

/*
 * A full page (10,000 events, ~1.5 MB) of the AWS example records; the body
 * is wiped after parsing: the page owns its strings.
 */
static void
test_parse_big_page(void **state)
{
	struct buf text = BUF_INIT, body = BUF_INIT;
	struct cwl_page page;
	char *rec[16], id[64];
	size_t n, i;

	(void)state;
	n = example_records(&text, rec, 16);
	buf_addstr(&body, "{\"events\":[");
	for (i = 0; i < CWL_MAX_LIMIT; i++) {
		snprintf(id, sizeof(id), "%056zu", i);
		buf_printf(&body, "%s{\"logStreamName\":\"eni-0123456789abcdef0"
		    "-all\",\"timestamp\":%zu,\"message\":", i ? "," : "",
		    1418530010000 + i);
		buf_add_json_str(&body, rec[i % n], strlen(rec[i % n]));
		buf_printf(&body, ",\"ingestionTime\":%zu,\"eventId\":\"%s\"}",
		    1418530070000 + i, id);
	}
	buf_addstr(&body, "],\"searchedLogStreams\":[],\"nextToken\":\"Bxkq\"}");
	parse_ok(&page, body.data, body.len);
	memset(body.data, 'x', body.len);
	buf_free(&body);
	assert_int_equal(page.nevents, CWL_MAX_LIMIT);
	for (i = 0; i < CWL_MAX_LIMIT; i++) {
		snprintf(id, sizeof(id), "%056zu", i);
		assert_string_equal(page.events[i].event_id, id);
		assert_string_equal(page.events[i].log_stream,
		    "eni-0123456789abcdef0-all");
		assert_string_equal(page.events[i].message, rec[i % n]);
		assert_int_equal(page.events[i].message_len,
		    strlen(rec[i % n]));
		assert_int_equal(page.events[i].timestamp, 1418530010000 + i);
		assert_int_equal(page.events[i].ingestion_time,
		    1418530070000 + i);
	}
	assert_string_equal(page.next_token, "Bxkq");
	cwl_page_free(&page);
	buf_free(&text);
}

/*
 * A fake FilterLogEvents over a sorted event list. The token is the index
 * of the next event; a "script" of error classes, one per call (NONE: a
 * normal answer), injects failures.
 */
#define FAKE_MAX_EVENTS	4000

struct fake {
	int64_t		 ts[FAKE_MAX_EVENTS];
	int		 nevents;
	int		 page_size;
	int		 empty_every;	/* every Nth answer is an empty page */
	int		 empty_first;	/* so are the first N answers */
	const enum aws_error_class *script;
	int		 nscript;
	int		 calls;
	int		 bad_tokens_sent;
	int		 delivered[FAKE_MAX_EVENTS];
	volatile int	*stop_after;	/* set *stop_after when calls reach stop_at */
	int		 stop_at;
	int		 abort_at;	/* callback fails on this delivery (1-based) */
	int		 ndelivered;
	int64_t		 starts[64];	/* startTime of the first 64 calls */
};

static int
fake_call(void *arg, const char *body, struct buf *out, struct aws_error *err)
{
	struct fake *f = arg;
	enum aws_error_class cls = AWSERR_NONE;
	json_t *req, *v;
	int64_t start = 0;
	int i, n = 0, from = 0;

	f->calls++;
	if (f->stop_after != NULL && f->calls >= f->stop_at)
		*f->stop_after = 1;
	req = json_loads(body, 0, NULL);
	assert_non_null(req);
	if ((v = json_object_get(req, "startTime")) != NULL)
		start = json_integer_value(v);
	if (f->calls <= 64)
		f->starts[f->calls - 1] = start;
	if (f->calls <= f->nscript)
		cls = f->script[f->calls - 1];
	v = json_object_get(req, "nextToken");
	if (cls != AWSERR_NONE) {
		if (cls == AWSERR_BAD_NEXT_TOKEN) {
			assert_non_null(v);
			f->bad_tokens_sent++;
		}
		err->cls = cls;
		err->status = 400;
		snprintf(err->name, sizeof(err->name), "%s",
		    cls == AWSERR_FATAL ? "AccessDeniedException" :
		    "InvalidParameterException");
		snprintf(err->message, sizeof(err->message),
		    "no\nx-amz-security-token:SECRET");
		json_decref(req);
		return -1;
	}
	if (v != NULL)
		from = atoi(json_string_value(v));
	else
		while (from < f->nevents && f->ts[from] < start)
			from++;
	json_decref(req);
	buf_addstr(out, "{\"events\":[");
	if ((f->empty_every == 0 || f->calls % f->empty_every != 0) &&
	    f->calls > f->empty_first) {
		for (i = from; i < f->nevents && n < f->page_size; i++, n++)
			buf_printf(out, "%s{\"logStreamName\":\"s%d\","
			    "\"timestamp\":%lld,\"message\":\"m%d\","
			    "\"ingestionTime\":%lld,\"eventId\":\"%d\"}",
			    n ? "," : "", i % 3, (long long)f->ts[i], i,
			    (long long)f->ts[i] + 5, i);
	}
	buf_addstr(out, "]");
	if (from + n < f->nevents)
		buf_printf(out, ",\"nextToken\":\"%d\"", from + n);
	buf_addstr(out, "}");
	return 0;
}

static int
count_event(void *arg, const struct cwl_event *ev)
{
	struct fake *f = arg;
	int i = atoi(ev->event_id);

	assert_true(i >= 0 && i < f->nevents);
	assert_int_equal(ev->timestamp, f->ts[i]);
	f->delivered[i]++;
	if (++f->ndelivered == f->abort_at)
		return -1;
	return 0;
}

/* n events, k per millisecond. */
static void
fake_init(struct fake *f, int n, int per_ms, int page_size)
{
	int i;

	memset(f, 0, sizeof(*f));
	assert_true(n <= FAKE_MAX_EVENTS);
	f->nevents = n;
	f->page_size = page_size;
	for (i = 0; i < n; i++)
		f->ts[i] = 1700000000000LL + i / per_ms;
}

static void
assert_each_once(const struct fake *f)
{
	int i;

	for (i = 0; i < f->nevents; i++)
		if (f->delivered[i] != 1)
			fail_msg("event %d delivered %d times", i,
			    f->delivered[i]);
}

static enum cwl_result
run_fake(struct fake *f, volatile int *stop, struct cwl_stats *st,
    struct aws_error *err)
{
	struct cwl_client c = { NULL, NULL, fake_call, f };
	struct cwl_query q = base_query;

	q.start_ms = 1600000000000LL;
	q.end_ms = 1800000000000LL;
	return cwl_filter(&c, &q, count_event, f, stop, st, err);
}

static void
test_filter_pages(void **state)
{
	static struct fake f;
	struct cwl_stats st;
	struct aws_error err;

	(void)state;
	fake_init(&f, 1000, 1, 64);
	f.empty_every = 3;	/* an empty page with a nextToken is not the end */
	assert_int_equal(run_fake(&f, NULL, &st, &err), CWL_DONE);
	assert_each_once(&f);
	assert_int_equal(st.events, 1000);
	assert_true(st.empty_pages >= 7);
	assert_int_equal(st.pages, f.calls);
	assert_int_equal(st.restarts, 0);
	assert_int_equal(st.last_timestamp, f.ts[999]);
	assert_int_equal(err.cls, AWSERR_NONE);

	/* An empty window. */
	fake_init(&f, 0, 1, 64);
	assert_int_equal(run_fake(&f, NULL, &st, &err), CWL_DONE);
	assert_int_equal(st.pages, 1);
	assert_int_equal(st.events, 0);
	assert_int_equal(st.last_timestamp, -1);
}

/*
 * Rejected nextTokens restart at the last timestamp delivered; the events
 * of that millisecond (many of them, spread over pages) are not repeated.
 */
static void
test_filter_bad_token(void **state)
{
	static const enum aws_error_class script[] = {
		AWSERR_NONE, AWSERR_NONE, AWSERR_BAD_NEXT_TOKEN, AWSERR_NONE,
		AWSERR_NONE, AWSERR_NONE, AWSERR_BAD_NEXT_TOKEN, AWSERR_NONE,
		AWSERR_BAD_NEXT_TOKEN,
	};
	static struct fake f;
	struct cwl_stats st;
	struct aws_error err;

	(void)state;
	fake_init(&f, 3000, 250, 100);
	f.script = script;
	f.nscript = sizeof(script) / sizeof(script[0]);
	assert_int_equal(run_fake(&f, NULL, &st, &err), CWL_DONE);
	assert_each_once(&f);
	assert_int_equal(st.restarts, 3);
	assert_int_equal(f.bad_tokens_sent, 3);
	assert_int_equal(st.events, 3000);
	assert_true(st.duplicates > 0);

	/* Before any event was delivered: from the window's start again. */
	fake_init(&f, 50, 1, 10);
	f.empty_first = 2;
	f.script = script + 1;
	f.nscript = 2;
	assert_int_equal(run_fake(&f, NULL, &st, &err), CWL_DONE);
	assert_each_once(&f);
	assert_int_equal(st.restarts, 1);
	assert_int_equal(f.starts[2], 1600000000000LL);
}

/* A service that rejects every token: give up after CWL_MAX_RESTARTS. */
static void
test_filter_bad_token_forever(void **state)
{
	static enum aws_error_class script[2 * CWL_MAX_RESTARTS + 4];
	static struct fake f;
	struct cwl_stats st;
	struct aws_error err;
	int i;

	(void)state;
	for (i = 0; i < (int)(sizeof(script) / sizeof(script[0])); i++)
		script[i] = i % 2 ? AWSERR_BAD_NEXT_TOKEN : AWSERR_NONE;
	fake_init(&f, 100, 100, 10);	/* one millisecond */
	f.script = script;
	f.nscript = sizeof(script) / sizeof(script[0]);
	/* Each restart makes no progress: the same first page comes again. */
	assert_int_equal(run_fake(&f, NULL, &st, &err), CWL_ERROR);
	assert_int_equal(err.cls, AWSERR_BAD_NEXT_TOKEN);
	assert_int_equal(st.restarts, CWL_MAX_RESTARTS);
	assert_int_equal(st.events, 10);
	assert_int_equal(st.duplicates, 10 * CWL_MAX_RESTARTS);
}

static void
test_filter_fatal(void **state)
{
	static const enum aws_error_class script[] = {
		AWSERR_NONE, AWSERR_FATAL
	};
	static struct fake f;
	struct cwl_stats st;
	struct aws_error err;

	(void)state;
	fake_init(&f, 100, 1, 10);
	f.script = script;
	f.nscript = 2;
	assert_int_equal(run_fake(&f, NULL, &st, &err), CWL_ERROR);
	assert_int_equal(err.cls, AWSERR_FATAL);
	assert_string_equal(err.name, "AccessDeniedException");
	assert_int_equal(f.calls, 2);
	assert_int_equal(st.events, 10);
}

static void
test_filter_stop_and_abort(void **state)
{
	static struct fake f;
	volatile int stop = 0;
	struct cwl_stats st;
	struct aws_error err;

	(void)state;
	fake_init(&f, 100, 1, 10);
	f.stop_after = &stop;
	f.stop_at = 3;
	assert_int_equal(run_fake(&f, &stop, &st, &err), CWL_STOPPED);
	assert_int_equal(f.calls, 3);
	assert_int_equal(st.events, 30);

	stop = 1;
	fake_init(&f, 100, 1, 10);
	assert_int_equal(run_fake(&f, &stop, &st, &err), CWL_STOPPED);
	assert_int_equal(f.calls, 0);

	fake_init(&f, 100, 1, 10);
	f.abort_at = 15;
	assert_int_equal(run_fake(&f, NULL, &st, &err), CWL_ERROR);
	assert_int_equal(err.cls, AWSERR_NONE);
	assert_int_equal(f.calls, 2);
	assert_int_equal(st.events, 14);
}

/* A page the parser refuses ends the read with the parser's reason. */
static int
garbage_call(void *arg, const char *body, struct buf *out,
    struct aws_error *err)
{
	(void)arg;
	(void)body;
	(void)err;
	buf_addstr(out, "{\"events\":[{\"timestamp\":\"x\"}]}");
	return 0;
}

static void
test_filter_bad_page(void **state)
{
	struct cwl_client c = { NULL, NULL, garbage_call, NULL };
	struct cwl_stats st;
	struct aws_error err;

	(void)state;
	assert_int_equal(cwl_filter(&c, &base_query, count_event, NULL, NULL,
	    &st, &err), CWL_ERROR);
	assert_int_equal(err.cls, AWSERR_NONE);
	assert_non_null(strstr(err.message, "events[0].logStreamName"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_minimal),
		cmocka_unit_test(test_body_full),
		cmocka_unit_test(test_body_errors),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_empty_pages),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_escapes),
		cmocka_unit_test(test_parse_skips_unknown),
		cmocka_unit_test(test_parse_duplicates),
		cmocka_unit_test(test_parse_not_json),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_depth),
		cmocka_unit_test(test_parse_big_page),
		cmocka_unit_test(test_filter_pages),
		cmocka_unit_test(test_filter_bad_token),
		cmocka_unit_test(test_filter_bad_token_forever),
		cmocka_unit_test(test_filter_fatal),
		cmocka_unit_test(test_filter_stop_and_abort),
		cmocka_unit_test(test_filter_bad_page),
	};

	log_init(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
