/*
 * Unit tests for awserr: classification of every name source (header, JSON
 * __type/code, XML <Code>), message-dependent classes, advice, HTTP dates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "awserr.h"

struct classify_case {
	long			 status;
	const char		*header;
	const char		*body;
	enum aws_error_class	 cls;
	const char		*name;
	const char		*message;	/* substring, or NULL */
};

#define J(type, msg)	"{\"__type\":\"" type "\",\"message\":\"" msg "\"}"
#define STS_XML(code, msg) \
	"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">" \
	"<Error><Type>Sender</Type><Code>" code "</Code><Message>" msg \
	"</Message></Error><RequestId>c6104cbe</RequestId></ErrorResponse>"

static const struct classify_case cases[] = {
	/* Throttling, whatever the source of the name. */
	{ 400, NULL, J("ThrottlingException", "Rate exceeded"),
	    AWSERR_THROTTLE, "ThrottlingException", "Rate exceeded" },
	{ 400, NULL, "{\"__type\":\"com.amazonaws.logs#ThrottlingException\"}",
	    AWSERR_THROTTLE, "ThrottlingException", NULL },
	{ 400, "ThrottlingException:http://internal.amazon.com/coral/x/", "",
	    AWSERR_THROTTLE, "ThrottlingException", NULL },
	{ 400, NULL, STS_XML("Throttling", "Rate exceeded"),
	    AWSERR_THROTTLE, "Throttling", "Rate exceeded" },
	{ 400, NULL, J("LimitExceededException", "Resource limit exceeded."),
	    AWSERR_THROTTLE, "LimitExceededException", NULL },
	{ 400, NULL, J("TooManyRequestsException", ""), AWSERR_THROTTLE,
	    "TooManyRequestsException", NULL },
	{ 400, NULL, J("RequestLimitExceeded", ""), AWSERR_THROTTLE,
	    "RequestLimitExceeded", NULL },
	{ 503, NULL, "<Error><Code>SlowDown</Code></Error>", AWSERR_THROTTLE,
	    "SlowDown", NULL },
	{ 400, NULL, J("PriorRequestNotComplete", ""), AWSERR_THROTTLE,
	    "PriorRequestNotComplete", NULL },
	{ 400, NULL, J("EC2ThrottledException", ""), AWSERR_THROTTLE,
	    "EC2ThrottledException", NULL },
	{ 400, NULL, J("ProvisionedThroughputExceededException", ""),
	    AWSERR_THROTTLE, "ProvisionedThroughputExceededException", NULL },
	{ 429, NULL, "", AWSERR_THROTTLE, "", "HTTP 429" },
	{ 429, NULL, "Too Many Requests", AWSERR_THROTTLE, "",
	    "HTTP 429: Too Many Requests" },
	/* Transient. */
	{ 500, NULL, J("InternalFailure", "oops"), AWSERR_TRANSIENT,
	    "InternalFailure", "oops" },
	{ 503, NULL, J("ServiceUnavailableException", "The server failed"),
	    AWSERR_TRANSIENT, "ServiceUnavailableException", NULL },
	{ 400, NULL, J("RequestTimeoutException", ""), AWSERR_TRANSIENT,
	    "RequestTimeoutException", NULL },
	{ 400, NULL, J("RequestTimeout", ""), AWSERR_TRANSIENT,
	    "RequestTimeout", NULL },
	{ 502, NULL, "<html><body>Bad Gateway</body></html>",
	    AWSERR_TRANSIENT, "", "HTTP 502: <html><body>Bad Gateway" },
	{ 504, NULL, NULL, AWSERR_TRANSIENT, "", "HTTP 504" },
	{ 500, NULL, "", AWSERR_TRANSIENT, "", NULL },
	{ 400, NULL, STS_XML("IDPCommunicationError", "try again"),
	    AWSERR_TRANSIENT, "IDPCommunicationError", NULL },
	/* Expired credentials. */
	{ 400, NULL, J("ExpiredTokenException",
	    "The security token included in the request is expired"),
	    AWSERR_EXPIRED_TOKEN, "ExpiredTokenException", "is expired" },
	{ 403, NULL, STS_XML("ExpiredToken", "The security token included "
	    "in the request is expired"), AWSERR_EXPIRED_TOKEN,
	    "ExpiredToken", "is expired" },
	/* Clock skew. */
	{ 400, NULL, J("InvalidSignatureException", "Signature expired: "
	    "20240101T000000Z is now earlier than 20240101T001000Z "
	    "(20240101T001500Z - 5 min.)"), AWSERR_CLOCK_SKEW,
	    "InvalidSignatureException", "Signature expired" },
	{ 400, NULL, J("InvalidSignatureException", "Signature not yet "
	    "current: 20240101T003000Z is still later than 20240101T002000Z"),
	    AWSERR_CLOCK_SKEW, "InvalidSignatureException", NULL },
	{ 403, NULL, STS_XML("SignatureDoesNotMatch", "Signature expired: "
	    "20240101T000000Z is now earlier than 20240101T001000Z"),
	    AWSERR_CLOCK_SKEW, "SignatureDoesNotMatch", NULL },
	{ 403, NULL, "<Error><Code>RequestTimeTooSkewed</Code><Message>The "
	    "difference between the request time and the current time is too "
	    "large.</Message></Error>", AWSERR_CLOCK_SKEW,
	    "RequestTimeTooSkewed", "too large" },
	{ 400, NULL, J("RequestExpired", "Request has expired."),
	    AWSERR_CLOCK_SKEW, "RequestExpired", NULL },
	{ 400, NULL, J("RequestInTheFuture", ""), AWSERR_CLOCK_SKEW,
	    "RequestInTheFuture", NULL },
	/* A bad signature that is not about time is fatal. */
	{ 400, NULL, J("InvalidSignatureException", "The request signature "
	    "we calculated does not match the signature you provided."),
	    AWSERR_FATAL, "InvalidSignatureException", "does not match" },
	{ 403, NULL, STS_XML("SignatureDoesNotMatch", "The request "
	    "signature we calculated does not match"), AWSERR_FATAL,
	    "SignatureDoesNotMatch", NULL },
	/* The pagination token. */
	{ 400, NULL, J("InvalidParameterException",
	    "The specified nextToken is invalid."), AWSERR_BAD_NEXT_TOKEN,
	    "InvalidParameterException", "nextToken" },
	{ 400, NULL, J("InvalidParameterException", "Invalid next token"),
	    AWSERR_BAD_NEXT_TOKEN, "InvalidParameterException", NULL },
	{ 400, NULL, J("InvalidParameterException", "1 validation error "
	    "detected: Value 'x' at 'logGroupName' failed to satisfy "
	    "constraint"), AWSERR_FATAL, "InvalidParameterException",
	    "logGroupName" },
	/* Fatal. */
	{ 400, NULL, J("AccessDeniedException", "User: arn:aws:iam::1:user/u "
	    "is not authorized to perform: logs:FilterLogEvents"),
	    AWSERR_FATAL, "AccessDeniedException", "not authorized" },
	{ 400, NULL, J("ResourceNotFoundException",
	    "The specified log group does not exist."), AWSERR_FATAL,
	    "ResourceNotFoundException", "does not exist" },
	{ 400, NULL, J("UnrecognizedClientException", "The security token "
	    "included in the request is invalid."), AWSERR_FATAL,
	    "UnrecognizedClientException", NULL },
	{ 403, NULL, STS_XML("InvalidClientTokenId", "The security token "
	    "included in the request is invalid."), AWSERR_FATAL,
	    "InvalidClientTokenId", NULL },
	{ 403, NULL, STS_XML("AccessDenied", "User x is not authorized to "
	    "perform: sts:AssumeRole on resource: y &amp; z &lt;here&gt;"),
	    AWSERR_FATAL, "AccessDenied", "y & z <here>" },
	{ 400, NULL, J("SomethingNewException", "new"), AWSERR_FATAL,
	    "SomethingNewException", "new" },
	{ 403, NULL, "Forbidden", AWSERR_FATAL, "", "HTTP 403: Forbidden" },
	{ 404, NULL, "{not json", AWSERR_FATAL, "", "HTTP 404: {not json" },
	/* The header wins over the body; its namespace and URL are cut. */
	{ 400, "aws.protocoltests#ThrottlingException:http://x/y",
	    J("AccessDeniedException", "m"), AWSERR_THROTTLE,
	    "ThrottlingException", "m" },
	{ 400, "", J("AccessDeniedException", "m"), AWSERR_FATAL,
	    "AccessDeniedException", NULL },
	/* Other JSON shapes. */
	{ 400, NULL, "{\"code\":\"ThrottlingException\",\"Message\":\"M\"}",
	    AWSERR_THROTTLE, "ThrottlingException", "M" },
	{ 400, NULL, "  \n{\"__type\":\"x#ValidationException:u\","
	    "\"message\":\"line\\none\\ttab\"}", AWSERR_FATAL,
	    "ValidationException", "line one tab" },
	/* A name is not a reason to call a 5xx fatal; unknown 5xx retried. */
	{ 503, NULL, J("SomethingNewException", ""), AWSERR_TRANSIENT,
	    "SomethingNewException", NULL },
};

static void
test_classify_table(void **state)
{
	struct aws_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct classify_case *c = &cases[i];

		awserr_classify(&err, c->status, c->header, c->body,
		    c->body ? strlen(c->body) : 0);
		if (err.cls != c->cls || strcmp(err.name, c->name) != 0 ||
		    (c->message && strstr(err.message, c->message) == NULL))
			fail_msg("case %zu: got class %d name \"%s\" message "
			    "\"%s\"", i, (int)err.cls, err.name, err.message);
		assert_int_equal(err.status, c->status);
	}
}

static void
test_body_not_terminated(void **state)
{
	const char body[] = "{\"__type\":\"ThrottlingException\"}XXXX";
	char xml[64];
	struct aws_error err;

	(void)state;
	awserr_classify(&err, 400, NULL, body, strlen(body) - 4);
	assert_int_equal(err.cls, AWSERR_THROTTLE);
	/* The element runs past the length given: not found. */
	memcpy(xml, "<Error><Code>SlowDown</Code></Error>", 37);
	awserr_classify(&err, 400, NULL, xml, 20);
	assert_int_equal(err.cls, AWSERR_FATAL);
	assert_string_equal(err.name, "");
}

static void
test_long_fields_truncated(void **state)
{
	char body[4096], name[300];
	struct aws_error err;

	(void)state;
	memset(name, 'N', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(body, sizeof(body), "{\"__type\":\"%s\",\"message\":\"%s%s"
	    "%s\"}", name, name, name, name);
	awserr_classify(&err, 400, NULL, body, strlen(body));
	assert_int_equal(strlen(err.name), sizeof(err.name) - 1);
	assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
	assert_int_equal(err.cls, AWSERR_FATAL);
}

static void
test_success_is_none(void **state)
{
	struct aws_error err;

	(void)state;
	awserr_classify(&err, 200, NULL, "{\"events\":[]}", 13);
	assert_int_equal(err.cls, AWSERR_NONE);
}

static void
test_advice(void **state)
{
	static const struct {
		long		 status;
		const char	*body;
		const char	*needle;
	} advice[] = {
		{ 400, J("AccessDeniedException", "x"), "logs:FilterLogEvents" },
		{ 403, STS_XML("AccessDenied", "x"), "sts:AssumeRole" },
		{ 400, J("ResourceNotFoundException", "x"), "log_group and region" },
		{ 400, J("UnrecognizedClientException", "x"), "access key ID" },
		{ 400, J("InvalidSignatureException", "x"), "secret access key" },
		{ 400, J("InvalidSignatureException", "Signature expired"),
		    "synchronize" },
		{ 400, J("InvalidParameterException", "bad nextToken"),
		    "read again" },
		{ 400, J("InvalidParameterException", "x"), "filter_pattern" },
		{ 400, J("InvalidCiphertextException", "x"), "token_kms" },
		{ 400, J("ThrottlingException", "x"), "aws.max_rps" },
		{ 503, "", "connectivity" },
		{ 400, J("ExpiredTokenException", "x"), "credential source" },
		{ 403, "", "credentials" },
		{ 400, J("SomethingNewException", "x"), "not retried" },
	};
	struct aws_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(advice) / sizeof(advice[0]); i++) {
		awserr_classify(&err, advice[i].status, NULL, advice[i].body,
		    strlen(advice[i].body));
		if (strstr(awserr_advice(&err), advice[i].needle) == NULL)
			fail_msg("advice %zu: \"%s\"", i, awserr_advice(&err));
	}
	/* Given up on expired tokens: the caller marks it fatal. */
	awserr_classify(&err, 400, NULL, advice[11].body,
	    strlen(advice[11].body));
	err.cls = AWSERR_FATAL;
	assert_non_null(strstr(awserr_advice(&err), "keep expiring"));
}

#define SIG_MISMATCH	"The request signature we calculated does not match " \
	"the signature you provided. Check your AWS Secret Access Key and " \
	"signing method. Consult the service documentation for details."
#define SESSION_TOKEN	"IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH"
#define CANONICAL	"The Canonical String for this request should have " \
	"been\n'POST\n/\n\ncontent-type:application/x-amz-json-1.1\n" \
	"host:logs.eu-west-1.amazonaws.com\nx-amz-date:20240101T000000Z\n" \
	"x-amz-security-token:" SESSION_TOKEN "\nx-amz-target:" \
	"Logs_20140328.FilterLogEvents\n\ncontent-type;host;x-amz-date;" \
	"x-amz-security-token;x-amz-target\n" \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'"
#define STRING_TO_SIGN	"The String-to-Sign should have been\n" \
	"'AWS4-HMAC-SHA256\n20240101T000000Z\n" \
	"20240101/eu-west-1/logs/aws4_request\n" \
	"5d3f0b7e0e1c7b0ba7e2b3f8d7e8f6c5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9'"

/*
 * A signature mismatch quotes the canonical request (session token
 * included): the message ends before the quote, and a token value left
 * anywhere else is redacted.
 */
static void
test_message_scrubbed(void **state)
{
	static const struct {
		long		 status;
		const char	*body;
		const char	*want;		/* the whole message */
	} scrub[] = {
		{ 400, "{\"__type\":\"InvalidSignatureException\",\"message\":"
		    "\"" SIG_MISMATCH "\\n\\n" "The Canonical String for this "
		    "request should have been\\n'POST\\n/\\n\\nhost:x\\n"
		    "x-amz-security-token:" SESSION_TOKEN "\\n'\\n\\nThe "
		    "String-to-Sign should have been\\n'AWS4-HMAC-SHA256'\"}",
		    SIG_MISMATCH },
		{ 403, STS_XML("SignatureDoesNotMatch", SIG_MISMATCH "\n\n"
		    CANONICAL "\n\n" STRING_TO_SIGN), SIG_MISMATCH },
		{ 403, STS_XML("SignatureDoesNotMatch", SIG_MISMATCH " "
		    STRING_TO_SIGN), SIG_MISMATCH },
		{ 403, STS_XML("SignatureDoesNotMatch", SIG_MISMATCH " the "
		    "canonical string for this request should have been 'x'"),
		    SIG_MISMATCH },
		/* Only a quote: nothing is left. */
		{ 403, STS_XML("SignatureDoesNotMatch", CANONICAL), "" },
		/* Header and query forms of the token, wherever they are. */
		{ 400, J("InvalidSignatureException", "bad request "
		    "x-amz-security-token:" SESSION_TOKEN " was sent"),
		    "bad request x-amz-security-token:<redacted> was sent" },
		{ 400, J("AccessDeniedException", "URL /?X-Amz-Date=1&"
		    "X-Amz-Security-Token=" SESSION_TOKEN "&X-Amz-Signature=ab"),
		    "URL /?X-Amz-Date=1&X-Amz-Security-Token=<redacted>&"
		    "X-Amz-Signature=ab" },
		{ 400, J("ValidationException", "X-Amz-Security-Token : "
		    SESSION_TOKEN ", then x-amz-security-token=" SESSION_TOKEN),
		    "X-Amz-Security-Token : <redacted>, then "
		    "x-amz-security-token=<redacted>" },
		/* The name alone (SignedHeaders) is no secret. */
		{ 400, J("ValidationException", "signed host;x-amz-security-"
		    "token;x-amz-target"),
		    "signed host;x-amz-security-token;x-amz-target" },
		{ 400, J("ValidationException", "x-amz-security-token: "),
		    "x-amz-security-token:" },
		/* No AWS error document: the body is scrubbed too. */
		{ 403, "Forbidden: x-amz-security-token:" SESSION_TOKEN,
		    "HTTP 403: Forbidden: x-amz-security-token:<redacted>" },
	};
	struct aws_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(scrub) / sizeof(scrub[0]); i++) {
		awserr_classify(&err, scrub[i].status, NULL, scrub[i].body,
		    strlen(scrub[i].body));
		if (strcmp(err.message, scrub[i].want) != 0)
			fail_msg("case %zu: \"%s\"", i, err.message);
		assert_null(strstr(err.message, "IQoJ"));
	}
	/* Scrubbing does not change the class: still a fatal mismatch. */
	awserr_classify(&err, 403, NULL, scrub[1].body, strlen(scrub[1].body));
	assert_int_equal(err.cls, AWSERR_FATAL);
	assert_string_equal(err.name, "SignatureDoesNotMatch");
}

/* A token value cut by the size limit is redacted, and stays in bounds. */
static void
test_message_scrubbed_at_limit(void **state)
{
	char body[2048], pad[600];
	struct aws_error err;
	size_t n;

	(void)state;
	for (n = 400; n < 520; n++) {
		memset(pad, 'p', n);
		pad[n] = '\0';
		snprintf(body, sizeof(body), "{\"__type\":\"ValidationException\""
		    ",\"message\":\"%s x-amz-security-token:%s%s\"}", pad,
		    SESSION_TOKEN, SESSION_TOKEN);
		awserr_classify(&err, 400, NULL, body, strlen(body));
		assert_true(strlen(err.message) < sizeof(err.message));
		assert_null(strstr(err.message, "IQoJ"));
		assert_null(strstr(err.message, "wEaC"));
	}
}

static void
test_http_date(void **state)
{
	static const struct {
		const char	*s;
		time_t		 t;
	} good[] = {
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
		{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
		{ "Thu, 29 Feb 2024 23:59:59 GMT", 1709251199 },
		{ "Wed, 31 Dec 2025 12:00:00 GMT", 1767182400 },
		{ "Sat, 01 Jan 2000 00:00:00 GMT", 946684800 },
		{ "Tue, 19 Jan 2038 03:14:08 GMT", (time_t)2147483648LL },
		{ "Wed, 31 Dec 2008 23:59:60 GMT", 1230767999 },
	};
	static const char *const bad[] = {
		"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Sun, 06 nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT ",
		"Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 31 Nov 1994 08:49:37 GMT",
		"Wed, 29 Feb 2023 08:49:37 GMT", "Mon, 29 Feb 1900 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 19a4 08:49:37 GMT", "Sun; 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (awserr_parse_http_date(good[i].s) != good[i].t)
			fail_msg("good date %zu: %s: %lld", i, good[i].s,
			    (long long)awserr_parse_http_date(good[i].s));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (awserr_parse_http_date(bad[i]) != -1)
			fail_msg("bad date accepted: \"%s\"", bad[i]);
	assert_int_equal(awserr_parse_http_date(NULL), -1);
}

/* The hand-made parser agrees with the C library on many days. */
static void
test_http_date_against_gmtime(void **state)
{
	static const char wk[] = "SunMonTueWedThuFriSat";
	static const char mo[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char s[40];
	struct tm tm;
	time_t t;

	(void)state;
	for (t = 0; t < (time_t)4102444800LL; t += 86400 * 7 + 3599) {
		gmtime_r(&t, &tm);
		snprintf(s, sizeof(s), "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT",
		    wk + tm.tm_wday * 3, tm.tm_mday, mo + tm.tm_mon * 3,
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		assert_int_equal(awserr_parse_http_date(s), t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_body_not_terminated),
		cmocka_unit_test(test_long_fields_truncated),
		cmocka_unit_test(test_success_is_none),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_message_scrubbed),
		cmocka_unit_test(test_message_scrubbed_at_limit),
		cmocka_unit_test(test_http_date),
		cmocka_unit_test(test_http_date_against_gmtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
