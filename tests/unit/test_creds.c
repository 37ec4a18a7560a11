/*
 * Unit tests for creds: chain order, the expiry-aware cache, invalidation,
 * the environment and shared files providers (temporary files), the JSON
 * credentials parser, and that no secret ever reaches an error message.
 * Nothing here talks to the network: IMDS is disabled, and the only HTTP
 * attempted goes to a closed port on 127.0.0.1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "creds.h"
#include "creds_provider.h"
#include "log.h"

#define AKID	"AKIDEXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN	"FakeSessionToken0001"
#define AKID2	"AKIDPROFILE2"
#define SECRET2	"profileSecretKey000000000000000000000002"
#define T0	((time_t)1700000000)

static char tmpdir[64];

/* No secret of these tests appears in s. */
static void
assert_no_secret(const char *s)
{
	static const char *secrets[] = { AKID, SECRET, TOKEN, AKID2, SECRET2,
	    "webtoken-SECRET", "container-SECRET" };
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(s, secrets[i]) != NULL)
			fail_msg("secret %s in \"%s\"", secrets[i], s);
}

/* A provider whose answers the test sets. */
struct fake {
	enum creds_result	 result;
	const char		*why;
	const char		*secret;
	time_t			 expiration;
	int			 calls;
};

static enum creds_result
fake_get(struct creds_provider *p, struct aws_creds *out, struct buf *err)
{
	struct fake *f = p->ctx;

	f->calls++;
	if (f->why != NULL)
		buf_addstr(err, f->why);
	if (f->result == CREDS_OK) {
		out->access_key_id = buf_strdup(AKID);
		out->secret_access_key = buf_strdup(f->secret ? f->secret :
		    SECRET);
		out->session_token = buf_strdup(TOKEN);
		out->expiration = f->expiration;
	}
	return f->result;
}

static struct creds_chain *
fake_chain(struct fake *f, size_t n)
{
	static const char *names[] = { "first", "second", "third" };
	struct creds_provider *p[3];
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = creds_provider_new(names[i], fake_get, NULL, &f[i]);
	return creds_chain_of(p, n);
}

/* Unset every variable a provider reads; HOME is an empty directory. */
static int
setup_env(void **state)
{
	static const char *vars[] = { "AWS_ACCESS_KEY_ID",
	    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	    "AWS_CREDENTIAL_EXPIRATION", "AWS_WEB_IDENTITY_TOKEN_FILE",
	    "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_PROFILE",
	    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_REGION",
	    "AWS_DEFAULT_REGION" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	strcpy(tmpdir, "/tmp/vpcflowd-test-creds-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	setenv("HOME", tmpdir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	return 0;
}

static int
teardown_env(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to tmpdir/name (directories made as needed); returns the path. */
static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	char dir[256];
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/.aws", tmpdir);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
test_chain_order(void **state)
{
	struct fake f[3] = {
		{ CREDS_NOT_FOUND, "a not set", NULL, 0, 0 },
		{ CREDS_OK, NULL, NULL, 0, 0 },
		{ CREDS_OK, NULL, NULL, 0, 0 },
	};
	struct creds_chain *chain = fake_chain(f, 3);
	struct buf err = BUF_INIT;
	const struct aws_creds *c;

	(void)state;
	assert_null(creds_source(chain));
	assert_non_null(c = creds_get(chain, T0, &err));
	assert_string_equal(c->access_key_id, AKID);
	assert_string_equal(creds_source(chain), "second");
	assert_int_equal(f[0].calls, 1);
	assert_int_equal(f[1].calls, 1);
	assert_int_equal(f[2].calls, 0);
	/* Long-term keys are cached for good. */
	assert_non_null(creds_get(chain, T0 + 86400 * 365, &err));
	assert_int_equal(f[1].calls, 1);
	assert_int_equal(err.len, 0);
	creds_chain_free(chain);
	buf_free(&err);
}

static void
test_chain_error_stops(void **state)
{
	struct fake f[3] = {
		{ CREDS_NOT_FOUND, "a not set", NULL, 0, 0 },
		{ CREDS_ERROR, "b broke", NULL, 0, 0 },
		{ CREDS_OK, NULL, NULL, 0, 0 },
	};
	struct creds_chain *chain = fake_chain(f, 3);
	struct buf err = BUF_INIT;

	(void)state;
	assert_null(creds_get(chain, T0, &err));
	assert_string_equal(err.data, "no usable AWS credentials: first: a not "
	    "set; second: b broke");
	assert_int_equal(f[2].calls, 0);
	assert_null(creds_source(chain));
	creds_chain_free(chain);
	buf_free(&err);
}

static void
test_refresh_margin(void **state)
{
	struct fake f[1] = { { CREDS_OK, NULL, NULL, T0 + 3600, 0 } };
	struct creds_chain *chain = fake_chain(f, 1);
	struct buf err = BUF_INIT;

	(void)state;
	assert_non_null(creds_get(chain, T0, &err));
	assert_int_equal(f[0].calls, 1);
	assert_non_null(creds_get(chain, T0 + 3600 - CREDS_REFRESH_MARGIN - 1,
	    &err));
	assert_int_equal(f[0].calls, 1);
	f[0].expiration = T0 + 7200;
	assert_non_null(creds_get(chain, T0 + 3600 - CREDS_REFRESH_MARGIN,
	    &err));
	assert_int_equal(f[0].calls, 2);
	assert_non_null(creds_get(chain, T0 + 7200 - CREDS_REFRESH_MARGIN - 1,
	    &err));
	assert_int_equal(f[0].calls, 2);
	creds_chain_free(chain);
	buf_free(&err);
}

static void
test_refresh_failure(void **state)
{
	struct fake f[1] = { { CREDS_OK, NULL, NULL, T0 + 3600, 0 } };
	struct creds_chain *chain = fake_chain(f, 1);
	struct buf err = BUF_INIT;
	time_t t = T0 + 3600 - 100;

	(void)state;
	assert_non_null(creds_get(chain, T0, &err));
	f[0].result = CREDS_ERROR;
	f[0].why = "STS said no";
	/* Still valid for 100 s: kept, and asked again 30 s later only. */
	assert_non_null(creds_get(chain, t, &err));
	assert_int_equal(f[0].calls, 2);
	assert_non_null(creds_get(chain, t + 29, &err));
	assert_int_equal(f[0].calls, 2);
	assert_non_null(creds_get(chain, t + 30, &err));
	assert_int_equal(f[0].calls, 3);
	assert_int_equal(err.len, 0);
	/* Expired: nothing to give. */
	assert_null(creds_get(chain, T0 + 3600, &err));
	assert_string_equal(err.data, "no usable AWS credentials: first: STS "
	    "said no");
	creds_chain_free(chain);
	buf_free(&err);
}

static void
test_invalidate(void **state)
{
	struct fake f[1] = { { CREDS_OK, NULL, NULL, T0 + 3600, 0 } };
	struct creds_chain *chain = fake_chain(f, 1);
	struct buf err = BUF_INIT;

	(void)state;
	assert_non_null(creds_get(chain, T0, &err));
	creds_invalidate(chain);
	assert_null(creds_source(chain));
	assert_non_null(creds_get(chain, T0 + 1, &err));
	assert_int_equal(f[0].calls, 2);
	assert_string_equal(creds_source(chain), "first");
	creds_chain_free(chain);
	buf_free(&err);
}

static void
test_short_lived_and_expired(void **state)
{
	struct fake f[1] = { { CREDS_OK, NULL, NULL, T0 + 100, 0 } };
	struct creds_chain *chain = fake_chain(f, 1);
	struct buf err = BUF_INIT;

	(void)state;
	/* Less than the margin left: used, and fetched again halfway. */
	assert_non_null(creds_get(chain, T0, &err));
	assert_non_null(creds_get(chain, T0 + 49, &err));
	assert_int_equal(f[0].calls, 1);
	assert_non_null(creds_get(chain, T0 + 50, &err));
	assert_int_equal(f[0].calls, 2);
	creds_invalidate(chain);
	/* Already expired when given: an error. */
	assert_null(creds_get(chain, T0 + 100, &err));
	assert_string_equal(err.data, "no usable AWS credentials: first: the "
	    "credentials it gave have expired already (is the clock right?)");
	creds_chain_free(chain);
	buf_free(&err);
}

static void
test_unusable_creds(void **state)
{
	struct fake f[2] = {
		{ CREDS_OK, NULL, "secret with space", 0, 0 },
		{ CREDS_OK, NULL, NULL, 0, 0 },
	};
	struct creds_chain *chain = fake_chain(f, 2);
	struct buf err = BUF_INIT;

	(void)state;
	assert_null(creds_get(chain, T0, &err));
	assert_string_equal(err.data, "no usable AWS credentials: first: the "
	    "secret access key has characters that are not allowed");
	assert_null(strstr(err.data, "with space"));
	creds_chain_free(chain);
	buf_free(&err);
}

/* Run provider p once; returns its result, the error in err. */
static enum creds_result
run_provider(struct creds_provider *p, struct aws_creds *c, struct buf *err)
{
	enum creds_result r;

	memset(c, 0, sizeof(*c));
	buf_reset(err);
	r = p->get(p, c, err);
	assert_no_secret(err->data);
	return r;
}

static void
test_env(void **state)
{
	struct creds_provider *p = creds_env_new();
	struct aws_creds c;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(run_provider(p, &c, &err), CREDS_NOT_FOUND);
	setenv("AWS_ACCESS_KEY_ID", AKID, 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_string_equal(err.data, "AWS_ACCESS_KEY_ID is set but "
	    "AWS_SECRET_ACCESS_KEY is not");
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_OK);
	assert_string_equal(c.access_key_id, AKID);
	assert_string_equal(c.secret_access_key, SECRET);
	assert_null(c.session_token);
	assert_int_equal(c.expiration, 0);
	aws_creds_clear(&c);
	setenv("AWS_SESSION_TOKEN", TOKEN, 1);
	setenv("AWS_CREDENTIAL_EXPIRATION", "2023-11-14T22:13:20Z", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_OK);
	assert_string_equal(c.session_token, TOKEN);
	assert_int_equal(c.expiration, T0);
	aws_creds_clear(&c);
	setenv("AWS_CREDENTIAL_EXPIRATION", "soon", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	creds_provider_free(p);
	buf_free(&err);
}

static void
test_profile_static(void **state)
{
	struct creds_opts opts;
	struct creds_provider *p;
	struct aws_creds c;
	struct buf err = BUF_INIT, where = BUF_INIT;
	char *region;

	(void)state;
	memset(&opts, 0, sizeof(opts));
	p = creds_profile_new(&opts, NULL, 0);
	assert_int_equal(run_provider(p, &c, &err), CREDS_NOT_FOUND);
	assert_non_null(strstr(err.data, "profile 'default' not found in "));
	assert_string_equal(p->name, "shared files (profile 'default')");

	write_file(".aws/credentials",
	    "[default]\naws_access_key_id = " AKID "\n"
	    "aws_secret_access_key = " SECRET "\n"
	    "[prod]\naws_access_key_id=" AKID2 "\n");
	write_file(".aws/config",
	    "[default]\nregion = eu-west-1\n"
	    "[profile prod]\naws_secret_access_key = " SECRET2 "\n"
	    "aws_session_token = " TOKEN "\nregion = us-east-2\n"
	    "[profile half]\naws_access_key_id = " AKID2 "\n"
	    "[profile regiononly]\nregion = ap-south-1\n"
	    "[profile sso]\nsso_session = x\n");
	assert_int_equal(run_provider(p, &c, &err), CREDS_OK);
	assert_string_equal(c.access_key_id, AKID);
	assert_string_equal(c.secret_access_key, SECRET);
	assert_null(c.session_token);
	aws_creds_clear(&c);
	creds_provider_free(p);

	/* Both files make up one profile: the credentials file first. */
	setenv("AWS_PROFILE", "prod", 1);
	p = creds_profile_new(&opts, NULL, 0);
	assert_int_equal(run_provider(p, &c, &err), CREDS_OK);
	assert_string_equal(c.access_key_id, AKID2);
	assert_string_equal(c.secret_access_key, SECRET2);
	assert_string_equal(c.session_token, TOKEN);
	assert_string_equal(p->name, "shared files (profile 'prod')");
	aws_creds_clear(&c);
	assert_int_equal(creds_profile_region(NULL, &region, &where, &err), 0);
	assert_string_equal(region, "us-east-2");
	assert_non_null(strstr(where.data, "profile 'prod' in "));
	assert_non_null(strstr(where.data, "/.aws/config"));
	free(region);

	/* aws.profile wins over AWS_PROFILE. */
	opts.profile = "half";
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_string_equal(err.data, "profile 'half' has aws_access_key_id "
	    "but no aws_secret_access_key");
	opts.profile = "regiononly";
	assert_int_equal(run_provider(p, &c, &err), CREDS_NOT_FOUND);
	assert_string_equal(err.data, "profile 'regiononly' has no credentials");
	opts.profile = "sso";
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "does not support"));
	/* An explicit profile that is missing is an error, not "try the next". */
	opts.profile = "nosuch";
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "profile 'nosuch' not found in "));
	assert_non_null(strstr(err.data, "/.aws/credentials or "));
	creds_provider_free(p);
	unsetenv("AWS_PROFILE");
	buf_free(&err);
	buf_free(&where);
}

static void
test_profile_files_env(void **state)
{
	struct creds_opts opts;
	struct creds_provider *p;
	struct aws_creds c;
	struct buf err = BUF_INIT;
	const char *path;

	(void)state;
	memset(&opts, 0, sizeof(opts));
	p = creds_profile_new(&opts, NULL, 0);
	path = write_file("creds-elsewhere", "# mine\n[default]\n"
	    "aws_access_key_id = " AKID2 "\naws_secret_access_key = " SECRET2
	    "\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_OK);
	assert_string_equal(c.access_key_id, AKID2);
	aws_creds_clear(&c);
	/* A syntax error names the file and line, never the text. */
	path = write_file("creds-bad", "[default]\naws_access_key_id = " AKID2
	    "\n" SECRET2 "\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "creds-bad: line 3: expected"));
	/* A directory where a file should be: cannot read it. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", tmpdir, 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "cannot read"));
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	creds_provider_free(p);
	buf_free(&err);
}

static void
test_profile_role_errors(void **state)
{
	static const struct { const char *profile; const char *err; } cases[] = {
		{ "nosource", "profile 'nosource' has role_arn and needs exactly "
		    "one of source_profile and credential_source" },
		{ "both", "profile 'both' has role_arn and needs exactly one of "
		    "source_profile and credential_source" },
		{ "mfa", "profile 'mfa' needs an MFA code (mfa_serial), which a "
		    "daemon cannot give" },
		{ "badsrc", "source_profile 'ghost' of profile 'badsrc' not found" },
		{ "badcs", "profile 'badcs': credential_source must be "
		    "Environment, Ec2InstanceMetadata or EcsContainer" },
		{ "loop1", "more than 5 profiles chained by source_profile" },
		{ "selfnokeys", "profile 'selfnokeys' has no credentials" },
		{ "envsrc", "no usable AWS credentials: environment: "
		    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set" },
	};
	struct creds_opts opts;
	struct creds_provider *p;
	struct aws_creds c;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	write_file(".aws/config",
	    "[profile nosource]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "[profile both]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "source_profile = x\ncredential_source = Environment\n"
	    "[profile mfa]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "source_profile = mfa\nmfa_serial = arn:aws:iam::1:mfa/u\n"
	    "aws_access_key_id = " AKID "\naws_secret_access_key = " SECRET "\n"
	    "[profile badsrc]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "source_profile = ghost\n"
	    "[profile badcs]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "credential_source = Somewhere\n"
	    "[profile loop1]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "source_profile = loop2\n"
	    "[profile loop2]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "source_profile = loop1\n"
	    "[profile selfnokeys]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "source_profile = selfnokeys\n"
	    "[profile envsrc]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "credential_source = Environment\n");
	memset(&opts, 0, sizeof(opts));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		opts.profile = cases[i].profile;
		p = creds_profile_new(&opts, NULL, 0);
		assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
		if (strstr(err.data, cases[i].err) == NULL)
			fail_msg("%s: %s", cases[i].profile, err.data);
		assert_non_null(strstr(p->name, "role arn:aws:iam::1:role/r"));
		creds_provider_free(p);
	}
	buf_free(&err);
}

static void
test_default_chain(void **state)
{
	struct creds_opts opts;
	struct creds_chain *chain;
	struct buf err = BUF_INIT;

	(void)state;
	memset(&opts, 0, sizeof(opts));
	opts.region = "us-east-1";
	chain = creds_chain_new(&opts);
	assert_null(creds_get(chain, time(NULL), &err));
	assert_no_secret(err.data);
	assert_non_null(strstr(err.data, "no usable AWS credentials: "
	    "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set; "
	    "web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set; shared files "
	    "(profile 'default'): profile 'default' not found in "));
	assert_non_null(strstr(err.data, "; container: "
	    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
	    "AWS_CONTAINER_CREDENTIALS_FULL_URI not set; IMDSv2: disabled by "
	    "AWS_EC2_METADATA_DISABLED"));

	/* Shared files, then the environment first. */
	write_file(".aws/credentials", "[default]\naws_access_key_id = " AKID2
	    "\naws_secret_access_key = " SECRET2 "\n");
	assert_non_null(creds_get(chain, time(NULL), &err));
	assert_string_equal(creds_source(chain),
	    "shared files (profile 'default')");
	setenv("AWS_ACCESS_KEY_ID", AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	creds_invalidate(chain);
	assert_string_equal(creds_get(chain, time(NULL), &err)->access_key_id,
	    AKID);
	assert_string_equal(creds_source(chain), "environment");
	creds_chain_free(chain);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	/* A broken web identity setup stops the chain before shared files. */
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
	chain = creds_chain_new(&opts);
	assert_null(creds_get(chain, time(NULL), &err));
	assert_non_null(strstr(err.data, "web identity: AWS_WEB_IDENTITY_TOKEN_"
	    "FILE is set but AWS_ROLE_ARN is not"));
	setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/r", 1);
	buf_reset(&err);
	assert_null(creds_get(chain, time(NULL), &err));
	assert_non_null(strstr(err.data, "web identity (role arn:aws:iam::1:"
	    "role/r): cannot read /nonexistent/token: "));
	assert_null(strstr(err.data, "shared files"));
	creds_chain_free(chain);
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_ROLE_ARN");
	buf_free(&err);
}

static void
test_container_errors(void **state)
{
	struct creds_provider *p = creds_container_new(NULL);
	struct aws_creds c;
	struct buf err = BUF_INIT;
	const char *path;

	(void)state;
	assert_int_equal(run_provider(p, &c, &err), CREDS_NOT_FOUND);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "must be https, or http to a loopback"));
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://127.0.0.1@example.com/creds", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "must be https"));
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "must be https"));
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.evil/c", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "must be https"));
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/a b", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_string_equal(err.data, "AWS_CONTAINER_CREDENTIALS_FULL_URI holds "
	    "white space");
	/* Allowed (loopback, link-local, https), but nothing listens there. */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[::1]:1/creds", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "GET http://[::1]:1/creds: "));
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://localhost:1/c", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "GET https://localhost:1/c: "));
	/* The token is never in the error. */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-SECRET", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "GET http://127.0.0.1:1/creds: "));
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "bad\r\nX-Injected: 1", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_string_equal(err.data, "AWS_CONTAINER_AUTHORIZATION_TOKEN holds "
	    "a line break");
	path = write_file("ctoken", "container-SECRET\nsecond line\n");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "holds more than one line"));
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	creds_provider_free(p);
	buf_free(&err);
}

static void
test_imds_unreachable(void **state)
{
	struct creds_provider *p = creds_imds_new(NULL);
	struct aws_creds c;
	struct buf err = BUF_INIT;
	char *region;

	(void)state;
	assert_int_equal(run_provider(p, &c, &err), CREDS_NOT_FOUND);
	assert_string_equal(err.data, "disabled by AWS_EC2_METADATA_DISABLED");
	assert_int_equal(creds_imds_region(&region, &err), 1);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	/* A configured address that does not answer is an error. */
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1/", 1);
	assert_int_equal(run_provider(p, &c, &err), CREDS_ERROR);
	assert_non_null(strstr(err.data, "PUT http://127.0.0.1:1/latest/api/token: "));
	assert_int_equal(creds_imds_region(&region, &err), -1);
	unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	creds_provider_free(p);
	buf_free(&err);
}

static void
test_secret_file(void **state)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	const char *path;

	(void)state;
	path = write_file("tok", "  webtoken-SECRET \r\n\n");
	assert_int_equal(creds_read_secret_file(path, &out, &err), 0);
	assert_string_equal(out.data, "webtoken-SECRET");
	buf_wipe_free(&out);
	path = write_file("empty", " \n");
	assert_int_equal(creds_read_secret_file(path, &out, &err), -1);
	assert_non_null(strstr(err.data, "empty"));
	assert_null(out.data);
	buf_free(&err);
}

static void
test_iso8601(void **state)
{
	static const struct { const char *s; time_t t; } good[] = {
		{ "2023-11-14T22:13:20Z", T0 },
		{ "2023-11-14T22:13:20.123456Z", T0 },
		{ "2023-11-14t22:13:20z", T0 },
		{ "2023-11-14 22:13:20Z", T0 },
		{ "2023-11-14T23:13:20+01:00", T0 },
		{ "2023-11-14T21:13:20-0100", T0 },
		{ "2023-11-15T00:13:20+02", T0 },
		{ "2024-02-29T00:00:00Z", 1709164800 },
	};
	static const char *bad[] = { "", "2023-11-14", "2023-11-14T22:13:20",
	    "2023-13-14T22:13:20Z", "2023-02-30T22:13:20Z", "2023-02-29T00:00:00Z",
	    "2023-11-14T24:13:20Z", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20ZZ",
	    "1969-12-31T23:59:59Z", "2023-11-14T22:13:20+25:00", "20231114T221320Z",
	    "2023-11-14T22:13:20 Z" };
	time_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (creds_parse_iso8601(good[i].s, strlen(good[i].s), &t) != 0)
			fail_msg("refused %s", good[i].s);
		assert_int_equal(t, good[i].t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (creds_parse_iso8601(bad[i], strlen(bad[i]), &t) != -1)
			fail_msg("accepted %s", bad[i]);
	/* Not NUL-terminated: the length is the bound. */
	assert_int_equal(creds_parse_iso8601("2023-11-14T22:13:20Zjunk", 20, &t), 0);
}

static void
test_json(void **state)
{
	static const struct { const char *doc; const char *err; } bad[] = {
		{ "", "credentials document is not JSON" },
		{ "[1]", "credentials document is not a JSON object" },
		{ "{\"Code\":\"Failure\",\"AccessKeyId\":\"" AKID "\"}",
		    "the credentials document says Code Failure" },
		{ "{\"Code\":7}", "the credentials document says Code (not a string)" },
		{ "{\"SecretAccessKey\":\"" SECRET "\"}",
		    "AccessKeyId missing in the credentials document" },
		{ "{\"AccessKeyId\":\"" AKID "\",\"SecretAccessKey\":5}",
		    "SecretAccessKey is not a string in the credentials document" },
		{ "{\"AccessKeyId\":\"" AKID "\",\"SecretAccessKey\":\"" SECRET
		    "\",\"Token\":\"" TOKEN "\"}",
		    "Expiration missing or not an ISO-8601 time" },
		{ "{\"AccessKeyId\":\"" AKID "\",\"SecretAccessKey\":\"" SECRET
		    "\",\"Expiration\":\"tomorrow\"}",
		    "Expiration missing or not an ISO-8601 time" },
		{ "{\"AccessKeyId\":\"" AKID "\",\"SecretAccessKey\":\"a\\u0000b"
		    "\",\"Expiration\":\"2023-11-14T22:13:20Z\"}",
		    "credentials document is not JSON" },
		{ "{\"AccessKeyId\":\"" AKID "\",\"SecretAccessKey\":\"" SECRET
		    "\",\"Token\":\"a\\nb\",\"Expiration\":\"2023-11-14T22:13:20Z\"}",
		    "the session token is empty or has characters" },
		{ "{\"AccessKeyId\":\"" AKID "\",\"AccessKeyId\":\"" AKID "\"}",
		    "credentials document is not JSON" },
	};
	static const char good[] = "{\"Code\":\"Success\",\"LastUpdated\":"
	    "\"2023-11-14T21:13:20Z\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\""
	    AKID "\",\"SecretAccessKey\":\"" SECRET "\",\"Token\":\"" TOKEN
	    "\",\"Expiration\":\"2023-11-14T22:13:20Z\"}";
	static const char container[] = "{\"RoleArn\":\"r\",\"AccessKeyId\":\""
	    AKID "\",\"SecretAccessKey\":\"" SECRET "\",\"Token\":null,"
	    "\"Expiration\":\"2023-11-14T22:13:20Z\"}";
	struct aws_creds c;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(creds_parse_json(good, strlen(good), &c, &err), 0);
	assert_string_equal(c.access_key_id, AKID);
	assert_string_equal(c.secret_access_key, SECRET);
	assert_string_equal(c.session_token, TOKEN);
	assert_int_equal(c.expiration, T0);
	aws_creds_clear(&c);
	/* Container style: no Code, Token null allowed. */
	assert_int_equal(creds_parse_json(container, strlen(container), &c,
	    &err), 0);
	assert_null(c.session_token);
	aws_creds_clear(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&err);
		assert_int_equal(creds_parse_json(bad[i].doc, strlen(bad[i].doc),
		    &c, &err), -1);
		if (strstr(err.data, bad[i].err) == NULL)
			fail_msg("case %zu: %s", i, err.data);
		assert_no_secret(err.data);
		assert_null(c.access_key_id);
		assert_null(c.secret_access_key);
	}
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_order),
		cmocka_unit_test(test_chain_error_stops),
		cmocka_unit_test(test_refresh_margin),
		cmocka_unit_test(test_refresh_failure),
		cmocka_unit_test(test_invalidate),
		cmocka_unit_test(test_short_lived_and_expired),
		cmocka_unit_test(test_unusable_creds),
		cmocka_unit_test_setup_teardown(test_env, setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_profile_static, setup_env,
		    teardown_env),
		cmocka_unit_test_setup_teardown(test_profile_files_env, setup_env,
		    teardown_env),
		cmocka_unit_test_setup_teardown(test_profile_role_errors,
		    setup_env, teardown_env),
		cmocka_unit_test_setup_teardown(test_default_chain, setup_env,
		    teardown_env),
		cmocka_unit_test_setup_teardown(test_container_errors, setup_env,
		    teardown_env),
		cmocka_unit_test_setup_teardown(test_imds_unreachable, setup_env,
		    teardown_env),
		cmocka_unit_test_setup_teardown(test_secret_file, setup_env,
		    teardown_env),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_json),
	};

	log_init(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
