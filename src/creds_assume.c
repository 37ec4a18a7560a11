/*
 * creds_assume: STS calls for credentials (creds_sts_call, and
 * creds_assume_role for AssumeRole; also used by the web identity and shared
 * files providers) and the aws.role_arn provider: AssumeRole, signed with
 * what the rest of the chain found.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "creds_provider.h"
#include "sts.h"

struct assume_ctx {
	const struct creds_opts	*opts;
	struct creds_chain	*base;
	char			*role_arn;
	char			*external_id;
	char			*session;
	struct buf		 name;
};

enum creds_result
creds_sts_call(const struct creds_opts *opts, struct creds_chain *base,
    const char *form, struct aws_creds *out, const char *what,
    struct buf *err)
{
	struct buf url = BUF_INIT, body = BUF_INIT;
	struct aws_endpoint ep;
	struct aws_client client;
	struct aws_error ae;
	const char *signing, *advice;
	enum creds_result r = CREDS_ERROR;

	memset(&ep, 0, sizeof(ep));
	memset(&ae, 0, sizeof(ae));
	sts_endpoint_url(&url, opts->region, opts->fips, opts->sts_endpoint,
	    &signing);
	if (aws_endpoint_init(&ep, url.data, signing, "sts", opts->ca_file,
	    CREDS_STS_TIMEOUT_MS) == -1) {
		buf_printf(err, "bad STS endpoint %s", url.data);
		buf_free(&url);
		return CREDS_ERROR;
	}
	aws_client_init(&client, base, CREDS_STS_MAX_RPS, NULL);
	client.max_attempts = CREDS_STS_ATTEMPTS;
	if (aws_query_call(&client, &ep, form, base == NULL, &body, &ae) == -1) {
		buf_printf(err, "STS %s at %s failed: %s%s%s", what, url.data,
		    ae.name[0] ? ae.name : "error",
		    ae.message[0] ? ": " : "", ae.message);
		if (ae.cls == AWSERR_FATAL &&
		    (advice = awserr_advice(&ae)) != NULL && *advice != '\0')
			buf_printf(err, " (%s)", advice);
	} else if (sts_parse_credentials(body.data ? body.data : "", body.len,
	    out, err) == 0)
		r = CREDS_OK;
	buf_wipe_free(&body);
	aws_endpoint_free(&ep);
	buf_free(&url);
	return r;
}

enum creds_result
creds_assume_role(const struct creds_opts *opts, struct creds_chain *base,
    const char *role_arn, const char *external_id, const char *session,
    struct aws_creds *out, struct buf *err)
{
	struct buf form = BUF_INIT, name = BUF_INIT;
	enum creds_result r;

	sts_session_name(&name, session, time(NULL));
	sts_assume_role_form(&form, role_arn, name.data, external_id,
	    STS_DURATION);
	r = creds_sts_call(opts, base, form.data, out, "AssumeRole", err);
	buf_wipe_free(&form);
	buf_free(&name);
	return r;
}

/* AssumeRole of the configured role with the base chain's credentials. */
static enum creds_result
assume_get(struct creds_provider *p, struct aws_creds *out, struct buf *err)
{
	struct assume_ctx *a = p->ctx;
	struct buf why = BUF_INIT;

	if (creds_get(a->base, time(NULL), &why) == NULL) {
		buf_printf(err, "nothing to assume the role with: %s", why.data);
		buf_free(&why);
		return CREDS_ERROR;
	}
	buf_free(&why);
	creds_provider_rename(p, &a->name, "assume role %s on top of %s",
	    a->role_arn, creds_source(a->base));
	return creds_assume_role(a->opts, a->base, a->role_arn,
	    a->external_id, a->session, out, err);
}

static void
assume_free(struct creds_provider *p)
{
	struct assume_ctx *a = p->ctx;

	creds_chain_free(a->base);
	free(a->role_arn);
	buf_str_wipe_free(&a->external_id);
	free(a->session);
	buf_free(&a->name);
	free(a);
}

struct creds_provider *
creds_assume_new(const struct creds_opts *opts, struct creds_chain *base,
    const char *role_arn, const char *external_id, const char *session)
{
	struct assume_ctx *a = creds_alloc(sizeof(*a));

	a->opts = opts;
	a->base = base;
	a->role_arn = buf_strdup(role_arn);
	a->external_id = buf_strdup(external_id);
	a->session = buf_strdup(session);
	buf_printf(&a->name, "assume role %s", role_arn);
	return creds_provider_new(a->name.data, assume_get, assume_free, a);
}
