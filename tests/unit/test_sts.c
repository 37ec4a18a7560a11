/* Unit tests for sts: form bodies, endpoints, the XML reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sts.h"

#define AKID	"ASIAIOSFODNN7EXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
#define TOKEN	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI"

#define ASSUME_OK \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n" \
	"  <AssumeRoleResult>\n" \
	"  <SourceIdentity>Alice</SourceIdentity>\n" \
	"    <AssumedRoleUser>\n" \
	"      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>\n" \
	"      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>\n" \
	"    </AssumedRoleUser>\n" \
	"    <Credentials>\n" \
	"      <AccessKeyId>" AKID "</AccessKeyId>\n" \
	"      <SecretAccessKey>" SECRET "</SecretAccessKey>\n" \
	"      <SessionToken>\n" TOKEN "\n      </SessionToken>\n" \
	"      <Expiration>2019-11-09T13:34:41Z</Expiration>\n" \
	"    </Credentials>\n" \
	"    <PackedPolicySize>6</PackedPolicySize>\n" \
	"  </AssumeRoleResult>\n" \
	"  <ResponseMetadata>\n" \
	"    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n" \
	"  </ResponseMetadata>\n" \
	"</AssumeRoleResponse>\n"

static void
assert_no_secret(const char *s)
{
	assert_null(strstr(s, SECRET));
	assert_null(strstr(s, TOKEN));
	assert_null(strstr(s, AKID));
}

static void
test_forms(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	sts_assume_role_form(&b, "arn:aws:iam::123456789012:role/demo",
	    "s1", "ext id/+", 3600);
	assert_string_equal(b.data, "Action=AssumeRole&Version=2011-06-15"
	    "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo"
	    "&RoleSessionName=s1&ExternalId=ext%20id%2F%2B&DurationSeconds=3600");
	buf_reset(&b);
	sts_assume_role_form(&b, "arn:r", "s1", NULL, 900);
	assert_string_equal(b.data, "Action=AssumeRole&Version=2011-06-15"
	    "&RoleArn=arn%3Ar&RoleSessionName=s1&DurationSeconds=900");
	buf_reset(&b);
	sts_web_identity_form(&b, "arn:r", "s2", "eyJ.a-b_c=", 3600);
	assert_string_equal(b.data, "Action=AssumeRoleWithWebIdentity"
	    "&Version=2011-06-15&RoleArn=arn%3Ar&RoleSessionName=s2"
	    "&WebIdentityToken=eyJ.a-b_c%3D&DurationSeconds=3600");
	buf_free(&b);
}

static void
test_session_name(void **state)
{
	struct buf b = BUF_INIT;
	char long_name[100];

	(void)state;
	sts_session_name(&b, NULL, 1700000000);
	assert_string_equal(b.data, "vpcflowd-1700000000");
	buf_reset(&b);
	sts_session_name(&b, "my session/Ä", 0);
	assert_string_equal(b.data, "my-session---");
	buf_reset(&b);
	sts_session_name(&b, "x", 0);
	assert_string_equal(b.data, "x-");
	buf_reset(&b);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	sts_session_name(&b, long_name, 0);
	assert_int_equal(b.len, 64);
	buf_free(&b);
}

static void
test_endpoints(void **state)
{
	struct buf b = BUF_INIT;
	const char *signing;

	(void)state;
	sts_endpoint_url(&b, "eu-west-1", 0, NULL, &signing);
	assert_string_equal(b.data, "https://sts.eu-west-1.amazonaws.com");
	assert_string_equal(signing, "eu-west-1");
	buf_reset(&b);
	sts_endpoint_url(&b, "us-east-1", 1, NULL, &signing);
	assert_string_equal(b.data, "https://sts-fips.us-east-1.amazonaws.com");
	buf_reset(&b);
	sts_endpoint_url(&b, "cn-north-1", 0, "", &signing);
	assert_string_equal(b.data, "https://sts.cn-north-1.amazonaws.com.cn");
	buf_reset(&b);
	sts_endpoint_url(&b, "eu-west-1", 1, "https://127.0.0.1:4443//", &signing);
	assert_string_equal(b.data, "https://127.0.0.1:4443");
	assert_string_equal(signing, "eu-west-1");
	buf_reset(&b);
	sts_endpoint_url(&b, NULL, 0, NULL, &signing);
	assert_string_equal(b.data, "https://sts.amazonaws.com");
	assert_string_equal(signing, "us-east-1");
	buf_reset(&b);
	sts_endpoint_url(&b, NULL, 0, "http://x", &signing);
	assert_string_equal(b.data, "http://x");
	assert_string_equal(signing, "us-east-1");
	buf_free(&b);
}

/* Parse doc, which must give the example credentials. */
static void
parse_good(const char *doc)
{
	struct aws_creds c;
	struct buf err = BUF_INIT;

	if (sts_parse_credentials(doc, strlen(doc), &c, &err) != 0)
		fail_msg("parse failed: %s", err.data);
	assert_string_equal(c.access_key_id, AKID);
	assert_string_equal(c.secret_access_key, SECRET);
	assert_non_null(c.session_token);
	assert_int_equal(c.expiration, 1573306481);
	aws_creds_clear(&c);
	buf_free(&err);
}

static void
test_parse_assume_role(void **state)
{
	(void)state;
	/* White space around a value (the token here) is not part of it. */
	parse_good(ASSUME_OK);
	parse_good(
	    "<?xml version=\"1.0\"?><!-- c --><AssumeRoleWithWebIdentityResponse>"
	    "<AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>x"
	    "</SubjectFromWebIdentityToken><Credentials>"
	    "<SessionToken>" TOKEN "</SessionToken>"
	    "<SecretAccessKey><![CDATA[" SECRET "]]></SecretAccessKey>"
	    "<Expiration>2019-11-09T13:34:41.000Z</Expiration>"
	    "<AccessKeyId>ASIA&#73;OSFODNN7EXAMPLE</AccessKeyId>"
	    "</Credentials></AssumeRoleWithWebIdentityResult>"
	    "</AssumeRoleWithWebIdentityResponse>");
	parse_good(
	    "<sts:AssumeRoleResponse xmlns:sts='x'><sts:AssumeRoleResult>"
	    "<sts:Credentials a=\"1>2\"><sts:AccessKeyId>" AKID
	    "</sts:AccessKeyId><sts:SecretAccessKey>" SECRET
	    "</sts:SecretAccessKey><sts:SessionToken>a&amp;b&#x3d;"
	    "</sts:SessionToken><sts:Expiration>2019-11-09T14:34:41+01:00"
	    "</sts:Expiration><Empty/></sts:Credentials>"
	    "</sts:AssumeRoleResult></sts:AssumeRoleResponse >\n");
}

static void
test_parse_bad(void **state)
{
	static const struct { const char *doc; const char *err; } cases[] = {
		{ "", "the STS answer is not well-formed XML" },
		{ "<a><b>" SECRET "</a></b>", "the STS answer is not well-formed XML" },
		{ "<a>" SECRET, "the STS answer is not well-formed XML" },
		{ "<a/><b/>", "the STS answer is not well-formed XML" },
		{ "text<a/>", "the STS answer is not well-formed XML" },
		{ "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
		    "the STS answer is not well-formed XML" },
		{ "<a>&bogus;</a>", "the STS answer is not well-formed XML" },
		{ "<a>&#0;</a>", "the STS answer is not well-formed XML" },
		{ "<a>&#xD800;</a>", "the STS answer is not well-formed XML" },
		{ "<a><!-- unterminated </a>", "the STS answer is not well-formed XML" },
		{ "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
		  "<AccessKeyId>" AKID "</AccessKeyId>"
		  "<SecretAccessKey>" SECRET "</SecretAccessKey>"
		  "<Expiration>2019-11-09T13:34:41Z</Expiration>"
		  "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
		  "SessionToken missing in the STS answer" },
		{ "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
		  "<AccessKeyId>" AKID "</AccessKeyId>"
		  "<SecretAccessKey>" SECRET "</SecretAccessKey>"
		  "<SessionToken>" TOKEN "</SessionToken>"
		  "<Expiration>tomorrow</Expiration>"
		  "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
		  "the STS Expiration is not an ISO-8601 time" },
		{ "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
		  "<AccessKeyId>" AKID "</AccessKeyId>"
		  "<SecretAccessKey>" SECRET "</SecretAccessKey>"
		  "<SessionToken>a\rb</SessionToken>"
		  "<Expiration>2019-11-09T13:34:41Z</Expiration>"
		  "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
		  "the session token is empty or has characters that are not allowed" },
		{ "<AssumeRoleResponse><Credentials>"
		  "<AccessKeyId>" AKID "</AccessKeyId>"
		  "</Credentials></AssumeRoleResponse>",
		  "AccessKeyId missing in the STS answer" },
		{ "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
		  "<Error><Type>Sender</Type><Code>AccessDenied</Code>"
		  "<Message>User: arn:aws:iam::1:user/x is not authorized &lt;x&gt;"
		  "</Message></Error><RequestId>r</RequestId></ErrorResponse>",
		  "STS error AccessDenied: User: arn:aws:iam::1:user/x is not "
		  "authorized <x>" },
	};
	struct aws_creds c;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&err);
		assert_int_equal(sts_parse_credentials(cases[i].doc,
		    strlen(cases[i].doc), &c, &err), -1);
		assert_string_equal(err.data, cases[i].err);
		assert_no_secret(err.data);
		assert_null(c.access_key_id);
		assert_null(c.secret_access_key);
		assert_null(c.session_token);
	}
	buf_free(&err);
}

static void
test_depth_limit(void **state)
{
	struct buf doc = BUF_INIT, code = BUF_INIT, msg = BUF_INIT;
	int i;

	(void)state;
	for (i = 0; i < STS_XML_MAX_DEPTH; i++)
		buf_addstr(&doc, "<a>");
	for (i = 0; i < STS_XML_MAX_DEPTH; i++)
		buf_addstr(&doc, "</a>");
	/* Exactly the limit: well-formed, but no error document. */
	assert_int_equal(sts_parse_error(doc.data, doc.len, &code, &msg), -1);
	buf_reset(&doc);
	for (i = 0; i <= STS_XML_MAX_DEPTH; i++)
		buf_addstr(&doc, "<a>");
	for (i = 0; i <= STS_XML_MAX_DEPTH; i++)
		buf_addstr(&doc, "</a>");
	assert_int_equal(sts_parse_error(doc.data, doc.len, &code, &msg), -1);
	buf_free(&doc);
	buf_free(&code);
	buf_free(&msg);
}

static void
test_parse_error(void **state)
{
	static const char doc[] = "<ErrorResponse><Error><Type>Sender</Type>"
	    "<Code>ExpiredToken</Code><Message>The security token included "
	    "in the request is expired\x01</Message></Error></ErrorResponse>";
	struct buf code = BUF_INIT, msg = BUF_INIT;

	(void)state;
	assert_int_equal(sts_parse_error(doc, strlen(doc), &code, &msg), 0);
	assert_string_equal(code.data, "ExpiredToken");
	assert_string_equal(msg.data, "The security token included in the "
	    "request is expired?");
	assert_int_equal(sts_parse_error(ASSUME_OK, strlen(ASSUME_OK), &code,
	    &msg), -1);
	buf_free(&code);
	buf_free(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_session_name),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_parse_assume_role),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_parse_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
