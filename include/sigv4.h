/*
 * sigv4: AWS Signature Version 4 for request headers, as a pure function:
 * no I/O, no clock (the time is an argument), no global state. Verified
 * against the AWS SigV4 test suite (tests/unit/test_sigv4.c).
 *
 * The rules implemented are those of every service but S3: the path is
 * normalized (dot segments removed, repeated slashes collapsed, a trailing
 * slash kept) and each segment of the path as sent on the wire is
 * percent-encoded once more ("double encoding"). The secret key and the
 * derived signing key never leave this module and are wiped after use.
 */
#ifndef VPCFLOWD_SIGV4_H
#define VPCFLOWD_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define SIGV4_SHA256_HEX_LEN	64
#define SIGV4_AMZ_DATE_LEN	16	/* "20150830T123600Z" */
#define SIGV4_MAX_ADD_HEADERS	3

struct aws_creds {
	char	*access_key_id;
	char	*secret_access_key;
	char	*session_token;		/* NULL for long-term keys */
	time_t	 expiration;		/* 0: does not expire */
};

/* Wipe the secret and the token, free the three strings, zero *creds. */
void	aws_creds_clear(struct aws_creds *creds);

struct sigv4_header {
	const char	*name;
	const char	*value;
};

/*
 * The request to sign. Every header given is signed; "host" is required,
 * and X-Amz-Date, X-Amz-Security-Token and Authorization must not be given
 * (the signer adds them). Values are trimmed and inner runs of white space
 * (folded lines included) become one space; repeated names are joined with
 * ',' in the order given. path is the path as sent on the wire, without the
 * query (NULL or "" means "/"); query is the part after '?' (NULL or ""
 * for none), percent escapes in it are decoded and re-encoded canonically
 * ('+' is a literal plus). The body is hashed unless payload_hash (64
 * lowercase hex digits) is given.
 */
struct sigv4_request {
	const char			*method;
	const char			*path;
	const char			*query;
	const struct sigv4_header	*headers;
	size_t				 nheaders;
	const void			*body;
	size_t				 body_len;
	const char			*payload_hash;
};

/*
 * What the signer produced. headers[0..nheaders) are the headers to add to
 * the request (X-Amz-Date, X-Amz-Security-Token when the credentials carry
 * a token, Authorization); their values point into this structure. The
 * canonical request and the string to sign are kept for tests and -vvv
 * tracing: they contain the session token (it is a signed header) but
 * never the secret key nor the signing key.
 */
struct sigv4_result {
	char			amz_date[SIGV4_AMZ_DATE_LEN + 1];
	char			signature[SIGV4_SHA256_HEX_LEN + 1];
	struct buf		authorization;
	struct buf		security_token;	/* empty without a token */
	struct buf		canonical_request;
	struct buf		string_to_sign;
	struct sigv4_header	headers[SIGV4_MAX_ADD_HEADERS];
	size_t			nheaders;
};

/*
 * Sign req with creds for region and service at time now. Returns 0 and
 * fills *out (release it with sigv4_result_free; do not copy it, its
 * headers point into it), or -1 with errno EINVAL when the request or the
 * credentials are unusable, EIO if OpenSSL fails (*out is then empty).
 */
int	sigv4_sign(const struct sigv4_request *req,
	    const struct aws_creds *creds, const char *region,
	    const char *service, time_t now, struct sigv4_result *out);
/* Free and wipe a result; safe on a zeroed or already freed result. */
void	sigv4_result_free(struct sigv4_result *res);

/* Pure helpers, also used to build requests elsewhere (STS, tests). */

/* Lowercase hex SHA-256 of p[0..n) into out (65 bytes). Returns 0 or -1. */
int	sigv4_sha256_hex(const void *p, size_t n,
	    char out[SIGV4_SHA256_HEX_LEN + 1]);
/* HMAC-SHA256 of msg under key into out (32 bytes). Returns 0 or -1. */
int	sigv4_hmac_sha256(const void *key, size_t key_len, const void *msg,
	    size_t msg_len, unsigned char out[32]);
/*
 * Append s[0..n) to b percent-encoded per RFC 3986: everything but
 * A-Z a-z 0-9 - . _ ~ (and '/' when keep_slash) becomes %XX, uppercase.
 */
void	sigv4_uri_encode(struct buf *b, const char *s, size_t n,
	    int keep_slash);
/* Format t as "YYYYMMDDTHHMMSSZ" (UTC) into out. Returns 0 or -1. */
int	sigv4_amz_date(time_t t, char out[SIGV4_AMZ_DATE_LEN + 1]);

#endif
