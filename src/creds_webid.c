/*
 * creds_webid: STS AssumeRoleWithWebIdentity (unsigned) with the token in
 * AWS_WEB_IDENTITY_TOKEN_FILE for AWS_ROLE_ARN (EKS IRSA and the like), or
 * with the web_identity_token_file and role_arn of a profile. The token
 * file is read at each fetch: it is rotated under our feet.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "creds_provider.h"
#include "sts.h"

struct webid_ctx {
	const struct creds_opts	*opts;
	char			*token_file;	/* NULL: from the environment */
	char			*role_arn;
	char			*session;
	struct buf		 name;
};

/*
 * AssumeRoleWithWebIdentity with the token read from its file now;
 * not configured when no token file is named.
 */
static enum creds_result
webid_get(struct creds_provider *p, struct aws_creds *out, struct buf *err)
{
	struct webid_ctx *w = p->ctx;
	const char *file = w->token_file, *role = w->role_arn;
	const char *session = w->session;
	struct buf token = BUF_INIT, form = BUF_INIT, name = BUF_INIT;
	enum creds_result r;

	if (file == NULL) {
		file = creds_getenv("AWS_WEB_IDENTITY_TOKEN_FILE");
		role = creds_getenv("AWS_ROLE_ARN");
		session = creds_getenv("AWS_ROLE_SESSION_NAME");
	}
	if (file == NULL) {
		buf_addstr(err, "AWS_WEB_IDENTITY_TOKEN_FILE not set");
		return CREDS_NOT_FOUND;
	}
	if (role == NULL) {
		buf_addstr(err, w->token_file == NULL ? "AWS_WEB_IDENTITY_TOKEN_FILE "
		    "is set but AWS_ROLE_ARN is not" : "no role_arn");
		return CREDS_ERROR;
	}
	creds_provider_rename(p, &w->name, "web identity (role %s)", role);
	if (creds_read_secret_file(file, &token, err) == -1)
		return CREDS_ERROR;
	sts_session_name(&name, session, time(NULL));
	sts_web_identity_form(&form, role, name.data, token.data, STS_DURATION);
	r = creds_sts_call(w->opts, NULL, form.data, out,
	    "AssumeRoleWithWebIdentity", err);
	buf_wipe_free(&token);
	buf_wipe_free(&form);
	buf_free(&name);
	return r;
}

static void
webid_free(struct creds_provider *p)
{
	struct webid_ctx *w = p->ctx;

	free(w->token_file);
	free(w->role_arn);
	free(w->session);
	buf_free(&w->name);
	free(w);
}

struct creds_provider *
creds_webid_new(const struct creds_opts *opts, const char *token_file,
    const char *role_arn, const char *session)
{
	struct webid_ctx *w = creds_alloc(sizeof(*w));

	w->opts = opts;
	w->token_file = buf_strdup(token_file);
	w->role_arn = buf_strdup(role_arn);
	w->session = buf_strdup(session);
	buf_addstr(&w->name, "web identity");
	return creds_provider_new(w->name.data, webid_get, webid_free, w);
}
