/*
 * test_flow: the flow core (src/flow.c). Every document is parsed back with
 * jansson and checked member by member, in both styles. The AWS example
 * records are read at run time from $VPCFLOWD_SHARED/testdata/flowlogs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "flow.h"

static const struct flow_meta test_meta = {
	"/vpc/flowlogs/prod", "eni-1235b8ca123456789-all",
	"36926581296416436258930633557389049513427385380786176000",
	1418530010123LL
};
static const struct flow_meta no_meta = { NULL, NULL, NULL, -1 };

/* The result of one flow_encode(): return code, raw text, parsed document. */
struct doc {
	int		 rc;
	struct buf	 raw;
	json_t		*json;
};

static void
doc_free(struct doc *d)
{
	json_decref(d->json);
	buf_free(&d->raw);
}

/*
 * Encode line with the format spec and options; fail the test unless the
 * output is exactly one valid JSON object. The line is copied to a heap
 * block of its exact size, so that sanitizers see any read past its end.
 */
static void
encode_opts(struct doc *d, const char *spec, const struct flow_opts *opts,
    const struct flow_meta *meta, const char *line, size_t len)
{
	struct flow_format fmt;
	json_error_t jerr;
	char err[256];

	char *exact;

	memset(d, 0, sizeof(*d));
	if (flow_format_parse(&fmt, spec, err, sizeof(err)) != 0)
		fail_msg("format does not parse: %s: %s", spec, err);
	/* A copy of exactly len bytes: reading past it is an ASan error. */
	exact = malloc(len > 0 ? len : 1);
	assert_non_null(exact);
	memcpy(exact, line, len);
	d->rc = flow_encode(&d->raw, &fmt, opts, meta, exact, len);
	free(exact);
	assert_true(d->rc == 0 || d->rc == 1);
	assert_non_null(d->raw.data);
	assert_int_equal(strlen(d->raw.data) == d->raw.len ||
	    memchr(line, '\0', len) != NULL, 1);
	assert_null(memchr(d->raw.data, '\n', d->raw.len));
	d->json = json_loadb(d->raw.data, d->raw.len,
	    JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (d->json == NULL)
		fail_msg("invalid JSON (%s at %d): %s", jerr.text,
		    jerr.position, d->raw.data);
	assert_true(json_is_object(d->json));
}

static void
encode(struct doc *d, const char *spec, enum flow_style style,
    const char *line)
{
	struct flow_opts opts = { style, 1, NULL };

	encode_opts(d, spec, &opts, &test_meta, line, strlen(line));
}

/* The member at a '/'-separated path, or NULL. */
static json_t *
jpath(json_t *root, const char *path)
{
	char key[128];
	const char *slash;
	size_t n;

	while (root != NULL && *path != '\0') {
		slash = strchr(path, '/');
		n = slash != NULL ? (size_t)(slash - path) : strlen(path);
		assert_true(n < sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		root = json_object_get(root, key);
		path += n + (slash != NULL);
	}
	return root;
}

static void
assert_str_at(json_t *root, const char *path, const char *want)
{
	json_t *v = jpath(root, path);

	if (v == NULL || !json_is_string(v))
		fail_msg("%s: want string \"%s\", got %s", path, want,
		    v == NULL ? "nothing" : "another type");
	if (strcmp(json_string_value(v), want) != 0)
		fail_msg("%s: want \"%s\", got \"%s\"", path, want,
		    json_string_value(v));
}

static void
assert_int_at(json_t *root, const char *path, long long want)
{
	json_t *v = jpath(root, path);

	if (v == NULL || !json_is_integer(v))
		fail_msg("%s: want integer %lld, got %s", path, want,
		    v == NULL ? "nothing" : "another type");
	if (json_integer_value(v) != want)
		fail_msg("%s: want %lld, got %lld", path, want,
		    (long long)json_integer_value(v));
}

static void
assert_absent(json_t *root, const char *path)
{
	if (jpath(root, path) != NULL)
		fail_msg("%s: should be absent", path);
}

/* The array at path holds exactly the strings given (NULL-terminated). */
static void
assert_strings_at(json_t *root, const char *path, ...)
{
	json_t *arr = jpath(root, path);
	const char *want;
	size_t i = 0;
	va_list ap;

	if (arr == NULL || !json_is_array(arr))
		fail_msg("%s: want an array", path);
	va_start(ap, path);
	while ((want = va_arg(ap, const char *)) != NULL) {
		json_t *v = json_array_get(arr, i++);

		if (v == NULL || !json_is_string(v) ||
		    strcmp(json_string_value(v), want) != 0)
			fail_msg("%s[%zu]: want \"%s\"", path, i - 1, want);
	}
	va_end(ap);
	if (json_array_size(arr) != i)
		fail_msg("%s: want %zu elements, got %zu", path, i,
		    json_array_size(arr));
}

/* No key anywhere in v contains a dot (Logz.io rejects them). */
static void
assert_no_dotted_keys(json_t *v)
{
	const char *key;
	json_t *member;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, member) {
			if (strchr(key, '.') != NULL)
				fail_msg("dotted key \"%s\"", key);
			assert_no_dotted_keys(member);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, member)
			assert_no_dotted_keys(member);
	}
}

/* ISO-8601 with milliseconds, by gmtime_r: independent of flow.c's. */
static void
iso8601(char *dst, size_t len, long long secs, int ms)
{
	struct tm tm;
	time_t t = (time_t)secs;

	assert_non_null(gmtime_r(&t, &tm));
	snprintf(dst, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ms);
}

/* --- shared test data ---------------------------------------------------- */

/* The flowlogs directory of the shared test data; fails when missing. */
static const char *
flowlogs_dir(void)
{
	static char path[1024];
	const char *candidates[3];
	struct stat st;
	size_t i;

	candidates[0] = getenv("VPCFLOWD_SHARED");
	candidates[1] = "../shared";
	candidates[2] = "/work/shared";
	for (i = 0; i < 3; i++) {
		if (candidates[i] == NULL || *candidates[i] == '\0')
			continue;
		snprintf(path, sizeof(path), "%s/testdata/flowlogs",
		    candidates[i]);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return path;
	}
	fail_msg("shared test data not found: set VPCFLOWD_SHARED "
	    "(tried $VPCFLOWD_SHARED, ../shared, /work/shared)");
	return NULL;
}

struct flowlog_file {
	char	 name[256];
	char	*format;
	char	*records[64];
	int	 nrecords;
	struct buf text;
};

static void
flowlog_read(struct flowlog_file *f, const char *dir, const char *name)
{
	char path[1300], *p, *end, *nl;

	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (buf_read_file(&f->text, path) != 0)
		fail_msg("cannot read %s", path);
	assert_non_null(f->text.data);
	p = f->text.data;
	end = p + f->text.len;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';	/* at end, the buffer's own terminator */
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (f->format == NULL)
			f->format = p;
		else if (*p != '\0') {
			assert_true(f->nrecords < 64);
			f->records[f->nrecords++] = p;
		}
		p = nl + 1;
	}
	assert_non_null(f->format);
	assert_true(f->nrecords > 0);
}

static int
flowlog_read_named(struct flowlog_file *f, const char *name)
{
	flowlog_read(f, flowlogs_dir(), name);
	return f->nrecords;
}

/* Where the ECS style puts an AWS field: path and whether it is renamed. */
struct ecs_place {
	const char	*aws;
	const char	*path;
};

static const struct ecs_place ecs_places[] = {
	{ "account-id", "cloud/account/id" },
	{ "srcaddr", "source/ip" },
	{ "dstaddr", "destination/ip" },
	{ "srcport", "source/port" },
	{ "dstport", "destination/port" },
	{ "packets", "network/packets" },
	{ "bytes", "network/bytes" },
	{ "instance-id", "cloud/instance/id" },
	{ "region", "cloud/region" },
	{ "flow-direction", "network/direction" },
	{ "protocol", NULL },	/* network/iana_number, as a string */
	{ "start", NULL },	/* event/start, ISO-8601 */
	{ "end", NULL },	/* event/end */
	{ NULL, NULL }
};

static const char *const integer_fields[] = {
	"version", "srcport", "dstport", "protocol", "packets", "bytes",
	"start", "end", "tcp-flags", "traffic-path", "encryption-status", NULL
};

static int
is_integer_field(const char *name)
{
	size_t i;

	for (i = 0; integer_fields[i] != NULL; i++)
		if (strcmp(integer_fields[i], name) == 0)
			return 1;
	return 0;
}

/* The logzio member name of an AWS field. */
static void
logzio_key(char *dst, size_t len, const char *aws)
{
	size_t i;

	if (strcmp(aws, "log-status") == 0) {
		snprintf(dst, len, "logstatus");
		return;
	}
	if (strcmp(aws, "type") == 0) {	/* Logz.io: "type" is the log type */
		snprintf(dst, len, "traffic_type");
		return;
	}
	snprintf(dst, len, "%s", aws);
	for (i = 0; dst[i] != '\0'; i++)
		if (dst[i] == '-')
			dst[i] = '_';
}

/* Split a format ("${a} ${b}" or "a b") into names, in place. */
static int
split_words(char *s, char **words, int max)
{
	int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		assert_true(n < max);
		if (tok[0] == '$' && tok[1] == '{') {
			tok += 2;
			tok[strlen(tok) - 1] = '\0';
		}
		words[n++] = tok;
	}
	return n;
}

/*
 * Check one document against the record, field by field, from an
 * independent reading of the record (split on spaces, types by name).
 */
static void
check_generic(const char *format, const char *record, enum flow_style style,
    json_t *doc)
{
	char fcopy[4096], rcopy[4096], key[128], path[192], iso[64];
	char *names[64], *values[64];
	const struct ecs_place *pl;
	int nnames, nvalues, i;

	snprintf(fcopy, sizeof(fcopy), "%s", format);
	snprintf(rcopy, sizeof(rcopy), "%s", record);
	nnames = split_words(fcopy, names, 64);
	nvalues = split_words(rcopy, values, 64);
	assert_int_equal(nnames, nvalues);
	if (style == FLOW_STYLE_ECS)
		assert_no_dotted_keys(doc);
	assert_str_at(doc, "message", record);
	for (i = 0; i < nnames; i++) {
		int absent = strcmp(values[i], "-") == 0;
		int integer = is_integer_field(names[i]);

		if (style == FLOW_STYLE_LOGZIO) {
			logzio_key(key, sizeof(key), names[i]);
			snprintf(path, sizeof(path), "%s", key);
		} else {
			for (pl = ecs_places; pl->aws != NULL; pl++)
				if (strcmp(pl->aws, names[i]) == 0)
					break;
			if (pl->aws == NULL) {
				logzio_key(key, sizeof(key), names[i]);
				if (strcmp(names[i], "log-status") == 0)
					snprintf(key, sizeof(key),
					    "log_status");
				else if (strcmp(names[i], "type") == 0)
					snprintf(key, sizeof(key), "type");
				snprintf(path, sizeof(path), "aws/vpcflow/%s",
				    key);
			} else if (pl->path != NULL)
				snprintf(path, sizeof(path), "%s", pl->path);
			else if (strcmp(names[i], "protocol") == 0) {
				const char *iana = "network/iana_number";

				if (absent)
					assert_absent(doc, iana);
				else
					assert_str_at(doc, iana, values[i]);
				continue;
			} else {
				snprintf(path, sizeof(path), "event/%s",
				    names[i]);
				if (absent)
					assert_absent(doc, path);
				else {
					iso8601(iso, sizeof(iso),
					    strtoll(values[i], NULL, 10), 0);
					assert_str_at(doc, path, iso);
				}
				continue;
			}
		}
		if (absent)
			assert_absent(doc, path);
		else if (integer)
			assert_int_at(doc, path, strtoll(values[i], NULL, 10));
		else
			assert_str_at(doc, path, values[i]);
	}
	if (style == FLOW_STYLE_LOGZIO) {
		assert_str_at(doc, "log_group", test_meta.log_group);
		assert_str_at(doc, "log_stream", test_meta.log_stream);
		assert_str_at(doc, "event_id", test_meta.event_id);
	} else {
		assert_str_at(doc, "aws/cloudwatch/log_group",
		    test_meta.log_group);
		assert_str_at(doc, "aws/cloudwatch/log_stream",
		    test_meta.log_stream);
		assert_str_at(doc, "aws/cloudwatch/event_id",
		    test_meta.event_id);
		assert_str_at(doc, "ecs/version", "8.11.0");
		assert_str_at(doc, "cloud/provider", "aws");
	}
	assert_absent(doc, "tags");
}

/* Every *.log in the shared directory, every record, both styles. */
static void
test_shared_files_generic(void **state)
{
	const char *dir = flowlogs_dir();
	struct flowlog_file f;
	struct dirent *de;
	struct doc d;
	DIR *dp;
	int i, files = 0, records = 0;
	enum flow_style style;

	(void)state;
	if ((dp = opendir(dir)) == NULL)
		fail_msg("cannot open %s", dir);
	while ((de = readdir(dp)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".log") != 0)
			continue;
		flowlog_read(&f, dir, de->d_name);
		for (i = 0; i < f.nrecords; i++) {
			for (style = FLOW_STYLE_LOGZIO; style <= FLOW_STYLE_ECS;
			    style++) {
				encode(&d, f.format, style, f.records[i]);
				if (d.rc != 0)
					fail_msg("%s: record %d did not parse: "
					    "%s", f.name, i + 1, d.raw.data);
				check_generic(f.format, f.records[i], style,
				    d.json);
				doc_free(&d);
			}
			records++;
		}
		buf_free(&f.text);
		files++;
	}
	closedir(dp);
	assert_true(files >= 4);
	assert_true(records >= 12);
}

/* default-v2.log: the documents as an operator would read them. */
static void
test_shared_default_v2(void **state)
{
	struct flowlog_file f;
	struct doc d;

	(void)state;
	assert_true(flowlog_read_named(&f, "default-v2.log") >= 4);

	/* 1: accepted SSH. */
	encode(&d, f.format, FLOW_STYLE_LOGZIO, f.records[0]);
	assert_int_equal(d.rc, 0);
	assert_str_at(d.json, "@timestamp", "2014-12-14T04:06:50.000Z");
	assert_int_at(d.json, "version", 2);
	assert_str_at(d.json, "account_id", "123456789010");
	assert_str_at(d.json, "interface_id", "eni-1235b8ca123456789");
	assert_str_at(d.json, "srcaddr", "172.31.16.139");
	assert_str_at(d.json, "dstaddr", "172.31.16.21");
	assert_int_at(d.json, "srcport", 20641);
	assert_int_at(d.json, "dstport", 22);
	assert_int_at(d.json, "protocol", 6);
	assert_str_at(d.json, "protocol_name", "TCP");
	assert_int_at(d.json, "packets", 20);
	assert_int_at(d.json, "bytes", 4249);
	assert_int_at(d.json, "start", 1418530010);
	assert_int_at(d.json, "end", 1418530070);
	assert_int_at(d.json, "duration", 60);
	assert_str_at(d.json, "action", "ACCEPT");
	assert_str_at(d.json, "logstatus", "OK");
	assert_int_at(d.json, "ip_version", 4);
	assert_absent(d.json, "log_status");
	assert_absent(d.json, "tcp_flag_names");
	assert_int_equal(json_object_size(d.json), 22);
	doc_free(&d);

	encode(&d, f.format, FLOW_STYLE_ECS, f.records[0]);
	assert_int_equal(d.rc, 0);
	assert_str_at(d.json, "@timestamp", "2014-12-14T04:06:50.000Z");
	assert_str_at(d.json, "event/kind", "event");
	assert_strings_at(d.json, "event/category", "network", NULL);
	assert_strings_at(d.json, "event/type", "connection", "allowed", NULL);
	assert_str_at(d.json, "event/action", "accept");
	assert_str_at(d.json, "event/outcome", "success");
	assert_str_at(d.json, "event/start", "2014-12-14T04:06:50.000Z");
	assert_str_at(d.json, "event/end", "2014-12-14T04:07:50.000Z");
	assert_int_at(d.json, "event/duration", 60000000000LL);
	assert_str_at(d.json, "source/ip", "172.31.16.139");
	assert_int_at(d.json, "source/port", 20641);
	assert_str_at(d.json, "destination/ip", "172.31.16.21");
	assert_int_at(d.json, "destination/port", 22);
	assert_str_at(d.json, "network/transport", "tcp");
	assert_str_at(d.json, "network/iana_number", "6");
	assert_str_at(d.json, "network/type", "ipv4");
	assert_int_at(d.json, "network/packets", 20);
	assert_int_at(d.json, "network/bytes", 4249);
	assert_str_at(d.json, "cloud/provider", "aws");
	assert_str_at(d.json, "cloud/account/id", "123456789010");
	assert_int_at(d.json, "aws/vpcflow/version", 2);
	assert_str_at(d.json, "aws/vpcflow/interface_id",
	    "eni-1235b8ca123456789");
	assert_str_at(d.json, "aws/vpcflow/action", "ACCEPT");
	assert_str_at(d.json, "aws/vpcflow/log_status", "OK");
	assert_absent(d.json, "aws/vpcflow/srcaddr");
	assert_absent(d.json, "network/direction");
	doc_free(&d);

	/* 2: rejected RDP. */
	encode(&d, f.format, FLOW_STYLE_ECS, f.records[1]);
	assert_strings_at(d.json, "event/type", "connection", "denied", NULL);
	assert_str_at(d.json, "event/action", "reject");
	assert_str_at(d.json, "event/outcome", "failure");
	assert_int_at(d.json, "destination/port", 3389);
	doc_free(&d);

	/* 3, 4: NODATA and SKIPDATA: only what is there. */
	encode(&d, f.format, FLOW_STYLE_LOGZIO, f.records[2]);
	assert_int_equal(d.rc, 0);
	assert_str_at(d.json, "logstatus", "NODATA");
	assert_str_at(d.json, "@timestamp", "2015-05-10T18:01:16.000Z");
	assert_absent(d.json, "srcaddr");
	assert_absent(d.json, "dstport");
	assert_absent(d.json, "protocol");
	assert_absent(d.json, "protocol_name");
	assert_absent(d.json, "packets");
	assert_absent(d.json, "action");
	assert_absent(d.json, "ip_version");
	assert_int_at(d.json, "duration", 58);
	doc_free(&d);
	encode(&d, f.format, FLOW_STYLE_ECS, f.records[3]);
	assert_int_equal(d.rc, 0);
	assert_str_at(d.json, "aws/vpcflow/log_status", "SKIPDATA");
	assert_absent(d.json, "source");
	assert_absent(d.json, "destination");
	assert_absent(d.json, "network");
	assert_absent(d.json, "event/action");
	assert_absent(d.json, "event/outcome");
	assert_strings_at(d.json, "event/type", "connection", NULL);
	assert_str_at(d.json, "aws/vpcflow/interface_id",
	    "eni-11111111aaaaaaaaa");
	doc_free(&d);
	buf_free(&f.text);
}

/* The remaining example files: the values that need more than copying. */
static void
test_shared_other_files(void **state)
{
	struct flowlog_file f;
	struct doc d;
	int i;

	(void)state;
	/* default-v2.log also holds ICMP and IPv6 examples. */
	flowlog_read_named(&f, "default-v2.log");
	for (i = 0; i < f.nrecords; i++) {
		encode(&d, f.format, FLOW_STYLE_LOGZIO, f.records[i]);
		if (strstr(f.records[i], " 1 ") != NULL &&
		    strstr(f.records[i], " 0 0 1 ") != NULL)
			assert_str_at(d.json, "protocol_name", "ICMP");
		if (strchr(f.records[i], ':') != NULL)
			assert_int_at(d.json, "ip_version", 6);
		doc_free(&d);
		encode(&d, f.format, FLOW_STYLE_ECS, f.records[i]);
		if (strchr(f.records[i], ':') != NULL)
			assert_str_at(d.json, "network/type", "ipv6");
		doc_free(&d);
	}
	buf_free(&f.text);

	/* tcp-flags.log: SYN, then FIN|SYN|ACK (with a double space). */
	assert_int_equal(flowlog_read_named(&f, "tcp-flags.log"), 2);
	encode(&d, f.format, FLOW_STYLE_LOGZIO, f.records[0]);
	assert_int_at(d.json, "tcp_flags", 2);
	assert_strings_at(d.json, "tcp_flag_names", "SYN", NULL);
	assert_str_at(d.json, "traffic_type", "IPv4");
	assert_absent(d.json, "type");
	assert_str_at(d.json, "vpc_id", "vpc-abcdefab012345678");
	assert_str_at(d.json, "pkt_srcaddr", "52.213.180.42");
	doc_free(&d);
	assert_non_null(strstr(f.records[1], "  "));
	encode(&d, f.format, FLOW_STYLE_LOGZIO, f.records[1]);
	assert_int_equal(d.rc, 0);
	assert_int_at(d.json, "tcp_flags", 19);
	assert_strings_at(d.json, "tcp_flag_names", "FIN", "SYN", "ACK", NULL);
	assert_int_at(d.json, "dstport", 43638);
	assert_str_at(d.json, "pkt_srcaddr", "10.0.0.62");
	assert_str_at(d.json, "message", f.records[1]);
	doc_free(&d);
	encode(&d, f.format, FLOW_STYLE_ECS, f.records[1]);
	assert_int_at(d.json, "aws/vpcflow/tcp_flags", 19);
	assert_strings_at(d.json, "aws/vpcflow/tcp_flag_names", "FIN", "SYN",
	    "ACK", NULL);
	assert_str_at(d.json, "cloud/instance/id", "i-01234567890123456");
	assert_str_at(d.json, "aws/vpcflow/type", "IPv4");
	doc_free(&d);
	buf_free(&f.text);

	/* v5: AWS services, traffic path, direction, region and AZ. */
	assert_int_equal(flowlog_read_named(&f,
	    "v5-service-path-direction.log"), 2);
	encode(&d, f.format, FLOW_STYLE_LOGZIO, f.records[0]);
	assert_str_at(d.json, "pkt_src_aws_service", "S3");
	assert_absent(d.json, "pkt_dst_aws_service");
	assert_absent(d.json, "traffic_path");
	assert_absent(d.json, "sublocation_type");
	assert_str_at(d.json, "flow_direction", "ingress");
	assert_str_at(d.json, "region", "ap-southeast-2");
	assert_str_at(d.json, "az_id", "apse2-az3");
	doc_free(&d);
	encode(&d, f.format, FLOW_STYLE_ECS, f.records[1]);
	assert_str_at(d.json, "aws/vpcflow/pkt_dst_aws_service", "S3");
	assert_int_at(d.json, "aws/vpcflow/traffic_path", 8);
	assert_str_at(d.json, "network/direction", "egress");
	assert_str_at(d.json, "cloud/region", "ap-southeast-2");
	assert_str_at(d.json, "aws/vpcflow/az_id", "apse2-az3");
	assert_absent(d.json, "cloud/availability_zone");
	assert_str_at(d.json, "aws/vpcflow/vpc_id", "vpc-abcdefab012345678");
	assert_str_at(d.json, "aws/vpcflow/subnet_id",
	    "subnet-aaaaaaaa012345678");
	doc_free(&d);
	buf_free(&f.text);

	/* NAT gateway: no start, so @timestamp is the event's. */
	assert_int_equal(flowlog_read_named(&f, "nat-gateway.log"), 1);
	encode(&d, f.format, FLOW_STYLE_LOGZIO, f.records[0]);
	assert_str_at(d.json, "@timestamp", "2014-12-14T04:06:50.123Z");
	assert_absent(d.json, "instance_id");
	assert_str_at(d.json, "pkt_dstaddr", "203.0.113.5");
	doc_free(&d);
	encode(&d, f.format, FLOW_STYLE_ECS, f.records[0]);
	assert_str_at(d.json, "@timestamp", "2014-12-14T04:06:50.123Z");
	assert_absent(d.json, "cloud/instance");
	assert_absent(d.json, "event/start");
	assert_str_at(d.json, "aws/vpcflow/pkt_dstaddr", "203.0.113.5");
	doc_free(&d);
	buf_free(&f.text);
}

/* --- formats ------------------------------------------------------------- */

static void
test_format_forms(void **state)
{
	struct flow_format a, b, c;
	char err[256];
	int i;

	(void)state;
	assert_int_equal(flow_format_parse(&a, FLOW_DEFAULT_FORMAT, err,
	    sizeof(err)), 0);
	assert_int_equal(a.nfields, 14);
	assert_int_equal(flow_format_parse(&b, "version account-id "
	    "interface-id srcaddr dstaddr srcport dstport protocol packets "
	    "bytes start end action log-status", err, sizeof(err)), 0);
	assert_int_equal(flow_format_parse(&c, "  ${version}\taccount-id\n"
	    "${interface-id} srcaddr ${dstaddr} srcport dstport protocol "
	    "packets bytes start end action ${log-status}\r\n", err,
	    sizeof(err)), 0);
	assert_int_equal(b.nfields, 14);
	assert_int_equal(c.nfields, 14);
	for (i = 0; i < 14; i++) {
		assert_int_equal(a.field[i], b.field[i]);
		assert_int_equal(a.field[i], c.field[i]);
	}
	assert_string_equal(flow_field_name(a.field[0]), "version");
	assert_string_equal(flow_field_name(a.field[13]), "log-status");
	/* err may be NULL. */
	assert_int_equal(flow_format_parse(&a, "${nope}", NULL, 0), -1);
}

static void
expect_format_error(const char *spec, const char *needle)
{
	struct flow_format fmt;
	char err[256];

	err[0] = '\0';
	if (flow_format_parse(&fmt, spec, err, sizeof(err)) != -1)
		fail_msg("format \"%s\" should not parse", spec);
	if (strstr(err, needle) == NULL)
		fail_msg("error for \"%s\" is \"%s\", should name \"%s\"",
		    spec, err, needle);
	assert_int_equal(fmt.nfields, 0);
}

static void
test_format_errors(void **state)
{
	char err[8];
	struct flow_format fmt;

	(void)state;
	expect_format_error("${version} ${bogus-field}", "bogus-field");
	expect_format_error("version srcaddr dstadr", "dstadr");
	expect_format_error("${version} ${Version}", "Version");
	expect_format_error("${version} ${srcaddr} ${version}", "duplicate");
	expect_format_error("${version} ${srcaddr} ${version}", "version");
	expect_format_error("${version", "${version");
	expect_format_error("${}", "${}");
	expect_format_error("${version}${srcaddr}", "version}${srcaddr");
	expect_format_error("", "empty");
	expect_format_error("   \n\t", "empty");
	expect_format_error("${ver\001sion}", "ver?sion");
	/* A short error buffer truncates, never overflows. */
	assert_int_equal(flow_format_parse(&fmt, "${bogus-field}", err,
	    sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
}

static void
test_field_table(void **state)
{
	static const char *const all[] = {
		"version", "account-id", "interface-id", "srcaddr", "dstaddr",
		"srcport", "dstport", "protocol", "packets", "bytes", "start",
		"end", "action", "log-status", "vpc-id", "subnet-id",
		"instance-id", "tcp-flags", "type", "pkt-srcaddr",
		"pkt-dstaddr", "region", "az-id", "sublocation-type",
		"sublocation-id", "pkt-src-aws-service", "pkt-dst-aws-service",
		"flow-direction", "traffic-path", "ecs-cluster-arn",
		"ecs-cluster-name", "ecs-container-instance-arn",
		"ecs-container-instance-id", "ecs-container-id",
		"ecs-second-container-id", "ecs-service-name",
		"ecs-task-definition-arn", "ecs-task-arn", "ecs-task-id",
		"reject-reason", "resource-id", "encryption-status", NULL
	};
	struct flow_format fmt;
	char err[256];
	int i, n = 0;

	(void)state;
	for (i = 0; all[i] != NULL; i++) {
		char spec[64];

		snprintf(spec, sizeof(spec), "${%s}", all[i]);
		if (flow_format_parse(&fmt, spec, err, sizeof(err)) != 0)
			fail_msg("%s: %s", all[i], err);
		assert_string_equal(flow_field_name(fmt.field[0]), all[i]);
		n++;
	}
	assert_int_equal(flow_field_count(), n);
	assert_null(flow_field_name(-1));
	assert_null(flow_field_name(n));
	for (i = 0; i < n; i++)
		assert_non_null(flow_field_name(i));
	assert_int_equal(flow_style_parse("logzio"), FLOW_STYLE_LOGZIO);
	assert_int_equal(flow_style_parse("ecs"), FLOW_STYLE_ECS);
	assert_int_equal(flow_style_parse("kibana"), -1);
	assert_int_equal(flow_style_parse("ECS"), -1);
	assert_int_equal(flow_style_parse(NULL), -1);
	assert_string_equal(flow_style_name(FLOW_STYLE_LOGZIO), "logzio");
	assert_string_equal(flow_style_name(FLOW_STYLE_ECS), "ecs");
}

static void
test_header_detection(void **state)
{
	static const char v2[] = "version account-id interface-id srcaddr "
	    "dstaddr srcport dstport protocol packets bytes start end action "
	    "log-status";
	static const char rec[] = "2 123456789010 eni-1235b8ca123456789 "
	    "172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 "
	    "1418530070 ACCEPT OK";
	char line[512];

	(void)state;
	static const char newer[] = "ecs-task-id encryption-status "
	    "resource-id reject-reason";
	static const char spaced[] = "  srcaddr  dstaddr ";
	struct flow_format fmt;

	assert_true(flow_line_is_header(v2, strlen(v2)));
	snprintf(line, sizeof(line), "%s\r\n", v2);
	assert_true(flow_line_is_header(line, strlen(line)));
	snprintf(line, sizeof(line), "%s\n", v2);
	assert_true(flow_line_is_header(line, strlen(line)));
	assert_true(flow_line_is_header("version", 7));
	assert_true(flow_line_is_header(spaced, strlen(spaced)));
	assert_true(flow_line_is_header(newer, strlen(newer)));
	/* Only the given bytes count. */
	assert_true(flow_line_is_header("version srcaddr", 7));
	assert_false(flow_line_is_header(rec, strlen(rec)));
	assert_false(flow_line_is_header("", 0));
	assert_false(flow_line_is_header("   ", 3));
	assert_false(flow_line_is_header("\r\n", 2));
	assert_false(flow_line_is_header("version srcaddr bogus", 21));
	assert_false(flow_line_is_header("${version} ${srcaddr}", 21));
	assert_false(flow_line_is_header("versions", 8));
	/* Each name once: a header is a format that parses. */
	assert_false(flow_line_is_header("srcaddr dstaddr srcaddr", 23));
	assert_int_equal(flow_format_parse(&fmt, "srcaddr dstaddr srcaddr",
	    NULL, 0), -1);
	assert_false(flow_line_is_header("version\001", 8));
}

/* --- records: types, versions, absence ---------------------------------- */

/* Each version's fields with a sample value and where ECS puts them. */
struct sample {
	const char	*aws;
	const char	*value;
	int		 version;
};

static const struct sample samples[] = {
	{ "version", "8", 2 },
	{ "account-id", "000123456789", 2 },
	{ "interface-id", "eni-0123456789abcdef0", 2 },
	{ "srcaddr", "10.0.1.5", 2 },
	{ "dstaddr", "2001:db8::1", 2 },
	{ "srcport", "65535", 2 },
	{ "dstport", "0", 2 },
	{ "protocol", "17", 2 },
	{ "packets", "9223372036854775807", 2 },
	{ "bytes", "0", 2 },
	{ "start", "1700000000", 2 },
	{ "end", "1700000060", 2 },
	{ "action", "ACCEPT", 2 },
	{ "log-status", "OK", 2 },
	{ "vpc-id", "vpc-0a1b2c3d4e5f60718", 3 },
	{ "subnet-id", "subnet-0123456789abcdef0", 3 },
	{ "instance-id", "i-0c50d5961bcb2d47b", 3 },
	{ "tcp-flags", "18", 3 },
	{ "type", "IPv6", 3 },
	{ "pkt-srcaddr", "::ffff:10.0.1.5", 3 },
	{ "pkt-dstaddr", "203.0.113.5", 3 },
	{ "region", "eu-west-1", 4 },
	{ "az-id", "euw1-az2", 4 },
	{ "sublocation-type", "outpost", 4 },
	{ "sublocation-id", "op-0123456789abcdef0", 4 },
	{ "pkt-src-aws-service", "AMAZON", 5 },
	{ "pkt-dst-aws-service", "EC2_INSTANCE_CONNECT", 5 },
	{ "flow-direction", "egress", 5 },
	{ "traffic-path", "7", 5 },
	{ "ecs-cluster-arn", "arn:aws:ecs:eu-west-1:123456789012:"
	    "cluster/prod", 7 },
	{ "ecs-cluster-name", "prod", 7 },
	{ "ecs-container-instance-arn", "arn:aws:ecs:eu-west-1:123456789012:"
	    "container-instance/prod/0123456789abcdef0123456789abcdef", 7 },
	{ "ecs-container-instance-id", "0123456789abcdef0123456789abcdef", 7 },
	{ "ecs-container-id", "3bd5e1f1b8d54b3c8a3b0f0e6c3f6a1d-12345678",
	    7 },
	{ "ecs-second-container-id", "3bd5e1f1b8d54b3c8a3b0f0e6c3f6a1d-1", 7 },
	{ "ecs-service-name", "web", 7 },
	{ "ecs-task-definition-arn", "arn:aws:ecs:eu-west-1:123456789012:"
	    "task-definition/web:42", 7 },
	{ "ecs-task-arn", "arn:aws:ecs:eu-west-1:123456789012:task/prod/"
	    "0123456789abcdef0123456789abcdef", 7 },
	{ "ecs-task-id", "0123456789abcdef0123456789abcdef", 7 },
	{ "reject-reason", "BPA", 8 },
	{ "resource-id", "nat-0123456789abcdef0", 9 },
	{ "encryption-status", "1", 9 },
	{ NULL, NULL, 0 }
};

/* Format and record of the sample fields of versions [lo, hi]. */
static void
sample_record(int lo, int hi, int absent, char *spec, size_t speclen,
    char *rec, size_t reclen)
{
	const struct sample *s;

	spec[0] = rec[0] = '\0';
	for (s = samples; s->aws != NULL; s++) {
		if (s->version < lo || s->version > hi)
			continue;
		snprintf(spec + strlen(spec), speclen - strlen(spec), "%s${%s}",
		    spec[0] != '\0' ? " " : "", s->aws);
		snprintf(rec + strlen(rec), reclen - strlen(rec), "%s%s",
		    rec[0] != '\0' ? " " : "", absent ? "-" : s->value);
	}
}

static void
test_versions(void **state)
{
	char spec[4096], rec[4096];
	enum flow_style style;
	struct doc d;
	int v;

	(void)state;
	/* Each version's own fields, then everything up to it. */
	for (v = 2; v <= 9; v++) {
		if (v == 6)
			continue;	/* version 6 added no VPC fields */
		for (style = FLOW_STYLE_LOGZIO; style <= FLOW_STYLE_ECS;
		    style++) {
			sample_record(v, v, 0, spec, sizeof(spec), rec,
			    sizeof(rec));
			encode(&d, spec, style, rec);
			if (d.rc != 0)
				fail_msg("v%d: %s", v, d.raw.data);
			check_generic(spec, rec, style, d.json);
			doc_free(&d);
			sample_record(2, v, 0, spec, sizeof(spec), rec,
			    sizeof(rec));
			encode(&d, spec, style, rec);
			assert_int_equal(d.rc, 0);
			check_generic(spec, rec, style, d.json);
			doc_free(&d);
		}
	}
	/* All 42 fields, with values. */
	sample_record(2, 9, 0, spec, sizeof(spec), rec, sizeof(rec));
	encode(&d, spec, FLOW_STYLE_LOGZIO, rec);
	assert_int_at(d.json, "packets", 9223372036854775807LL);
	assert_str_at(d.json, "account_id", "000123456789");
	assert_str_at(d.json, "protocol_name", "UDP");
	assert_strings_at(d.json, "tcp_flag_names", "SYN", "ACK", NULL);
	assert_int_at(d.json, "ip_version", 4);
	assert_int_at(d.json, "encryption_status", 1);
	assert_str_at(d.json, "reject_reason", "BPA");
	assert_str_at(d.json, "resource_id", "nat-0123456789abcdef0");
	assert_str_at(d.json, "ecs_container_instance_arn",
	    samples[31].value);
	/* 42 fields + @timestamp message protocol_name tcp_flag_names
	 * duration ip_version + 3 meta. */
	assert_int_equal(json_object_size(d.json), 42 + 6 + 3);
	doc_free(&d);
	encode(&d, spec, FLOW_STYLE_ECS, rec);
	assert_str_at(d.json, "network/transport", "udp");
	assert_str_at(d.json, "network/iana_number", "17");
	assert_str_at(d.json, "network/type", "ipv4");
	assert_str_at(d.json, "destination/ip", "2001:db8::1");
	assert_int_at(d.json, "event/duration", 60000000000LL);
	assert_str_at(d.json, "aws/vpcflow/ecs_task_id",
	    "0123456789abcdef0123456789abcdef");
	assert_strings_at(d.json, "aws/vpcflow/tcp_flag_names", "SYN", "ACK",
	    NULL);
	assert_int_equal(json_object_size(jpath(d.json, "aws/vpcflow")),
	    42 - 13 + 1);
	doc_free(&d);

	/* All 42 fields absent: a valid, nearly empty document. */
	sample_record(2, 9, 1, spec, sizeof(spec), rec, sizeof(rec));
	for (style = FLOW_STYLE_LOGZIO; style <= FLOW_STYLE_ECS; style++) {
		encode(&d, spec, style, rec);
		assert_int_equal(d.rc, 0);
		check_generic(spec, rec, style, d.json);
		assert_str_at(d.json, "@timestamp", "2014-12-14T04:06:50.123Z");
		doc_free(&d);
	}
	encode(&d, spec, FLOW_STYLE_LOGZIO, rec);
	assert_int_equal(json_object_size(d.json), 5);
	doc_free(&d);
	encode(&d, spec, FLOW_STYLE_ECS, rec);
	assert_absent(d.json, "aws/vpcflow");
	assert_absent(d.json, "source");
	assert_absent(d.json, "network");
	assert_str_at(d.json, "cloud/provider", "aws");
	doc_free(&d);
}

/* Encode a one-field record; return the rc and keep the document. */
static int
one_field(struct doc *d, const char *field, const char *value,
    enum flow_style style)
{
	char spec[128];

	snprintf(spec, sizeof(spec), "${%s}", field);
	encode(d, spec, style, value);
	return d->rc;
}

static void
expect_value_ok(const char *field, const char *value, const char *key,
    long long want)
{
	struct doc d;

	if (one_field(&d, field, value, FLOW_STYLE_LOGZIO) != 0)
		fail_msg("%s \"%s\" should parse: %s", field, value,
		    d.raw.data);
	assert_int_at(d.json, key, want);
	doc_free(&d);
}

static void
expect_value_error(const char *field, const char *value, const char *msg)
{
	struct doc d;

	if (one_field(&d, field, value, FLOW_STYLE_LOGZIO) != 1)
		fail_msg("%s \"%s\" should not parse: %s", field, value,
		    d.raw.data);
	assert_str_at(d.json, "parse_error", msg);
	assert_strings_at(d.json, "tags", "_vpcflow_parse_error", NULL);
	assert_str_at(d.json, "message", value);
	doc_free(&d);
}

static void
test_integer_fields(void **state)
{
	(void)state;
	expect_value_ok("srcport", "0", "srcport", 0);
	expect_value_ok("srcport", "65535", "srcport", 65535);
	expect_value_ok("dstport", "00022", "dstport", 22);
	expect_value_ok("dstport", "000000000000000000000000443", "dstport",
	    443);
	expect_value_ok("protocol", "255", "protocol", 255);
	expect_value_ok("version", "2", "version", 2);
	expect_value_ok("tcp-flags", "65535", "tcp_flags", 65535);
	expect_value_ok("traffic-path", "8", "traffic_path", 8);
	expect_value_ok("encryption-status", "3", "encryption_status", 3);
	expect_value_ok("start", "0", "start", 0);
	expect_value_ok("start", "253402300799", "start", 253402300799LL);
	expect_value_ok("end", "1418530070", "end", 1418530070);
	expect_value_ok("packets", "0", "packets", 0);
	expect_value_ok("packets", "12345678", "packets", 12345678);
	expect_value_ok("bytes", "123456789", "bytes", 123456789);
	expect_value_ok("bytes", "1234567890123456", "bytes",
	    1234567890123456LL);
	expect_value_ok("bytes", "12345678901234567", "bytes",
	    12345678901234567LL);
	expect_value_ok("bytes", "9223372036854775807", "bytes",
	    9223372036854775807LL);

	expect_value_error("srcport", "65536",
	    "field 1 (srcport): out of range (0-65535)");
	expect_value_error("dstport", "99999999999999999999999",
	    "field 1 (dstport): out of range (0-65535)");
	expect_value_error("dstport", "ssh",
	    "field 1 (dstport): not a number");
	expect_value_error("dstport", "-1", "field 1 (dstport): not a number");
	expect_value_error("dstport", "+1", "field 1 (dstport): not a number");
	expect_value_error("dstport", "2.5", "field 1 (dstport): not a number");
	expect_value_error("dstport", "22a", "field 1 (dstport): not a number");
	expect_value_error("dstport", "a22", "field 1 (dstport): not a number");
	expect_value_error("dstport", "--", "field 1 (dstport): not a number");
	expect_value_error("protocol", "256",
	    "field 1 (protocol): out of range (0-255)");
	expect_value_error("version", "1000",
	    "field 1 (version): out of range (0-255)");
	expect_value_error("tcp-flags", "65536",
	    "field 1 (tcp-flags): out of range (0-65535)");
	expect_value_error("start", "253402300800",
	    "field 1 (start): out of range (0-253402300799)");
	expect_value_error("end", "1418530070x",
	    "field 1 (end): not a number");
	expect_value_error("packets", "9223372036854775808",
	    "field 1 (packets): out of range (0-9223372036854775807)");
	expect_value_error("packets", "18446744073709551615",
	    "field 1 (packets): out of range (0-9223372036854775807)");
	expect_value_error("bytes", "18446744073709551616",
	    "field 1 (bytes): out of range (0-9223372036854775807)");
	expect_value_error("bytes", "123456789012345678901234567890",
	    "field 1 (bytes): out of range (0-9223372036854775807)");
	expect_value_error("bytes", "12345678901234567890123456789x",
	    "field 1 (bytes): not a number");
	expect_value_error("bytes", "1234567890123456x",
	    "field 1 (bytes): not a number");
	expect_value_error("bytes", "x234567890123456",
	    "field 1 (bytes): not a number");
	expect_value_error("traffic-path", "256",
	    "field 1 (traffic-path): out of range (0-255)");
	expect_value_error("encryption-status", "x",
	    "field 1 (encryption-status): not a number");
}

/* Numbers at every position of the line: the 8-byte loads stay inside. */
static void
test_numbers_at_edges(void **state)
{
	char spec[256], rec[256];
	struct doc d;
	int digits, lead;
	long long want;

	(void)state;
	for (digits = 1; digits <= 18; digits++) {
		for (lead = 0; lead < 10; lead++) {
			int i;
			char num[32];

			want = 0;
			for (i = 0; i < digits; i++) {
				num[i] = (char)('1' + (i + lead) % 9);
				want = want * 10 + (num[i] - '0');
			}
			num[digits] = '\0';
			/* Alone, first, last, between. */
			snprintf(spec, sizeof(spec), "${bytes}");
			snprintf(rec, sizeof(rec), "%.*s%s", lead, "         ",
			    num);
			encode(&d, spec, FLOW_STYLE_LOGZIO, rec);
			assert_int_equal(d.rc, 0);
			assert_int_at(d.json, "bytes", want);
			doc_free(&d);
			snprintf(spec, sizeof(spec), "${action} ${bytes}");
			snprintf(rec, sizeof(rec), "%.*s %s", lead + 1,
			    "ACCEPTxxxxx", num);
			encode(&d, spec, FLOW_STYLE_LOGZIO, rec);
			assert_int_equal(d.rc, 0);
			assert_int_at(d.json, "bytes", want);
			doc_free(&d);
			snprintf(spec, sizeof(spec), "${bytes} ${action}");
			snprintf(rec, sizeof(rec), "%s %.*s", num, lead + 1,
			    "ACCEPTxxxxx");
			encode(&d, spec, FLOW_STYLE_LOGZIO, rec);
			assert_int_equal(d.rc, 0);
			assert_int_at(d.json, "bytes", want);
			doc_free(&d);
			/* A non-digit at each position is seen. */
			for (i = 0; i < digits; i++) {
				char bad[32];

				memcpy(bad, num, (size_t)digits + 1);
				bad[i] = (char)(i % 2 ? '/' : ':');
				snprintf(spec, sizeof(spec),
				    "${bytes} ${action}");
				snprintf(rec, sizeof(rec), "%s ACCEPT", bad);
				encode(&d, spec, FLOW_STYLE_LOGZIO, rec);
				assert_int_equal(d.rc, 1);
				assert_str_at(d.json, "parse_error",
				    "field 1 (bytes): not a number");
				doc_free(&d);
			}
		}
	}
}

static void
expect_ip(const char *addr, int version)
{
	struct doc d;
	int rc = one_field(&d, "srcaddr", addr, FLOW_STYLE_LOGZIO);

	if (version == 0) {
		if (rc != 1)
			fail_msg("\"%s\" should not be an IP address", addr);
		assert_str_at(d.json, "parse_error",
		    "field 1 (srcaddr): not an IP address");
	} else {
		if (rc != 0)
			fail_msg("\"%s\" should be an IP address: %s", addr,
			    d.raw.data);
		assert_str_at(d.json, "srcaddr", addr);
		assert_int_at(d.json, "ip_version", version);
	}
	doc_free(&d);
}

static void
test_ip_addresses(void **state)
{
	static const char *const good4[] = {
		"0.0.0.0", "255.255.255.255", "10.0.1.5", "172.31.16.139",
		"1.2.3.4", "199.99.9.250", "100.200.250.251", NULL
	};
	static const char *const good6[] = {
		"::", "::1", "1::", "2001:db8::1",
		"2001:db8:1234:a100:8d6e:3477:df66:f105",
		"2001:DB8:0:0:8:800:200C:417A", "fe80::1:2:3:4",
		"::ffff:10.0.1.5", "::10.0.1.5", "1:2:3:4:5:6:1.2.3.4",
		"1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::8",
		"0000:0000:0000:0000:0000:0000:0000:0001", NULL
	};
	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256",
		"01.2.3.4", "1.02.3.4", "1.2.3.00", "1..2.3", ".1.2.3",
		"1.2.3.", "a.b.c.d", "1.2.3.-4", "1.2.3.4/24",
		"300.1.1.1", "260.1.1.1", "1000.1.1.1", "1:2", ":", ":::",
		"1:::2", "1::2::3", "12345::", "g::1", ":1", "1:",
		"1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::",
		"::1.2.3", "::1.2.3.4.5", "1:2:3:4:5:6:7:1.2.3.4",
		"::ffff:01.2.3.4", "fe80::1%eth0", "[::1]", "1.2.3.4:80",
		"1:2:3:4:5:6:7:8:", "::1.2.3.4:1", "x", "localhost", NULL
	};
	struct in6_addr a6;
	struct in_addr a4;
	int i;

	(void)state;
	for (i = 0; good4[i] != NULL; i++) {
		assert_int_equal(inet_pton(AF_INET, good4[i], &a4), 1);
		expect_ip(good4[i], 4);
	}
	for (i = 0; good6[i] != NULL; i++) {
		assert_int_equal(inet_pton(AF_INET6, good6[i], &a6), 1);
		expect_ip(good6[i], 6);
	}
	for (i = 0; bad[i] != NULL; i++) {
		if (bad[i][0] == '\0')
			continue;	/* an empty field cannot be written */
		assert_int_equal(inet_pton(AF_INET, bad[i], &a4), 0);
		if (strchr(bad[i], '%') == NULL)
			assert_int_equal(inet_pton(AF_INET6, bad[i], &a6), 0);
		expect_ip(bad[i], 0);
	}
}

/* Random strings: the validator agrees with inet_pton (no zones). */
static void
test_ip_against_inet_pton(void **state)
{
	static const char alphabet[] = "0123456789abcdefABCDEF:::...g";
	char addr[64];
	struct in6_addr a6;
	struct in_addr a4;
	struct doc d;
	unsigned seed = 12345;
	int i, n, k, want, valid = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		seed = seed * 1103515245 + 12345;
		n = 1 + (int)((seed >> 16) % 24);
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			addr[k] = alphabet[(seed >> 16) %
			    (sizeof(alphabet) - 1)];
		}
		addr[n] = '\0';
		if (i % 4 == 0)
			snprintf(addr, sizeof(addr), "%u.%u.%u.%u",
			    (seed >> 3) % 300, (seed >> 7) % 300,
			    (seed >> 11) % 260, (seed >> 17) % 256);
		if (i % 4 == 1)
			snprintf(addr, sizeof(addr), "%x:%x::%x:%u.%u.%u.%u",
			    (seed >> 3) % 70000, (seed >> 5) % 16,
			    (seed >> 9) % 256, (seed >> 11) % 256,
			    (seed >> 13) % 256, (seed >> 15) % 300,
			    (seed >> 17) % 256);
		want = inet_pton(AF_INET, addr, &a4) == 1 ? 4 :
		    inet_pton(AF_INET6, addr, &a6) == 1 ? 6 : 0;
		one_field(&d, "dstaddr", addr, FLOW_STYLE_LOGZIO);
		if ((d.rc == 0) != (want != 0))
			fail_msg("\"%s\": inet_pton says %d, flow says rc %d",
			    addr, want, d.rc);
		if (want != 0)
			assert_int_at(d.json, "ip_version", want);
		valid += want != 0;
		doc_free(&d);
	}
	assert_true(valid > 5000);
}

/* "-" omits the member, whatever the type. */
static void
test_dash_omits(void **state)
{
	static const char *const fields[] = { "srcport", "packets", "srcaddr",
	    "action", "start", "log-status", "tcp-flags", "protocol", NULL };
	struct doc d;
	int i;

	(void)state;
	for (i = 0; fields[i] != NULL; i++) {
		char key[64];

		assert_int_equal(one_field(&d, fields[i], "-",
		    FLOW_STYLE_LOGZIO), 0);
		logzio_key(key, sizeof(key), fields[i]);
		assert_absent(d.json, key);
		assert_absent(d.json, "protocol_name");
		assert_absent(d.json, "tcp_flag_names");
		assert_absent(d.json, "ip_version");
		assert_str_at(d.json, "message", "-");
		doc_free(&d);
	}
	/* "--" and "-x" are values, not absence. */
	assert_int_equal(one_field(&d, "action", "--", FLOW_STYLE_LOGZIO), 0);
	assert_str_at(d.json, "action", "--");
	doc_free(&d);
}

/* --- enrichment ---------------------------------------------------------- */

static void
test_protocol_names(void **state)
{
	static const struct { const char *num, *name, *transport; } p[] = {
		{ "0", "HOPOPT", "hopopt" }, { "1", "ICMP", "icmp" },
		{ "2", "IGMP", "igmp" }, { "3", "GGP", "ggp" },
		{ "4", "IPv4", "ipv4" }, { "6", "TCP", "tcp" },
		{ "8", "EGP", "egp" }, { "9", "IGP", "igp" },
		{ "17", "UDP", "udp" }, { "41", "IPv6", "ipv6" },
		{ "43", "IPv6-Route", "ipv6-route" },
		{ "44", "IPv6-Frag", "ipv6-frag" }, { "46", "RSVP", "rsvp" },
		{ "47", "GRE", "gre" }, { "50", "ESP", "esp" },
		{ "51", "AH", "ah" }, { "58", "IPv6-ICMP", "ipv6-icmp" },
		{ "59", "IPv6-NoNxt", "ipv6-nonxt" },
		{ "60", "IPv6-Opts", "ipv6-opts" }, { "88", "EIGRP", "eigrp" },
		{ "89", "OSPFIGP", "ospfigp" }, { "103", "PIM", "pim" },
		{ "112", "VRRP", "vrrp" }, { "115", "L2TP", "l2tp" },
		{ "132", "SCTP", "sctp" }, { "136", "UDPLite", "udplite" },
		{ "145", "NSH", "nsh" },
		{ NULL, NULL, NULL }
	};
	static const char *const unassigned[] = { "61", "63", "146", "200",
	    "252", "253", "254", "255", NULL };
	struct doc d;
	int i;

	(void)state;
	for (i = 0; p[i].num != NULL; i++) {
		one_field(&d, "protocol", p[i].num, FLOW_STYLE_LOGZIO);
		assert_str_at(d.json, "protocol_name", p[i].name);
		doc_free(&d);
		one_field(&d, "protocol", p[i].num, FLOW_STYLE_ECS);
		assert_str_at(d.json, "network/transport", p[i].transport);
		assert_str_at(d.json, "network/iana_number", p[i].num);
		doc_free(&d);
	}
	for (i = 0; unassigned[i] != NULL; i++) {
		assert_int_equal(one_field(&d, "protocol", unassigned[i],
		    FLOW_STYLE_LOGZIO), 0);
		assert_int_at(d.json, "protocol", atoi(unassigned[i]));
		assert_absent(d.json, "protocol_name");
		doc_free(&d);
		one_field(&d, "protocol", unassigned[i], FLOW_STYLE_ECS);
		assert_absent(d.json, "network/transport");
		assert_str_at(d.json, "network/iana_number", unassigned[i]);
		doc_free(&d);
	}
	/* Leading zeros do not leak into iana_number. */
	one_field(&d, "protocol", "006", FLOW_STYLE_ECS);
	assert_str_at(d.json, "network/iana_number", "6");
	doc_free(&d);
}

static void
test_tcp_flag_names(void **state)
{
	struct doc d;

	(void)state;
	one_field(&d, "tcp-flags", "0", FLOW_STYLE_LOGZIO);
	assert_strings_at(d.json, "tcp_flag_names", NULL);
	doc_free(&d);
	one_field(&d, "tcp-flags", "18", FLOW_STYLE_LOGZIO);
	assert_strings_at(d.json, "tcp_flag_names", "SYN", "ACK", NULL);
	doc_free(&d);
	one_field(&d, "tcp-flags", "1", FLOW_STYLE_LOGZIO);
	assert_strings_at(d.json, "tcp_flag_names", "FIN", NULL);
	doc_free(&d);
	one_field(&d, "tcp-flags", "4", FLOW_STYLE_LOGZIO);
	assert_strings_at(d.json, "tcp_flag_names", "RST", NULL);
	doc_free(&d);
	one_field(&d, "tcp-flags", "63", FLOW_STYLE_LOGZIO);
	assert_strings_at(d.json, "tcp_flag_names", "FIN", "SYN", "RST", "PSH",
	    "ACK", "URG", NULL);
	doc_free(&d);
	one_field(&d, "tcp-flags", "255", FLOW_STYLE_ECS);
	assert_strings_at(d.json, "aws/vpcflow/tcp_flag_names", "FIN", "SYN",
	    "RST", "PSH", "ACK", "URG", "ECE", "CWR", NULL);
	doc_free(&d);
	one_field(&d, "tcp-flags", "256", FLOW_STYLE_LOGZIO);
	assert_int_at(d.json, "tcp_flags", 256);
	assert_strings_at(d.json, "tcp_flag_names", NULL);
	doc_free(&d);
}

static void
test_duration_and_timestamps(void **state)
{
	static const long long secs[] = { 0, 1, 59, 86399, 86400, 951782400,
	    951868799, 951868800, 4107542400LL, 4107628800LL, 1418530010,
	    1700000000, 253402300799LL, 2147483647, 2147483648LL, 68169600 };
	const int nsecs = (int)(sizeof(secs) / sizeof(secs[0]));
	char line[64], want[64];
	struct doc d;
	unsigned seed = 7;
	long long t;
	int i;

	(void)state;
	encode(&d, "${start} ${end}", FLOW_STYLE_LOGZIO, "100 160");
	assert_int_at(d.json, "duration", 60);
	doc_free(&d);
	encode(&d, "${start} ${end}", FLOW_STYLE_LOGZIO, "160 100");
	assert_absent(d.json, "duration");
	assert_str_at(d.json, "@timestamp", "1970-01-01T00:02:40.000Z");
	doc_free(&d);
	encode(&d, "${start} ${end}", FLOW_STYLE_ECS, "160 100");
	assert_absent(d.json, "event/duration");
	assert_str_at(d.json, "event/end", "1970-01-01T00:01:40.000Z");
	doc_free(&d);
	encode(&d, "${end}", FLOW_STYLE_LOGZIO, "100");
	assert_absent(d.json, "duration");
	assert_str_at(d.json, "@timestamp", "2014-12-14T04:06:50.123Z");
	doc_free(&d);
	/* Durations in ns up to what a signed 64-bit integer holds. */
	encode(&d, "${start} ${end}", FLOW_STYLE_ECS, "0 9223372036");
	assert_int_at(d.json, "event/duration", 9223372036000000000LL);
	doc_free(&d);
	encode(&d, "${start} ${end}", FLOW_STYLE_ECS, "0 9223372037");
	assert_absent(d.json, "event/duration");
	assert_str_at(d.json, "event/end", "2262-04-11T23:47:17.000Z");
	doc_free(&d);
	encode(&d, "${start} ${end}", FLOW_STYLE_LOGZIO, "0 253402300799");
	assert_int_at(d.json, "duration", 253402300799LL);
	doc_free(&d);

	/* @timestamp against gmtime_r: fixed dates, then random ones. */
	for (i = 0; i < 2000; i++) {
		if (i < nsecs)
			t = secs[i];
		else {
			seed = seed * 1103515245 + 12345;
			t = ((long long)seed << 7) % 253402300800LL;
		}
		snprintf(line, sizeof(line), "%lld", t);
		encode(&d, "${start}", FLOW_STYLE_LOGZIO, line);
		iso8601(want, sizeof(want), t, 0);
		assert_str_at(d.json, "@timestamp", want);
		doc_free(&d);
	}
}

static void
test_meta_timestamp(void **state)
{
	struct flow_opts opts = { FLOW_STYLE_LOGZIO, 1, NULL };
	struct flow_meta meta = { NULL, NULL, NULL, 0 };
	static const long long ms[] = { 0, 1, 999, 1000, 1418530010123LL,
	    253402300799999LL };
	char want[64];
	struct doc d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		meta.timestamp_ms = ms[i];
		encode_opts(&d, "${action}", &opts, &meta, "ACCEPT", 6);
		iso8601(want, sizeof(want), ms[i] / 1000, (int)(ms[i] % 1000));
		assert_str_at(d.json, "@timestamp", want);
		assert_absent(d.json, "log_group");
		assert_absent(d.json, "log_stream");
		assert_absent(d.json, "event_id");
		doc_free(&d);
	}
	/* Unknown or out of range: no @timestamp at all. */
	meta.timestamp_ms = -1;
	encode_opts(&d, "${action}", &opts, &meta, "ACCEPT", 6);
	assert_absent(d.json, "@timestamp");
	doc_free(&d);
	meta.timestamp_ms = 253402300800000LL;
	encode_opts(&d, "${action}", &opts, &meta, "ACCEPT", 6);
	assert_absent(d.json, "@timestamp");
	doc_free(&d);
	opts.style = FLOW_STYLE_ECS;
	meta.timestamp_ms = -5;
	encode_opts(&d, "${action}", &opts, &meta, "ACCEPT", 6);
	assert_absent(d.json, "@timestamp");
	assert_absent(d.json, "aws/cloudwatch");
	assert_str_at(d.json, "aws/vpcflow/action", "ACCEPT");
	doc_free(&d);
	/* A NULL meta is no metadata. */
	encode_opts(&d, "${action}", &opts, NULL, "ACCEPT", 6);
	assert_absent(d.json, "@timestamp");
	assert_str_at(d.json, "event/action", "accept");
	doc_free(&d);
}

/* --- malformed records --------------------------------------------------- */

static void
test_malformed_records(void **state)
{
	static const char good[] = "2 123456789010 eni-1235b8ca123456789 "
	    "172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 "
	    "1418530070 ACCEPT OK";
	static const struct { const char *line, *error; } cases[] = {
		{ "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 ssh 6 "
		    "20 4249 1418530010 1418530070 ACCEPT OK",
		    "field 7 (dstport): not a number" },
		{ "2 123456789010 eni-1 172.31.16.139",
		    "expected 14 fields, got 4" },
		{ "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 "
		    "6 20 4249 1418530010 1418530070 ACCEPT",
		    "expected 14 fields, got 13" },
		{ "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 "
		    "6 20 4249 1418530010 1418530070 ACCEPT OK extra",
		    "expected 14 fields, got 15" },
		{ "", "expected 14 fields, got 0" },
		{ "      ", "expected 14 fields, got 0" },
		{ "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 "
		    "70000 6 20 4249 1418530010 1418530070 ACCEPT OK",
		    "field 7 (dstport): out of range (0-65535)" },
		{ "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 "
		    "300 20 4249 1418530010 1418530070 ACCEPT OK",
		    "field 8 (protocol): out of range (0-255)" },
		{ "2 123456789010 eni-1 172.31.16.300 172.31.16.21 20641 22 "
		    "6 20 4249 1418530010 1418530070 ACCEPT OK",
		    "field 4 (srcaddr): not an IP address" },
		{ "2 123456789010 eni-1 172.31.16.139 host.example 20641 22 "
		    "6 20 4249 1418530010 1418530070 ACCEPT OK",
		    "field 5 (dstaddr): not an IP address" },
		{ "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 "
		    "99999999999999999999 4249 1418530010 1418530070 ACCEPT OK",
		    "field 9 (packets): out of range (0-9223372036854775807)" },
		{ "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 "
		    "6 20 18446744073709551616 1418530010 1418530070 ACCEPT OK",
		    "field 10 (bytes): out of range (0-9223372036854775807)" },
		{ "v2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 "
		    "6 20 4249 1418530010 1418530070 ACCEPT OK",
		    "field 1 (version): not a number" },
		{ "version account-id interface-id srcaddr dstaddr srcport "
		    "dstport protocol packets bytes start end action "
		    "log-status",
		    "field 1 (version): not a number" },
		{ NULL, NULL }
	};
	struct flow_opts opts = { FLOW_STYLE_LOGZIO, 0, "\"env\":\"prod\"" };
	struct doc d;
	int i;

	(void)state;
	for (i = 0; cases[i].line != NULL; i++) {
		/* logzio, include_message = 0: the message is still there. */
		opts.style = FLOW_STYLE_LOGZIO;
		encode_opts(&d, FLOW_DEFAULT_FORMAT, &opts, &test_meta,
		    cases[i].line, strlen(cases[i].line));
		assert_int_equal(d.rc, 1);
		assert_str_at(d.json, "parse_error", cases[i].error);
		assert_strings_at(d.json, "tags", "_vpcflow_parse_error", NULL);
		assert_str_at(d.json, "message", cases[i].line);
		assert_str_at(d.json, "@timestamp", "2014-12-14T04:06:50.123Z");
		assert_str_at(d.json, "log_group", test_meta.log_group);
		assert_str_at(d.json, "log_stream", test_meta.log_stream);
		assert_str_at(d.json, "event_id", test_meta.event_id);
		assert_str_at(d.json, "env", "prod");
		assert_absent(d.json, "srcaddr");
		assert_absent(d.json, "version");
		assert_int_equal(json_object_size(d.json), 8);
		doc_free(&d);

		opts.style = FLOW_STYLE_ECS;
		encode_opts(&d, FLOW_DEFAULT_FORMAT, &opts, &test_meta,
		    cases[i].line, strlen(cases[i].line));
		assert_int_equal(d.rc, 1);
		assert_str_at(d.json, "error/message", cases[i].error);
		assert_strings_at(d.json, "tags", "_vpcflow_parse_error", NULL);
		assert_str_at(d.json, "message", cases[i].line);
		assert_str_at(d.json, "event/kind", "pipeline_error");
		assert_str_at(d.json, "ecs/version", "8.11.0");
		assert_str_at(d.json, "aws/cloudwatch/log_group",
		    test_meta.log_group);
		assert_str_at(d.json, "aws/cloudwatch/event_id",
		    test_meta.event_id);
		assert_str_at(d.json, "env", "prod");
		assert_absent(d.json, "parse_error");
		assert_absent(d.json, "source");
		assert_no_dotted_keys(d.json);
		doc_free(&d);
	}
	/* The same good record parses, and without metadata. */
	opts.style = FLOW_STYLE_LOGZIO;
	encode_opts(&d, FLOW_DEFAULT_FORMAT, &opts, &no_meta, good,
	    strlen(good));
	assert_int_equal(d.rc, 0);
	assert_absent(d.json, "message");
	assert_absent(d.json, "log_group");
	doc_free(&d);
	encode_opts(&d, FLOW_DEFAULT_FORMAT, &opts, &no_meta, "bad", 3);
	assert_int_equal(d.rc, 1);
	assert_absent(d.json, "@timestamp");
	assert_absent(d.json, "log_group");
	assert_str_at(d.json, "message", "bad");
	doc_free(&d);
	opts.style = FLOW_STYLE_ECS;
	encode_opts(&d, FLOW_DEFAULT_FORMAT, &opts, &no_meta, "bad", 3);
	assert_int_equal(d.rc, 1);
	assert_absent(d.json, "aws");
	doc_free(&d);
}

/* --- line handling, escaping, options ----------------------------------- */

static void
test_line_endings_and_spaces(void **state)
{
	static const char *const variants[] = {
		"ACCEPT 22", "ACCEPT 22\n", "ACCEPT 22\r\n", "ACCEPT 22\r",
		"ACCEPT 22\n\r\n", "  ACCEPT    22", "ACCEPT 22   ", NULL
	};
	struct doc d;
	int i;

	(void)state;
	for (i = 0; variants[i] != NULL; i++) {
		char want[64];
		size_t n = strlen(variants[i]);

		encode(&d, "${action} ${dstport}", FLOW_STYLE_LOGZIO,
		    variants[i]);
		assert_int_equal(d.rc, 0);
		assert_str_at(d.json, "action", "ACCEPT");
		assert_int_at(d.json, "dstport", 22);
		while (n > 0 && (variants[i][n - 1] == '\n' ||
		    variants[i][n - 1] == '\r'))
			n--;
		snprintf(want, sizeof(want), "%.*s", (int)n, variants[i]);
		assert_str_at(d.json, "message", want);
		doc_free(&d);
	}
	/* A tab is not a separator: it is part of the value. */
	encode(&d, "${action} ${dstport}", FLOW_STYLE_LOGZIO, "ACCEPT\t22");
	assert_int_equal(d.rc, 1);
	assert_str_at(d.json, "parse_error", "expected 2 fields, got 1");
	assert_str_at(d.json, "message", "ACCEPT\t22");
	doc_free(&d);
}

/* Lines of every length around the 64-byte blocks of the splitter. */
static void
test_lengths_and_blocks(void **state)
{
	char line[2400], value[1100];
	struct doc d;
	int len, spaces;

	(void)state;
	for (len = 1; len < 300; len++) {
		for (spaces = 1; spaces <= 3; spaces++) {
			memset(value, 'x', (size_t)len);
			value[len] = '\0';
			snprintf(line, sizeof(line), "%s%.*s22%.*s%s", value,
			    spaces, "   ", spaces, "   ", value);
			encode(&d, "${vpc-id} ${dstport} ${subnet-id}",
			    FLOW_STYLE_LOGZIO, line);
			assert_int_equal(d.rc, 0);
			assert_str_at(d.json, "vpc_id", value);
			assert_str_at(d.json, "subnet_id", value);
			assert_int_at(d.json, "dstport", 22);
			doc_free(&d);
		}
	}
	/* A long record: 100 kB in one field, then many fields. */
	{
		struct buf big = BUF_INIT;
		int i;

		buf_add(&big, "ACCEPT ", 7);
		for (i = 0; i < 100000; i++)
			buf_addch(&big, (char)('a' + i % 26));
		encode(&d, "${action} ${vpc-id}", FLOW_STYLE_ECS, big.data);
		assert_int_equal(d.rc, 0);
		assert_str_at(d.json, "aws/vpcflow/vpc_id", big.data + 7);
		doc_free(&d);
		buf_reset(&big);
		for (i = 0; i < 5000; i++)
			buf_add(&big, "1 ", 2);
		encode(&d, "${action} ${vpc-id}", FLOW_STYLE_LOGZIO, big.data);
		assert_int_equal(d.rc, 1);
		assert_str_at(d.json, "parse_error",
		    "expected 2 fields, got 5000");
		doc_free(&d);
		buf_free(&big);
	}
}

static void
test_json_escaping(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "\"quoted\"", "\"quoted\"" },
		{ "back\\slash", "back\\slash" },
		{ "ctl\001\002\037", "ctl\001\002\037" },
		{ "del\177", "del\177" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xe2\x82\xac\xf0\x9f\x98\x80",
		    "\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "bad\xff", "bad\xef\xbf\xbd" },
		{ "\xc3", "\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "</script>", "</script>" },
		{ NULL, NULL }
	};
	enum flow_style style;
	char line[128], want[128];
	struct doc d;
	int i;

	(void)state;
	for (i = 0; cases[i].in != NULL; i++) {
		for (style = FLOW_STYLE_LOGZIO; style <= FLOW_STYLE_ECS;
		    style++) {
			snprintf(line, sizeof(line), "%s 22", cases[i].in);
			encode(&d, "${action} ${dstport}", style, line);
			assert_int_equal(d.rc, 0);
			assert_str_at(d.json, style == FLOW_STYLE_ECS ?
			    "aws/vpcflow/action" : "action", cases[i].out);
			if (style == FLOW_STYLE_ECS)
				assert_str_at(d.json, "event/action",
				    cases[i].out);
			snprintf(want, sizeof(want), "%s 22", cases[i].out);
			assert_str_at(d.json, "message", want);
			doc_free(&d);
		}
	}
	/* A NUL byte in a value becomes \u0000. */
	{
		struct flow_opts opts = { FLOW_STYLE_LOGZIO, 1, NULL };
		json_t *v;

		encode_opts(&d, "${action} ${dstport}", &opts, &test_meta,
		    "A\0B 22", 6);
		assert_int_equal(d.rc, 0);
		assert_non_null(strstr(d.raw.data, "\\u0000"));
		v = json_object_get(d.json, "action");
		assert_non_null(v);
		assert_int_equal(json_string_length(v), 3);
		assert_memory_equal(json_string_value(v), "A\0B", 3);
		doc_free(&d);
	}
	/* Metadata is escaped as well. */
	{
		struct flow_opts opts = { FLOW_STYLE_LOGZIO, 1, NULL };
		struct flow_meta meta = { "/g\"rp\\", "s\ttream\xff", "e\n1",
		    -1 };

		encode_opts(&d, "${action}", &opts, &meta, "ACCEPT", 6);
		assert_str_at(d.json, "log_group", "/g\"rp\\");
		assert_str_at(d.json, "log_stream", "s\ttream\xef\xbf\xbd");
		assert_str_at(d.json, "event_id", "e\n1");
		doc_free(&d);
		opts.style = FLOW_STYLE_ECS;
		encode_opts(&d, "${action}", &opts, &meta, "ACCEPT", 6);
		assert_str_at(d.json, "aws/cloudwatch/log_group", "/g\"rp\\");
		assert_str_at(d.json, "aws/cloudwatch/event_id", "e\n1");
		doc_free(&d);
	}
	/* Garbage records are valid JSON too (the message is kept). */
	encode(&d, FLOW_DEFAULT_FORMAT, FLOW_STYLE_LOGZIO,
	    "\xff\xfe\"quote\\ \x01 garbage");
	assert_int_equal(d.rc, 1);
	assert_str_at(d.json, "message",
	    "\xef\xbf\xbd\xef\xbf\xbd\"quote\\ \x01 garbage");
	doc_free(&d);
}

static void
test_options(void **state)
{
	static const char rec[] = "ACCEPT 22";
	struct flow_opts opts = { FLOW_STYLE_LOGZIO, 0, NULL };
	struct doc d;

	(void)state;
	encode_opts(&d, "${action} ${dstport}", &opts, &test_meta, rec, 9);
	assert_absent(d.json, "message");
	assert_str_at(d.json, "action", "ACCEPT");
	doc_free(&d);
	opts.style = FLOW_STYLE_ECS;
	encode_opts(&d, "${action} ${dstport}", &opts, &test_meta, rec, 9);
	assert_absent(d.json, "message");
	assert_int_at(d.json, "destination/port", 22);
	doc_free(&d);

	opts.include_message = 1;
	opts.add_json = "\"env\":\"prod\",\"team\":{\"name\":\"net\"}";
	opts.style = FLOW_STYLE_LOGZIO;
	encode_opts(&d, "${action} ${dstport}", &opts, &test_meta, rec, 9);
	assert_str_at(d.json, "env", "prod");
	assert_str_at(d.json, "team/name", "net");
	assert_str_at(d.json, "message", rec);
	doc_free(&d);
	opts.style = FLOW_STYLE_ECS;
	encode_opts(&d, "${action} ${dstport}", &opts, &test_meta, rec, 9);
	assert_str_at(d.json, "env", "prod");
	assert_str_at(d.json, "team/name", "net");
	doc_free(&d);
	/* add_json with nothing else in the document. */
	opts.style = FLOW_STYLE_LOGZIO;
	opts.include_message = 0;
	encode_opts(&d, "${action}", &opts, &no_meta, "-", 1);
	assert_str_at(d.json, "env", "prod");
	assert_int_equal(json_object_size(d.json), 2);
	doc_free(&d);
	/* Empty add_json adds nothing; an empty document is "{}". */
	opts.add_json = "";
	encode_opts(&d, "${action}", &opts, &no_meta, "-", 1);
	assert_int_equal(json_object_size(d.json), 0);
	assert_string_equal(d.raw.data, "{}");
	doc_free(&d);
	/* NULL options mean the defaults. */
	encode_opts(&d, "${action}", NULL, &no_meta, "ACCEPT", 6);
	assert_str_at(d.json, "message", "ACCEPT");
	assert_str_at(d.json, "action", "ACCEPT");
	doc_free(&d);
}

/* flow_encode appends to what the buffer holds, and reuses its memory. */
static void
test_appends_to_buffer(void **state)
{
	struct flow_format fmt;
	struct flow_opts opts = { FLOW_STYLE_LOGZIO, 1, NULL };
	struct buf b = BUF_INIT;
	json_t *j;
	size_t first, cap;
	char *nl;
	int i;

	(void)state;
	assert_int_equal(flow_format_parse(&fmt, "${action} ${dstport}", NULL,
	    0), 0);
	buf_addstr(&b, "PREFIX\n");
	assert_int_equal(flow_encode(&b, &fmt, &opts, NULL, "ACCEPT 22", 9), 0);
	assert_memory_equal(b.data, "PREFIX\n{", 8);
	first = b.len;
	buf_addch(&b, '\n');
	assert_int_equal(flow_encode(&b, &fmt, &opts, NULL, "nope", 4), 1);
	assert_int_equal(strlen(b.data), b.len);
	nl = strchr(b.data + 7, '\n');
	assert_int_equal((size_t)(nl - b.data), first);
	j = json_loads(nl + 1, 0, NULL);
	assert_non_null(j);
	assert_non_null(json_object_get(j, "tags"));
	json_decref(j);
	/* Steady state: no reallocation per record. */
	buf_reset(&b);
	flow_encode(&b, &fmt, &opts, NULL, "ACCEPT 22", 9);
	cap = b.cap;
	for (i = 0; i < 100; i++) {
		buf_reset(&b);
		flow_encode(&b, &fmt, &opts, NULL, "ACCEPT 22", 9);
		assert_int_equal(b.cap, cap);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_files_generic),
		cmocka_unit_test(test_shared_default_v2),
		cmocka_unit_test(test_shared_other_files),
		cmocka_unit_test(test_format_forms),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_field_table),
		cmocka_unit_test(test_header_detection),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_integer_fields),
		cmocka_unit_test(test_numbers_at_edges),
		cmocka_unit_test(test_ip_addresses),
		cmocka_unit_test(test_ip_against_inet_pton),
		cmocka_unit_test(test_dash_omits),
		cmocka_unit_test(test_protocol_names),
		cmocka_unit_test(test_tcp_flag_names),
		cmocka_unit_test(test_duration_and_timestamps),
		cmocka_unit_test(test_meta_timestamp),
		cmocka_unit_test(test_malformed_records),
		cmocka_unit_test(test_line_endings_and_spaces),
		cmocka_unit_test(test_lengths_and_blocks),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_appends_to_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
