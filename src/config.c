/*
 * config: load, validate and print the configuration file (libconfig syntax).
 *
 * Keys (dur: integer seconds, or a string "30", "30s", "15m", "2h", "1d"):
 *
 * key                      type    default               range / form
 * log_group                string  (required)            name of 1-512
 *                                  [A-Za-z0-9._/#-], or
 *                                  arn:aws:logs:REGION:ACCOUNT:log-group:NAME
 *                                  (":*" allowed; sets/must match region)
 * region                   string  $AWS_REGION, $AWS_DEFAULT_REGION, IMDS
 *                                                        [a-z][a-z0-9-]{,31}
 * endpoint                 string  from the region       http(s)://host[:port]
 *                                                        [/path]
 * log_stream_prefix        string  every stream          "" = unset
 * filter_pattern           string  every event           "" = unset
 * format                   string  AWS default (v2)      known ${fields}
 * poll_interval            dur     30                    1 .. 3600
 * max_delay                dur     900                   0 .. 86400
 * start_position           string  "end"                 "beginning", "end",
 *                                  "-2h" (1s .. 3650d back), ISO-8601 + zone
 * state_dir                string  /var/lib/vpcflowd/NAME (NAME: file name
 *                                  less ".conf")         absolute path
 * shutdown_timeout         dur     10                    0 .. 600
 * ca_file                  string  system CA store       absolute, readable
 * aws.profile              string  $AWS_PROFILE, "default"
 * aws.max_rps              float   4.0                   0.1 .. 100
 * aws.role_arn             string  none                  arn:P:iam::ACCT:role/N
 * aws.external_id          string  none                  2-1224 chars; needs
 *                                                        role_arn
 * aws.fips                 bool    false
 * aws.sts_endpoint         string  from the region       as endpoint
 * aws.kms_endpoint         string  from the region       as endpoint
 * logzio.url               string  https://listener.logz.io:8071  as endpoint
 * logzio.token             string  secret; at most one of token, token_file,
 * logzio.token_file        string  token_kms; with none of them the systemd
 * logzio.token_kms         string  credential $CREDENTIALS_DIRECTORY/
 *                                  logzio-token, if present
 * logzio.token_kms_context group    of strings, free-form; needs token_kms
 * logzio.type              string  "vpcflow"             [A-Za-z0-9._-]{1,100}
 * logzio.compress          bool    true
 * logzio.batch_bytes       integer 3000000               1000 .. 10000000
 * logzio.flush_interval    dur     5                     1 .. 300
 * logzio.timeout           dur     30                    1 .. 600
 * fields.style             string  "logzio"              "logzio", "ecs"
 * fields.include_message   bool    true
 * fields.add               group   empty                 free-form: strings,
 *                                  numbers, booleans; not a document's field
 *
 * Everything is driven by the key table below: loading, defaults, printing.
 * Checks that involve several keys or the file system are in config_check().
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define TOKEN_MAX		1024	/* a Logz.io token is 32 characters */
#define RELATIVE_MAX		(3650L * 86400)	/* how far back "-N" may go */
#define STATE_DIR_BASE		"/var/lib/vpcflowd/"

enum ktype { K_GROUP, K_MAP, K_STR, K_INT, K_DUR, K_FLOAT, K_BOOL };

#define KF_SECRET	0x01	/* never printed, never echoed in a message */
#define KF_TOKEN	0x02	/* print where the token comes from before this key */
#define KF_EMPTY	0x04	/* K_STR: "" is allowed and means unset */
#define KF_STRINGS	0x08	/* K_MAP: string values only */

typedef int (*check_fn)(struct config *, char **, struct buf *);
typedef const char *(*show_fn)(const struct config *);

struct key {
	const char	*name;		/* dotted path */
	enum ktype	 type;
	size_t		 off;		/* of the member in struct config */
	double		 min, max;	/* K_INT, K_DUR, K_FLOAT */
	double		 def;		/* default of K_INT, K_DUR, K_FLOAT, K_BOOL */
	const char	*sdef;		/* default of K_STR, NULL: unset */
	int		 flags;
	check_fn	 check;		/* K_STR: validate, normalize, derive */
	show_fn		 show;		/* K_STR: value to print, if not the member */
	const char	*unset;		/* K_STR: what an unset key means (for -n) */
};

/* Offset of member m, which must have type T (a mismatch fails to compile). */
#define MEMBER(m, T)	(offsetof(struct config, m) + \
			    0 * sizeof((T *)0 == &((struct config *)0)->m))

#define GROUP(n) \
	{ n, K_GROUP, 0, 0, 0, 0, NULL, 0, NULL, NULL, NULL }
#define MAP(n, m, fl) \
	{ n, K_MAP, MEMBER(m, struct config_map), 0, 0, 0, NULL, fl, NULL, \
	    NULL, NULL }
#define STR(n, m, d, fl, chk, un) \
	{ n, K_STR, MEMBER(m, char *), 0, 0, 0, d, fl, chk, NULL, un }
#define INT(n, m, d, lo, hi) \
	{ n, K_INT, MEMBER(m, long), lo, hi, d, NULL, 0, NULL, NULL, NULL }
#define DUR(n, m, d, lo, hi) \
	{ n, K_DUR, MEMBER(m, long), lo, hi, d, NULL, 0, NULL, NULL, NULL }
#define FLT(n, m, d, lo, hi) \
	{ n, K_FLOAT, MEMBER(m, double), lo, hi, d, NULL, 0, NULL, NULL, NULL }
#define BOOL(n, m, d) \
	{ n, K_BOOL, MEMBER(m, int), 0, 1, d, NULL, 0, NULL, NULL, NULL }

static int	check_log_group(struct config *, char **, struct buf *);
static int	check_region(struct config *, char **, struct buf *);
static int	check_url(struct config *, char **, struct buf *);
static int	check_abspath(struct config *, char **, struct buf *);
static int	check_format(struct config *, char **, struct buf *);
static int	check_start(struct config *, char **, struct buf *);
static int	check_role_arn(struct config *, char **, struct buf *);
static int	check_external_id(struct config *, char **, struct buf *);
static int	check_token(struct config *, char **, struct buf *);
static int	check_base64(struct config *, char **, struct buf *);
static int	check_type(struct config *, char **, struct buf *);
static int	check_style(struct config *, char **, struct buf *);
static const char *show_log_group(const struct config *);

static const struct key keys[] = {
	{ "log_group", K_STR, MEMBER(log_group, char *), 0, 0, 0, NULL, 0,
	    check_log_group, show_log_group, "required" },
	STR("region", region, NULL, 0, check_region,
	    "AWS_REGION, AWS_DEFAULT_REGION, then instance metadata"),
	STR("endpoint", endpoint, NULL, 0, check_url, "from the region"),
	STR("log_stream_prefix", log_stream_prefix, NULL, KF_EMPTY, NULL,
	    "every log stream"),
	STR("filter_pattern", filter_pattern, NULL, KF_EMPTY, NULL, "every event"),
	STR("format", format, FLOW_DEFAULT_FORMAT, 0, check_format, NULL),
	DUR("poll_interval", poll_interval, 30, 1, 3600),
	DUR("max_delay", max_delay, 900, 0, 86400),
	STR("start_position", start_position, "end", 0, check_start, NULL),
	STR("state_dir", state_dir, NULL, 0, check_abspath,
	    STATE_DIR_BASE "NAME"),
	DUR("shutdown_timeout", shutdown_timeout, 10, 0, 600),
	STR("ca_file", ca_file, NULL, 0, check_abspath, "the system's CA store"),
	GROUP("aws"),
	STR("aws.profile", aws.profile, NULL, 0, NULL,
	    "AWS_PROFILE, then \"default\""),
	FLT("aws.max_rps", aws.max_rps, 4.0, 0.1, 100),
	STR("aws.role_arn", aws.role_arn, NULL, 0, check_role_arn,
	    "no AssumeRole"),
	STR("aws.external_id", aws.external_id, NULL, 0, check_external_id,
	    "none"),
	BOOL("aws.fips", aws.fips, 0),
	STR("aws.sts_endpoint", aws.sts_endpoint, NULL, 0, check_url,
	    "from the region"),
	STR("aws.kms_endpoint", aws.kms_endpoint, NULL, 0, check_url,
	    "from the region"),
	GROUP("logzio"),
	STR("logzio.url", logzio.url, "https://listener.logz.io:8071", 0,
	    check_url, NULL),
	STR("logzio.token", logzio.token, NULL, KF_SECRET | KF_TOKEN,
	    check_token, NULL),
	STR("logzio.token_file", logzio.token_file, NULL, 0, check_abspath, NULL),
	STR("logzio.token_kms", logzio.token_kms, NULL, KF_SECRET, check_base64,
	    NULL),
	MAP("logzio.token_kms_context", logzio.token_kms_context, KF_STRINGS),
	STR("logzio.type", logzio.type, "vpcflow", 0, check_type, NULL),
	BOOL("logzio.compress", logzio.compress, 1),
	INT("logzio.batch_bytes", logzio.batch_bytes, 3000000, 1000, 10000000),
	DUR("logzio.flush_interval", logzio.flush_interval, 5, 1, 300),
	DUR("logzio.timeout", logzio.timeout, 30, 1, 600),
	GROUP("fields"),
	STR("fields.style", fields.style_name, "logzio", 0, check_style, NULL),
	BOOL("fields.include_message", fields.include_message, 1),
	MAP("fields.add", fields.add, 0),
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* What a value of each type must look like, for "wrong type" messages. */
static const char *const type_msg[] = {
	[K_GROUP] = "must be a group: { ... }",
	[K_MAP] = "must be a group: { name = value; ... }",
	[K_STR] = "must be a string",
	[K_INT] = "must be an integer",
	[K_DUR] = ("must be a number of seconds or a duration string like "
	    "\"30s\", \"15m\", \"2h\", \"1d\""),
	[K_FLOAT] = "must be a number",
	[K_BOOL] = "must be true or false",
};

/*
 * Members a document of each style already has (see src/flow.c), which
 * fields.add must not repeat; in style "logzio" the flow fields too.
 */
#define ST_LOGZIO	(1 << FLOW_STYLE_LOGZIO)
#define ST_ECS		(1 << FLOW_STYLE_ECS)
static const struct {
	const char	*name;
	int		 styles;
} reserved_fields[] = {
	{ "message", ST_LOGZIO | ST_ECS }, { "tags", ST_LOGZIO | ST_ECS },
	{ "log_group", ST_LOGZIO }, { "log_stream", ST_LOGZIO },
	{ "event_id", ST_LOGZIO }, { "parse_error", ST_LOGZIO },
	{ "protocol_name", ST_LOGZIO }, { "tcp_flag_names", ST_LOGZIO },
	{ "duration", ST_LOGZIO }, { "ip_version", ST_LOGZIO },
	{ "logstatus", ST_LOGZIO }, { "traffic_type", ST_LOGZIO },
	{ "type", ST_LOGZIO | ST_ECS },
	{ "ecs", ST_ECS }, { "event", ST_ECS }, { "source", ST_ECS },
	{ "destination", ST_ECS }, { "network", ST_ECS }, { "cloud", ST_ECS },
	{ "aws", ST_ECS }, { "error", ST_ECS },
};

struct ctx {
	struct config	*cfg;
	config_t	*lc;
	struct buf	*errors;
	const char	*path;
	const char	*incdir;	/* where @include looks, or NULL */
	mode_t		 mode;		/* of the configuration file */
	int		 nerr;
};

static void *
member(const struct config *cfg, const struct key *k)
{
	return (char *)cfg + k->off;
}

static const struct key *
key_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* True when key name sits directly in the group prefix ("" or "aws."). */
static int
key_in(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(name, prefix, n) == 0 && strchr(name + n, '.') == NULL;
}

/*
 * The path of file, as named by libconfig: an @include'd file is named as
 * written, relative to the include directory. NULL file: the main file.
 */
static const char *
file_path(const struct ctx *x, const char *file, struct buf *b)
{
	if (file == NULL)
		return x->path;
	if (file[0] == '/' || x->incdir == NULL)
		return file;
	buf_reset(b);
	buf_printf(b, "%s/%s", x->incdir, file);
	return b->data;
}

/* The file a setting comes from, for messages and the mode check. */
static const char *
setting_file(const struct ctx *x, const config_setting_t *s, struct buf *b)
{
	return file_path(x, s ? config_setting_source_file(s) : NULL, b);
}

/* Append "FILE:LINE: KEY: message" to the errors, file and line from s. */
static void __attribute__((format(printf, 4, 5)))
cerr(struct ctx *x, const config_setting_t *s, const char *key,
    const char *fmt, ...)
{
	struct buf file = BUF_INIT;
	va_list ap;

	buf_addstr(x->errors, setting_file(x, s, &file));
	if (s != NULL && config_setting_source_line(s) > 0)
		buf_printf(x->errors, ":%u", config_setting_source_line(s));
	buf_printf(x->errors, ": %s: ", key);
	va_start(ap, fmt);
	buf_vprintf(x->errors, fmt, ap);
	va_end(ap);
	buf_addch(x->errors, '\n');
	buf_free(&file);
	x->nerr++;
}

/* Same as cerr(), for a key looked up by its dotted name (line if present). */
#define cerr_key(x, key, ...) \
	cerr((x), config_lookup((x)->lc, (key)), (key), __VA_ARGS__)

/* ---- durations, times ---------------------------------------------- */

int
config_parse_duration(const char *s, long *seconds)
{
	long v = 0, mult = 1;
	const char *p;
	int d;

	if (*s < '0' || *s > '9')
		return -1;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		d = *p - '0';
		if (v > (LONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
		p++;
		break;
	case 'm':
		mult = 60;
		p++;
		break;
	case 'h':
		mult = 3600;
		p++;
		break;
	case 'd':
		mult = 86400;
		p++;
		break;
	default:
		return -1;
	}
	if (*p != '\0' || v > LONG_MAX / mult)
		return -1;
	*seconds = v * mult;
	return 0;
}

/* Parse exactly n decimal digits at *pp. */
static int
digits(const char **pp, int n, int *out)
{
	const char *p = *pp;
	int v = 0;

	for (; n > 0; n--, p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	*pp = p;
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * ISO-8601 to epoch milliseconds: "YYYY-MM-DD" (UTC midnight) or
 * "YYYY-MM-DDTHH:MM[:SS[.frac]]" + "Z" or an offset ("+02:00", "-0500").
 * A time without a zone is refused: local time would depend on the host.
 */
static int
parse_iso8601(const char *s, int64_t *ms, const char **why)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, oh = 0, om = 0, sign;
	int scale;

	*why = NULL;
	if (digits(&p, 4, &y) == -1 || *p++ != '-' || digits(&p, 2, &mo) == -1 ||
	    *p++ != '-' || digits(&p, 2, &d) == -1)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
		*why = "no such date";
		return -1;
	}
	if (*p == '\0')
		goto done;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (digits(&p, 2, &h) == -1 || *p++ != ':' || digits(&p, 2, &mi) == -1)
		return -1;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &sec) == -1)
			return -1;
		if (*p == '.' || *p == ',') {
			p++;
			if (*p < '0' || *p > '9')
				return -1;
			for (scale = 100; *p >= '0' && *p <= '9'; p++, scale /= 10)
				frac += (*p - '0') * scale;
		}
	}
	if (h > 23 || mi > 59 || sec > 59) {
		*why = "no such time of day";
		return -1;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) == -1)
			return -1;
		if (*p == ':')
			p++;
		if (*p != '\0' && digits(&p, 2, &om) == -1)
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		oh *= sign;
		om *= sign;
	} else {
		*why = *p == '\0' ? "needs a time zone: append Z for UTC, or an "
		    "offset like +02:00" : NULL;
		return -1;
	}
	if (*p != '\0')
		return -1;
done:
	*ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    oh * 3600 - om * 60) * 1000) + frac;
	if (*ms < 0) {
		*why = "is before 1970";
		return -1;
	}
	return 0;
}

/* ---- string checks (table hooks) --------------------------------- */

static int
region_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 32 || !islower((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int
check_region(struct config *cfg, char **v, struct buf *why)
{
	(void)cfg;
	if (region_ok(*v, strlen(*v)))
		return 0;
	buf_printf(why, "\"%s\" is not an AWS region name like \"eu-west-1\"", *v);
	return -1;
}

/* True when s[0..n) is made only of characters of the set chars. */
static int
all_in(const char *s, size_t n, const char *chars)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || (!isalnum((unsigned char)s[i]) &&
		    strchr(chars, s[i]) == NULL))
			return 0;
	return 1;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * A log group is a name or an ARN. An ARN is kept in log_group_arn (without
 * the ":*" the console shows) and log_group becomes the name, for documents.
 */
static int
check_log_group(struct config *cfg, char **v, struct buf *why)
{
	const char *f[8], *p = *v;
	size_t len[8], n = 0, namelen;
	char *name;

	if (strncmp(p, "arn:", 4) != 0) {
		if (strlen(p) <= 512 && all_in(p, strlen(p), "._-/#"))
			return 0;
		buf_printf(why, "\"%s\" is not a log group name (1 to 512 of "
		    "A-Z a-z 0-9 . _ - / #) nor an ARN", p);
		return -1;
	}
	for (;;) {
		if (n == 8)
			goto bad;
		f[n] = p;
		len[n] = strcspn(p, ":");
		p += len[n++];
		if (*p++ == '\0')
			break;
	}
	if (n == 8 && (len[7] != 1 || f[7][0] != '*'))
		goto bad;
	if (n < 7 || strncmp(f[1], "aws", 3) != 0 || !all_in(f[1], len[1], "-") ||
	    len[2] != 4 || strncmp(f[2], "logs", 4) != 0 ||
	    !region_ok(f[3], len[3]) || len[4] != 12 || !all_digits(f[4], 12) ||
	    len[5] != 9 || strncmp(f[5], "log-group", 9) != 0 ||
	    len[6] == 0 || len[6] > 512 || !all_in(f[6], len[6], "._-/#"))
		goto bad;
	namelen = len[6];
	name = buf_strndup(f[6], namelen);
	free(cfg->log_group_arn);
	cfg->log_group_arn = buf_strndup(*v, (size_t)(f[6] - *v) + namelen);
	free(*v);
	*v = name;
	return 0;
bad:
	buf_addstr(why, "not a log group ARN like "
	    "arn:aws:logs:REGION:ACCOUNT:log-group:NAME");
	return -1;
}

static const char *
show_log_group(const struct config *cfg)
{
	return cfg->log_group_arn ? cfg->log_group_arn : cfg->log_group;
}

/*
 * http(s)://host[:port][/path], host a name, an IPv4 or a [IPv6] address; no
 * user, query or fragment. A trailing '/' is dropped: callers append paths.
 */
static int
check_url(struct config *cfg, char **v, struct buf *why)
{
	char *s = *v, *p, *path;
	long port;

	(void)cfg;
	if (strncasecmp(s, "https://", 8) == 0)
		p = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		p = s + 7;
	else {
		buf_printf(why, "\"%s\" is not an http:// or https:// URL", s);
		return -1;
	}
	if (*p == '[') {
		for (p++; isxdigit((unsigned char)*p) || *p == ':' || *p == '.'; p++)
			;
		if (*p++ != ']' || p[-2] == '[')
			goto bad;
	} else {
		path = p;
		while (isalnum((unsigned char)*p) || *p == '-' || *p == '.' ||
		    *p == '_')
			p++;
		if (p == path)
			goto bad;
	}
	if (*p == ':') {
		port = 0;
		for (p++, path = p; isdigit((unsigned char)*p) && p - path < 6; p++)
			port = port * 10 + (*p - '0');
		if (p == path || port < 1 || port > 65535)
			goto bad;
	}
	if (*p != '\0' && *p != '/')
		goto bad;
	for (path = p; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '?' || *p == '#')
			goto bad;
	while (p > path && p[-1] == '/')
		*--p = '\0';
	return 0;
bad:
	buf_printf(why, "\"%s\" is not a URL of the form "
	    "http(s)://host[:port][/path]", s);
	return -1;
}

static int
check_abspath(struct config *cfg, char **v, struct buf *why)
{
	(void)cfg;
	if (**v == '/')
		return 0;
	buf_printf(why, "\"%s\" is not an absolute path", *v);
	return -1;
}

static int
check_format(struct config *cfg, char **v, struct buf *why)
{
	char err[256];

	if (flow_format_parse(&cfg->flow_format, *v, err, sizeof(err)) == 0)
		return 0;
	buf_addstr(why, err);
	return -1;
}

static int
check_start(struct config *cfg, char **v, struct buf *why)
{
	const char *s = *v, *reason = NULL;
	long secs;
	int64_t ms;

	if (strcmp(s, "beginning") == 0) {
		cfg->start.kind = CONFIG_START_BEGINNING;
		return 0;
	}
	if (strcmp(s, "end") == 0) {
		cfg->start.kind = CONFIG_START_END;
		return 0;
	}
	if (s[0] == '-' && config_parse_duration(s + 1, &secs) == 0) {
		if (secs > 0 && secs <= RELATIVE_MAX) {
			cfg->start.kind = CONFIG_START_RELATIVE;
			cfg->start.seconds = secs;
			return 0;
		}
		reason = "must go back between 1s and 3650d";
	} else if (parse_iso8601(s, &ms, &reason) == 0) {
		cfg->start.kind = CONFIG_START_ABSOLUTE;
		cfg->start.epoch_ms = ms;
		return 0;
	}
	if (reason != NULL)
		buf_printf(why, "\"%s\": %s", s, reason);
	else
		buf_printf(why, "\"%s\" must be \"beginning\", \"end\", a time "
		    "back from now like \"-2h\", \"-30m\", \"-1d\", or an "
		    "ISO-8601 time like \"2026-11-01T00:00:00Z\"", s);
	return -1;
}

static int
check_role_arn(struct config *cfg, char **v, struct buf *why)
{
	const char *p = *v;
	size_t n;

	(void)cfg;
	if (strncmp(p, "arn:aws", 7) != 0)
		goto bad;
	p += 4 + strcspn(p + 4, ":");	/* past the partition */
	if (strncmp(p, ":iam::", 6) != 0)
		goto bad;
	p += 6;
	if (strlen(p) < 12 || !all_digits(p, 12) || strncmp(p + 12, ":role/", 6))
		goto bad;
	p += 18;
	n = strlen(p);
	if (n > 0 && all_in(p, n, "+=,.@_-/"))
		return 0;
bad:
	buf_printf(why, "\"%s\" is not a role ARN like "
	    "arn:aws:iam::123456789012:role/NAME", *v);
	return -1;
}

static int
check_external_id(struct config *cfg, char **v, struct buf *why)
{
	size_t n = strlen(*v);

	(void)cfg;
	if (n >= 2 && n <= 1224 && all_in(*v, n, "+=,.@:/_-"))
		return 0;
	buf_addstr(why, "must be 2 to 1224 of A-Z a-z 0-9 + = , . @ : / _ -");
	return -1;
}

/* Why the token s[0..n) cannot be one, or NULL. Never quotes the token. */
static const char *
token_problem(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return "the token is empty";
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return "the token holds spaces, control or non-ASCII "
			    "characters";
	return NULL;
}

static int
check_token(struct config *cfg, char **v, struct buf *why)
{
	const char *problem = token_problem(*v, strlen(*v));

	(void)cfg;
	if (problem == NULL)
		return 0;
	buf_addstr(why, problem);
	return -1;
}

static int
check_base64(struct config *cfg, char **v, struct buf *why)
{
	(void)cfg;
	if (all_in(*v, strlen(*v), "+/="))
		return 0;
	buf_addstr(why, "must be the base64 KMS ciphertext of the token");
	return -1;
}

static int
check_type(struct config *cfg, char **v, struct buf *why)
{
	size_t n = strlen(*v);

	(void)cfg;
	if (n <= 100 && all_in(*v, n, "._-"))
		return 0;
	buf_printf(why, "\"%s\" must be 1 to 100 of A-Z a-z 0-9 . _ -", *v);
	return -1;
}

static int
check_style(struct config *cfg, char **v, struct buf *why)
{
	int style;

	if ((style = flow_style_parse(*v)) != -1) {
		cfg->fields.style = (enum flow_style)style;
		return 0;
	}
	buf_printf(why, "\"%s\" must be \"logzio\" or \"ecs\"", *v);
	return -1;
}

/* ---- loading -------------------------------------------------------- */

/* Number printed so that it reads back the same, always as a float. */
static void
fmt_double(char *out, size_t len, double v)
{
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(out, len, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(out, len, "%.17g", v);
	if (strpbrk(out, ".eEn") == NULL)
		strncat(out, ".0", len - strlen(out) - 1);
}

/* The number in s, for K_INT, K_DUR and K_FLOAT. Returns -1 on a wrong type. */
static int
get_number(struct ctx *x, const struct key *k, const config_setting_t *s,
    const char *name, double *v)
{
	const char *str;
	long secs;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*v = (double)config_setting_get_int64(s);
		return 0;
	case CONFIG_TYPE_FLOAT:
		if (k->type != K_FLOAT)
			break;
		*v = config_setting_get_float(s);
		return 0;
	case CONFIG_TYPE_STRING:
		if (k->type != K_DUR)
			break;
		str = config_setting_get_string(s);
		if (config_parse_duration(str, &secs) == -1) {
			cerr(x, s, name, "\"%s\" is not a duration: write "
			    "seconds, or a number with s, m, h or d (\"30s\", "
			    "\"15m\", \"2h\", \"1d\")", str);
			return -1;
		}
		*v = (double)secs;
		return 0;
	}
	cerr(x, s, name, "%s", type_msg[k->type]);
	return -1;
}

static void
apply_string(struct ctx *x, const struct key *k, const config_setting_t *s,
    const char *name)
{
	char **p = member(x->cfg, k);
	struct buf why = BUF_INIT;

	free(*p);
	*p = buf_strdup(config_setting_get_string(s));
	if (**p == '\0') {
		free(*p);
		*p = NULL;
		if (!(k->flags & KF_EMPTY))
			cerr(x, s, name, "must not be empty");
		return;
	}
	if (k->check != NULL && k->check(x->cfg, p, &why) == -1) {
		cerr(x, s, name, "%s", why.data);
		free(*p);
		*p = NULL;
	}
	buf_free(&why);
}

/* A free-form group: each member becomes a key/value pair. */
static void
apply_map(struct ctx *x, const struct key *k, const config_setting_t *g,
    const char *name)
{
	struct config_map *m = member(x->cfg, k);
	const config_setting_t *e;
	struct config_kv *kv;
	struct buf ename = BUF_INIT;
	char num[64];
	unsigned int i;

	if ((m->kv = calloc((size_t)config_setting_length(g) + 1,
	    sizeof(*m->kv))) == NULL)
		fatal("calloc");
	for (i = 0; (e = config_setting_get_elem(g, i)) != NULL; i++) {
		kv = &m->kv[m->n];
		num[0] = '\0';
		switch (config_setting_type(e)) {
		case CONFIG_TYPE_STRING:
			kv->value = buf_strdup(config_setting_get_string(e));
			kv->is_string = 1;
			break;
		case CONFIG_TYPE_INT:
		case CONFIG_TYPE_INT64:
			snprintf(num, sizeof(num), "%lld",
			    config_setting_get_int64(e));
			break;
		case CONFIG_TYPE_FLOAT:
			if (isfinite(config_setting_get_float(e)))
				fmt_double(num, sizeof(num),
				    config_setting_get_float(e));
			break;
		case CONFIG_TYPE_BOOL:
			snprintf(num, sizeof(num), "%s",
			    config_setting_get_bool(e) ? "true" : "false");
			break;
		}
		if (kv->value == NULL &&
		    (num[0] == '\0' || (k->flags & KF_STRINGS))) {
			buf_reset(&ename);
			buf_printf(&ename, "%s.%s", name, config_setting_name(e));
			cerr(x, e, ename.data, "%s", (k->flags & KF_STRINGS) ?
			    "must be a string" :
			    "must be a string, a finite number or true/false");
			continue;
		}
		if (kv->value == NULL)
			kv->value = buf_strdup(num);
		kv->key = buf_strdup(config_setting_name(e));
		m->n++;
	}
	buf_free(&ename);
}

static void	walk(struct ctx *, const config_setting_t *, const char *);

/* Check a K_INT, K_DUR or K_FLOAT setting against its range and store it. */
static void
apply_number(struct ctx *x, const struct key *k, const config_setting_t *s,
    const char *name)
{
	double v;

	if (get_number(x, k, s, name, &v) == -1)
		return;
	if (!(v >= k->min && v <= k->max))
		cerr(x, s, name, k->type == K_FLOAT ? "must be between %g and %g" :
		    k->type == K_DUR ? "must be between %.0f and %.0f seconds" :
		    "must be between %.0f and %.0f", k->min, k->max);
	else if (k->type == K_FLOAT)
		*(double *)member(x->cfg, k) = v;
	else
		*(long *)member(x->cfg, k) = (long)v;
}

/* Check and store one setting s of key k, named name in messages. */
static void
apply(struct ctx *x, const struct key *k, const config_setting_t *s,
    const char *name)
{
	static const int want[] = {
		[K_GROUP] = CONFIG_TYPE_GROUP, [K_MAP] = CONFIG_TYPE_GROUP,
		[K_STR] = CONFIG_TYPE_STRING, [K_BOOL] = CONFIG_TYPE_BOOL,
	};

	if (k->type == K_INT || k->type == K_DUR || k->type == K_FLOAT) {
		apply_number(x, k, s, name);
		return;
	}
	if (config_setting_type(s) != want[k->type]) {
		cerr(x, s, name, "%s", type_msg[k->type]);
		return;
	}
	switch (k->type) {
	case K_GROUP:
		walk(x, s, k->name);
		break;
	case K_MAP:
		apply_map(x, k, s, name);
		break;
	case K_STR:
		apply_string(x, k, s, name);
		break;
	default:
		*(int *)member(x->cfg, k) = config_setting_get_bool(s);
		break;
	}
}

/* Edit distance of a and b, capped: good enough to suggest a key. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t row[64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			tmp = row[j];
			row[j] = cur;
			prev = tmp;
		}
	}
	return row[lb];
}

static void
unknown_key(struct ctx *x, const config_setting_t *s, const char *name,
    const char *prefix)
{
	const char *best = NULL;
	size_t i, d, bestd = 3;

	for (i = 0; i < NKEYS; i++) {
		if (!key_in(keys[i].name, prefix))
			continue;
		d = distance(name + strlen(prefix), keys[i].name + strlen(prefix));
		if (d < bestd) {
			bestd = d;
			best = keys[i].name;
		}
	}
	if (best != NULL)
		cerr(x, s, name, "unknown key (did you mean %s?)", best);
	else
		cerr(x, s, name, "unknown key");
}

/* Apply every member of the group g; group is its dotted name or "". */
static void
walk(struct ctx *x, const config_setting_t *g, const char *group)
{
	const config_setting_t *s;
	const struct key *k;
	struct buf prefix = BUF_INIT, name = BUF_INIT;
	unsigned int i;

	buf_addstr(&prefix, group);
	if (*group != '\0')
		buf_addch(&prefix, '.');
	for (i = 0; (s = config_setting_get_elem(g, i)) != NULL; i++) {
		buf_reset(&name);
		buf_printf(&name, "%s%s", prefix.data, config_setting_name(s));
		if ((k = key_find(name.data)) == NULL)
			unknown_key(x, s, name.data, prefix.data);
		else
			apply(x, k, s, name.data);
	}
	buf_free(&prefix);
	buf_free(&name);
}

/* Why a mode that group or others can use is refused, or NULL. */
static const char *
mode_problem(mode_t mode)
{
	if (mode & 044)
		return "readable";
	if (mode & 033)
		return "writable or executable";
	return NULL;
}

#define SF_MODE		0x01	/* refuse a file group or others can use */
#define SF_READ		0x02	/* read the token into out */

/*
 * Open a file that holds the token: a regular file, and with SF_MODE not open
 * to group/others. With SF_READ the trimmed contents are appended to out; the
 * copy on the stack is wiped. Problems are appended to why, without the token.
 */
static int
secret_file(const char *path, int flags, struct buf *out, struct buf *why)
{
	char tmp[TOKEN_MAX + 2];
	const char *problem, *p;
	struct stat st;
	size_t len = 0, skip;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		buf_printf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		buf_printf(why, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_printf(why, "%s: not a regular file", path);
		goto out;
	}
	if ((flags & SF_MODE) && (problem = mode_problem(st.st_mode)) != NULL) {
		buf_printf(why, "%s holds the Logz.io token but is %s by "
		    "group/others (mode %04o): run chmod 600 %s", path, problem,
		    (unsigned int)(st.st_mode & 07777), path);
		goto out;
	}
	if (!(flags & SF_READ)) {
		rc = 0;
		goto out;
	}
	while (len < sizeof(tmp) &&
	    (n = read(fd, tmp + len, sizeof(tmp) - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			buf_printf(why, "%s: %s", path, strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (len > TOKEN_MAX) {
		buf_printf(why, "%s: too large to hold a token", path);
		goto out;
	}
	while (len > 0 && isspace((unsigned char)tmp[len - 1]))
		len--;
	for (skip = 0; skip < len && isspace((unsigned char)tmp[skip]); skip++)
		;
	p = tmp + skip;
	if ((problem = token_problem(p, len - skip)) != NULL) {
		buf_printf(why, "%s: %s", path, problem);
		goto out;
	}
	buf_add(out, p, len - skip);
	rc = 0;
out:
	explicit_bzero(tmp, sizeof(tmp));
	close(fd);
	return rc;
}

/* Path of the systemd credential; NULL without $CREDENTIALS_DIRECTORY. */
static char *
credential_path(void)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	struct buf b = BUF_INIT;

	if (dir == NULL || *dir == '\0')
		return NULL;
	buf_printf(&b, "%s/%s", dir, CONFIG_CREDENTIAL_NAME);
	return buf_detach(&b);
}

/*
 * The token sources: at most one configured, a config file holding the token
 * private, token_file private and readable; else a systemd credential.
 */
static void
check_token_source(struct ctx *x)
{
	static const char *const names[] = {
		"logzio.token", "logzio.token_file", "logzio.token_kms"
	};
	static const enum config_token_source srcs[] = {
		CONFIG_TOKEN_INLINE, CONFIG_TOKEN_FILE, CONFIG_TOKEN_KMS
	};
	struct config *cfg = x->cfg;
	const char *vals[] = {
		cfg->logzio.token, cfg->logzio.token_file, cfg->logzio.token_kms
	};
	const char *problem, *file;
	const config_setting_t *s;
	struct buf why = BUF_INIT, path = BUF_INIT;
	struct stat st;
	char *cred;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (vals[i] == NULL)
			continue;
		if (cfg->logzio.token_source == CONFIG_TOKEN_NONE)
			cfg->logzio.token_source = srcs[i];
		else
			cerr_key(x, names[i], "only one of logzio.token, "
			    "logzio.token_file and logzio.token_kms may be set");
	}
	if (cfg->logzio.token != NULL) {
		s = config_lookup(x->lc, "logzio.token");
		file = setting_file(x, s, &path);
		st.st_mode = x->mode;
		if (file != x->path && stat(file, &st) == -1)
			cerr(x, s, "logzio.token", "%s holds the Logz.io token "
			    "and its mode cannot be checked: %s", file,
			    strerror(errno));
		else if ((problem = mode_problem(st.st_mode)) != NULL)
			cerr(x, s, "logzio.token", "%s holds the Logz.io token "
			    "but is %s by group/others (mode %04o): run chmod "
			    "600 %s, or move the token to logzio.token_file or a "
			    "systemd credential (LoadCredential=%s:PATH)", file,
			    problem, (unsigned int)(st.st_mode & 07777), file,
			    CONFIG_CREDENTIAL_NAME);
	}
	if (cfg->logzio.token_file != NULL &&
	    secret_file(cfg->logzio.token_file, SF_MODE, NULL, &why) == -1)
		cerr_key(x, "logzio.token_file", "%s", why.data);
	buf_free(&why);
	buf_free(&path);
	if (cfg->logzio.token_kms_context.n > 0 && cfg->logzio.token_kms == NULL)
		cerr_key(x, "logzio.token_kms_context", "needs logzio.token_kms");
	if (cfg->logzio.token_source == CONFIG_TOKEN_NONE &&
	    (cred = credential_path()) != NULL) {
		if (access(cred, F_OK) == 0)
			cfg->logzio.token_source = CONFIG_TOKEN_CREDENTIAL;
		free(cred);
	}
}

/* True when name is a member every document of the configured style has. */
static int
reserved_field(const struct config *cfg, const char *name)
{
	struct buf key = BUF_INIT;
	const char *fname;
	size_t i;
	int id, clash = 0;

	for (i = 0; i < sizeof(reserved_fields) / sizeof(*reserved_fields); i++)
		if ((reserved_fields[i].styles & (1 << cfg->fields.style)) &&
		    strcmp(name, reserved_fields[i].name) == 0)
			clash = 1;
	for (id = 0; cfg->fields.style == FLOW_STYLE_LOGZIO &&
	    id < flow_field_count() && !clash; id++) {
		if ((fname = flow_field_name(id)) == NULL)
			continue;
		buf_reset(&key);
		buf_addstr(&key, fname);
		for (i = 0; i < key.len; i++)
			if (key.data[i] == '-')
				key.data[i] = '_';
		/* log-status is "logstatus", in reserved_fields */
		clash = strcmp(name, key.data) == 0 &&
		    strcmp(fname, "log-status") != 0;
	}
	buf_free(&key);
	return clash;
}

/* Render fields.add as JSON members, refusing names documents already have. */
static void
render_add(struct ctx *x)
{
	struct config *cfg = x->cfg;
	struct config_map *m = &cfg->fields.add;
	struct buf json = BUF_INIT, key = BUF_INIT;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (reserved_field(cfg, m->kv[i].key) ||
		    strchr(m->kv[i].key, '*') != NULL) {
			buf_reset(&key);
			buf_printf(&key, "fields.add.%s", m->kv[i].key);
			cerr_key(x, key.data, "%s", strchr(m->kv[i].key, '*') ?
			    "a field name must not hold '*'" : "every document "
			    "already has this field: choose another name");
			continue;
		}
		if (json.len > 0)
			buf_addch(&json, ',');
		buf_add_json_str(&json, m->kv[i].key, strlen(m->kv[i].key));
		buf_addch(&json, ':');
		if (m->kv[i].is_string)
			buf_add_json_str(&json, m->kv[i].value,
			    strlen(m->kv[i].value));
		else
			buf_addstr(&json, m->kv[i].value);
	}
	free(cfg->fields.add_json);
	cfg->fields.add_json = json.len > 0 ? buf_detach(&json) : NULL;
	buf_free(&json);
	buf_free(&key);
}

/* The region of a log group ARN ("arn:aws:logs:REGION:..."), not copied. */
static const char *
arn_region(const char *arn, size_t *len)
{
	const char *p = arn;
	int i;

	for (i = 0; i < 3; i++)
		p += strcspn(p, ":") + 1;
	*len = strcspn(p, ":");
	return p;
}

/* Default state_dir: /var/lib/vpcflowd/NAME, NAME: file name less .conf */
static char *
default_state_dir(const char *path)
{
	const char *base = strrchr(path, '/');
	struct buf b = BUF_INIT;
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
		n -= 5;
	buf_addstr(&b, STATE_DIR_BASE);
	if (n == 0)
		buf_addstr(&b, "default");
	else
		buf_add(&b, base, n);
	return buf_detach(&b);
}

/* Checks that involve more than one key, or the file system. */
static void
config_check(struct ctx *x)
{
	struct config *cfg = x->cfg;
	const char *r;
	size_t rlen;
	int fd;

	if (cfg->log_group == NULL && config_lookup(x->lc, "log_group") == NULL)
		cerr(x, NULL, "log_group", "required: the name or ARN of the "
		    "log group that receives the flow logs");
	if (cfg->log_group_arn != NULL) {
		r = arn_region(cfg->log_group_arn, &rlen);
		if (cfg->region == NULL)
			cfg->region = buf_strndup(r, rlen);
		else if (strlen(cfg->region) != rlen ||
		    strncmp(cfg->region, r, rlen) != 0)
			cerr_key(x, "region", "\"%s\" differs from the region "
			    "of the log_group ARN (%.*s)", cfg->region,
			    (int)rlen, r);
	}
	if (cfg->aws.external_id != NULL && cfg->aws.role_arn == NULL)
		cerr_key(x, "aws.external_id", "needs aws.role_arn");
	if (cfg->ca_file != NULL) {
		if ((fd = open(cfg->ca_file, O_RDONLY | O_CLOEXEC)) == -1)
			cerr_key(x, "ca_file", "%s: %s", cfg->ca_file,
			    strerror(errno));
		else
			close(fd);
	}
	check_token_source(x);
	render_add(x);
	if (cfg->state_dir == NULL && config_lookup(x->lc, "state_dir") == NULL)
		cfg->state_dir = default_state_dir(x->path);
}

void
config_defaults(struct config *cfg)
{
	struct buf why = BUF_INIT;
	const struct key *k;
	char **p;

	memset(cfg, 0, sizeof(*cfg));
	for (k = keys; k < keys + NKEYS; k++) {
		switch (k->type) {
		case K_STR:
			if (k->sdef == NULL)
				break;
			p = member(cfg, k);
			*p = buf_strdup(k->sdef);
			if (k->check != NULL && k->check(cfg, p, &why) == -1)
				fatalx("config default %s: %s", k->name, why.data);
			break;
		case K_INT:
		case K_DUR:
			*(long *)member(cfg, k) = (long)k->def;
			break;
		case K_FLOAT:
			*(double *)member(cfg, k) = k->def;
			break;
		case K_BOOL:
			*(int *)member(cfg, k) = (int)k->def;
			break;
		default:
			break;
		}
	}
	buf_free(&why);
}

/* Wipe libconfig's copy of the inline token before it is freed. */
static void
wipe_token_setting(config_t *lc)
{
	config_setting_t *s = config_lookup(lc, "logzio.token");
	const char *v;

	if (s != NULL && (v = config_setting_get_string(s)) != NULL)
		explicit_bzero((char *)(uintptr_t)v, strlen(v));
}

int
config_load(struct config *cfg, const char *path, struct buf *errors)
{
	struct buf incfile = BUF_INIT;
	struct ctx x;
	struct stat st;
	config_t lc;
	char *dir, *slash;
	FILE *fp;
	int err;

	config_defaults(cfg);
	cfg->path = buf_strdup(path);
	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	x.errors = errors;
	x.path = cfg->path;
	x.lc = &lc;
	if ((fp = fopen(path, "re")) == NULL) {
		buf_printf(errors, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	/* a directory would make libconfig's scanner exit the process */
	if (fstat(fileno(fp), &st) == -1)
		err = errno;
	else
		err = S_ISDIR(st.st_mode) ? EISDIR : 0;
	if (err != 0) {
		buf_printf(errors, "%s: %s\n", path, strerror(err));
		fclose(fp);
		return -1;
	}
	x.mode = st.st_mode;

	/* @include "x.conf" is relative to the directory of the file ("/" kept). */
	dir = buf_strdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	config_init(&lc);
	if (slash != NULL) {
		config_set_include_dir(&lc, dir);
		x.incdir = dir;
	}
	if (config_read(&lc, fp) == CONFIG_FALSE) {
		buf_addstr(errors, file_path(&x, config_error_file(&lc), &incfile));
		if (config_error_line(&lc) > 0)
			buf_printf(errors, ":%d", config_error_line(&lc));
		buf_printf(errors, ": %s\n", config_error_text(&lc));
		x.nerr++;
	} else {
		walk(&x, config_root_setting(&lc), "");
		config_check(&x);
	}
	wipe_token_setting(&lc);
	config_destroy(&lc);
	fclose(fp);
	free(dir);
	buf_free(&incfile);
	return x.nerr > 0 ? -1 : 0;
}

/* ---- printing ------------------------------------------------------- */

/* s as a libconfig string literal. */
static void
print_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '"':  fputs("\\\"", fp); break;
		case '\\': fputs("\\\\", fp); break;
		case '\n': fputs("\\n", fp); break;
		case '\r': fputs("\\r", fp); break;
		case '\t': fputs("\\t", fp); break;
		case '\f': fputs("\\f", fp); break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				fprintf(fp, "\\x%02x", (unsigned char)*s);
			else
				fputc(*s, fp);
		}
	}
	fputc('"', fp);
}

static void
print_token_source(const struct config *cfg, FILE *fp, int depth)
{
	char *cred;

	fprintf(fp, "%*s# token: ", depth * 2, "");
	switch (cfg->logzio.token_source) {
	case CONFIG_TOKEN_INLINE:
		fputs("inline (logzio.token in the configuration file)\n", fp);
		break;
	case CONFIG_TOKEN_FILE:
		fprintf(fp, "token_file %s\n", cfg->logzio.token_file);
		break;
	case CONFIG_TOKEN_KMS:
		fputs("token_kms (decrypted with AWS KMS at start)\n", fp);
		break;
	case CONFIG_TOKEN_CREDENTIAL:
		cred = credential_path();
		fprintf(fp, "systemd credential %s\n", cred ? cred : "(gone)");
		free(cred);
		break;
	default:
		fputs("none configured: shipping to Logz.io needs one\n", fp);
		break;
	}
}

static void
print_map(const struct config_map *m, FILE *fp, int depth)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		fprintf(fp, "%*s%s = ", depth * 2, "", m->kv[i].key);
		if (m->kv[i].is_string)
			print_string(fp, m->kv[i].value);
		else {
			fputs(m->kv[i].value, fp);
			/* libconfig reads integers beyond 32 bits only with L */
			if (strspn(m->kv[i].value, "-0123456789") ==
			    strlen(m->kv[i].value) &&
			    (strtoll(m->kv[i].value, NULL, 10) > INT_MAX ||
			    strtoll(m->kv[i].value, NULL, 10) < INT_MIN))
				fputc('L', fp);
		}
		fputs(";\n", fp);
	}
}

/* Print the keys of group prefix ("" or "aws.") at depth, recursively. */
static void
print_group(const struct config *cfg, FILE *fp, const char *prefix, int depth)
{
	const struct key *k;
	const struct config_map *m;
	const char *name, *v;
	char num[64], sub[64];
	int ind = depth * 2;

	for (k = keys; k < keys + NKEYS; k++) {
		if (!key_in(k->name, prefix))
			continue;
		name = k->name + strlen(prefix);
		if (k->flags & KF_TOKEN)
			print_token_source(cfg, fp, depth);
		switch (k->type) {
		case K_GROUP:
			fprintf(fp, "%*s%s : {\n", ind, "", name);
			snprintf(sub, sizeof(sub), "%s.", k->name);
			print_group(cfg, fp, sub, depth + 1);
			fprintf(fp, "%*s};\n", ind, "");
			break;
		case K_MAP:
			m = member(cfg, k);
			if (m->n == 0) {
				fprintf(fp, "%*s# %s: empty\n", ind, "", name);
				break;
			}
			fprintf(fp, "%*s%s : {\n", ind, "", name);
			print_map(m, fp, depth + 1);
			fprintf(fp, "%*s};\n", ind, "");
			break;
		case K_STR:
			v = k->show ? k->show(cfg) : *(char **)member(cfg, k);
			if (v == NULL) {
				if (k->unset != NULL)
					fprintf(fp, "%*s# %s: unset (%s)\n", ind,
					    "", name, k->unset);
				break;
			}
			fprintf(fp, "%*s%s = ", ind, "", name);
			print_string(fp, (k->flags & KF_SECRET) ? "<redacted>" : v);
			fputs(";\n", fp);
			break;
		case K_INT:
		case K_DUR:
			fprintf(fp, "%*s%s = %ld;\n", ind, "", name,
			    *(long *)member(cfg, k));
			break;
		case K_FLOAT:
			fmt_double(num, sizeof(num), *(double *)member(cfg, k));
			fprintf(fp, "%*s%s = %s;\n", ind, "", name, num);
			break;
		case K_BOOL:
			fprintf(fp, "%*s%s = %s;\n", ind, "", name,
			    *(int *)member(cfg, k) ? "true" : "false");
			break;
		}
	}
}

void
config_print(const struct config *cfg, FILE *fp)
{
	fprintf(fp, "# vpcflowd: effective configuration%s%s\n",
	    cfg->path ? " of " : "", cfg->path ? cfg->path : "");
	print_group(cfg, fp, "", 0);
}

/* ---- the rest of the API ------------------------------------------ */

static void
map_free(struct config_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->kv[i].key);
		free(m->kv[i].value);
	}
	free(m->kv);
	m->kv = NULL;
	m->n = 0;
}

void
config_free(struct config *cfg)
{
	const struct key *k;
	char **p;

	if (cfg->logzio.token != NULL)
		explicit_bzero(cfg->logzio.token, strlen(cfg->logzio.token));
	for (k = keys; k < keys + NKEYS; k++) {
		if (k->type == K_STR) {
			p = member(cfg, k);
			free(*p);
			*p = NULL;
		} else if (k->type == K_MAP)
			map_free(member(cfg, k));
	}
	free(cfg->path);
	free(cfg->log_group_arn);
	free(cfg->fields.add_json);
	memset(cfg, 0, sizeof(*cfg));
}

const char *
config_token_source_name(enum config_token_source src)
{
	switch (src) {
	case CONFIG_TOKEN_INLINE:
		return "inline";
	case CONFIG_TOKEN_FILE:
		return "token_file";
	case CONFIG_TOKEN_KMS:
		return "token_kms";
	case CONFIG_TOKEN_CREDENTIAL:
		return "systemd credential";
	default:
		return "none";
	}
}

int
config_require_token(const struct config *cfg, struct buf *errors)
{
	if (cfg->logzio.token_source != CONFIG_TOKEN_NONE)
		return 0;
	buf_printf(errors, "%s: logzio.token: no Logz.io token: set "
	    "logzio.token_file to a file of mode 0600 that holds it, or "
	    "logzio.token_kms to its KMS ciphertext, or pass it as a systemd "
	    "credential (LoadCredential=%s:PATH in the unit)%s\n",
	    cfg->path ? cfg->path : "vpcflowd", CONFIG_CREDENTIAL_NAME,
	    getenv("CREDENTIALS_DIRECTORY") ? "; $CREDENTIALS_DIRECTORY has "
	    "no " CONFIG_CREDENTIAL_NAME : "");
	return -1;
}

int
config_read_token(const struct config *cfg, struct buf *token,
    struct buf *errors)
{
	const char *conf = cfg->path ? cfg->path : "vpcflowd";
	struct buf why = BUF_INIT;
	char *cred = NULL;
	int rc = -1;

	switch (cfg->logzio.token_source) {
	case CONFIG_TOKEN_INLINE:
		buf_addstr(token, cfg->logzio.token);
		return 0;
	case CONFIG_TOKEN_FILE:
		if ((rc = secret_file(cfg->logzio.token_file, SF_MODE | SF_READ,
		    token, &why)) == -1)
			buf_printf(errors, "%s: logzio.token_file: %s\n", conf,
			    why.data);
		break;
	case CONFIG_TOKEN_CREDENTIAL:
		if ((cred = credential_path()) == NULL)
			buf_printf(errors, "%s: logzio.token: the systemd "
			    "credential is gone: $CREDENTIALS_DIRECTORY is no "
			    "longer set\n", conf);
		else if ((rc = secret_file(cred, SF_READ, token, &why)) == -1)
			buf_printf(errors, "%s: logzio.token: systemd "
			    "credential %s\n", conf, why.data);
		free(cred);
		break;
	case CONFIG_TOKEN_KMS:
		buf_printf(errors, "%s: logzio.token_kms: must be decrypted by "
		    "the AWS client (KMS Decrypt)\n", conf);
		break;
	default:
		config_require_token(cfg, errors);
		break;
	}
	buf_free(&why);
	return rc;
}

void
config_flow_opts(const struct config *cfg, struct flow_opts *opts)
{
	opts->style = cfg->fields.style;
	opts->include_message = cfg->fields.include_message;
	opts->add_json = cfg->fields.add_json;
}
