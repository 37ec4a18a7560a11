/*
 * creds_provider: the inside of the credential chain (include/creds.h),
 * shared by creds.c and the provider files (creds_env.c, creds_webid.c,
 * creds_profile.c, creds_container.c, creds_imds.c, creds_assume.c) and
 * the pure helpers of credjson.c. Not for the rest of the daemon.
 *
 * Every provider is made by creds_provider_new() with its get/free
 * functions and a context; a provider's name may change after a get (the
 * profile or role it used) and stays valid until the next get.
 */
#ifndef VPCFLOWD_CREDS_PROVIDER_H
#define VPCFLOWD_CREDS_PROVIDER_H

#include <time.h>

#include "buf.h"
#include "creds.h"
#include "http.h"

#define CREDS_STS_TIMEOUT_MS	10000
#define CREDS_META_TIMEOUT_MS	1000	/* IMDS: 1 s per request */
#define CREDS_CONTAINER_TIMEOUT_MS	5000
#define CREDS_MAX_ROLE_DEPTH	5	/* source_profile chains */
#define CREDS_STS_MAX_RPS	5.0	/* pacing of STS calls */
#define CREDS_STS_ATTEMPTS	3	/* requests per STS call, transient errors */

typedef enum creds_result (*creds_get_fn)(struct creds_provider *,
	    struct aws_creds *, struct buf *);
typedef void (*creds_free_fn)(struct creds_provider *);

/*
 * A provider around ctx; free_ctx (may be NULL) releases ctx only, the
 * provider itself is released by creds_provider_free().
 */
struct creds_provider *creds_provider_new(const char *name, creds_get_fn get,
	    creds_free_fn free_ctx, void *ctx);
void	creds_provider_free(struct creds_provider *p);
/* Set p's name to the printf result, kept in name (a buffer of p's context). */
void	creds_provider_rename(struct creds_provider *p, struct buf *name,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A chain of n providers (ownership taken), with its own cache. */
struct creds_chain *creds_chain_of(struct creds_provider **p, size_t n);

/* The providers. opts must outlive them (the chain keeps its own copy). */
struct creds_provider *creds_env_new(void);
/* token_file / role_arn / session NULL: from AWS_WEB_IDENTITY_TOKEN_FILE ... */
struct creds_provider *creds_webid_new(const struct creds_opts *opts,
	    const char *token_file, const char *role_arn, const char *session);
struct creds_provider *creds_profile_new(const struct creds_opts *opts,
	    const char *profile, int depth);
struct creds_provider *creds_container_new(const struct creds_opts *opts);
struct creds_provider *creds_imds_new(const struct creds_opts *opts);
/* AssumeRole role_arn on top of base (ownership taken). */
struct creds_provider *creds_assume_new(const struct creds_opts *opts,
	    struct creds_chain *base, const char *role_arn,
	    const char *external_id, const char *session);
/* Fixed credentials (copied), e.g. a source_profile's keys. */
struct creds_provider *creds_static_new(const char *name,
	    const struct aws_creds *c);

/*
 * One STS call (form body) for credentials: signed with base's credentials,
 * or unsigned when base is NULL. what names the source in errors.
 */
enum creds_result creds_sts_call(const struct creds_opts *opts,
	    struct creds_chain *base, const char *form, struct aws_creds *out,
	    const char *what, struct buf *err);
/*
 * STS AssumeRole of role_arn (external_id and session may be NULL),
 * signed with base's credentials: creds_sts_call with its form.
 */
enum creds_result creds_assume_role(const struct creds_opts *opts,
	    struct creds_chain *base, const char *role_arn,
	    const char *external_id, const char *session,
	    struct aws_creds *out, struct buf *err);

/* The profile in force: explicit (aws.profile), AWS_PROFILE, "default". */
const char *creds_profile_name(const char *explicit_profile, int *is_explicit);
/*
 * The region of profile from the shared config file: 0 with *region
 * (malloc'ed) and where (the file), 1 when it has none, -1 with err.
 */
int	creds_profile_region(const char *profile, char **region,
	    struct buf *where, struct buf *err);
/* The instance's region from IMDSv2 placement/region: 0, 1 (no IMDS), -1. */
int	creds_imds_region(char **region, struct buf *err);

/*
 * HTTP for the metadata providers: one request on a short-lived client
 * (ca_file: for https, NULL for the system store);
 * the body is returned in body (wipe it), the status in *status. Returns 0
 * when a response arrived, -1 with err on a transport error (*timed_out set
 * when the timeout fired).
 */
int	creds_http(const char *method, const char *url,
	    const struct http_header *h, size_t nh, long timeout_ms,
	    const char *ca_file, struct buf *body, long *status, int *timed_out,
	    struct buf *err);

/*
 * GET url for a JSON credentials document (creds_parse_json): CREDS_OK,
 * or CREDS_ERROR with err saying what happened (HTTP status, transport
 * error, malformed document).
 */
enum creds_result creds_fetch_json(const char *url,
	    const struct http_header *h, size_t nh, long timeout_ms,
	    const char *ca_file, struct aws_creds *out, struct buf *err);

/* Non-empty environment variable, or NULL. */
const char *creds_getenv(const char *name);
/* Read a small file that holds a secret (token), trimmed; wipe it after. */
int	creds_read_secret_file(const char *path, struct buf *out,
	    struct buf *err);
/* n zeroed bytes; allocation failure is fatal (as in buf). */
void	*creds_alloc(size_t n);

/* Pure helpers (credjson.c). */

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM|+HHMM)" into *t.
 * Returns 0, or -1 when malformed or out of range.
 */
int	creds_parse_iso8601(const char *s, size_t n, time_t *t);
/*
 * Parse the JSON credentials of IMDS and container endpoints:
 * {AccessKeyId, SecretAccessKey, Token, Expiration[, Code]}. Token is
 * optional, Expiration required. Returns 0 with *out filled, or -1 with
 * err saying what is missing or malformed (never a value).
 */
int	creds_parse_json(const char *json, size_t len, struct aws_creds *out,
	    struct buf *err);
/*
 * Check credentials before use: key id and secret present, every value
 * printable ASCII without spaces (they become HTTP header values).
 * Returns 0, or -1 with err naming the field.
 */
int	creds_validate(const struct aws_creds *c, struct buf *err);
/* Deep copy of src into dst (dst is overwritten, not cleared). */
void	creds_copy(struct aws_creds *dst, const struct aws_creds *src);

#endif
