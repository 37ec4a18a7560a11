/*
 * Unit tests for sigv4: every applicable case of the AWS SigV4 test suite,
 * read at run time from the shared test data, plus the signer's own rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>

#include "buf.h"
#include "sigv4.h"

#define SUITE_SUBDIR	"/testdata/aws-sigv4-test-suite/v4"
#define MAX_HEADERS	32

/* The suite's usual credentials and time (2015-08-30T12:36:00Z). */
#define EX_ACCESS_KEY	"AKIDEXAMPLE"
#define EX_SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EX_TOKEN	"6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
#define EX_TIME		((time_t)1440938160)

/* A request.txt of the suite, parsed in place in text. */
struct parsed_request {
	struct buf		 text;
	const char		*method;
	const char		*path;
	const char		*query;
	struct sigv4_header	 headers[MAX_HEADERS];
	size_t			 nheaders;
	const char		*body;
	size_t			 body_len;
};

/* Where the shared test data lives: $VPCFLOWD_SHARED, ../shared, /work/shared. */
static int
open_suite_dir(struct buf *dir_path, DIR **dir)
{
	const char *candidates[] = { "../shared", "/work/shared" };
	const char *env = getenv("VPCFLOWD_SHARED");
	size_t i;

	if (env != NULL && *env != '\0') {
		buf_printf(dir_path, "%s%s", env, SUITE_SUBDIR);
		return (*dir = opendir(dir_path->data)) != NULL ? 0 : -1;
	}
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		buf_reset(dir_path);
		buf_printf(dir_path, "%s%s", candidates[i], SUITE_SUBDIR);
		if ((*dir = opendir(dir_path->data)) != NULL)
			return 0;
	}
	return -1;
}

/*
 * Split the request line "METHOD TARGET HTTP/1.1" (the target may hold
 * spaces) into method, path and query, in place.
 */
static int
parse_request_line(char *line, struct parsed_request *pr)
{
	char *sp, *version, *qmark;

	if ((sp = strchr(line, ' ')) == NULL ||
	    (version = strstr(sp + 1, " HTTP/")) == NULL)
		return -1;
	*sp = '\0';
	*version = '\0';
	pr->method = line;
	pr->path = sp + 1;
	pr->query = "";
	if ((qmark = strchr(sp + 1, '?')) != NULL) {
		*qmark = '\0';
		pr->query = qmark + 1;
	}
	return 0;
}

/*
 * Parse request.txt: request line, headers (a line starting with white
 * space continues the previous value, newline kept), blank line, body.
 */
static int
parse_request(struct parsed_request *pr)
{
	char *p = pr->text.data, *end = p + pr->text.len, *eol, *colon;

	if (p == NULL || (eol = strchr(p, '\n')) == NULL)
		return -1;
	*eol = '\0';
	if (parse_request_line(p, pr) == -1)
		return -1;
	for (p = eol + 1; p < end && *p != '\n'; p = eol + 1) {
		eol = strchr(p, '\n');
		while (eol != NULL && (eol[1] == ' ' || eol[1] == '\t'))
			eol = strchr(eol + 1, '\n');
		if (eol == NULL)
			eol = end;
		*eol = '\0';
		if ((colon = strchr(p, ':')) == NULL ||
		    pr->nheaders >= MAX_HEADERS - 1)
			return -1;
		*colon = '\0';
		pr->headers[pr->nheaders].name = p;
		pr->headers[pr->nheaders++].value = colon + 1;
	}
	pr->body = p < end ? p + 1 : "";
	pr->body_len = p < end ? (size_t)(end - p - 1) : 0;
	return 0;
}

static time_t
parse_timestamp(const char *iso)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (iso == NULL || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return (time_t)-1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static char *
dup_or_null(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		fail_msg("out of memory");
	return d;
}

/* Compare one output with the expected file; report a mismatch in full. */
static int
matches_expected(const char *case_dir, const char *file, const char *got)
{
	struct buf path = BUF_INIT, expected = BUF_INIT;
	int ok;

	buf_printf(&path, "%s/%s", case_dir, file);
	if (buf_read_file(&expected, path.data) == -1) {
		print_error("%s: %s\n", path.data, strerror(errno));
		buf_free(&path);
		return 0;
	}
	ok = strcmp(expected.data != NULL ? expected.data : "", got) == 0;
	if (!ok)
		print_error("%s differs\n--- expected\n%s\n--- got\n%s\n",
		    path.data, expected.data, got);
	buf_free(&expected);
	buf_free(&path);
	return ok;
}

/*
 * Compare with the Authorization header of header-signed-request.txt, which
 * the suite writes as "Authorization:value" on a line of its own.
 */
static int
authorization_matches(const char *case_dir, const char *got)
{
	struct buf path = BUF_INIT, signed_request = BUF_INIT;
	char *line, *eol;
	int ok = 0;

	buf_printf(&path, "%s/header-signed-request.txt", case_dir);
	if (buf_read_file(&signed_request, path.data) == 0 &&
	    signed_request.data != NULL &&
	    (line = strstr(signed_request.data, "\nAuthorization:")) != NULL) {
		line += strlen("\nAuthorization:");
		if ((eol = strchr(line, '\n')) != NULL)
			*eol = '\0';
		if (!(ok = strcmp(line, got) == 0))
			print_error("%s: Authorization differs\n--- expected\n"
			    "%s\n--- got\n%s\n", path.data, line, got);
	} else
		print_error("%s: no Authorization header\n", path.data);
	buf_free(&signed_request);
	buf_free(&path);
	return ok;
}

/*
 * Why a case of the suite does not apply to a CloudWatch Logs client, or
 * NULL when it does.
 */
static const char *
skip_reason(json_t *context)
{
	if (json_is_false(json_object_get(context, "normalize")))
		return "\"normalize\": false is S3-style (no path normalization, "
		    "single encoding)";
	if (json_is_true(json_object_get(context, "omit_session_token")))
		return "signs before adding the session token, which CloudWatch "
		    "Logs does not accept";
	return NULL;
}

/* Sign one parsed case with its context and compare with the suite. */
static int
check_case(const char *case_dir, json_t *context, struct parsed_request *pr)
{
	json_t *jcreds = json_object_get(context, "credentials");
	struct aws_creds creds;
	struct sigv4_request req;
	struct sigv4_result res;
	char body_hash[SIGV4_SHA256_HEX_LEN + 1];
	int ok;

	creds.access_key_id = dup_or_null(json_string_value(
	    json_object_get(jcreds, "access_key_id")));
	creds.secret_access_key = dup_or_null(json_string_value(
	    json_object_get(jcreds, "secret_access_key")));
	creds.session_token = dup_or_null(json_string_value(
	    json_object_get(jcreds, "token")));
	creds.expiration = 0;
	if (json_is_true(json_object_get(context, "sign_body"))) {
		assert_int_equal(sigv4_sha256_hex(pr->body, pr->body_len,
		    body_hash), 0);
		pr->headers[pr->nheaders].name = "X-Amz-Content-Sha256";
		pr->headers[pr->nheaders++].value = body_hash;
	}
	memset(&req, 0, sizeof(req));
	req.method = pr->method;
	req.path = pr->path;
	req.query = pr->query;
	req.headers = pr->headers;
	req.nheaders = pr->nheaders;
	req.body = pr->body;
	req.body_len = pr->body_len;
	if (sigv4_sign(&req, &creds, json_string_value(json_object_get(context,
	    "region")), json_string_value(json_object_get(context, "service")),
	    parse_timestamp(json_string_value(json_object_get(context,
	    "timestamp"))), &res) == -1) {
		print_error("%s: sigv4_sign: %s\n", case_dir, strerror(errno));
		aws_creds_clear(&creds);
		return 0;
	}
	ok = matches_expected(case_dir, "header-canonical-request.txt",
	    res.canonical_request.data);
	ok &= matches_expected(case_dir, "header-string-to-sign.txt",
	    res.string_to_sign.data);
	ok &= matches_expected(case_dir, "header-signature.txt", res.signature);
	ok &= authorization_matches(case_dir, res.authorization.data);
	sigv4_result_free(&res);
	aws_creds_clear(&creds);
	return ok;
}

/*
 * Run one case directory of the suite. Returns 1 when it passed, 0 when it
 * failed, -1 when it does not apply (the reason is printed).
 */
static int
run_suite_case(const char *suite_dir, const char *name)
{
	struct buf case_dir = BUF_INIT, request_path = BUF_INIT;
	struct parsed_request pr;
	json_error_t jerr;
	json_t *context;
	const char *reason;
	int result = 0;

	memset(&pr, 0, sizeof(pr));
	buf_printf(&case_dir, "%s/%s", suite_dir, name);
	buf_printf(&request_path, "%s/context.json", case_dir.data);
	if ((context = json_load_file(request_path.data, 0, &jerr)) == NULL) {
		print_error("%s: %s\n", request_path.data, jerr.text);
		goto done;
	}
	if ((reason = skip_reason(context)) != NULL) {
		print_message("skipped %s: %s\n", name, reason);
		result = -1;
		goto done;
	}
	buf_reset(&request_path);
	buf_printf(&request_path, "%s/request.txt", case_dir.data);
	if (buf_read_file(&pr.text, request_path.data) == -1 ||
	    parse_request(&pr) == -1) {
		print_error("%s: cannot read or parse\n", request_path.data);
		goto done;
	}
	result = check_case(case_dir.data, context, &pr);
done:
	json_decref(context);
	buf_free(&pr.text);
	buf_free(&request_path);
	buf_free(&case_dir);
	return result;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
test_aws_suite(void **state)
{
	struct buf suite_dir = BUF_INIT, names = BUF_INIT, sorted = BUF_INIT;
	struct dirent *de;
	const char *name, **list;
	size_t count = 0, i, passed = 0, failed = 0, skipped = 0;
	DIR *dir;
	int rc;

	(void)state;
	if (open_suite_dir(&suite_dir, &dir) == -1)
		fail_msg("AWS SigV4 test suite not found (last tried %s); set "
		    "VPCFLOWD_SHARED to the shared test data", suite_dir.data);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		buf_add(&names, de->d_name, strlen(de->d_name) + 1);
		count++;
	}
	closedir(dir);
	for (i = 0, name = names.data; i < count; i++) {
		buf_add(&sorted, &name, sizeof(name));
		name += strlen(name) + 1;
	}
	list = (const char **)(void *)sorted.data;
	if (count > 1)
		qsort(list, count, sizeof(*list), compare_names);
	for (i = 0; i < count; i++) {
		if ((rc = run_suite_case(suite_dir.data, list[i])) == 1)
			passed++;
		else if (rc == -1)
			skipped++;
		else {
			print_error("FAILED %s\n", list[i]);
			failed++;
		}
	}
	print_message("AWS SigV4 suite (%s): %zu cases, %zu run, %zu passed, "
	    "%zu failed, %zu skipped\n", suite_dir.data, count,
	    passed + failed, passed, failed, skipped);
	buf_free(&sorted);
	buf_free(&names);
	buf_free(&suite_dir);
	assert_int_equal(failed, 0);
	assert_true(passed > 0);
}

/* Sign GET path?query for example.amazonaws.com with the suite's keys. */
static int
sign_example(const char *path, const char *query,
    const struct sigv4_header *headers, size_t nheaders, const char *token,
    struct sigv4_result *res)
{
	static const struct sigv4_header host = {
		"Host", "example.amazonaws.com"
	};
	struct aws_creds creds = {
		EX_ACCESS_KEY, EX_SECRET, (char *)(uintptr_t)token, 0
	};
	struct sigv4_request req;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.query = query;
	req.headers = headers != NULL ? headers : &host;
	req.nheaders = headers != NULL ? nheaders : 1;
	return sigv4_sign(&req, &creds, "us-east-1", "service", EX_TIME, res);
}

static void
test_session_token_signed(void **state)
{
	struct sigv4_result res;

	(void)state;
	assert_int_equal(sign_example("/", NULL, NULL, 0, EX_TOKEN, &res), 0);
	/* The suite's get-vanilla-with-session-token. */
	assert_string_equal(res.signature,
	    "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
	assert_string_equal(res.authorization.data,
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
	    "service/aws4_request, SignedHeaders=host;x-amz-date;"
	    "x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f"
	    "198cceab042d4a97044c66dd9f74e7f8");
	assert_non_null(strstr(res.canonical_request.data,
	    "\nx-amz-security-token:" EX_TOKEN "\n"));
	assert_int_equal(res.nheaders, 3);
	assert_string_equal(res.headers[0].name, "X-Amz-Date");
	assert_string_equal(res.headers[0].value, "20150830T123600Z");
	assert_string_equal(res.headers[1].name, "X-Amz-Security-Token");
	assert_string_equal(res.headers[1].value, EX_TOKEN);
	assert_string_equal(res.headers[2].name, "Authorization");
	assert_string_equal(res.headers[2].value, res.authorization.data);
	sigv4_result_free(&res);

	/* An empty token is no token. */
	assert_int_equal(sign_example("/", NULL, NULL, 0, "", &res), 0);
	assert_int_equal(res.nheaders, 2);
	assert_string_equal(res.headers[1].name, "Authorization");
	assert_null(strstr(res.canonical_request.data, "x-amz-security-token"));
	assert_string_equal(res.signature,
	    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	sigv4_result_free(&res);
	sigv4_result_free(&res);	/* twice is harmless */
}

static void
test_payload_hash(void **state)
{
	static const char body[] = "Param1=value1";
	static const struct sigv4_header headers[] = {
		{ "Content-Type", "application/x-www-form-urlencoded" },
		{ "Host", "example.amazonaws.com" },
	};
	struct aws_creds creds = { EX_ACCESS_KEY, EX_SECRET, NULL, 0 };
	struct sigv4_request req;
	struct sigv4_result from_body, from_hash;
	char hash[SIGV4_SHA256_HEX_LEN + 1];

	(void)state;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/";
	req.headers = headers;
	req.nheaders = 2;
	req.body = body;
	req.body_len = strlen(body);
	assert_int_equal(sigv4_sign(&req, &creds, "us-east-1", "service",
	    EX_TIME, &from_body), 0);
	assert_int_equal(sigv4_sha256_hex(body, strlen(body), hash), 0);
	assert_string_equal(hash,
	    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
	req.body = NULL;
	req.body_len = 0;
	req.payload_hash = hash;
	assert_int_equal(sigv4_sign(&req, &creds, "us-east-1", "service",
	    EX_TIME, &from_hash), 0);
	assert_string_equal(from_body.canonical_request.data,
	    from_hash.canonical_request.data);
	assert_string_equal(from_body.signature, from_hash.signature);
	assert_string_equal(from_hash.canonical_request.data +
	    from_hash.canonical_request.len - SIGV4_SHA256_HEX_LEN, hash);
	sigv4_result_free(&from_body);
	sigv4_result_free(&from_hash);

	/* Not 64 lowercase hex digits: refused. */
	hash[0] = 'A';
	assert_int_equal(sigv4_sign(&req, &creds, "us-east-1", "service",
	    EX_TIME, &from_hash), -1);
	req.payload_hash = "UNSIGNED-PAYLOAD";
	assert_int_equal(sigv4_sign(&req, &creds, "us-east-1", "service",
	    EX_TIME, &from_hash), -1);
	assert_int_equal(errno, EINVAL);
}

/* got must start with want; show both when it does not. */
static void
assert_starts_with(const char *got, const char *want)
{
	if (got == NULL || strncmp(got, want, strlen(want)) != 0)
		fail_msg("expected a prefix\n%s\n--- got\n%s", want,
		    got != NULL ? got : "(null)");
}

static void
test_query_encoding(void **state)
{
	struct sigv4_result res;
	struct buf b = BUF_INIT;
	const char *raw;

	(void)state;
	assert_int_equal(sign_example("/",
	    "b=a b&a=%2F/&c&a=x+y&&d=%zz&e=%7e%41&f=%&g=%E1%88%B4:@!$'()*,;",
	    NULL, 0, NULL, &res), 0);
	assert_starts_with(res.canonical_request.data, "GET\n/\n"
	    "a=%2F%2F&a=x%2By&b=a%20b&c=&d=%25zz&e=~A&f=%25&"
	    "g=%E1%88%B4%3A%40%21%24%27%28%29%2A%2C%3B\nhost:");
	sigv4_result_free(&res);

	/* Same key: ordered by value; keys compared as encoded bytes. */
	assert_int_equal(sign_example("/", "k=2&k=10&K=3&k-=1", NULL, 0, NULL,
	    &res), 0);
	assert_starts_with(res.canonical_request.data,
	    "GET\n/\nK=3&k=10&k=2&k-=1\n");
	sigv4_result_free(&res);

	raw = "a b/c~-._!*'()\xe1\x88\xb4%";
	sigv4_uri_encode(&b, raw, strlen(raw), 0);
	assert_string_equal(b.data,
	    "a%20b%2Fc~-._%21%2A%27%28%29%E1%88%B4%25");
	buf_reset(&b);
	raw = "/x y/=&+";
	sigv4_uri_encode(&b, raw, strlen(raw), 1);
	assert_string_equal(b.data, "/x%20y/%3D%26%2B");
	buf_free(&b);
}

static void
test_path_normalization(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ NULL, "/" }, { "", "/" }, { "/", "/" }, { "//", "/" },
		{ "/a/b/../c/./d//", "/a/c/d/" }, { "/a/b/..", "/a/" },
		{ "/..", "/" }, { "/../../a", "/a" }, { "a/b", "/a/b" },
		{ "/a/.../b", "/a/.../b" }, { "/a/..b/.c", "/a/..b/.c" },
		{ "/%2F", "/%252F" }, { "/a b/\xe1\x88\xb4", "/a%20b/%E1%88%B4" },
		{ "/a+b=c", "/a%2Bb%3Dc" },
	};
	struct sigv4_result res;
	struct buf want = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sign_example(cases[i].in, NULL, NULL, 0, NULL,
		    &res), 0);
		buf_reset(&want);
		buf_printf(&want, "GET\n%s\n\n", cases[i].out);
		assert_starts_with(res.canonical_request.data, want.data);
		sigv4_result_free(&res);
	}
	buf_free(&want);
}

static void
test_header_canonicalization(void **state)
{
	static const struct sigv4_header headers[] = {
		{ "X-Multi", "a\tb  \r\n   c  " },
		{ "Host", "  example.amazonaws.com " },
		{ "x-dup", "1" },
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "X-DUP", " 2 " },
		{ "X-Empty", "   " },
	};
	struct sigv4_result res;
	const char *section;

	(void)state;
	assert_int_equal(sign_example("/", NULL, headers,
	    sizeof(headers) / sizeof(headers[0]), NULL, &res), 0);
	section = strstr(res.canonical_request.data, "\ncontent-type:");
	assert_non_null(section);
	assert_starts_with(section,
	    "\ncontent-type:application/x-amz-json-1.1\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "x-dup:1,2\n"
	    "x-empty:\n"
	    "x-multi:a b c\n"
	    "\n"
	    "content-type;host;x-amz-date;x-dup;x-empty;x-multi\n");
	sigv4_result_free(&res);
}

/* Sign with one thing wrong and expect a clean refusal. */
static void
expect_refused(const struct sigv4_request *req, const struct aws_creds *creds,
    const char *region, const char *service, time_t now)
{
	struct sigv4_result res;

	errno = 0;
	assert_int_equal(sigv4_sign(req, creds, region, service, now, &res), -1);
	assert_int_equal(errno, EINVAL);
	assert_null(res.canonical_request.data);
	assert_null(res.authorization.data);
	assert_int_equal(res.nheaders, 0);
	sigv4_result_free(&res);
}

static void
test_rejects_bad_input(void **state)
{
	static const struct sigv4_header host = {
		"Host", "example.amazonaws.com"
	};
	static const char *const bad_names[] = {
		"X-Amz-Date", "authorization", "X-AMZ-SECURITY-TOKEN", "Bad Name",
		"Bad:Name", "",
	};
	struct sigv4_header two[2] = { { "Host", "example.amazonaws.com" } };
	struct aws_creds creds = { EX_ACCESS_KEY, EX_SECRET, NULL, 0 };
	struct sigv4_request req;
	size_t i;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = "/";
	expect_refused(&req, &creds, "us-east-1", "service", EX_TIME);	/* no host */
	req.headers = two;
	req.nheaders = 2;
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		two[1].name = bad_names[i];
		two[1].value = "x";
		expect_refused(&req, &creds, "us-east-1", "service", EX_TIME);
	}
	req.headers = &host;
	req.nheaders = 1;
	expect_refused(&req, &creds, "us/east-1", "service", EX_TIME);
	expect_refused(&req, &creds, "us-east-1", "", EX_TIME);
	expect_refused(&req, &creds, NULL, "service", EX_TIME);
	expect_refused(&req, &creds, "us-east-1", "service", (time_t)-1);
	expect_refused(&req, NULL, "us-east-1", "service", EX_TIME);
	creds.session_token = (char *)(uintptr_t)"tok\r\nX-Evil: 1";
	expect_refused(&req, &creds, "us-east-1", "service", EX_TIME);
	creds.session_token = NULL;
	creds.secret_access_key = (char *)(uintptr_t)"";
	expect_refused(&req, &creds, "us-east-1", "service", EX_TIME);
	creds.secret_access_key = (char *)(uintptr_t)EX_SECRET;
	creds.access_key_id = (char *)(uintptr_t)"AKID/EXAMPLE";
	expect_refused(&req, &creds, "us-east-1", "service", EX_TIME);
	creds.access_key_id = (char *)(uintptr_t)EX_ACCESS_KEY;
	req.body_len = 3;
	expect_refused(&req, &creds, "us-east-1", "service", EX_TIME);
	req.body_len = 0;
	req.method = "GE T";
	expect_refused(&req, &creds, "us-east-1", "service", EX_TIME);
}

static int
mem_contains(const char *hay, size_t hay_len, const void *needle, size_t n)
{
	size_t i;

	for (i = 0; hay != NULL && i + n <= hay_len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* Neither the secret nor the signing key, raw or in hex, in what we show. */
static void
assert_not_exposed(const char *where, size_t len, const char *secret,
    const unsigned char key[32], const char *key_hex)
{
	if (mem_contains(where, len, secret, strlen(secret)) ||
	    mem_contains(where, len, key, 32) ||
	    mem_contains(where, len, key_hex, SIGV4_SHA256_HEX_LEN))
		fail_msg("secret material exposed in:\n%s", where);
}

static void
test_secret_never_exposed(void **state)
{
	const char *const steps[] = { "us-east-1", "service", "aws4_request" };
	static const struct sigv4_header headers[] = {
		{ "Host", "example.amazonaws.com" },
		{ "X-Echo", EX_SECRET },	/* a header may, the signer won't */
	};
	unsigned char key[32], next[32];
	char key_hex[SIGV4_SHA256_HEX_LEN + 1], first[64];
	struct sigv4_result res;
	size_t i;

	(void)state;
	snprintf(first, sizeof(first), "AWS4%s", EX_SECRET);
	assert_int_equal(sigv4_hmac_sha256(first, strlen(first), "20150830", 8,
	    key), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(sigv4_hmac_sha256(key, 32, steps[i],
		    strlen(steps[i]), next), 0);
		memcpy(key, next, 32);
	}
	for (i = 0; i < 32; i++)
		snprintf(key_hex + 2 * i, 3, "%02x", key[i]);

	assert_int_equal(sign_example("/a/b", "x=1", headers, 1, EX_TOKEN,
	    &res), 0);
	assert_not_exposed(res.canonical_request.data,
	    res.canonical_request.len, EX_SECRET, key, key_hex);
	assert_not_exposed(res.string_to_sign.data, res.string_to_sign.len,
	    EX_SECRET, key, key_hex);
	assert_not_exposed(res.authorization.data, res.authorization.len,
	    EX_SECRET, key, key_hex);
	assert_not_exposed(res.signature, strlen(res.signature), EX_SECRET,
	    key, key_hex);
	for (i = 0; i < res.nheaders; i++)
		assert_not_exposed(res.headers[i].value,
		    strlen(res.headers[i].value), EX_SECRET, key, key_hex);
	sigv4_result_free(&res);

	/* The check can see a secret: a header carrying it is in plain view. */
	assert_int_equal(sign_example("/", NULL, headers, 2, NULL, &res), 0);
	assert_true(mem_contains(res.canonical_request.data,
	    res.canonical_request.len, EX_SECRET, strlen(EX_SECRET)));
	sigv4_result_free(&res);
}

static void
test_amz_date(void **state)
{
	char out[SIGV4_AMZ_DATE_LEN + 1];

	(void)state;
	assert_int_equal(sigv4_amz_date(EX_TIME, out), 0);
	assert_string_equal(out, "20150830T123600Z");
	assert_int_equal(sigv4_amz_date(0, out), 0);
	assert_string_equal(out, "19700101T000000Z");
	assert_int_equal(sigv4_amz_date((time_t)253402300799, out), 0);
	assert_string_equal(out, "99991231T235959Z");
	assert_int_equal(sigv4_amz_date((time_t)253402300800, out), -1);
	assert_int_equal(sigv4_amz_date((time_t)-1, out), -1);
}

static void
test_digests(void **state)
{
	/* RFC 4231 test case 2. */
	static const unsigned char rfc4231[32] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04,
		0x24, 0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08,
		0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec,
		0x38, 0x43,
	};
	unsigned char mac[32];
	char hex[SIGV4_SHA256_HEX_LEN + 1];

	(void)state;
	assert_int_equal(sigv4_hmac_sha256("Jefe", 4,
	    "what do ya want for nothing?", 28, mac), 0);
	assert_memory_equal(mac, rfc4231, 32);
	assert_int_equal(sigv4_sha256_hex(NULL, 0, hex), 0);
	assert_string_equal(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_creds_clear(void **state)
{
	struct aws_creds creds;

	(void)state;
	creds.access_key_id = strdup(EX_ACCESS_KEY);
	creds.secret_access_key = strdup(EX_SECRET);
	creds.session_token = NULL;
	creds.expiration = 12345;
	assert_non_null(creds.access_key_id);
	assert_non_null(creds.secret_access_key);
	aws_creds_clear(&creds);
	assert_null(creds.access_key_id);
	assert_null(creds.secret_access_key);
	assert_null(creds.session_token);
	assert_int_equal(creds.expiration, 0);
	aws_creds_clear(&creds);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_suite),
		cmocka_unit_test(test_session_token_signed),
		cmocka_unit_test(test_payload_hash),
		cmocka_unit_test(test_query_encoding),
		cmocka_unit_test(test_path_normalization),
		cmocka_unit_test(test_header_canonicalization),
		cmocka_unit_test(test_rejects_bad_input),
		cmocka_unit_test(test_secret_never_exposed),
		cmocka_unit_test(test_amz_date),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_creds_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
