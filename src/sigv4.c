/* sigv4: AWS Signature Version 4 request signing (see include/sigv4.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "sigv4.h"

#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR	"aws4_request"
#define SHA256_LEN		32

/* One header on its way into the canonical request; order keeps it stable. */
struct header_entry {
	const char	*name;
	const char	*value;
	size_t		 order;
};

struct query_param {
	const char	*key;
	const char	*value;
};

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

static void
hex_encode(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_lower[p[i] >> 4];
		out[2 * i + 1] = hex_lower[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

static char
to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/*
 * Compare two strings as if both were lowercased, byte by byte, whatever
 * the locale: this is the order of the canonical headers.
 */
static int
ascii_casecmp(const char *a, const char *b)
{
	unsigned char ca, cb;

	do {
		ca = (unsigned char)to_lower(*a++);
		cb = (unsigned char)to_lower(*b++);
	} while (ca == cb && ca != '\0');
	return (int)ca - (int)cb;
}

int
sigv4_sha256_hex(const void *p, size_t n, char out[SIGV4_SHA256_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	unsigned int md_len = 0;

	if (EVP_Digest(p != NULL ? p : "", n, md, &md_len, EVP_sha256(),
	    NULL) != 1 || md_len != SHA256_LEN)
		return -1;
	hex_encode(md, SHA256_LEN, out);
	return 0;
}

int
sigv4_hmac_sha256(const void *key, size_t key_len, const void *msg,
    size_t msg_len, unsigned char out[32])
{
	unsigned int out_len = 0;

	if (key_len > INT_MAX)
		return -1;
	if (HMAC(EVP_sha256(), key, (int)key_len, msg != NULL ? msg : "",
	    msg_len, out, &out_len) == NULL || out_len != SHA256_LEN)
		return -1;
	return 0;
}

static void
append_encoded_byte(struct buf *b, unsigned char c)
{
	if (is_alnum((char)c) || c == '-' || c == '.' || c == '_' || c == '~') {
		buf_addch(b, (char)c);
		return;
	}
	buf_addch(b, '%');
	buf_addch(b, hex_upper[c >> 4]);
	buf_addch(b, hex_upper[c & 15]);
}

void
sigv4_uri_encode(struct buf *b, const char *s, size_t n, int keep_slash)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (keep_slash && s[i] == '/')
			buf_addch(b, '/');
		else
			append_encoded_byte(b, (unsigned char)s[i]);
	}
}

/*
 * Append s[0..n) with its %XX escapes decoded and every byte encoded again,
 * so that "%7e", "~" and "%7E" all become "~". A stray '%' stays a '%'.
 */
static void
append_reencoded(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hex_value(s[i + 1])) >= 0 &&
		    (lo = hex_value(s[i + 2])) >= 0) {
			append_encoded_byte(b, (unsigned char)(hi << 4 | lo));
			i += 2;
		} else
			append_encoded_byte(b, (unsigned char)s[i]);
	}
}

int
sigv4_amz_date(time_t t, char out[SIGV4_AMZ_DATE_LEN + 1])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 70 ||
	    tm.tm_year > 9999 - 1900)
		return -1;
	if (strftime(out, SIGV4_AMZ_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) !=
	    SIGV4_AMZ_DATE_LEN)
		return -1;
	return 0;
}

/*
 * Append the canonical URI of path: empty and "." segments dropped, ".."
 * removing the segment before it (never above the root), a trailing slash
 * kept, and every segment percent-encoded once more, '%' included.
 */
static void
append_canonical_path(struct buf *cr, const char *path)
{
	size_t root = cr->len, seg_len;
	int trailing_slash = 0;

	while (path != NULL && *path != '\0') {
		if (*path == '/') {
			trailing_slash = 1;
			path++;
			continue;
		}
		seg_len = strcspn(path, "/");
		if (seg_len == 1 && path[0] == '.')
			trailing_slash = 1;
		else if (seg_len == 2 && path[0] == '.' && path[1] == '.') {
			while (cr->len > root && cr->data[--cr->len] != '/')
				;
			cr->data[cr->len] = '\0';
			trailing_slash = 1;
		} else {
			buf_addch(cr, '/');
			sigv4_uri_encode(cr, path, seg_len, 0);
			trailing_slash = 0;
		}
		path += seg_len;
	}
	if (cr->len == root || trailing_slash)
		buf_addch(cr, '/');
}

static int
compare_query_params(const void *a, const void *b)
{
	const struct query_param *pa = a, *pb = b;
	int c;

	if ((c = strcmp(pa->key, pb->key)) != 0)
		return c;
	return strcmp(pa->value, pb->value);
}

/*
 * Append the canonical query string: parameters re-encoded, sorted by key
 * then value, a key without '=' given an empty value, empty parts dropped.
 */
static void
append_canonical_query(struct buf *cr, const char *query)
{
	struct buf encoded = BUF_INIT, params = BUF_INIT;
	struct query_param param, *sorted;
	const char *part, *eq, *p;
	size_t part_len, count = 0, i;

	for (part = query; part != NULL && *part != '\0'; part += part_len) {
		if ((part_len = strcspn(part, "&")) == 0) {
			part_len = 1;
			continue;
		}
		eq = memchr(part, '=', part_len);
		append_reencoded(&encoded, part,
		    eq != NULL ? (size_t)(eq - part) : part_len);
		buf_addch(&encoded, '\0');
		if (eq != NULL)
			append_reencoded(&encoded, eq + 1,
			    part_len - (size_t)(eq - part) - 1);
		buf_addch(&encoded, '\0');
		count++;
	}
	/* The encoded strings no longer move: point at them and sort. */
	for (i = 0, p = encoded.data; i < count; i++) {
		param.key = p;
		p += strlen(p) + 1;
		param.value = p;
		p += strlen(p) + 1;
		buf_add(&params, &param, sizeof(param));
	}
	sorted = (struct query_param *)(void *)params.data;
	if (count > 1)
		qsort(sorted, count, sizeof(*sorted), compare_query_params);
	for (i = 0; i < count; i++)
		buf_printf(cr, "%s%s=%s", i > 0 ? "&" : "", sorted[i].key,
		    sorted[i].value);
	buf_free(&params);
	buf_free(&encoded);
}

static int
compare_header_entries(const void *a, const void *b)
{
	const struct header_entry *ha = a, *hb = b;
	int c;

	if ((c = ascii_casecmp(ha->name, hb->name)) != 0)
		return c;
	return ha->order < hb->order ? -1 : ha->order > hb->order;
}

static void
append_lowercase(struct buf *b, const char *s)
{
	while (*s != '\0')
		buf_addch(b, to_lower(*s++));
}

/*
 * Append a header value trimmed, with every inner run of white space
 * (folded continuation lines included) turned into a single space.
 */
static void
append_trimmed_value(struct buf *b, const char *value)
{
	size_t start = b->len;
	int space_pending = 0;

	for (; *value != '\0'; value++) {
		if (is_space(*value)) {
			space_pending = 1;
			continue;
		}
		if (space_pending && b->len > start)
			buf_addch(b, ' ');
		space_pending = 0;
		buf_addch(b, *value);
	}
}

/*
 * Append the canonical headers (sorted, lowercased, repeated names joined
 * with ',' in the order given) to cr, and their names to signed_headers.
 */
static void
append_canonical_headers(struct buf *cr, struct buf *signed_headers,
    struct header_entry *entries, size_t count)
{
	size_t i;

	qsort(entries, count, sizeof(*entries), compare_header_entries);
	for (i = 0; i < count; i++) {
		if (i > 0 && ascii_casecmp(entries[i - 1].name,
		    entries[i].name) == 0) {
			buf_addch(cr, ',');
			append_trimmed_value(cr, entries[i].value);
			continue;
		}
		if (i > 0) {
			buf_addch(cr, '\n');
			buf_addch(signed_headers, ';');
		}
		append_lowercase(cr, entries[i].name);
		append_lowercase(signed_headers, entries[i].name);
		buf_addch(cr, ':');
		append_trimmed_value(cr, entries[i].value);
	}
	buf_addch(cr, '\n');
}

/* An HTTP field name (RFC 9110 token). */
static int
is_header_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!is_alnum(*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return 0;
	return 1;
}

/* Safe inside the credential scope: access key id, region, service. */
static int
is_scope_part(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!is_alnum(*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

static int
is_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
is_sha256_hex(const char *s)
{
	size_t i;

	for (i = 0; i < SIGV4_SHA256_HEX_LEN; i++)
		if (s[i] == '\0' || strchr(hex_lower, s[i]) == NULL)
			return 0;
	return s[i] == '\0';
}

/*
 * Check the caller's headers: valid names, a host header, none of the
 * headers the signer adds itself.
 */
static int
request_headers_ok(const struct sigv4_request *req)
{
	static const char *const reserved[] = {
		"x-amz-date", "x-amz-security-token", "authorization"
	};
	size_t i, r;
	int have_host = 0;

	if (req->nheaders > 0 && req->headers == NULL)
		return 0;
	for (i = 0; i < req->nheaders; i++) {
		if (req->headers[i].name == NULL ||
		    req->headers[i].value == NULL ||
		    !is_header_name(req->headers[i].name))
			return 0;
		for (r = 0; r < sizeof(reserved) / sizeof(reserved[0]); r++)
			if (ascii_casecmp(req->headers[i].name,
			    reserved[r]) == 0)
				return 0;
		if (ascii_casecmp(req->headers[i].name, "host") == 0)
			have_host = 1;
	}
	return have_host;
}

/*
 * Everything sigv4_sign needs is there and well formed; nothing that would
 * break the Authorization header or inject a header line gets through.
 */
static int
request_ok(const struct sigv4_request *req, const struct aws_creds *creds,
    const char *region, const char *service)
{
	if (req == NULL || creds == NULL || req->method == NULL ||
	    !is_header_name(req->method))
		return 0;
	if (req->body == NULL && req->body_len > 0)
		return 0;
	if (req->payload_hash != NULL && !is_sha256_hex(req->payload_hash))
		return 0;
	if (!is_scope_part(creds->access_key_id) ||
	    creds->secret_access_key == NULL ||
	    *creds->secret_access_key == '\0')
		return 0;
	if (creds->session_token != NULL &&
	    !is_printable(creds->session_token))
		return 0;
	return is_scope_part(region) && is_scope_part(service) &&
	    request_headers_ok(req);
}

/*
 * Derive the signing key: HMAC chain from "AWS4" + secret over the date,
 * region, service and "aws4_request". Every intermediate is wiped.
 */
static int
derive_signing_key(const char *secret, const char *date, const char *region,
    const char *service, unsigned char key[SHA256_LEN])
{
	const char *const steps[] = { region, service, SIGV4_TERMINATOR };
	struct buf first = BUF_INIT;
	unsigned char next[SHA256_LEN];
	size_t secret_len = strlen(secret), i;
	int rc;

	/* Sized once so that no copy of the secret is left behind by realloc. */
	buf_grow(&first, 4 + secret_len);
	buf_addstr(&first, "AWS4");
	buf_add(&first, secret, secret_len);
	rc = sigv4_hmac_sha256(first.data, first.len, date, strlen(date), key);
	buf_wipe_free(&first);
	for (i = 0; rc == 0 && i < sizeof(steps) / sizeof(steps[0]); i++) {
		rc = sigv4_hmac_sha256(key, SHA256_LEN, steps[i],
		    strlen(steps[i]), next);
		memcpy(key, next, SHA256_LEN);
	}
	OPENSSL_cleanse(next, sizeof(next));
	return rc;
}

/* Append one header to an array of entries kept in a buf, in given order. */
static void
add_header_entry(struct buf *entries, const char *name, const char *value)
{
	struct header_entry entry;

	entry.name = name;
	entry.value = value;
	entry.order = entries->len / sizeof(entry);
	buf_add(entries, &entry, sizeof(entry));
}

/*
 * An upper bound of the canonical request's size (encoding at most triples
 * a byte), so that it is allocated once and no unwiped copy of the session
 * token is left behind by realloc.
 */
static size_t
canonical_request_bound(const struct sigv4_request *req, size_t token_len)
{
	size_t n, i;

	n = strlen(req->method) + token_len + 256;
	n += 3 * (req->path != NULL ? strlen(req->path) : 0);
	n += 3 * (req->query != NULL ? strlen(req->query) : 0);
	for (i = 0; i < req->nheaders; i++)
		n += 2 * strlen(req->headers[i].name) +
		    strlen(req->headers[i].value) + 3;
	return n;
}

/*
 * Build the canonical request in out->canonical_request. The signer's own
 * headers join the caller's before sorting.
 */
static void
build_canonical_request(const struct sigv4_request *req, const char *token,
    const char *payload_hash, struct buf *signed_headers,
    struct sigv4_result *out)
{
	struct buf entries = BUF_INIT;
	struct buf *cr = &out->canonical_request;
	size_t i;

	buf_grow(cr, canonical_request_bound(req,
	    token != NULL ? strlen(token) : 0));
	for (i = 0; i < req->nheaders; i++)
		add_header_entry(&entries, req->headers[i].name,
		    req->headers[i].value);
	add_header_entry(&entries, "x-amz-date", out->amz_date);
	if (token != NULL)
		add_header_entry(&entries, "x-amz-security-token", token);
	buf_addstr(cr, req->method);
	buf_addch(cr, '\n');
	append_canonical_path(cr, req->path);
	buf_addch(cr, '\n');
	append_canonical_query(cr, req->query);
	buf_addch(cr, '\n');
	append_canonical_headers(cr, signed_headers,
	    (struct header_entry *)(void *)entries.data,
	    entries.len / sizeof(struct header_entry));
	buf_addch(cr, '\n');
	buf_add(cr, signed_headers->data, signed_headers->len);
	buf_addch(cr, '\n');
	buf_addstr(cr, payload_hash);
	buf_free(&entries);
}

/* Fill the list of headers the caller adds to the request. */
static void
list_added_headers(struct sigv4_result *out)
{
	out->nheaders = 0;
	out->headers[out->nheaders].name = "X-Amz-Date";
	out->headers[out->nheaders++].value = out->amz_date;
	if (out->security_token.len > 0) {
		out->headers[out->nheaders].name = "X-Amz-Security-Token";
		out->headers[out->nheaders++].value = out->security_token.data;
	}
	out->headers[out->nheaders].name = "Authorization";
	out->headers[out->nheaders++].value = out->authorization.data;
}

int
sigv4_sign(const struct sigv4_request *req, const struct aws_creds *creds,
    const char *region, const char *service, time_t now,
    struct sigv4_result *out)
{
	struct buf signed_headers = BUF_INIT;
	char payload_hash[SIGV4_SHA256_HEX_LEN + 1];
	char cr_hash[SIGV4_SHA256_HEX_LEN + 1], date[9];
	unsigned char key[SHA256_LEN], mac[SHA256_LEN];
	const char *token = NULL;
	size_t token_len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!request_ok(req, creds, region, service) ||
	    sigv4_amz_date(now, out->amz_date) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (creds->session_token != NULL && *creds->session_token != '\0') {
		token_len = strlen(creds->session_token);
		buf_grow(&out->security_token, token_len);
		buf_add(&out->security_token, creds->session_token, token_len);
		token = out->security_token.data;
	}
	if (req->payload_hash != NULL)
		memcpy(payload_hash, req->payload_hash, sizeof(payload_hash));
	else if (sigv4_sha256_hex(req->body, req->body_len, payload_hash) == -1)
		goto crypto_failed;
	memcpy(date, out->amz_date, 8);
	date[8] = '\0';

	build_canonical_request(req, token, payload_hash, &signed_headers, out);
	if (sigv4_sha256_hex(out->canonical_request.data,
	    out->canonical_request.len, cr_hash) == -1)
		goto crypto_failed;
	buf_printf(&out->string_to_sign, "%s\n%s\n%s/%s/%s/%s\n%s",
	    SIGV4_ALGORITHM, out->amz_date, date, region, service,
	    SIGV4_TERMINATOR, cr_hash);

	rc = derive_signing_key(creds->secret_access_key, date, region,
	    service, key);
	if (rc == 0)
		rc = sigv4_hmac_sha256(key, sizeof(key),
		    out->string_to_sign.data, out->string_to_sign.len, mac);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc == -1)
		goto crypto_failed;
	hex_encode(mac, sizeof(mac), out->signature);

	buf_printf(&out->authorization,
	    "%s Credential=%s/%s/%s/%s/%s, SignedHeaders=%s, Signature=%s",
	    SIGV4_ALGORITHM, creds->access_key_id, date, region, service,
	    SIGV4_TERMINATOR, signed_headers.data, out->signature);
	buf_free(&signed_headers);
	list_added_headers(out);
	return 0;

crypto_failed:
	buf_free(&signed_headers);
	sigv4_result_free(out);
	errno = EIO;
	return -1;
}

void
sigv4_result_free(struct sigv4_result *res)
{
	buf_wipe_free(&res->security_token);
	buf_wipe_free(&res->canonical_request);
	buf_free(&res->string_to_sign);
	buf_free(&res->authorization);
	memset(res, 0, sizeof(*res));
}

void
aws_creds_clear(struct aws_creds *creds)
{
	buf_str_wipe_free(&creds->access_key_id);
	buf_str_wipe_free(&creds->secret_access_key);
	buf_str_wipe_free(&creds->session_token);
	creds->expiration = 0;
}
