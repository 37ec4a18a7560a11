/*
 * credjson: pure helpers of the credential providers (include/creds_provider.h):
 * ISO-8601 times, the JSON credentials of IMDS and container endpoints,
 * validation, copies and wiping.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "creds_provider.h"
#include "log.h"

void *
creds_alloc(size_t n)
{
	void *p;

	if ((p = calloc(1, n)) == NULL)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

void
creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
	dst->access_key_id = buf_strdup(src->access_key_id);
	dst->secret_access_key = buf_strdup(src->secret_access_key);
	dst->session_token = buf_strdup(src->session_token);
	dst->expiration = src->expiration;
}

/* Read exactly n decimal digits at *p (bounded by e) into *v. */
static int
iso_digits(const char **p, const char *e, int n, int *v)
{
	int i;

	if (e - *p < n)
		return -1;
	for (*v = 0, i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

/* Expect the character c at *p. */
static int
iso_char(const char **p, const char *e, char c)
{
	if (*p >= e || **p != c)
		return -1;
	(*p)++;
	return 0;
}

/*
 * The "Z", "+HH:MM", "-HH:MM", "+HHMM" or "+HH" that ends an ISO-8601
 * time, as seconds east of UTC.
 */
static int
iso_zone(const char *p, const char *e, long *off)
{
	int sign, hh, mm = 0;

	if (e - p == 1 && (*p == 'Z' || *p == 'z')) {
		*off = 0;
		return 0;
	}
	if (p >= e || (*p != '+' && *p != '-'))
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (iso_digits(&p, e, 2, &hh) == -1)
		return -1;
	if (p < e && *p == ':')
		p++;
	if (p < e && iso_digits(&p, e, 2, &mm) == -1)
		return -1;
	if (p != e || hh > 23 || mm > 59)
		return -1;
	*off = sign * (hh * 3600L + mm * 60L);
	return 0;
}

int
creds_parse_iso8601(const char *s, size_t n, time_t *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	const char *p = s, *e = s + n;
	int y, mo, d, h, mi, sec;
	long off;
	struct tm tm;
	time_t v;

	if (iso_digits(&p, e, 4, &y) == -1 || iso_char(&p, e, '-') == -1 ||
	    iso_digits(&p, e, 2, &mo) == -1 || iso_char(&p, e, '-') == -1 ||
	    iso_digits(&p, e, 2, &d) == -1 ||
	    (iso_char(&p, e, 'T') == -1 && iso_char(&p, e, 't') == -1 &&
	    iso_char(&p, e, ' ') == -1) ||
	    iso_digits(&p, e, 2, &h) == -1 || iso_char(&p, e, ':') == -1 ||
	    iso_digits(&p, e, 2, &mi) == -1 || iso_char(&p, e, ':') == -1 ||
	    iso_digits(&p, e, 2, &sec) == -1)
		return -1;
	if (p < e && *p == '.') {
		for (p++; p < e && *p >= '0' && *p <= '9'; p++)
			;
		if (p[-1] == '.')
			return -1;
	}
	if (iso_zone(p, e, &off) == -1)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 60)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((v = timegm(&tm)) == (time_t)-1)
		return -1;
	*t = v - off;
	return 0;
}

/* One value printable ASCII without spaces (it goes into HTTP headers). */
static int
creds_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int
creds_validate(const struct aws_creds *c, struct buf *err)
{
	if (c->access_key_id == NULL || *c->access_key_id == '\0') {
		buf_addstr(err, "no access key id");
		return -1;
	}
	if (c->secret_access_key == NULL || *c->secret_access_key == '\0') {
		buf_addstr(err, "no secret access key");
		return -1;
	}
	if (!creds_printable(c->access_key_id)) {
		buf_addstr(err, "the access key id has characters that are not allowed");
		return -1;
	}
	if (!creds_printable(c->secret_access_key)) {
		buf_addstr(err, "the secret access key has characters that are not allowed");
		return -1;
	}
	if (c->session_token != NULL && (*c->session_token == '\0' ||
	    !creds_printable(c->session_token))) {
		buf_addstr(err, "the session token is empty or has characters that are not allowed");
		return -1;
	}
	return 0;
}

/*
 * Copy the string member name of o into *dst.
 * Returns 1 when copied, 0 when absent or null, -1 when not a string.
 */
static int
json_take_secret(json_t *o, const char *name, char **dst)
{
	json_t *v = json_object_get(o, name);
	size_t n;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	n = json_string_length(v);
	if (strlen(json_string_value(v)) != n)
		return -1;	/* embedded NUL */
	*dst = buf_strdup(json_string_value(v));
	return 1;
}

/* Wipe every string member of o in jansson's memory before it is freed. */
static void
json_wipe_strings(json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
		if (json_is_string(v))
			OPENSSL_cleanse((char *)(uintptr_t)json_string_value(v),
			    json_string_length(v));
}

/* Append s to err as printable ASCII, at most max bytes. */
static void
creds_add_safe(struct buf *err, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max; i++)
		buf_addch(err, (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?');
}

/* The fields of one credential document, in *out; -1 with err. */
static int
creds_json_fields(json_t *root, struct aws_creds *out, struct buf *err)
{
	static const char *names[] = { "AccessKeyId", "SecretAccessKey",
	    "Token" };
	char **dst[] = { &out->access_key_id, &out->secret_access_key,
	    &out->session_token };
	json_t *v;
	size_t i;
	int r;

	v = json_object_get(root, "Code");
	if (v != NULL && (!json_is_string(v) ||
	    strcmp(json_string_value(v), "Success") != 0)) {
		buf_addstr(err, "the credentials document says Code ");
		if (json_is_string(v))
			creds_add_safe(err, json_string_value(v), 64);
		else
			buf_addstr(err, "(not a string)");
		return -1;
	}
	for (i = 0; i < 3; i++) {
		if ((r = json_take_secret(root, names[i], dst[i])) == -1 ||
		    (r == 0 && i < 2)) {
			buf_printf(err, "%s %s in the credentials document",
			    names[i], r == 0 ? "missing" : "is not a string");
			return -1;
		}
	}
	v = json_object_get(root, "Expiration");
	if (!json_is_string(v) || creds_parse_iso8601(json_string_value(v),
	    json_string_length(v), &out->expiration) == -1) {
		buf_addstr(err, "Expiration missing or not an ISO-8601 time in "
		    "the credentials document");
		return -1;
	}
	return 0;
}

int
creds_parse_json(const char *json, size_t len, struct aws_creds *out,
    struct buf *err)
{
	json_error_t jerr;
	json_t *root;
	int r = -1;

	memset(out, 0, sizeof(*out));
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		buf_printf(err, "credentials document is not JSON (line %d, "
		    "column %d)", jerr.line, jerr.column);
		return -1;
	}
	if (!json_is_object(root))
		buf_addstr(err, "credentials document is not a JSON object");
	else if (creds_json_fields(root, out, err) == 0 &&
	    creds_validate(out, err) == 0)
		r = 0;
	if (r == -1)
		aws_creds_clear(out);
	if (json_is_object(root))
		json_wipe_strings(root);
	json_decref(root);
	return r;
}
