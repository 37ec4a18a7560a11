/*
 * sts: the pure parts of AWS STS (query protocol, XML answers): the form
 * bodies of AssumeRole and AssumeRoleWithWebIdentity, the endpoint URL, a
 * minimal XML reader for their answers and for STS error documents. No I/O
 * (creds_assume.c and creds_webid.c make the calls).
 *
 * The XML reader accepts well-formed element trees: prolog, comments,
 * CDATA, attributes (ignored), namespace prefixes (ignored), the five
 * predefined entities and character references. A DOCTYPE is refused (no
 * entity expansion). Errors never quote the document: it holds secrets.
 */
#ifndef VPCFLOWD_STS_H
#define VPCFLOWD_STS_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "sigv4.h"

#define STS_API_VERSION		"2011-06-15"
#define STS_DURATION		3600	/* seconds asked for */
#define STS_XML_MAX_DEPTH	32

/*
 * The STS endpoint: override verbatim (trailing '/' removed), else
 * https://sts.REGION.amazonaws.com (sts-fips. when fips, .amazonaws.com.cn
 * for cn- regions), else the global https://sts.amazonaws.com. *signing
 * gets the region to sign for ("us-east-1" for the global endpoint).
 */
void	sts_endpoint_url(struct buf *out, const char *region, int fips,
	    const char *override, const char **signing);

/* A valid RoleSessionName ([\w+=,.@-], 2..64) from given, or "vpcflowd-NOW". */
void	sts_session_name(struct buf *out, const char *given, time_t now);

/* Form bodies (application/x-www-form-urlencoded). external_id may be NULL. */
void	sts_assume_role_form(struct buf *out, const char *role_arn,
	    const char *session, const char *external_id, long duration);
void	sts_web_identity_form(struct buf *out, const char *role_arn,
	    const char *session, const char *web_token, long duration);

/*
 * Credentials from an AssumeRoleResponse or AssumeRoleWithWebIdentityResponse
 * (...Result/Credentials/{AccessKeyId,SecretAccessKey,SessionToken,Expiration}).
 * Returns 0 with *out filled, or -1 with err saying why (an STS error
 * document gives its code and message).
 */
int	sts_parse_credentials(const char *xml, size_t len, struct aws_creds *out,
	    struct buf *err);

/*
 * Code and Message of an STS <ErrorResponse><Error>. Returns 0 when the
 * document is an error document (code filled, message maybe empty), -1
 * otherwise. Both are cut to printable ASCII.
 */
int	sts_parse_error(const char *xml, size_t len, struct buf *code,
	    struct buf *message);

#endif
