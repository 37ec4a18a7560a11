/* creds_env: credentials from AWS_ACCESS_KEY_ID and friends (creds_provider.h). */
#include <string.h>

#include "creds_provider.h"

/*
 * AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN, and
 * AWS_CREDENTIAL_EXPIRATION when the token is temporary). Neither key set:
 * not configured; only one of them: an error.
 */
static enum creds_result
env_get(struct creds_provider *p, struct aws_creds *out, struct buf *err)
{
	const char *id = creds_getenv("AWS_ACCESS_KEY_ID");
	const char *secret = creds_getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = creds_getenv("AWS_SESSION_TOKEN");
	const char *exp = creds_getenv("AWS_CREDENTIAL_EXPIRATION");
	time_t t = 0;

	(void)p;
	if (id == NULL && secret == NULL) {
		buf_addstr(err, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
		    "not set");
		return CREDS_NOT_FOUND;
	}
	if (id == NULL || secret == NULL) {
		buf_printf(err, "%s is set but %s is not", id != NULL ?
		    "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY", id != NULL ?
		    "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return CREDS_ERROR;
	}
	if (exp != NULL && creds_parse_iso8601(exp, strlen(exp), &t) == -1) {
		buf_addstr(err, "AWS_CREDENTIAL_EXPIRATION is not an ISO-8601 "
		    "time");
		return CREDS_ERROR;
	}
	out->access_key_id = buf_strdup(id);
	out->secret_access_key = buf_strdup(secret);
	out->session_token = buf_strdup(token);
	out->expiration = t;
	return CREDS_OK;
}

struct creds_provider *
creds_env_new(void)
{
	return creds_provider_new("environment", env_get, NULL, NULL);
}
