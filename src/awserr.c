/*
 * awserr: classify AWS error responses like the SDKs' standard retry mode
 * (include/awserr.h). The name lists follow the SDKs (aws-sdk-go-v2 retry,
 * aws-sdk-js-v3 service-error-classification, botocore standard mode).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "awserr.h"

/*
 * One known error name. When needles is set, cls applies only if the
 * message holds one of them (case-insensitive); otherwise the error is
 * fatal. advice is for operators (fatal errors, or retries that gave up).
 */
struct awserr_name {
	const char		 *name;
	enum aws_error_class	  cls;
	const char *const	 *needles;
	const char		 *advice;
};

static const char *const skew_needles[] = {
	"signature expired", "not yet current", NULL
};
static const char *const next_token_needles[] = {
	"nexttoken", "next token", NULL
};

#define ADVICE_IAM	"the IAM policy of these credentials does not allow " \
	"this call: grant logs:FilterLogEvents on the log group ARN " \
	"(arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*), kms:Decrypt for " \
	"token_kms, sts:AssumeRole on aws.role_arn"
#define ADVICE_KEY_ID	"AWS does not know this access key ID: check which " \
	"credentials are used (environment, profile, role), that they are " \
	"not deleted, and that the region is enabled for the account"
#define ADVICE_SIG	"the signature does not match: check that the " \
	"secret access key belongs to the access key ID, and the system " \
	"clock (NTP)"
#define ADVICE_PARAM	"AWS rejected a request parameter: check log_group, " \
	"log_stream_prefix, filter_pattern and start_position"
#define ADVICE_KMS	"the KMS key cannot decrypt token_kms: check the " \
	"ciphertext, token_kms_context, the key's state and its region"

static const struct awserr_name awserr_names[] = {
	/* Throttling: retried with the longer backoff. */
	{ "Throttling", AWSERR_THROTTLE, NULL, NULL },
	{ "ThrottlingException", AWSERR_THROTTLE, NULL, NULL },
	{ "ThrottledException", AWSERR_THROTTLE, NULL, NULL },
	{ "RequestThrottledException", AWSERR_THROTTLE, NULL, NULL },
	{ "TooManyRequestsException", AWSERR_THROTTLE, NULL, NULL },
	{ "ProvisionedThroughputExceededException", AWSERR_THROTTLE, NULL,
	    NULL },
	{ "TransactionInProgressException", AWSERR_THROTTLE, NULL, NULL },
	{ "RequestLimitExceeded", AWSERR_THROTTLE, NULL, NULL },
	{ "BandwidthLimitExceeded", AWSERR_THROTTLE, NULL, NULL },
	{ "LimitExceededException", AWSERR_THROTTLE, NULL, NULL },
	{ "RequestThrottled", AWSERR_THROTTLE, NULL, NULL },
	{ "SlowDown", AWSERR_THROTTLE, NULL, NULL },
	{ "PriorRequestNotComplete", AWSERR_THROTTLE, NULL, NULL },
	{ "EC2ThrottledException", AWSERR_THROTTLE, NULL, NULL },
	/* Transient: retried. */
	{ "RequestTimeout", AWSERR_TRANSIENT, NULL, NULL },
	{ "RequestTimeoutException", AWSERR_TRANSIENT, NULL, NULL },
	{ "InternalFailure", AWSERR_TRANSIENT, NULL, NULL },
	{ "InternalError", AWSERR_TRANSIENT, NULL, NULL },
	{ "InternalServerError", AWSERR_TRANSIENT, NULL, NULL },
	{ "InternalServiceError", AWSERR_TRANSIENT, NULL, NULL },
	{ "ServiceUnavailable", AWSERR_TRANSIENT, NULL, NULL },
	{ "ServiceUnavailableException", AWSERR_TRANSIENT, NULL, NULL },
	{ "IDPCommunicationError", AWSERR_TRANSIENT, NULL, NULL },
	{ "KMSInternalException", AWSERR_TRANSIENT, NULL, NULL },
	{ "DependencyTimeoutException", AWSERR_TRANSIENT, NULL, NULL },
	/* Temporary credentials expired: refresh them. */
	{ "ExpiredToken", AWSERR_EXPIRED_TOKEN, NULL,
	    "the credentials keep expiring: check the credential source "
	    "(profile, role, instance profile) and the system clock" },
	{ "ExpiredTokenException", AWSERR_EXPIRED_TOKEN, NULL,
	    "the credentials (or the web identity token) keep expiring: "
	    "check the credential source and the system clock" },
	/* Clock skew: correct the clock from the Date header, retry once. */
	{ "RequestTimeTooSkewed", AWSERR_CLOCK_SKEW, NULL, NULL },
	{ "RequestExpired", AWSERR_CLOCK_SKEW, NULL, NULL },
	{ "RequestInTheFuture", AWSERR_CLOCK_SKEW, NULL, NULL },
	{ "InvalidSignatureException", AWSERR_CLOCK_SKEW, skew_needles,
	    ADVICE_SIG },
	{ "SignatureDoesNotMatch", AWSERR_CLOCK_SKEW, skew_needles,
	    ADVICE_SIG },
	/* A rejected pagination token, else a bad parameter. */
	{ "InvalidParameterException", AWSERR_BAD_NEXT_TOKEN,
	    next_token_needles, ADVICE_PARAM },
	/* Fatal, with advice. */
	{ "NoCredentials", AWSERR_FATAL, NULL,
	    "give the daemon AWS credentials: environment, web identity, "
	    "shared files (aws.profile), container or instance role" },
	{ "AccessDeniedException", AWSERR_FATAL, NULL, ADVICE_IAM },
	{ "AccessDenied", AWSERR_FATAL, NULL, ADVICE_IAM },
	{ "ResourceNotFoundException", AWSERR_FATAL, NULL,
	    "the log group was not found: check log_group and region (and "
	    "the account of the credentials)" },
	{ "UnrecognizedClientException", AWSERR_FATAL, NULL, ADVICE_KEY_ID },
	{ "InvalidClientTokenId", AWSERR_FATAL, NULL, ADVICE_KEY_ID },
	{ "IncompleteSignature", AWSERR_FATAL, NULL, ADVICE_SIG },
	{ "MissingAuthenticationToken", AWSERR_FATAL, NULL,
	    "the request was not signed: check the credentials and that "
	    "endpoint points at the right service" },
	{ "ValidationException", AWSERR_FATAL, NULL, ADVICE_PARAM },
	{ "InvalidParameterValue", AWSERR_FATAL, NULL, ADVICE_PARAM },
	{ "InvalidParameterCombination", AWSERR_FATAL, NULL, ADVICE_PARAM },
	{ "MissingParameter", AWSERR_FATAL, NULL, ADVICE_PARAM },
	{ "InvalidOperationException", AWSERR_FATAL, NULL, ADVICE_PARAM },
	{ "SerializationException", AWSERR_FATAL, NULL,
	    "AWS could not read the request: check endpoint (it must be a "
	    "CloudWatch Logs, STS or KMS endpoint as configured)" },
	{ "UnknownOperationException", AWSERR_FATAL, NULL,
	    "the endpoint does not know this operation: check endpoint" },
	{ "OptInRequired", AWSERR_FATAL, NULL,
	    "the account is not subscribed to this service or the region is "
	    "not enabled: check region" },
	{ "InvalidAction", AWSERR_FATAL, NULL,
	    "the endpoint does not know this action: check aws.sts_endpoint" },
	{ "RegionDisabledException", AWSERR_FATAL, NULL,
	    "STS is not activated in this region for the account: activate "
	    "it in IAM or set aws.sts_endpoint" },
	{ "InvalidIdentityToken", AWSERR_FATAL, NULL,
	    "the web identity token was rejected: check "
	    "AWS_WEB_IDENTITY_TOKEN_FILE and the role's trust policy" },
	{ "MalformedPolicyDocument", AWSERR_FATAL, NULL,
	    "check the role's policies" },
	{ "InvalidCiphertextException", AWSERR_FATAL, NULL, ADVICE_KMS },
	{ "IncorrectKeyException", AWSERR_FATAL, NULL, ADVICE_KMS },
	{ "DisabledException", AWSERR_FATAL, NULL, ADVICE_KMS },
	{ "KMSInvalidStateException", AWSERR_FATAL, NULL, ADVICE_KMS },
	{ "NotFoundException", AWSERR_FATAL, NULL, ADVICE_KMS },
	{ "InvalidKeyUsageException", AWSERR_FATAL, NULL, ADVICE_KMS },
	{ "KeyUnavailableException", AWSERR_FATAL, NULL, ADVICE_KMS },
};

static const struct awserr_name *
find_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(awserr_names) / sizeof(awserr_names[0]); i++)
		if (strcmp(awserr_names[i].name, name) == 0)
			return &awserr_names[i];
	return NULL;
}

/* The first needle (lower case) in s, ASCII case-insensitive, or NULL. */
static const char *
find_ci(const char *s, const char *needle)
{
	size_t i, j;

	for (i = 0; s[i] != '\0'; i++) {
		for (j = 0; needle[j] != '\0' && s[i + j] != '\0'; j++)
			if (tolower((unsigned char)s[i + j]) != needle[j])
				break;
		if (needle[j] == '\0')
			return s + i;
	}
	return NULL;
}

/* Does the message hold one of the needles (ASCII case-insensitive)? */
static int
message_has(const char *message, const char *const *needles)
{
	for (; *needles != NULL; needles++)
		if (find_ci(message, *needles) != NULL)
			return 1;
	return 0;
}

/* Append s[0..n) to dst (size bytes, *o used), as much as fits. */
static void
add_bounded(char *dst, size_t size, size_t *o, const char *s, size_t n)
{
	if (n > size - 1 - *o)
		n = size - 1 - *o;
	memcpy(dst + *o, s, n);
	*o += n;
	dst[*o] = '\0';
}

#define SECURITY_TOKEN	"x-amz-security-token"

/*
 * A signature mismatch message goes on to quote the canonical request and
 * the string to sign AWS expected, which hold the session token: cut it
 * there, and redact any x-amz-security-token value that is still left.
 */
static void
scrub_message(struct aws_error *err)
{
	static const char *const quotes[] = {
		"the canonical string", "the string-to-sign", NULL
	};
	char tmp[sizeof(err->message)], *m = err->message, *cut;
	const char *r = m, *p, *v;
	size_t i, n, o = 0;

	for (i = 0; quotes[i] != NULL; i++)
		if ((cut = (char *)(uintptr_t)find_ci(m, quotes[i])) != NULL)
			*cut = '\0';
	n = strlen(m);
	while (n > 0 && m[n - 1] == ' ')
		m[--n] = '\0';
	tmp[0] = '\0';
	while ((p = find_ci(r, SECURITY_TOKEN)) != NULL) {
		v = p + strlen(SECURITY_TOKEN);
		v += strspn(v, " ");
		if (*v != ':' && *v != '=') {
			/* The name alone, as in SignedHeaders: no secret. */
			add_bounded(tmp, sizeof(tmp), &o, r, (size_t)(v - r));
			r = v;
			continue;
		}
		v++;
		v += strspn(v, " ");
		add_bounded(tmp, sizeof(tmp), &o, r, (size_t)(v - r));
		if ((n = strcspn(v, " &'\",;")) > 0)
			add_bounded(tmp, sizeof(tmp), &o, "<redacted>", 10);
		r = v + n;
	}
	if (r == m)
		return;
	add_bounded(tmp, sizeof(tmp), &o, r, strlen(r));
	memcpy(m, tmp, o + 1);
}

/*
 * Copy s[0..n) into dst as one printable line: control characters become
 * spaces, runs of spaces one space; surrounding blanks trimmed.
 */
static void
copy_line(char *dst, size_t size, const char *s, size_t n)
{
	size_t o = 0, i;
	int space = 0;

	for (i = 0; i < n && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0')
			break;
		if (c < 0x20 || c == 0x7f || c == ' ') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < size)
			dst[o++] = ' ';
		space = 0;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
}

/*
 * The error name as Smithy's protocols define it: the text before the
 * first ':' (a URL may follow), after the first '#' (a namespace may come
 * before it). Returns 1 when a non-empty name was stored.
 */
static int
set_name(struct aws_error *err, const char *s, size_t n)
{
	const char *colon, *hash;

	if ((colon = memchr(s, ':', n)) != NULL)
		n = (size_t)(colon - s);
	if ((hash = memchr(s, '#', n)) != NULL) {
		n -= (size_t)(hash + 1 - s);
		s = hash + 1;
	}
	copy_line(err->name, sizeof(err->name), s, n);
	return err->name[0] != '\0';
}

/* The string member key of a JSON object, or NULL. */
static const char *
json_member(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Name and message from a JSON error body (awsJson1_0/1_1, restJson1). */
static void
parse_json(struct aws_error *err, const char *body, size_t len, int have_name)
{
	static const char *const name_keys[] = { "__type", "code", "Code" };
	static const char *const msg_keys[] = { "message", "Message",
	    "errorMessage" };
	const char *s;
	json_t *root;
	size_t i;

	if ((root = json_loadb(body, len, 0, NULL)) == NULL)
		return;
	for (i = 0; !have_name && i < sizeof(name_keys) / sizeof(*name_keys);
	    i++)
		if ((s = json_member(root, name_keys[i])) != NULL)
			have_name = set_name(err, s, strlen(s));
	for (i = 0; i < sizeof(msg_keys) / sizeof(*msg_keys); i++)
		if ((s = json_member(root, msg_keys[i])) != NULL) {
			copy_line(err->message, sizeof(err->message), s,
			    strlen(s));
			break;
		}
	json_decref(root);
}

/* First occurrence of needle (n bytes) in s[0..len), or NULL. */
static const char *
find_bytes(const char *s, size_t len, const char *needle, size_t n)
{
	size_t i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

/* Find <tag>text</tag> in body; returns the text and its length, or NULL. */
static const char *
xml_element(const char *body, size_t len, const char *tag, size_t *n)
{
	char open[32], close[32];
	const char *start, *end;
	int ol, cl;

	ol = snprintf(open, sizeof(open), "<%s>", tag);
	cl = snprintf(close, sizeof(close), "</%s>", tag);
	if ((start = find_bytes(body, len, open, (size_t)ol)) == NULL)
		return NULL;
	start += ol;
	end = find_bytes(start, len - (size_t)(start - body), close,
	    (size_t)cl);
	if (end == NULL)
		return NULL;
	*n = (size_t)(end - start);
	return start;
}

/* Undo the five predefined XML entities in place. */
static void
xml_unescape(char *s)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		{ "&apos;", '\'' }, { "&amp;", '&' },
	};
	char *r = s, *w = s;
	size_t i, n;

	while (*r != '\0') {
		for (i = 0; *r == '&' && i < sizeof(ents) / sizeof(*ents); i++) {
			n = strlen(ents[i].ent);
			if (strncmp(r, ents[i].ent, n) == 0)
				break;
		}
		if (*r == '&' && i < sizeof(ents) / sizeof(*ents)) {
			*w++ = ents[i].c;
			r += n;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

/* Name and message from an XML error body (awsQuery: STS). */
static void
parse_xml(struct aws_error *err, const char *body, size_t len, int have_name)
{
	const char *s;
	size_t n;

	if (!have_name && (s = xml_element(body, len, "Code", &n)) != NULL)
		set_name(err, s, n);
	if ((s = xml_element(body, len, "Message", &n)) != NULL) {
		copy_line(err->message, sizeof(err->message), s, n);
		xml_unescape(err->message);
	}
}

/* The class the SDKs give an error by name, message and status. */
static enum aws_error_class
classify(const struct aws_error *err)
{
	const struct awserr_name *known = NULL;

	if (err->name[0] != '\0')
		known = find_name(err->name);
	if (known != NULL && (known->needles == NULL ||
	    message_has(err->message, known->needles)))
		return known->cls;
	if (err->status == 429)
		return AWSERR_THROTTLE;
	if (err->status == 500 || err->status == 502 || err->status == 503 ||
	    err->status == 504)
		return AWSERR_TRANSIENT;
	if (known == NULL && err->status >= 200 && err->status < 300)
		return AWSERR_NONE;
	return AWSERR_FATAL;
}

void
awserr_classify(struct aws_error *err, long status,
    const char *amzn_error_type, const char *body, size_t body_len)
{
	size_t i = 0;
	int have_name = 0;

	memset(err, 0, sizeof(*err));
	err->status = status;
	if (amzn_error_type != NULL)
		have_name = set_name(err, amzn_error_type,
		    strlen(amzn_error_type));
	if (body == NULL)
		body_len = 0;
	while (i < body_len && isspace((unsigned char)body[i]))
		i++;
	if (i < body_len && body[i] == '{')
		parse_json(err, body + i, body_len - i, have_name);
	else if (i < body_len && body[i] == '<')
		parse_xml(err, body + i, body_len - i, have_name);
	if (err->message[0] == '\0' && err->name[0] == '\0') {
		/* No AWS error document (a proxy, a load balancer): show it. */
		i = (size_t)snprintf(err->message, sizeof(err->message),
		    "HTTP %ld%s", status, body_len > 0 ? ": " : "");
		copy_line(err->message + i, sizeof(err->message) - i > 200 ?
		    200 : sizeof(err->message) - i, body, body_len);
	}
	scrub_message(err);
	err->cls = classify(err);
}

const char *
awserr_advice(const struct aws_error *err)
{
	const struct awserr_name *known = find_name(err->name);

	/* A name's advice is about the name, not about a message-made class. */
	if (known != NULL && known->advice != NULL &&
	    (err->cls == AWSERR_FATAL ||
	    (err->cls == known->cls && known->needles == NULL)))
		return known->advice;
	switch (err->cls) {
	case AWSERR_NONE:
		return "no error";
	case AWSERR_THROTTLE:
		return "AWS is throttling: lower aws.max_rps, or make other "
		    "users of the account's FilterLogEvents quota in this "
		    "region call less";
	case AWSERR_TRANSIENT:
		return "AWS or the network failed for a while: check the "
		    "connectivity to the endpoint (proxy, firewall, DNS)";
	case AWSERR_EXPIRED_TOKEN:
		return "the credentials expired: check the credential source";
	case AWSERR_CLOCK_SKEW:
		return "the system clock is wrong: synchronize it (chrony, "
		    "systemd-timesyncd)";
	case AWSERR_BAD_NEXT_TOKEN:
		return "the pagination token was rejected: the window is "
		    "read again";
	case AWSERR_FATAL:
		break;
	}
	if (err->status == 401 || err->status == 403)
		return "access was refused: check the credentials, the IAM "
		    "policy and any proxy between here and AWS";
	return "see AWS's message; the request is not retried";
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Hinnant's algorithm). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* n decimal digits at s into *v; returns 0 or -1. */
static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Index of the 3-letter name at s in list (exact case), or -1. */
static int
name_index(const char *s, const char *list)
{
	int i;

	for (i = 0; list[i * 3] != '\0'; i++)
		if (strncmp(s, list + i * 3, 3) == 0)
			return i;
	return -1;
}

/*
 * IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"), which is what AWS
 * sends; parsed by hand: no locale, no TZ, no strptime.
 */
time_t
awserr_parse_http_date(const char *date)
{
	static const char wkdays[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31,
	    31, 30, 31, 30, 31 };
	int day, mon, year, hh, mm, ss;
	int leap;

	if (date == NULL || strlen(date) != 29)
		return -1;
	if (name_index(date, wkdays) < 0 || strncmp(date + 3, ", ", 2) != 0 ||
	    digits(date + 5, 2, &day) == -1 || date[7] != ' ' ||
	    (mon = name_index(date + 8, months)) < 0 || date[11] != ' ' ||
	    digits(date + 12, 4, &year) == -1 || date[16] != ' ' ||
	    digits(date + 17, 2, &hh) == -1 || date[19] != ':' ||
	    digits(date + 20, 2, &mm) == -1 || date[22] != ':' ||
	    digits(date + 23, 2, &ss) == -1 || strcmp(date + 25, " GMT") != 0)
		return -1;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (day < 1 || day > mdays[mon] || (mon == 1 && !leap && day > 28) ||
	    hh > 23 || mm > 59 || ss > 60)
		return -1;
	if (ss == 60)	/* a leap second: the next second will do */
		ss = 59;
	return (time_t)(days_from_civil(year, (unsigned)mon + 1,
	    (unsigned)day) * 86400 + hh * 3600 + mm * 60 + ss);
}
