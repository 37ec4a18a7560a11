/*
 * config: the configuration file (libconfig syntax, see DESIGN.md and
 * etc/example.conf). One struct config holds every key with its default
 * applied; the table of keys, types, defaults and ranges is at the top of
 * src/config.c.
 *
 * Secrets: the Logz.io token is never printed, logged or put in an error
 * message. config_load() only records where the token comes from; the caller
 * reads it with config_read_token() when it needs it (start, SIGHUP).
 */
#ifndef VPCFLOWD_CONFIG_H
#define VPCFLOWD_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "flow.h"

/* Where streams without a checkpoint start (start_position). */
enum config_start_kind {
	CONFIG_START_END = 0,	/* "end": only what arrives from now on */
	CONFIG_START_BEGINNING,	/* "beginning": everything CloudWatch still has */
	CONFIG_START_RELATIVE,	/* "-2h": start.seconds before the daemon's start */
	CONFIG_START_ABSOLUTE	/* ISO-8601: start.epoch_ms */
};

struct config_start {
	enum config_start_kind	 kind;
	long			 seconds;	/* RELATIVE: how far back, > 0 */
	int64_t			 epoch_ms;	/* ABSOLUTE: milliseconds since the epoch, UTC */
};

/* Where the Logz.io token comes from, decided by config_load(). */
enum config_token_source {
	CONFIG_TOKEN_NONE = 0,	/* none: config_require_token() fails */
	CONFIG_TOKEN_INLINE,	/* logzio.token in the configuration file */
	CONFIG_TOKEN_FILE,	/* logzio.token_file */
	CONFIG_TOKEN_KMS,	/* logzio.token_kms: the AWS client decrypts it */
	CONFIG_TOKEN_CREDENTIAL	/* $CREDENTIALS_DIRECTORY/logzio-token (systemd) */
};

/* Name of the systemd credential (LoadCredential=logzio-token:PATH). */
#define CONFIG_CREDENTIAL_NAME	"logzio-token"

/* One member of a free-form map (fields.add, logzio.token_kms_context). */
struct config_kv {
	char		*key;
	char		*value;		/* the string, or the number / true / false as JSON text */
	int		 is_string;
};

struct config_map {
	struct config_kv	*kv;	/* in file order */
	size_t			 n;
};

struct config {
	char		*path;		/* the file loaded (NULL after config_defaults) */

	char		*log_group;	/* the log group's name (also when given as an ARN) */
	char		*log_group_arn;	/* the ARN without ":*" when given as one, else NULL */
	char		*region;	/* NULL: AWS_REGION, AWS_DEFAULT_REGION, then IMDS */
	char		*endpoint;	/* NULL: from the region; no trailing '/' */
	char		*log_stream_prefix;	/* NULL: every stream */
	char		*filter_pattern;	/* NULL: every event */
	char		*format;	/* the flow log format as written */
	struct flow_format flow_format;	/* ... parsed */
	long		 poll_interval;	/* seconds */
	long		 max_delay;	/* seconds */
	char		*start_position;	/* as written */
	struct config_start start;	/* ... parsed */
	char		*state_dir;	/* default /var/lib/vpcflowd/NAME, NAME:
					   the file name less ".conf" */
	long		 shutdown_timeout;	/* seconds */
	char		*ca_file;	/* NULL: the system's CA store */

	struct {
		char	*profile;	/* NULL: AWS_PROFILE, then "default" */
		double	 max_rps;
		char	*role_arn;	/* NULL: no AssumeRole */
		char	*external_id;	/* NULL: none */
		int	 fips;
		char	*sts_endpoint;	/* NULL: from the region */
		char	*kms_endpoint;	/* NULL: from the region */
	} aws;

	struct {
		char	*url;		/* no trailing '/' */
		char	*token;		/* SECRET: inline token, NULL unless given inline */
		char	*token_file;
		char	*token_kms;	/* base64 KMS ciphertext */
		struct config_map token_kms_context;
		enum config_token_source token_source;
		char	*type;
		int	 compress;
		long	 batch_bytes;
		long	 flush_interval;	/* seconds */
		long	 timeout;	/* seconds */
	} logzio;

	struct {
		enum flow_style	 style;
		char		*style_name;	/* "logzio" / "ecs" */
		int		 include_message;
		struct config_map add;
		char		*add_json;	/* NULL, or fields.add as JSON members: "\"env\":\"prod\"" */
	} fields;
};

/* Fill cfg with the defaults (allocates: release with config_free()). */
void	config_defaults(struct config *cfg);

/*
 * Load and validate path into cfg (cfg is initialized here: do not call
 * config_defaults() first). Returns 0, or -1 after appending one line per
 * problem to errors, each "FILE:LINE: KEY: what is wrong" (":LINE" left out
 * when there is none). Call config_free() in both cases.
 */
int	config_load(struct config *cfg, const char *path, struct buf *errors);

/*
 * Print the effective settings, defaults included, in libconfig syntax. The
 * token is shown as "<redacted>" with a comment saying where it comes from.
 */
void	config_print(const struct config *cfg, FILE *fp);

/* Release everything cfg holds (the inline token is wiped first). */
void	config_free(struct config *cfg);

/* "30", "30s", "15m", "2h", "1d" to seconds. 0, or -1 if bad or too large. */
int	config_parse_duration(const char *s, long *seconds);

/* "inline", "token_file", "token_kms", "systemd credential" or "none". */
const char *config_token_source_name(enum config_token_source src);

/*
 * Returns 0 when a token source is configured, else -1 after appending a
 * line to errors that says how to configure one.
 */
int	config_require_token(const struct config *cfg, struct buf *errors);

/*
 * Append the token to token (inline, token_file or the systemd credential;
 * surrounding whitespace trimmed). Returns 0, or -1 after appending a line to
 * errors. CONFIG_TOKEN_KMS is the caller's: the AWS client decrypts
 * cfg->logzio.token_kms; this returns -1 and says so.
 * Free the token with buf_wipe_free().
 */
int	config_read_token(const struct config *cfg, struct buf *token,
	    struct buf *errors);

/* The per-document options (fields.*) for flow_encode(). */
void	config_flow_opts(const struct config *cfg, struct flow_opts *opts);

#endif
