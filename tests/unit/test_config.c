/* Unit tests of the configuration module (src/config.c). */
#define _XOPEN_SOURCE 700	/* nftw() */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <libconfig.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"

#define SECRET	"SECRET-TOKEN-123"

static char	 dir[64];
static char	 last_path[256];	/* the file load() wrote last */
static int	 seq;

/* Write text to dir/name (NULL: a fresh cN.conf) with mode; return its path. */
static const char *
put(const char *name, mode_t mode, const char *text)
{
	static char paths[8][256];
	static int slot;
	char *p = paths[slot++ % 8];
	FILE *fp;

	if (name != NULL)
		snprintf(p, 256, "%s/%s", dir, name);
	else
		snprintf(p, 256, "%s/c%d.conf", dir, ++seq);
	unlink(p);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

/* Load text as a fresh configuration file of the given mode. */
static int
load_mode(struct config *cfg, struct buf *err, mode_t mode, const char *text)
{
	snprintf(last_path, sizeof(last_path), "%s", put(NULL, mode, text));
	buf_reset(err);
	return config_load(cfg, last_path, err);
}

static int
load(struct config *cfg, struct buf *err, const char *text)
{
	return load_mode(cfg, err, 0600, text);
}

/* Load text, which must succeed (the errors are shown if not). */
#define assert_loads_mode(cfg, err, mode, text) do {			\
	if (load_mode((cfg), (err), (mode), (text)) != 0)		\
		fail_msg("load failed:\n%s", (err)->data);		\
} while (0)
#define assert_loads(cfg, err, text)	assert_loads_mode(cfg, err, 0600, text)

static void
assert_has(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL)
		fail_msg("expected \"%s\" in:\n%s", needle, hay ? hay : "(null)");
}

static void
assert_lacks(const char *hay, const char *needle)
{
	if (hay != NULL && strstr(hay, needle) != NULL)
		fail_msg("did not expect \"%s\" in:\n%s", needle, hay);
}

/* The errors must be exactly "<last_path><rest>". */
static void
assert_errors(const struct buf *err, const char *rest)
{
	char want[2048];

	snprintf(want, sizeof(want), "%s%s", last_path, rest);
	if (err->data == NULL || strcmp(err->data, want) != 0)
		fail_msg("expected:\n%s\ngot:\n%s", want,
		    err->data ? err->data : "(null)");
}

/* Load text, expect failure, and compare the errors with "<path><rest>". */
static void
expect_errors(const char *text, const char *rest)
{
	struct config cfg;
	struct buf err = BUF_INIT;

	assert_int_equal(load(&cfg, &err, text), -1);
	assert_errors(&err, rest);
	config_free(&cfg);
	buf_free(&err);
}

/* Load text, expect failure with an error that holds needle. */
static void
expect_error_has(const char *text, const char *needle)
{
	struct config cfg;
	struct buf err = BUF_INIT;

	assert_int_equal(load(&cfg, &err, text), -1);
	assert_has(err.data, needle);
	config_free(&cfg);
	buf_free(&err);
}

static char *
printed(const struct config *cfg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	config_print(cfg, fp);
	assert_int_equal(fclose(fp), 0);
	return out;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
each(void **state)
{
	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	return 0;
}

static void
test_defaults(void **state)
{
	struct config cfg;
	struct flow_format def;
	char e[128];

	(void)state;
	config_defaults(&cfg);
	assert_null(cfg.log_group);
	assert_null(cfg.region);
	assert_null(cfg.endpoint);
	assert_string_equal(cfg.format, FLOW_DEFAULT_FORMAT);
	assert_int_equal(flow_format_parse(&def, FLOW_DEFAULT_FORMAT, e,
	    sizeof(e)), 0);
	assert_int_equal(cfg.flow_format.nfields, 14);
	assert_int_equal(cfg.flow_format.nfields, def.nfields);
	assert_memory_equal(cfg.flow_format.field, def.field, 14);
	assert_int_equal(cfg.poll_interval, 30);
	assert_int_equal(cfg.max_delay, 900);
	assert_string_equal(cfg.start_position, "end");
	assert_int_equal(cfg.start.kind, CONFIG_START_END);
	assert_int_equal(cfg.shutdown_timeout, 10);
	assert_true(cfg.aws.max_rps == 4.0);
	assert_int_equal(cfg.aws.fips, 0);
	assert_string_equal(cfg.logzio.url, "https://listener.logz.io:8071");
	assert_string_equal(cfg.logzio.type, "vpcflow");
	assert_int_equal(cfg.logzio.compress, 1);
	assert_int_equal(cfg.logzio.batch_bytes, 3000000);
	assert_int_equal(cfg.logzio.flush_interval, 5);
	assert_int_equal(cfg.logzio.timeout, 30);
	assert_int_equal(cfg.logzio.token_source, CONFIG_TOKEN_NONE);
	assert_int_equal(cfg.fields.style, FLOW_STYLE_LOGZIO);
	assert_int_equal(cfg.fields.include_message, 1);
	assert_null(cfg.fields.add_json);
	config_free(&cfg);
}

static void
test_minimal(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT, tok = BUF_INIT;
	char want[300];
	const char *p;

	(void)state;
	p = put("prod.conf", 0644, "log_group = \"/vpc/flowlogs/prod\";\n");
	assert_int_equal(config_load(&cfg, p, &err), 0);
	assert_null(err.data);
	assert_string_equal(cfg.path, p);
	assert_string_equal(cfg.log_group, "/vpc/flowlogs/prod");
	assert_null(cfg.log_group_arn);
	assert_string_equal(cfg.state_dir, "/var/lib/vpcflowd/prod");
	assert_int_equal(cfg.poll_interval, 30);
	assert_int_equal(cfg.logzio.token_source, CONFIG_TOKEN_NONE);
	assert_string_equal(config_token_source_name(cfg.logzio.token_source),
	    "none");
	assert_int_equal(config_require_token(&cfg, &err), -1);
	snprintf(want, sizeof(want), "%s: logzio.token: no Logz.io token", p);
	assert_has(err.data, want);
	assert_has(err.data, "LoadCredential=logzio-token:");
	buf_reset(&err);
	assert_int_equal(config_read_token(&cfg, &tok, &err), -1);
	assert_int_equal(tok.len, 0);
	assert_has(err.data, "no Logz.io token");
	config_free(&cfg);
	buf_free(&err);
}

static const char full_conf[] =
    "# every key\n"
    "log_group = \"/vpc/flowlogs/prod\";\n"
    "region = \"eu-west-1\";\n"
    "endpoint = \"https://logs.eu-west-1.amazonaws.com/\";\n"
    "log_stream_prefix = \"eni-\";\n"
    "filter_pattern = \"[version, account, eni, source, destination, "
    "srcport, destport=\\\"22\\\", ...]\";\n"
    "format = \"${version} ${srcaddr} ${dstaddr} ${action}\";\n"
    "poll_interval = \"1m\";\n"
    "max_delay = 1200;\n"
    "start_position = \"-2h\";\n"
    "state_dir = \"/var/lib/vpcflowd/other\";\n"
    "shutdown_timeout = \"20s\";\n"
    "ca_file = \"/dev/null\";\n"
    "aws : { profile = \"ops\"; max_rps = 2.5;\n"
    "  role_arn = \"arn:aws:iam::123456789012:role/flow-reader\";\n"
    "  external_id = \"ext-123\"; fips = true;\n"
    "  sts_endpoint = \"https://sts.eu-west-1.amazonaws.com\";\n"
    "  kms_endpoint = \"http://127.0.0.1:4566\"; };\n"
    "logzio : {\n"
    "  url = \"http://[::1]:8071/bulk/\";\n"
    "  token_file = \"@TOKENFILE@\";\n"
    "  type = \"vpc_flow-prod\";\n"
    "  compress = false; batch_bytes = 5000000; flush_interval = \"10s\";\n"
    "  timeout = 45;\n"
    "};\n"
    "fields : { style = \"ecs\"; include_message = false;\n"
    "  add = { env = \"prod\"; team = \"net \\\"ops\\\"\"; shard = 3;\n"
    "          big = 3000000000L; ratio = 0.25; canary = true; }; };\n";

/* full_conf with @TOKENFILE@ replaced by a 0600 token file. */
static char *
full_text(void)
{
	const char *tf = put("token", 0600, SECRET "\n");
	struct buf b = BUF_INIT;
	const char *at = strstr(full_conf, "@TOKENFILE@");

	buf_add(&b, full_conf, (size_t)(at - full_conf));
	buf_addstr(&b, tf);
	buf_addstr(&b, at + strlen("@TOKENFILE@"));
	return buf_detach(&b);
}

static void
test_all_keys(void **state)
{
	struct config cfg;
	struct flow_opts opts;
	struct buf err = BUF_INIT;
	char *text = full_text();

	(void)state;
	assert_loads(&cfg, &err, text);
	assert_null(err.data);
	assert_string_equal(cfg.log_group, "/vpc/flowlogs/prod");
	assert_string_equal(cfg.region, "eu-west-1");
	assert_string_equal(cfg.endpoint, "https://logs.eu-west-1.amazonaws.com");
	assert_string_equal(cfg.log_stream_prefix, "eni-");
	assert_has(cfg.filter_pattern, "destport=\"22\"");
	assert_string_equal(cfg.format, "${version} ${srcaddr} ${dstaddr} ${action}");
	assert_int_equal(cfg.flow_format.nfields, 4);
	assert_int_equal(cfg.poll_interval, 60);
	assert_int_equal(cfg.max_delay, 1200);
	assert_int_equal(cfg.start.kind, CONFIG_START_RELATIVE);
	assert_int_equal(cfg.start.seconds, 7200);
	assert_string_equal(cfg.start_position, "-2h");
	assert_string_equal(cfg.state_dir, "/var/lib/vpcflowd/other");
	assert_int_equal(cfg.shutdown_timeout, 20);
	assert_string_equal(cfg.ca_file, "/dev/null");
	assert_string_equal(cfg.aws.profile, "ops");
	assert_true(cfg.aws.max_rps == 2.5);
	assert_string_equal(cfg.aws.role_arn,
	    "arn:aws:iam::123456789012:role/flow-reader");
	assert_string_equal(cfg.aws.external_id, "ext-123");
	assert_int_equal(cfg.aws.fips, 1);
	assert_string_equal(cfg.aws.sts_endpoint,
	    "https://sts.eu-west-1.amazonaws.com");
	assert_string_equal(cfg.aws.kms_endpoint, "http://127.0.0.1:4566");
	assert_string_equal(cfg.logzio.url, "http://[::1]:8071/bulk");
	assert_null(cfg.logzio.token);
	assert_has(cfg.logzio.token_file, "/token");
	assert_int_equal(cfg.logzio.token_source, CONFIG_TOKEN_FILE);
	assert_string_equal(cfg.logzio.type, "vpc_flow-prod");
	assert_int_equal(cfg.logzio.compress, 0);
	assert_int_equal(cfg.logzio.batch_bytes, 5000000);
	assert_int_equal(cfg.logzio.flush_interval, 10);
	assert_int_equal(cfg.logzio.timeout, 45);
	assert_int_equal(cfg.fields.style, FLOW_STYLE_ECS);
	assert_string_equal(cfg.fields.style_name, "ecs");
	assert_int_equal(cfg.fields.include_message, 0);
	assert_int_equal(cfg.fields.add.n, 6);
	assert_string_equal(cfg.fields.add_json,
	    "\"env\":\"prod\",\"team\":\"net \\\"ops\\\"\",\"shard\":3,"
	    "\"big\":3000000000,\"ratio\":0.25,\"canary\":true");
	config_flow_opts(&cfg, &opts);
	assert_int_equal(opts.style, FLOW_STYLE_ECS);
	assert_int_equal(opts.include_message, 0);
	assert_ptr_equal(opts.add_json, cfg.fields.add_json);
	config_free(&cfg);
	buf_free(&err);
	free(text);
}

/* What config_print writes is libconfig and loads back to the same settings. */
static void
test_print_round_trip(void **state)
{
	static const char *const every[] = {
		"log_group =", "region =", "endpoint =", "log_stream_prefix =",
		"filter_pattern =", "format =", "poll_interval = 60;",
		"max_delay = 1200;", "start_position = \"-2h\";", "state_dir =",
		"shutdown_timeout = 20;", "ca_file =", "aws : {",
		"profile = \"ops\";", "max_rps = 2.5;", "role_arn =",
		"external_id =", "fips = true;", "sts_endpoint =", "kms_endpoint =",
		"logzio : {", "url = \"http://[::1]:8071/bulk\";", "token_file =",
		"# token: token_file ", "type =", "compress = false;",
		"batch_bytes = 5000000;", "flush_interval = 10;", "timeout = 45;",
		"fields : {", "style = \"ecs\";", "include_message = false;",
		"add : {", "big = 3000000000L;", "ratio = 0.25;", "canary = true;",
	};
	struct config cfg, again;
	struct buf err = BUF_INIT;
	char *text = full_text(), *out, *out2, *p;
	config_t lc;
	size_t i;

	(void)state;
	assert_loads(&cfg, &err, text);
	out = printed(&cfg);
	for (i = 0; i < sizeof(every) / sizeof(*every); i++)
		assert_has(out, every[i]);
	config_init(&lc);
	if (config_read_string(&lc, out) != CONFIG_TRUE)
		fail_msg("printed config does not parse: line %d: %s\n%s",
		    config_error_line(&lc), config_error_text(&lc), out);
	config_destroy(&lc);
	assert_loads(&again, &err, out);
	out2 = printed(&again);
	/* only the header line, which names the file, differs */
	p = strchr(out2, '\n');
	assert_non_null(p);
	assert_string_equal(strchr(out, '\n'), p);
	free(out);
	free(out2);
	config_free(&again);
	config_free(&cfg);

	/* the defaults print and load back too */
	assert_loads(&cfg, &err, "log_group = \"g\";\n");
	out = printed(&cfg);
	assert_has(out, "# region: unset (");
	assert_has(out, "# token: none configured");
	assert_has(out, "batch_bytes = 3000000;");
	assert_has(out, "max_rps = 4.0;");
	assert_has(out, "# add: empty");
	assert_loads(&again, &err, out);
	out2 = printed(&again);
	assert_string_equal(strchr(out, '\n'), strchr(out2, '\n'));
	free(out);
	free(out2);
	config_free(&again);
	config_free(&cfg);
	buf_free(&err);
	free(text);
}

static void
test_parse_duration(void **state)
{
	static const struct {
		const char	*s;
		long		 v;
	} good[] = {
		{ "0", 0 }, { "30", 30 }, { "30s", 30 }, { "15m", 900 },
		{ "2h", 7200 }, { "1d", 86400 }, { "007", 7 },
		{ "9223372036854775807", 9223372036854775807L },
		{ "106751991167300d", 106751991167300L * 86400 },
	};
	static const char *const bad[] = {
		"", "s", "m5", "10x", "-5", "+5", "1.5m", " 5", "5 ", "5 s",
		"5ss", "5S", "1h30m", "9223372036854775808",
		"99999999999999999999", "106751991167301d", "153722867280912931m",
		"2562047788015216h",
	};
	size_t i;
	long v;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		v = -1;
		if (config_parse_duration(good[i].s, &v) != 0 || v != good[i].v)
			fail_msg("\"%s\": got %ld, want %ld", good[i].s, v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		v = 12345;
		if (config_parse_duration(bad[i], &v) != -1 || v != 12345)
			fail_msg("\"%s\" accepted", bad[i]);
	}
}

static void
test_duration_keys(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT;

	(void)state;
	assert_loads(&cfg, &err, "log_group = \"g\";\n"
	    "poll_interval = \"15m\"; max_delay = \"2h\";\n"
	    "shutdown_timeout = \"0\";\n"
	    "logzio : { timeout = \"1m\"; flush_interval = 7; };\n");
	assert_int_equal(cfg.poll_interval, 900);
	assert_int_equal(cfg.max_delay, 7200);
	assert_int_equal(cfg.shutdown_timeout, 0);
	assert_int_equal(cfg.logzio.timeout, 60);
	assert_int_equal(cfg.logzio.flush_interval, 7);
	config_free(&cfg);
	buf_free(&err);

	expect_errors("log_group = \"g\";\npoll_interval = \"10x\";\n",
	    ":2: poll_interval: \"10x\" is not a duration: write seconds, or a "
	    "number with s, m, h or d (\"30s\", \"15m\", \"2h\", \"1d\")\n");
	expect_errors("log_group = \"g\";\npoll_interval = 1.5;\n",
	    ":2: poll_interval: must be a number of seconds or a duration "
	    "string like \"30s\", \"15m\", \"2h\", \"1d\"\n");
	expect_errors("log_group = \"g\";\npoll_interval = \"2d\";\n",
	    ":2: poll_interval: must be between 1 and 3600 seconds\n");
	expect_errors("log_group = \"g\";\nlogzio : {\n timeout = -5; };\n",
	    ":3: logzio.timeout: must be between 1 and 600 seconds\n");
	expect_errors("log_group = \"g\";\nmax_delay = \"99999999999999999999s\";\n",
	    ":2: max_delay: \"99999999999999999999s\" is not a duration: write "
	    "seconds, or a number with s, m, h or d (\"30s\", \"15m\", \"2h\", "
	    "\"1d\")\n");
	expect_errors("log_group = \"g\";\nmax_delay = 9000000000000L;\n",
	    ":2: max_delay: must be between 0 and 86400 seconds\n");
}


/* Load text, expect failure with exactly these lines, each "<path>" + line. */
static void
expect_lines(const char *text, const char *const *lines, size_t n)
{
	struct config cfg;
	struct buf err = BUF_INIT, want = BUF_INIT;
	size_t i;

	assert_int_equal(load(&cfg, &err, text), -1);
	for (i = 0; i < n; i++)
		buf_printf(&want, "%s%s\n", last_path, lines[i]);
	if (err.data == NULL || strcmp(err.data, want.data) != 0)
		fail_msg("expected:\n%s\ngot:\n%s", want.data,
		    err.data ? err.data : "(null)");
	config_free(&cfg);
	buf_free(&err);
	buf_free(&want);
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_unknown_keys(void **state)
{
	static const char *const want[] = {
		":2: poll_intervall: unknown key (did you mean poll_interval?)",
		":5: logzio.tokne: unknown key (did you mean logzio.token?)",
		":7: aws.zzz: unknown key",
		":8: fields.colour: unknown key",
		":9: fields2: unknown key (did you mean fields?)",
		":10: Log_group: unknown key (did you mean log_group?)",
	};

	(void)state;
	/* all of them, in file order; fields.add is free-form */
	expect_lines("log_group = \"g\";\n"
	    "poll_intervall = 30;\n"
	    "logzio : {\n"
	    "  url = \"https://listener.logz.io:8071\";\n"
	    "  tokne = \"x\";\n"
	    "};\n"
	    "aws : { zzz = 1; };\n"
	    "fields : { add = { anything_goes = 1; }; colour = \"red\"; };\n"
	    "fields2 : { };\n"
	    "Log_group = \"h\";\n", want, NELEM(want));
}

static void
test_wrong_types(void **state)
{
	static const char *const want[] = {
		":1: log_group: must be a string",
		":2: aws: must be a group: { ... }",
		":3: logzio.compress: must be true or false",
		":3: logzio.batch_bytes: must be an integer",
		":3: logzio.token_kms_context.a: must be a string",
		":4: fields.add.x: must be a string, a finite number or true/false",
		":4: fields.include_message: must be true or false",
		":5: region: must be a string",
		":6: format: must be a string",
		(":6: poll_interval: must be a number of seconds or a duration "
		    "string like \"30s\", \"15m\", \"2h\", \"1d\""),
	};

	(void)state;
	expect_lines("log_group = 5;\n"
	    "aws = 5;\n"
	    "logzio : { compress = \"yes\"; batch_bytes = 1.5; "
	    "token_kms_context = { a = 1; }; };\n"
	    "fields : { add = { x = [1, 2]; }; include_message = 1; };\n"
	    "region = [\"eu-west-1\"];\n"
	    "format = ( \"a\" ); poll_interval = true;\n", want, NELEM(want));
	expect_errors("log_group = \"g\";\naws : { max_rps = \"fast\"; };\n",
	    ":2: aws.max_rps: must be a number\n");
	expect_errors("log_group = \"g\";\nfields : { add = 3; };\n",
	    ":2: fields.add: must be a group: { name = value; ... }\n");
	expect_errors("log_group = \"g\";\nlogzio = { url = \"\"; };\n",
	    ":2: logzio.url: must not be empty\n");
}

static void
test_out_of_range(void **state)
{
	static const char *const want[] = {
		":7: logzio.batch_bytes: must be between 1000 and 10000000",
		":8: logzio.flush_interval: must be between 1 and 300 seconds",
		":10: aws.max_rps: must be between 0.1 and 100",
		":11: poll_interval: must be between 1 and 3600 seconds",
		":12: shutdown_timeout: must be between 0 and 600 seconds",
	};

	(void)state;
	/* the example of DESIGN.md's contract, and all errors collected */
	expect_lines("log_group = \"g\";\n\n\n\n\n"
	    "logzio : {\n"
	    "  batch_bytes = 999;\n"
	    "  flush_interval = 0; };\n"
	    "aws : {\n"
	    "  max_rps = 0.0; };\n"
	    "poll_interval = 3601;\n"
	    "shutdown_timeout = \"11m\";\n", want, NELEM(want));
	expect_errors("log_group = \"g\";\naws : { max_rps = 1e400; };\n",
	    ":2: aws.max_rps: must be between 0.1 and 100\n");
	expect_errors("log_group = \"g\";\nlogzio : { batch_bytes = 10000001; };\n",
	    ":2: logzio.batch_bytes: must be between 1000 and 10000000\n");
}

static void
test_syntax_error(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(load(&cfg, &err, "log_group = \"g\";\n"
	    "logzio : { token = \"" SECRET "\"; };\n"
	    "poll_interval = ;\n"), -1);
	assert_errors(&err, ":3: syntax error\n");
	config_free(&cfg);
	expect_errors("log_group = \"g\";\npoll_interval = 30;\npoll_interval = 40;\n",
	    ":3: duplicate setting name\n");
	expect_errors("log_group = \"g\";\n\nregion = eu-west-1;\n",
	    ":3: syntax error\n");
	buf_free(&err);
}

static void
test_missing_file(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	char path[300];

	(void)state;
	snprintf(path, sizeof(path), "%s/nonexistent.conf", dir);
	assert_int_equal(config_load(&cfg, path, &err), -1);
	assert_has(err.data, path);
	assert_has(err.data, strerror(ENOENT));
	config_free(&cfg);
	buf_reset(&err);
	assert_int_equal(config_load(&cfg, dir, &err), -1);
	snprintf(path, sizeof(path), "%s: %s\n", dir, strerror(EISDIR));
	assert_string_equal(err.data, path);
	config_free(&cfg);
	buf_free(&err);

	expect_errors("# nothing\nregion = \"eu-west-1\";\n",
	    ": log_group: required: the name or ARN of the log group that "
	    "receives the flow logs\n");
}

static void
test_format(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT;

	(void)state;
	assert_loads(&cfg, &err, "log_group = \"g\";\n"
	    "format = \"${version} ${vpc-id} ${srcaddr} ${flow-direction}\";\n");
	assert_int_equal(cfg.flow_format.nfields, 4);
	config_free(&cfg);
	buf_free(&err);

	expect_error_has("log_group = \"g\";\n"
	    "format = \"${version} ${bogus-field} ${srcaddr}\";\n",
	    ":2: format: ");
	expect_error_has("log_group = \"g\";\n"
	    "format = \"${version} ${bogus-field} ${srcaddr}\";\n",
	    "bogus-field");
	expect_errors("log_group = \"g\";\nfields : { style = \"kibana\"; };\n",
	    ":2: fields.style: \"kibana\" must be \"logzio\" or \"ecs\"\n");
}

static void
test_start_position(void **state)
{
	static const struct {
		const char		*s;
		enum config_start_kind	 kind;
		long			 seconds;
		int64_t			 ms;
	} good[] = {
		{ "beginning", CONFIG_START_BEGINNING, 0, 0 },
		{ "end", CONFIG_START_END, 0, 0 },
		{ "-2h", CONFIG_START_RELATIVE, 7200, 0 },
		{ "-30m", CONFIG_START_RELATIVE, 1800, 0 },
		{ "-1d", CONFIG_START_RELATIVE, 86400, 0 },
		{ "-90", CONFIG_START_RELATIVE, 90, 0 },
		{ "2026-11-01T00:00:00Z", CONFIG_START_ABSOLUTE, 0, 1793491200000LL },
		{ "2026-11-01T02:30:00+02:00", CONFIG_START_ABSOLUTE, 0, 1793493000000LL },
		{ "2026-11-01T00:00:00-05:30", CONFIG_START_ABSOLUTE, 0, 1793511000000LL },
		{ "2026-11-01T00:00:00-0530", CONFIG_START_ABSOLUTE, 0, 1793511000000LL },
		{ "2026-11-01T05:00:00+05", CONFIG_START_ABSOLUTE, 0, 1793491200000LL },
		{ "2024-02-29T12:34:56.789Z", CONFIG_START_ABSOLUTE, 0, 1709210096789LL },
		{ "2024-02-29T12:34:56.789123456Z", CONFIG_START_ABSOLUTE, 0,
		    1709210096789LL },
		{ "2026-11-01T00:00Z", CONFIG_START_ABSOLUTE, 0, 1793491200000LL },
		{ "2026-11-01", CONFIG_START_ABSOLUTE, 0, 1793491200000LL },
		{ "1970-01-01T00:00:00Z", CONFIG_START_ABSOLUTE, 0, 0 },
	};
	static const char *const bad[] = {
		"Beginning", "start", "", "-", "-0", "-2x", "2h", "+2h", "-1.5h",
		"-3651d", "yesterday", "2026-13-01T00:00:00Z",
		"2026-02-29T00:00:00Z", "2026-11-31", "2026-11-01T24:00:00Z",
		"2026-11-01T00:60:00Z", "2026-11-01T00:00:00",
		"2026-11-01T00:00:00ZZ", "2026-11-01T00:00:00+2", "1969-12-31",
		"1970-01-01T00:00:00+01:00", "2026-11-01T00:00:00.Z", "26-11-01",
	};
	struct config cfg;
	struct buf err = BUF_INIT, text = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		buf_reset(&text);
		buf_printf(&text, "log_group = \"g\";\nstart_position = \"%s\";\n",
		    good[i].s);
		if (load(&cfg, &err, text.data) != 0)
			fail_msg("\"%s\": %s", good[i].s, err.data);
		assert_int_equal(cfg.start.kind, good[i].kind);
		if (good[i].kind == CONFIG_START_RELATIVE)
			assert_int_equal(cfg.start.seconds, good[i].seconds);
		if (good[i].kind == CONFIG_START_ABSOLUTE &&
		    cfg.start.epoch_ms != good[i].ms)
			fail_msg("\"%s\": %lld, want %lld", good[i].s,
			    (long long)cfg.start.epoch_ms, (long long)good[i].ms);
		assert_string_equal(cfg.start_position, good[i].s);
		config_free(&cfg);
	}
	for (i = 0; i < NELEM(bad); i++) {
		buf_reset(&text);
		buf_printf(&text, "log_group = \"g\";\nstart_position = \"%s\";\n",
		    bad[i]);
		if (load(&cfg, &err, text.data) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_has(err.data, ":2: start_position: ");
		config_free(&cfg);
	}
	expect_error_has("log_group = \"g\";\n"
	    "start_position = \"2026-11-01T00:00:00\";\n", "needs a time zone");
	expect_error_has("log_group = \"g\";\n"
	    "start_position = \"yesterday\";\n", "\"-2h\"");
	buf_free(&err);
	buf_free(&text);
}

static void
test_log_group_arn(void **state)
{
	static const char *const bad[] = {
		"arn:aws:logs:eu-west-1:123456789012:log-group",
		"arn:aws:logs:eu-west-1:123456789012:log-group:",
		"arn:aws:ec2:eu-west-1:123456789012:log-group:/g",
		"arn:aws:logs:eu-west-1:12345678901:log-group:/g",
		"arn:aws:logs:eu-west-1:1234567890ab:log-group:/g",
		"arn:aws:logs:EU:123456789012:log-group:/g",
		"arn:aws:logs:eu-west-1:123456789012:log-stream:/g",
		"arn:aws:logs:eu-west-1:123456789012:log-group:/g:x",
		"arn:aws:logs:eu-west-1:123456789012:log-group:/g:*:*",
		"arn:gcp:logs:eu-west-1:123456789012:log-group:/g",
		"/vpc/flow logs", "a'b", "g:h", "caf\xc3\xa9",
	};
	struct config cfg;
	struct buf err = BUF_INIT, text = BUF_INIT;
	char *out;
	size_t i;

	(void)state;
	assert_loads(&cfg, &err, "log_group = "
	    "\"arn:aws:logs:eu-west-1:123456789012:log-group:"
	    "/vpc/flow-logs_1#a:*\";\n");
	assert_string_equal(cfg.log_group, "/vpc/flow-logs_1#a");
	assert_string_equal(cfg.log_group_arn,
	    "arn:aws:logs:eu-west-1:123456789012:log-group:/vpc/flow-logs_1#a");
	assert_string_equal(cfg.region, "eu-west-1");
	out = printed(&cfg);
	assert_has(out, "log_group = \"arn:aws:logs:eu-west-1:123456789012:"
	    "log-group:/vpc/flow-logs_1#a\";");
	free(out);
	config_free(&cfg);

	assert_loads(&cfg, &err, "region = \"us-gov-west-1\";\nlog_group = "
	    "\"arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:g\";\n");
	assert_string_equal(cfg.log_group, "g");
	assert_string_equal(cfg.region, "us-gov-west-1");
	config_free(&cfg);

	expect_errors("region = \"us-east-1\";\nlog_group = "
	    "\"arn:aws:logs:eu-west-1:123456789012:log-group:g\";\n",
	    ":1: region: \"us-east-1\" differs from the region of the log_group "
	    "ARN (eu-west-1)\n");
	for (i = 0; i < NELEM(bad); i++) {
		buf_reset(&text);
		buf_printf(&text, "log_group = \"%s\";\n", bad[i]);
		if (load(&cfg, &err, text.data) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_has(err.data, ":1: log_group: ");
		config_free(&cfg);
	}
	buf_free(&err);
	buf_free(&text);
}

static void
test_strings(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT;

	(void)state;
	assert_loads(&cfg, &err, "log_group = \"g\";\n"
	    "log_stream_prefix = \"\"; filter_pattern = \"\";\n"
	    "endpoint = \"HTTPS://logs.example.com:443\";\n");
	assert_null(cfg.log_stream_prefix);
	assert_null(cfg.filter_pattern);
	assert_string_equal(cfg.endpoint, "HTTPS://logs.example.com:443");
	config_free(&cfg);
	buf_free(&err);

	expect_errors("log_group = \"g\";\nendpoint = \"ftp://x\";\n",
	    ":2: endpoint: \"ftp://x\" is not an http:// or https:// URL\n");
	expect_errors("log_group = \"g\";\n"
	    "logzio : { url = \"https://user@host\"; };\n",
	    ":2: logzio.url: \"https://user@host\" is not a URL of the form "
	    "http(s)://host[:port][/path]\n");
	expect_error_has("log_group = \"g\";\nendpoint = \"https://\";\n",
	    ":2: endpoint: ");
	expect_error_has("log_group = \"g\";\nendpoint = \"https://h:0\";\n",
	    "not a URL");
	expect_error_has("log_group = \"g\";\nendpoint = \"https://h:65536\";\n",
	    "not a URL");
	expect_error_has("log_group = \"g\";\nendpoint = \"https://h/p?q=1\";\n",
	    "not a URL");
	expect_error_has("log_group = \"g\";\nendpoint = \"https://[]/\";\n",
	    "not a URL");
	expect_error_has("log_group = \"g\";\n"
	    "aws : { sts_endpoint = \"sts.amazonaws.com\"; };\n",
	    ":2: aws.sts_endpoint: ");
	expect_errors("log_group = \"g\";\nregion = \"EU-WEST-1\";\n",
	    ":2: region: \"EU-WEST-1\" is not an AWS region name like "
	    "\"eu-west-1\"\n");
	expect_errors("log_group = \"g\";\nstate_dir = \"state\";\n",
	    ":2: state_dir: \"state\" is not an absolute path\n");
	expect_errors("log_group = \"g\";\nlogzio : { type = \"vpc flow\"; };\n",
	    ":2: logzio.type: \"vpc flow\" must be 1 to 100 of A-Z a-z 0-9 . _ -\n");
	expect_error_has("log_group = \"g\";\n"
	    "aws : { role_arn = \"arn:aws:iam::123:role/x\"; };\n",
	    ":2: aws.role_arn: ");
	expect_errors("log_group = \"g\";\naws : { external_id = \"abc\"; };\n",
	    ":2: aws.external_id: needs aws.role_arn\n");
	expect_error_has("log_group = \"g\";\naws : { external_id = \"a b\"; "
	    "role_arn = \"arn:aws:iam::123456789012:role/x\"; };\n",
	    ":2: aws.external_id: must be 2 to 1224");
	expect_error_has("log_group = \"g\";\nca_file = \"/nonexistent/ca.pem\";\n",
	    ":2: ca_file: /nonexistent/ca.pem: No such file or directory");
}

static void
test_fields_add(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	struct flow_opts opts;

	(void)state;
	assert_loads(&cfg, &err, "log_group = \"g\";\n"
	    "fields : { add = { env = \"prod\"; n = -42; f = 1.5; e = 1e20; "
	    "b = false; u = \"caf\xc3\xa9\\n\"; }; };\n");
	assert_string_equal(cfg.fields.add_json, "\"env\":\"prod\",\"n\":-42,"
	    "\"f\":1.5,\"e\":1e+20,\"b\":false,\"u\":\"caf\xc3\xa9\\n\"");
	config_flow_opts(&cfg, &opts);
	assert_int_equal(opts.style, FLOW_STYLE_LOGZIO);
	assert_int_equal(opts.include_message, 1);
	assert_string_equal(opts.add_json, cfg.fields.add_json);
	config_free(&cfg);

	assert_loads(&cfg, &err, "log_group = \"g\";\n"
	    "fields : { style = \"ecs\"; add = { srcaddr = \"x\"; }; };\n");
	assert_string_equal(cfg.fields.add_json, "\"srcaddr\":\"x\"");
	config_free(&cfg);
	assert_loads(&cfg, &err, "log_group = \"g\";\n"
	    "fields : { add = { }; };\n");
	assert_null(cfg.fields.add_json);
	config_flow_opts(&cfg, &opts);
	assert_null(opts.add_json);
	config_free(&cfg);
	buf_free(&err);
}

static void
test_fields_add_reserved(void **state)
{
	static const char *const want[] = {
		(":3: fields.add.message: every document already has this field: "
		    "choose another name"),
		(":4: fields.add.srcaddr: every document already has this field: "
		    "choose another name"),
		(":6: fields.add.logstatus: every document already has this "
		    "field: choose another name"),
	};
	static const char *const want_ecs[] = {
		(":2: fields.add.source: every document already has this field: "
		    "choose another name"),
	};

	(void)state;
	expect_lines("log_group = \"g\";\n"
	    "fields : { add = {\n  message = \"x\";\n  srcaddr = 1;\n"
	    "  log_status = 1;\n  logstatus = 2; ok = 3; }; };\n",
	    want, NELEM(want));
	expect_lines("log_group = \"g\";\nfields : { style = \"ecs\"; "
	    "add = { source = \"x\"; }; };\n", want_ecs, NELEM(want_ecs));
}

/* Into b: a configuration whose token is in the file path + suffix. */
static const char *
token_file_conf(struct buf *b, const char *path, const char *suffix)
{
	buf_reset(b);
	buf_printf(b, "log_group = \"g\";\nlogzio : { token_file = \"%s%s\"; };\n",
	    path, suffix);
	return b->data;
}

static const char inline_conf[] =
    "log_group = \"g\";\n"
    "logzio : {\n"
    "  token = \"" SECRET "\";\n"
    "};\n";

static void
test_token_permissions(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT, want = BUF_INIT;
	const char *tf;
	char *text;

	(void)state;
	/* a config file that holds the token must be private */
	assert_int_equal(load_mode(&cfg, &err, 0644, inline_conf), -1);
	buf_printf(&want, "%s:3: logzio.token: %s holds the Logz.io token but is "
	    "readable by group/others (mode 0644): run chmod 600 %s, or move the "
	    "token to logzio.token_file or a systemd credential "
	    "(LoadCredential=logzio-token:PATH)\n", last_path, last_path, last_path);
	assert_string_equal(err.data, want.data);
	config_free(&cfg);
	assert_int_equal(load_mode(&cfg, &err, 0640, inline_conf), -1);
	assert_has(err.data, "(mode 0640): run chmod 600 ");
	config_free(&cfg);
	assert_int_equal(load_mode(&cfg, &err, 0620, inline_conf), -1);
	assert_has(err.data, "is writable or executable by group/others (mode 0620)");
	config_free(&cfg);
	assert_loads_mode(&cfg, &err, 0600, inline_conf);
	assert_int_equal(cfg.logzio.token_source, CONFIG_TOKEN_INLINE);
	config_free(&cfg);
	assert_loads_mode(&cfg, &err, 0400, inline_conf);
	config_free(&cfg);

	/* a world-readable file without the token is fine */
	assert_loads_mode(&cfg, &err, 0644, "log_group = \"g\";\n");
	config_free(&cfg);

	/* the same for token_file */
	tf = put("token644", 0644, SECRET "\n");
	token_file_conf(&want, tf, "");
	assert_int_equal(load_mode(&cfg, &err, 0644, want.data), -1);
	text = strdup(tf);
	buf_reset(&want);
	buf_printf(&want, "%s:2: logzio.token_file: %s holds the Logz.io token but "
	    "is readable by group/others (mode 0644): run chmod 600 %s\n",
	    last_path, text, text);
	assert_string_equal(err.data, want.data);
	config_free(&cfg);
	assert_int_equal(chmod(text, 0600), 0);
	token_file_conf(&want, text, "");
	assert_loads_mode(&cfg, &err, 0644, want.data);
	assert_int_equal(cfg.logzio.token_source, CONFIG_TOKEN_FILE);
	config_free(&cfg);
	free(text);

	/* missing, a directory, relative */
	token_file_conf(&want, dir, "/none");
	assert_int_equal(load(&cfg, &err, want.data), -1);
	buf_reset(&want);
	buf_printf(&want, "%s:2: logzio.token_file: %s/none: %s\n", last_path,
	    dir, strerror(ENOENT));
	assert_string_equal(err.data, want.data);
	config_free(&cfg);
	token_file_conf(&want, dir, "");
	assert_int_equal(load(&cfg, &err, want.data), -1);
	assert_has(err.data, ": not a regular file");
	config_free(&cfg);
	expect_errors("log_group = \"g\";\nlogzio : { token_file = \"token\"; };\n",
	    ":2: logzio.token_file: \"token\" is not an absolute path\n");
	buf_free(&err);
	buf_free(&want);
}

/* The token never shows: not in -n output, not in any error. */
static void
test_token_redaction(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	char *out;

	(void)state;
	assert_loads(&cfg, &err, inline_conf);
	out = printed(&cfg);
	assert_lacks(out, SECRET);
	assert_lacks(out, "TOKEN-123");
	assert_has(out, "token = \"<redacted>\";");
	assert_has(out, "# token: inline");
	free(out);
	config_free(&cfg);

	/* refused for its mode, with other errors around */
	assert_int_equal(load_mode(&cfg, &err, 0644, "log_group = \"g\";\n"
	    "logzio : { token = \"" SECRET "\"; tokn = \"" SECRET "\"; "
	    "token_file = \"/dev/null\"; };\n"
	    "region = 5;\n"), -1);
	assert_has(err.data, "chmod 600");
	assert_has(err.data, "logzio.tokn: unknown key");
	assert_has(err.data, "only one of");
	assert_has(err.data, "region: ");
	assert_lacks(err.data, "TOKEN-123");
	config_free(&cfg);

	/* a token that is not one is refused without quoting it */
	assert_int_equal(load(&cfg, &err, "log_group = \"g\";\n"
	    "logzio : { token = \"SECRET TOKEN-123\\n\"; };\n"), -1);
	assert_errors(&err, ":2: logzio.token: the token holds spaces, control "
	    "or non-ASCII characters\n");
	config_free(&cfg);
	assert_int_equal(load(&cfg, &err, "log_group = \"g\";\n"
	    "logzio : { token = 12345678; };\n"), -1);
	assert_lacks(err.data, "12345678");
	config_free(&cfg);

	/* syntax errors do not quote the file */
	assert_int_equal(load(&cfg, &err, "logzio : { token = \"" SECRET "\"; "
	    "type = ; };\n"), -1);
	assert_lacks(err.data, "TOKEN-123");
	assert_has(err.data, ":1: ");
	config_free(&cfg);

	/* the KMS ciphertext is not shown either */
	assert_loads(&cfg, &err, "log_group = \"g\";\n"
	    "logzio : { token_kms = \"QUJDREVGR0hJSktMTU5PUA==\"; };\n");
	out = printed(&cfg);
	assert_lacks(out, "QUJDREVGR0hJSktMTU5PUA==");
	assert_has(out, "token_kms = \"<redacted>\";");
	assert_has(out, "# token: token_kms");
	free(out);
	config_free(&cfg);
	buf_free(&err);
}

static void
test_token_sources(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT, tok = BUF_INIT, text = BUF_INIT;
	char credir[300], *out;
	const char *tf;

	(void)state;
	/* inline */
	assert_loads(&cfg, &err, inline_conf);
	assert_string_equal(config_token_source_name(cfg.logzio.token_source),
	    "inline");
	assert_int_equal(config_require_token(&cfg, &err), 0);
	assert_int_equal(config_read_token(&cfg, &tok, &err), 0);
	assert_string_equal(tok.data, SECRET);
	config_free(&cfg);

	/* token_file: surrounding white space trimmed, read at each call */
	tf = put("tokfile", 0600, "  tok-abc\r\n\n");
	token_file_conf(&text, tf, "");
	assert_loads(&cfg, &err, text.data);
	assert_string_equal(config_token_source_name(cfg.logzio.token_source),
	    "token_file");
	buf_reset(&tok);
	assert_int_equal(config_read_token(&cfg, &tok, &err), 0);
	assert_string_equal(tok.data, "tok-abc");
	out = printed(&cfg);
	assert_has(out, "# token: token_file ");
	assert_has(out, tf);
	free(out);
	put("tokfile", 0600, "tok-new\n");	/* as after a SIGHUP */
	buf_reset(&tok);
	assert_int_equal(config_read_token(&cfg, &tok, &err), 0);
	assert_string_equal(tok.data, "tok-new");
	put("tokfile", 0600, "tok 1\n");
	buf_reset(&tok);
	buf_reset(&err);
	assert_int_equal(config_read_token(&cfg, &tok, &err), -1);
	assert_int_equal(tok.len, 0);
	assert_has(err.data, "logzio.token_file: ");
	assert_has(err.data, "the token holds spaces");
	assert_lacks(err.data, "tok 1");
	put("tokfile", 0600, "\n");
	buf_reset(&err);
	assert_int_equal(config_read_token(&cfg, &tok, &err), -1);
	assert_has(err.data, "the token is empty");
	put("tokfile", 0644, "tok-abc\n");
	buf_reset(&err);
	assert_int_equal(config_read_token(&cfg, &tok, &err), -1);
	assert_has(err.data, "run chmod 600");
	assert_int_equal(tok.len, 0);
	config_free(&cfg);

	/* the systemd credential, when nothing else is configured */
	snprintf(credir, sizeof(credir), "%s/credentials", dir);
	assert_int_equal(mkdir(credir, 0700), 0);
	put("credentials/logzio-token", 0400, "cred-tok\n");
	setenv("CREDENTIALS_DIRECTORY", credir, 1);
	assert_loads(&cfg, &err, "log_group = \"g\";\n");
	assert_int_equal(cfg.logzio.token_source, CONFIG_TOKEN_CREDENTIAL);
	assert_string_equal(config_token_source_name(cfg.logzio.token_source),
	    "systemd credential");
	assert_int_equal(config_require_token(&cfg, &err), 0);
	buf_reset(&tok);
	assert_int_equal(config_read_token(&cfg, &tok, &err), 0);
	assert_string_equal(tok.data, "cred-tok");
	out = printed(&cfg);
	assert_has(out, "# token: systemd credential ");
	assert_has(out, "/credentials/logzio-token");
	assert_lacks(out, "cred-tok\n");
	free(out);
	config_free(&cfg);
	/* ... but a configured source wins */
	put("tokfile", 0600, "tok-abc\n");
	assert_loads(&cfg, &err, text.data);
	assert_int_equal(cfg.logzio.token_source, CONFIG_TOKEN_FILE);
	config_free(&cfg);
	/* ... and an empty credential directory is no source */
	unlink(put("credentials/logzio-token", 0400, ""));
	assert_loads(&cfg, &err, "log_group = \"g\";\n");
	assert_int_equal(cfg.logzio.token_source, CONFIG_TOKEN_NONE);
	buf_reset(&err);
	assert_int_equal(config_require_token(&cfg, &err), -1);
	assert_has(err.data, "$CREDENTIALS_DIRECTORY has no logzio-token");
	config_free(&cfg);
	unsetenv("CREDENTIALS_DIRECTORY");

	/* KMS: recorded, with its context; decrypting is the AWS client's */
	assert_loads(&cfg, &err, "log_group = \"g\";\nlogzio : {\n"
	    "  token_kms = \"AQIDBAUG+/8=\";\n"
	    "  token_kms_context = { LambdaFunctionName = \"shipper\"; };\n};\n");
	assert_int_equal(cfg.logzio.token_source, CONFIG_TOKEN_KMS);
	assert_string_equal(cfg.logzio.token_kms, "AQIDBAUG+/8=");
	assert_int_equal(cfg.logzio.token_kms_context.n, 1);
	assert_string_equal(cfg.logzio.token_kms_context.kv[0].key,
	    "LambdaFunctionName");
	assert_string_equal(cfg.logzio.token_kms_context.kv[0].value, "shipper");
	assert_int_equal(config_require_token(&cfg, &err), 0);
	buf_reset(&err);
	buf_reset(&tok);
	assert_int_equal(config_read_token(&cfg, &tok, &err), -1);
	assert_int_equal(tok.len, 0);
	assert_has(err.data, "logzio.token_kms: must be decrypted by the AWS client");
	out = printed(&cfg);
	assert_has(out, "LambdaFunctionName = \"shipper\";");
	free(out);
	config_free(&cfg);
	expect_errors("log_group = \"g\";\n"
	    "logzio : { token_kms = \"not base64!\"; };\n",
	    ":2: logzio.token_kms: must be the base64 KMS ciphertext of the token\n");
	expect_errors("log_group = \"g\";\nlogzio : {\n"
	    "  token_kms_context = { a = \"b\"; };\n};\n",
	    ":3: logzio.token_kms_context: needs logzio.token_kms\n");
	buf_free(&err);
	buf_free(&tok);
	buf_free(&text);
}

static void
test_token_exclusive(void **state)
{
	static const char *const want[] = {
		(":4: logzio.token_file: only one of logzio.token, "
		    "logzio.token_file and logzio.token_kms may be set"),
		(":5: logzio.token_kms: only one of logzio.token, "
		    "logzio.token_file and logzio.token_kms may be set"),
	};
	const char *tf = put("tokx", 0600, "abc\n");
	struct buf text = BUF_INIT;

	(void)state;
	buf_printf(&text, "log_group = \"g\";\nlogzio : {\n"
	    "  token = \"" SECRET "\";\n"
	    "  token_file = \"%s\";\n"
	    "  token_kms = \"AQID\";\n};\n", tf);
	expect_lines(text.data, want, NELEM(want));
	buf_free(&text);
}

/* An @include'd file that holds the token is checked, by its own name. */
static void
test_include(void **state)
{
	struct config cfg;
	struct buf err = BUF_INIT, want = BUF_INIT;
	const char *inc;

	(void)state;
	inc = put("secret.inc", 0644, "logzio : {\n  token = \"" SECRET "\";\n};\n");
	assert_int_equal(load(&cfg, &err, "log_group = \"g\";\n"
	    "@include \"secret.inc\"\n"), -1);
	buf_printf(&want, "%s:2: logzio.token: %s holds the Logz.io token", inc, inc);
	assert_has(err.data, want.data);
	assert_lacks(err.data, "TOKEN-123");
	config_free(&cfg);
	assert_int_equal(chmod(inc, 0600), 0);
	assert_loads_mode(&cfg, &err, 0644, "log_group = \"g\";\n"
	    "@include \"secret.inc\"\n");
	assert_int_equal(cfg.logzio.token_source, CONFIG_TOKEN_INLINE);
	config_free(&cfg);
	put("bad.inc", 0600, "\npoll_interval = 0;\n");
	assert_int_equal(load(&cfg, &err, "log_group = \"g\";\n"
	    "@include \"bad.inc\"\n"), -1);
	buf_reset(&want);
	buf_printf(&want, "%s/bad.inc:2: poll_interval: must be between", dir);
	assert_has(err.data, want.data);
	config_free(&cfg);
	put("syntax.inc", 0600, "\n\npoll_interval = ;\n");
	assert_int_equal(load(&cfg, &err, "log_group = \"g\";\n"
	    "@include \"syntax.inc\"\n"), -1);
	buf_reset(&want);
	buf_printf(&want, "%s/syntax.inc:3: syntax error\n", dir);
	assert_string_equal(err.data, want.data);
	config_free(&cfg);
	buf_free(&err);
	buf_free(&want);
}

/* etc/example.conf loads and documents every key (run from the source root). */
static void
test_example_conf(void **state)
{
	static const char *const every[] = {
		"log_group", "region", "endpoint", "log_stream_prefix",
		"filter_pattern", "format", "poll_interval", "max_delay",
		"start_position", "state_dir", "shutdown_timeout", "ca_file",
		"aws", "profile", "max_rps", "role_arn", "external_id", "fips",
		"sts_endpoint", "kms_endpoint", "logzio", "url", "token",
		"token_file", "token_kms", "token_kms_context", "type",
		"compress", "batch_bytes", "flush_interval", "timeout",
		"fields", "style", "include_message", "add",
	};
	struct config cfg;
	struct buf err = BUF_INIT, text = BUF_INIT, needle = BUF_INIT;
	size_t i, j;

	(void)state;
	if (buf_read_file(&text, "etc/example.conf") == -1)
		fail_msg("etc/example.conf: %s (run from the source root)",
		    strerror(errno));
	/* each key is set, or shown commented out: "KEY = " or "KEY : " */
	for (i = 0; i < NELEM(every); i++) {
		for (j = 0; j < 6; j++) {
			buf_reset(&needle);
			buf_printf(&needle, "%c%s %c ", " \n#"[j % 3], every[i],
			    j < 3 ? '=' : ':');
			if (strstr(text.data, needle.data) != NULL)
				break;
		}
		if (j == 6)
			fail_msg("etc/example.conf does not show %s", every[i]);
	}
	if (config_load(&cfg, "etc/example.conf", &err) != 0)
		fail_msg("%s", err.data);
	assert_string_equal(cfg.log_group, "/vpc/flowlogs/prod");
	assert_string_equal(cfg.fields.add_json, "\"env\":\"prod\"");
	assert_string_equal(cfg.state_dir, "/var/lib/vpcflowd/example");
	config_free(&cfg);
	buf_free(&err);
	buf_free(&text);
	buf_free(&needle);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, each),
		cmocka_unit_test_setup(test_minimal, each),
		cmocka_unit_test_setup(test_all_keys, each),
		cmocka_unit_test_setup(test_print_round_trip, each),
		cmocka_unit_test_setup(test_parse_duration, each),
		cmocka_unit_test_setup(test_duration_keys, each),
		cmocka_unit_test_setup(test_unknown_keys, each),
		cmocka_unit_test_setup(test_wrong_types, each),
		cmocka_unit_test_setup(test_out_of_range, each),
		cmocka_unit_test_setup(test_syntax_error, each),
		cmocka_unit_test_setup(test_missing_file, each),
		cmocka_unit_test_setup(test_format, each),
		cmocka_unit_test_setup(test_start_position, each),
		cmocka_unit_test_setup(test_log_group_arn, each),
		cmocka_unit_test_setup(test_strings, each),
		cmocka_unit_test_setup(test_fields_add, each),
		cmocka_unit_test_setup(test_fields_add_reserved, each),
		cmocka_unit_test_setup(test_token_permissions, each),
		cmocka_unit_test_setup(test_token_redaction, each),
		cmocka_unit_test_setup(test_token_sources, each),
		cmocka_unit_test_setup(test_token_exclusive, each),
		cmocka_unit_test_setup(test_include, each),
		cmocka_unit_test_setup(test_example_conf, each),
	};

	umask(022);
	return cmocka_run_group_tests(tests, setup, teardown);
}
