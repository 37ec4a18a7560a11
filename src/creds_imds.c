/*
 * creds_imds: EC2 instance metadata, IMDSv2 only (creds_provider.h): a
 * session token from PUT /latest/api/token, then the role name and its
 * credentials, each request with a 1 s timeout. The address is
 * AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://[fd00:ec2::254] when
 * AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6, else http://169.254.169.254;
 * AWS_EC2_METADATA_DISABLED=true turns it off.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "creds_provider.h"

#define IMDS_TOKEN_TTL	"21600"
#define IMDS_ROLES	"/latest/meta-data/iam/security-credentials/"

struct imds_ctx {
	struct buf	name;
};

/* A session with the metadata service. */
struct imds_session {
	struct buf	base;		/* no trailing '/' */
	struct buf	token;		/* SECRET */
	int		explicit;	/* the address was configured */
};

/* Open a session: CREDS_NOT_FOUND when there is no metadata service. */
static enum creds_result
imds_open(struct imds_session *s, struct buf *err)
{
	const char *ep = creds_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = creds_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	const char *off = creds_getenv("AWS_EC2_METADATA_DISABLED");
	struct http_header h = { "X-aws-ec2-metadata-token-ttl-seconds",
	    IMDS_TOKEN_TTL };
	long status;
	int timed_out;

	memset(s, 0, sizeof(*s));
	if (off != NULL && strcasecmp(off, "true") == 0) {
		buf_addstr(err, "disabled by AWS_EC2_METADATA_DISABLED");
		return CREDS_NOT_FOUND;
	}
	s->explicit = ep != NULL;
	buf_addstr(&s->base, ep != NULL ? ep : mode != NULL &&
	    strcasecmp(mode, "IPv6") == 0 ? "http://[fd00:ec2::254]" :
	    "http://169.254.169.254");
	while (s->base.len > 0 && s->base.data[s->base.len - 1] == '/')
		s->base.data[--s->base.len] = '\0';
	buf_addstr(&s->base, "/latest/api/token");
	if (creds_http("PUT", s->base.data, &h, 1, CREDS_META_TIMEOUT_MS, NULL,
	    &s->token, &status, &timed_out, err) == -1) {
		if (timed_out)
			buf_addstr(err, " (not on EC2? in a container, the "
			    "instance's metadata hop limit may be 1)");
		return s->explicit ? CREDS_ERROR : CREDS_NOT_FOUND;
	}
	s->base.len -= strlen("/latest/api/token");
	s->base.data[s->base.len] = '\0';
	if (status != 200 || s->token.len == 0 ||
	    strpbrk(s->token.data, "\r\n") != NULL) {
		buf_printf(err, "PUT %s/latest/api/token: HTTP status %ld%s",
		    s->base.data, status, status == 403 ? " (IMDS is disabled "
		    "on this instance, or the request was forwarded)" : "");
		return CREDS_ERROR;
	}
	return CREDS_OK;
}

/* End a session: the token is wiped. */
static void
imds_close(struct imds_session *s)
{
	buf_free(&s->base);
	buf_wipe_free(&s->token);
}

/*
 * GET path in the session into body (trimmed); returns the HTTP status,
 * or -1 with err on a transport error.
 */
static long
imds_get(struct imds_session *s, const char *path, struct buf *body,
    struct buf *err)
{
	struct http_header h = { "X-aws-ec2-metadata-token", s->token.data };
	struct buf url = BUF_INIT;
	long status;
	int timed_out, r;

	buf_printf(&url, "%s%s", s->base.data, path);
	r = creds_http("GET", url.data, &h, 1, CREDS_META_TIMEOUT_MS, NULL,
	    body, &status, &timed_out, err);
	buf_free(&url);
	while (body->len > 0 && strchr(" \t\r\n", body->data[body->len - 1]))
		body->data[--body->len] = '\0';
	return r == -1 ? -1 : status;
}

/* The first role name of the instance profile into role. */
static enum creds_result
imds_role(struct imds_session *s, struct buf *role, struct buf *err)
{
	long st = imds_get(s, IMDS_ROLES, role, err);
	size_t n;

	if (st == 404) {
		buf_addstr(err, "the instance has no IAM role (attach an "
		    "instance profile)");
		return CREDS_NOT_FOUND;
	}
	if (st != 200) {
		if (st != -1)
			buf_printf(err, "GET %s%s: HTTP status %ld",
			    s->base.data, IMDS_ROLES, st);
		return CREDS_ERROR;
	}
	n = strcspn(role->data ? role->data : "", "\r\n");
	if (n == 0 || n > 128 || strcspn(role->data, "/ ?#%") < n) {
		buf_addstr(err, "the instance metadata gave no usable role name");
		return CREDS_ERROR;
	}
	role->data[role->len = n] = '\0';
	return CREDS_OK;
}

/*
 * IMDSv2 credentials: session token, role name, then the role's JSON
 * credentials; the provider is renamed after the role.
 */
static enum creds_result
imds_creds_get(struct creds_provider *p, struct aws_creds *out,
    struct buf *err)
{
	struct imds_ctx *c = p->ctx;
	struct imds_session s;
	struct buf role = BUF_INIT, url = BUF_INIT;
	struct http_header h;
	enum creds_result r;

	if ((r = imds_open(&s, err)) == CREDS_OK &&
	    (r = imds_role(&s, &role, err)) == CREDS_OK) {
		creds_provider_rename(p, &c->name, "IMDSv2 (role %s)", role.data);
		buf_printf(&url, "%s%s%s", s.base.data, IMDS_ROLES, role.data);
		h.name = "X-aws-ec2-metadata-token";
		h.value = s.token.data;
		r = creds_fetch_json(url.data, &h, 1, CREDS_META_TIMEOUT_MS,
		    NULL, out, err);
	}
	imds_close(&s);
	buf_free(&role);
	buf_free(&url);
	return r;
}

static void
imds_free(struct creds_provider *p)
{
	struct imds_ctx *c = p->ctx;

	buf_free(&c->name);
	free(c);
}

struct creds_provider *
creds_imds_new(const struct creds_opts *opts)
{
	struct imds_ctx *c = creds_alloc(sizeof(*c));

	(void)opts;
	buf_addstr(&c->name, "IMDSv2");
	return creds_provider_new(c->name.data, imds_creds_get, imds_free, c);
}

int
creds_imds_region(char **region, struct buf *err)
{
	struct imds_session s;
	struct buf body = BUF_INIT;
	enum creds_result r;
	long st;
	int ret = -1;

	*region = NULL;
	if ((r = imds_open(&s, err)) == CREDS_NOT_FOUND)
		ret = 1;
	else if (r == CREDS_OK) {
		st = imds_get(&s, "/latest/meta-data/placement/region", &body,
		    err);
		if (st == 200 && body.len > 0) {
			*region = buf_detach(&body);
			ret = 0;
		} else if (st != -1)
			buf_printf(err, "GET %s/latest/meta-data/placement/region:"
			    " HTTP status %ld", s.base.data, st);
	}
	imds_close(&s);
	buf_free(&body);
	return ret;
}
