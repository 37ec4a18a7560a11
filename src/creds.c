/*
 * creds: the credential chain and its expiry-aware cache (include/creds.h),
 * plus the helpers its providers share (include/creds_provider.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "creds_provider.h"
#include "log.h"

#define CREDS_RETRY_FAILED_REFRESH	30	/* s: keep old credentials, retry */
#define CREDS_SHORT_LIVED_RETRY		60	/* s: at most, for short-lived ones */
#define CREDS_SECRET_FILE_MAX		(1024 * 1024)

struct creds_chain {
	struct creds_provider	**p;
	size_t			  n;
	struct aws_creds	  cached;
	int			  have;
	time_t			  refresh_at;	/* with have and an expiration */
	char			 *source;	/* name of the provider of cached */
	struct creds_opts	  opts;		/* creds_chain_new(): owned copies */
	int			  top;		/* the daemon's chain: log at info */
};

struct creds_provider *
creds_provider_new(const char *name, creds_get_fn get, creds_free_fn free_ctx,
    void *ctx)
{
	struct creds_provider *p = creds_alloc(sizeof(*p));

	p->name = name;
	p->get = get;
	p->free = free_ctx;
	p->ctx = ctx;
	return p;
}

void
creds_provider_free(struct creds_provider *p)
{
	if (p == NULL)
		return;
	if (p->free != NULL)
		p->free(p);
	free(p);
}

/* Take the n providers of p (ownership) into chain. */
static void
creds_chain_set(struct creds_chain *chain, struct creds_provider **p, size_t n)
{
	chain->p = creds_alloc(n * sizeof(*p) + 1);
	memcpy(chain->p, p, n * sizeof(*p));
	chain->n = n;
}

void
creds_provider_rename(struct creds_provider *p, struct buf *name,
    const char *fmt, ...)
{
	va_list ap;

	buf_reset(name);
	va_start(ap, fmt);
	buf_vprintf(name, fmt, ap);
	va_end(ap);
	p->name = name->data;
}

struct creds_chain *
creds_chain_of(struct creds_provider **p, size_t n)
{
	struct creds_chain *chain = creds_alloc(sizeof(*chain));

	creds_chain_set(chain, p, n);
	return chain;
}

/* Copy the strings of opts into chain, which owns them from then on. */
static void
creds_opts_copy(struct creds_opts *dst, const struct creds_opts *src)
{
	dst->profile = buf_strdup(src->profile);
	dst->region = buf_strdup(src->region);
	dst->sts_endpoint = buf_strdup(src->sts_endpoint);
	dst->role_arn = buf_strdup(src->role_arn);
	dst->external_id = buf_strdup(src->external_id);
	dst->ca_file = buf_strdup(src->ca_file);
	dst->fips = src->fips;
}

static void
creds_opts_free(struct creds_opts *o)
{
	free((char *)(uintptr_t)o->profile);
	free((char *)(uintptr_t)o->region);
	free((char *)(uintptr_t)o->sts_endpoint);
	free((char *)(uintptr_t)o->role_arn);
	buf_str_wipe_free((char **)(uintptr_t)&o->external_id);
	free((char *)(uintptr_t)o->ca_file);
	memset(o, 0, sizeof(*o));
}

/*
 * The chain of DESIGN.md: environment, web identity, shared files,
 * container, IMDSv2; with aws.role_arn, AssumeRole on top of that chain.
 */
struct creds_chain *
creds_chain_new(const struct creds_opts *opts)
{
	struct creds_provider *p[5], *assume;
	struct creds_chain *chain = creds_alloc(sizeof(*chain));
	const struct creds_opts *o = &chain->opts;

	/* Providers keep a pointer to the chain's own copy of the options. */
	creds_opts_copy(&chain->opts, opts);
	chain->top = 1;
	p[0] = creds_env_new();
	p[1] = creds_webid_new(o, NULL, NULL, NULL);
	p[2] = creds_profile_new(o, NULL, 0);
	p[3] = creds_container_new(o);
	p[4] = creds_imds_new(o);
	if (o->role_arn != NULL && *o->role_arn != '\0') {
		assume = creds_assume_new(o, creds_chain_of(p, 5), o->role_arn,
		    o->external_id, NULL);
		creds_chain_set(chain, &assume, 1);
	} else
		creds_chain_set(chain, p, 5);
	return chain;
}

void
creds_chain_free(struct creds_chain *chain)
{
	size_t i;

	if (chain == NULL)
		return;
	for (i = 0; i < chain->n; i++)
		creds_provider_free(chain->p[i]);
	free(chain->p);
	aws_creds_clear(&chain->cached);
	free(chain->source);
	creds_opts_free(&chain->opts);
	free(chain);
}

/*
 * When to fetch again: CREDS_REFRESH_MARGIN before the expiration, or,
 * for credentials that live shorter than that, soon but not at every call.
 */
static time_t
creds_refresh_time(time_t expiration, time_t now)
{
	time_t at = expiration - CREDS_REFRESH_MARGIN, half;

	if (at > now)
		return at;
	half = (expiration - now) / 2;
	return now + (half < CREDS_SHORT_LIVED_RETRY ? half :
	    CREDS_SHORT_LIVED_RETRY);
}

/* Whether the cached credentials can be handed out at now. */
static int
creds_fresh(const struct creds_chain *chain, time_t now)
{
	return chain->have && (chain->cached.expiration == 0 ||
	    now < chain->refresh_at);
}

/* Take fresh credentials from provider p into the cache. */
static void
creds_cache(struct creds_chain *chain, struct creds_provider *p,
    struct aws_creds *c, time_t now)
{
	int changed = chain->source == NULL || strcmp(chain->source, p->name) != 0;
	void (*say)(const char *, ...) = changed && chain->top ? log_info :
	    log_debug;

	aws_creds_clear(&chain->cached);
	chain->cached = *c;
	memset(c, 0, sizeof(*c));
	chain->have = 1;
	if (chain->cached.expiration != 0)
		chain->refresh_at = creds_refresh_time(chain->cached.expiration,
		    now);
	if (changed) {
		free(chain->source);
		chain->source = buf_strdup(p->name);
	}
	if (chain->cached.expiration == 0)
		say("AWS credentials from %s", p->name);
	else
		say("AWS credentials from %s, valid for %lld s", p->name,
		    (long long)(chain->cached.expiration - now));
}

/*
 * Ask each provider in turn. A provider that is not configured lets the
 * next one try; one that is configured but fails ends the walk (falling
 * through to another identity would hide the problem). Returns the
 * provider that answered, or NULL with why in err.
 */
static struct creds_provider *
creds_fetch(struct creds_chain *chain, struct aws_creds *out, time_t now,
    struct buf *err)
{
	struct buf why = BUF_INIT;
	enum creds_result r;
	size_t i;

	for (i = 0; i < chain->n; i++) {
		struct creds_provider *p = chain->p[i];

		buf_reset(&why);
		r = p->get(p, out, &why);
		if (r == CREDS_OK && creds_validate(out, &why) == -1)
			r = CREDS_ERROR;
		else if (r == CREDS_OK && out->expiration != 0 &&
		    out->expiration <= now) {
			buf_addstr(&why, "the credentials it gave have expired "
			    "already (is the clock right?)");
			r = CREDS_ERROR;
		}
		if (r == CREDS_OK) {
			buf_free(&why);
			return p;
		}
		aws_creds_clear(out);
		buf_printf(err, "%s%s: %s", err->len > 0 ? "; " : "", p->name,
		    why.len > 0 ? why.data : "failed");
		if (r == CREDS_ERROR)
			break;
	}
	buf_free(&why);
	return NULL;
}

/*
 * The cache first; else fetch. A failed refresh keeps credentials that are
 * still valid (retried every CREDS_RETRY_FAILED_REFRESH s) before failing.
 */
const struct aws_creds *
creds_get(struct creds_chain *chain, time_t now, struct buf *err)
{
	struct buf why = BUF_INIT;
	struct aws_creds fresh;
	struct creds_provider *p;

	if (creds_fresh(chain, now))
		return &chain->cached;
	memset(&fresh, 0, sizeof(fresh));
	if ((p = creds_fetch(chain, &fresh, now, &why)) != NULL) {
		creds_cache(chain, p, &fresh, now);
		buf_free(&why);
		return &chain->cached;
	}
	if (chain->have && now < chain->cached.expiration) {
		/* Not refreshed, but what we have is still valid: use it. */
		log_warnx("could not refresh the AWS credentials (%s); using "
		    "those from %s until they expire in %lld s", why.data,
		    chain->source, (long long)(chain->cached.expiration - now));
		chain->refresh_at = now + CREDS_RETRY_FAILED_REFRESH;
		buf_free(&why);
		return &chain->cached;
	}
	buf_printf(err, "no usable AWS credentials: %s", why.data);
	buf_free(&why);
	return NULL;
}

void
creds_invalidate(struct creds_chain *chain)
{
	aws_creds_clear(&chain->cached);
	chain->have = 0;
	chain->refresh_at = 0;
}

const char *
creds_source(const struct creds_chain *chain)
{
	return chain->have ? chain->source : NULL;
}

const char *
creds_getenv(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

int
creds_read_secret_file(const char *path, struct buf *out, struct buf *err)
{
	buf_reset(out);
	if (buf_read_file(out, path) == -1) {
		buf_printf(err, "cannot read %s: %s", path, strerror(errno));
		buf_wipe_free(out);
		return -1;
	}
	if (out->len > CREDS_SECRET_FILE_MAX) {
		buf_printf(err, "%s is larger than %d bytes", path,
		    CREDS_SECRET_FILE_MAX);
		buf_wipe_free(out);
		return -1;
	}
	buf_trim(out);
	if (out->len == 0) {
		buf_printf(err, "%s is empty", path);
		buf_wipe_free(out);
		return -1;
	}
	if (memchr(out->data, '\0', out->len) != NULL ||
	    strpbrk(out->data, "\r\n") != NULL) {
		buf_printf(err, "%s holds more than one line", path);
		buf_wipe_free(out);
		return -1;
	}
	return 0;
}

int
creds_http(const char *method, const char *url, const struct http_header *h,
    size_t nh, long timeout_ms, const char *ca_file, struct buf *body,
    long *status, int *timed_out, struct buf *err)
{
	struct http_client_opts o;
	struct http_client *c;
	struct http_response resp;
	int r;

	memset(&o, 0, sizeof(o));
	o.ca_file = ca_file;
	o.connect_timeout_ms = timeout_ms;
	o.timeout_ms = timeout_ms;
	*status = 0;
	*timed_out = 0;
	if ((c = http_client_new(&o)) == NULL) {
		buf_addstr(err, "cannot set up an HTTP client");
		return -1;
	}
	http_response_init(&resp);
	r = http_request(c, method, url, h, nh, NULL, 0, &resp);
	if (r == -1) {
		*timed_out = resp.timed_out;
		buf_printf(err, "%s %s: %s", method, url, resp.error[0] ?
		    resp.error : "no response");
	} else {
		*status = resp.status;
		buf_add(body, resp.body.data ? resp.body.data : "",
		    resp.body.len);
	}
	buf_wipe_free(&resp.body);
	http_response_free(&resp);
	http_client_free(c);
	return r;
}

enum creds_result
creds_fetch_json(const char *url, const struct http_header *h, size_t nh,
    long timeout_ms, const char *ca_file, struct aws_creds *out,
    struct buf *err)
{
	struct buf body = BUF_INIT;
	enum creds_result r = CREDS_ERROR;
	long status;
	int timed_out;

	if (creds_http("GET", url, h, nh, timeout_ms, ca_file, &body, &status,
	    &timed_out, err) == 0) {
		if (status != 200)
			buf_printf(err, "GET %s: HTTP status %ld", url, status);
		else if (creds_parse_json(body.data ? body.data : "", body.len,
		    out, err) == 0)
			r = CREDS_OK;
	}
	buf_wipe_free(&body);
	return r;
}

/* The static provider: fixed credentials, e.g. a source profile's keys. */
static enum creds_result
static_get(struct creds_provider *p, struct aws_creds *out, struct buf *err)
{
	(void)err;
	creds_copy(out, p->ctx);
	return CREDS_OK;
}

static void
static_free(struct creds_provider *p)
{
	aws_creds_clear(p->ctx);
	free(p->ctx);
}

struct creds_provider *
creds_static_new(const char *name, const struct aws_creds *c)
{
	struct aws_creds *copy = creds_alloc(sizeof(*copy));

	creds_copy(copy, c);
	return creds_provider_new(name, static_get, static_free, copy);
}
