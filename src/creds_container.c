/*
 * creds_container: ECS / EKS Pod Identity container credentials
 * (creds_provider.h). AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is a path on
 * http://169.254.170.2; AWS_CONTAINER_CREDENTIALS_FULL_URI a whole URL,
 * HTTPS anywhere or plain HTTP to a loopback or the ECS/EKS link-local
 * addresses only. The Authorization header comes from the file named by
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at each fetch: rotated),
 * else from AWS_CONTAINER_AUTHORIZATION_TOKEN.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "creds_provider.h"

#define CONTAINER_HOST	"http://169.254.170.2"

/* Hosts a plain-HTTP full URI may name (the SDKs' rule). */
static int
container_host_allowed(const char *url)
{
	static const char *hosts[] = { "localhost", "169.254.170.2",
	    "169.254.170.23", "[::1]", "[fd00:ec2::23]" };
	const char *h = url + strlen("http://"), *e;
	size_t i, n;

	if (strncasecmp(url, "https://", 8) == 0)
		return 1;
	if (strncasecmp(url, "http://", 7) != 0)
		return 0;
	if (*h == '[')
		e = strchr(h, ']') != NULL ? strchr(h, ']') + 1 : h;
	else
		e = h + strcspn(h, ":/?#");
	n = (size_t)(e - h);
	if (memchr(h, '@', strcspn(h, "/?#")) != NULL)
		return 0;
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (strlen(hosts[i]) == n && strncasecmp(h, hosts[i], n) == 0)
			return 1;
	/* 127.0.0.0/8 */
	if (n >= 9 && strncmp(h, "127.", 4) == 0 &&
	    strspn(h, "0123456789.") == n)
		return 1;
	return 0;
}

/* The Authorization value, if any, into auth; -1 with err. */
static int
container_auth(struct buf *auth, struct buf *err)
{
	const char *file = creds_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = creds_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");

	if (file != NULL)
		return creds_read_secret_file(file, auth, err);
	if (tok != NULL) {
		if (strpbrk(tok, "\r\n") != NULL) {
			buf_addstr(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN "
			    "holds a line break");
			return -1;
		}
		buf_addstr(auth, tok);
	}
	return 0;
}

/*
 * GET the container credentials: the URL from the environment, checked,
 * with the Authorization header when a token is configured.
 */
static enum creds_result
container_get(struct creds_provider *p, struct aws_creds *out,
    struct buf *err)
{
	const char *rel = creds_getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = creds_getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const struct creds_opts *opts = p->ctx;
	struct buf url = BUF_INIT, auth = BUF_INIT;
	struct http_header h = { "Authorization", NULL };
	enum creds_result r = CREDS_ERROR;

	if (rel == NULL && full == NULL) {
		buf_addstr(err, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
		    "AWS_CONTAINER_CREDENTIALS_FULL_URI not set");
		return CREDS_NOT_FOUND;
	}
	if (rel != NULL)
		buf_printf(&url, "%s%s%s", CONTAINER_HOST, *rel == '/' ? "" :
		    "/", rel);
	else if (container_host_allowed(full))
		buf_addstr(&url, full);
	else {
		buf_addstr(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be "
		    "https, or http to a loopback address, 169.254.170.2, "
		    "169.254.170.23 or fd00:ec2::23");
		return CREDS_ERROR;
	}
	if (strpbrk(url.data, " \t\r\n") != NULL) {
		buf_printf(err, "AWS_CONTAINER_CREDENTIALS_%s_URI holds white "
		    "space", rel != NULL ? "RELATIVE" : "FULL");
		buf_free(&url);
		return CREDS_ERROR;
	}
	if (container_auth(&auth, err) == 0) {
		h.value = auth.data;
		r = creds_fetch_json(url.data, &h, auth.len > 0 ? 1 : 0,
		    CREDS_CONTAINER_TIMEOUT_MS, opts != NULL ? opts->ca_file :
		    NULL, out, err);
	}
	buf_wipe_free(&auth);
	buf_free(&url);
	return r;
}

struct creds_provider *
creds_container_new(const struct creds_opts *opts)
{
	return creds_provider_new("container", container_get, NULL,
	    (void *)(uintptr_t)opts);
}
