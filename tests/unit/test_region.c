/*
 * Unit tests for region (pure endpoint helpers) and awssetup (region
 * resolution order, endpoints from the configuration, the -n line).
 * IMDS is disabled; HOME is an empty temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "awssetup.h"
#include "config.h"
#include "log.h"
#include "region.h"

static char tmpdir[64];

static int
setup_env(void **state)
{
	static const char *vars[] = { "AWS_REGION", "AWS_DEFAULT_REGION",
	    "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ACCESS_KEY_ID",
	    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	    "AWS_WEB_IDENTITY_TOKEN_FILE",
	    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	    "AWS_CONTAINER_CREDENTIALS_FULL_URI" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	strcpy(tmpdir, "/tmp/vpcflowd-test-region-XXXXXX");
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

static void
test_valid(void **state)
{
	(void)state;
	assert_true(region_valid("eu-west-1"));
	assert_true(region_valid("us-gov-west-1"));
	assert_true(region_valid("cn-north-1"));
	assert_false(region_valid(NULL));
	assert_false(region_valid(""));
	assert_false(region_valid("EU-WEST-1"));
	assert_false(region_valid("eu-west-1.evil.com"));
	assert_false(region_valid("eu west"));
	assert_false(region_valid("-eu"));
	assert_false(region_valid("eu-"));
	assert_false(region_valid("a-very-long-region-name-that-is-not-real-1"));
}

static void
test_endpoints(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	region_endpoint_url(&b, "logs", "eu-west-1", 0);
	assert_string_equal(b.data, "https://logs.eu-west-1.amazonaws.com");
	buf_reset(&b);
	region_endpoint_url(&b, "logs", "us-east-1", 1);
	assert_string_equal(b.data, "https://logs-fips.us-east-1.amazonaws.com");
	buf_reset(&b);
	region_endpoint_url(&b, "logs", "cn-northwest-1", 0);
	assert_string_equal(b.data, "https://logs.cn-northwest-1.amazonaws.com.cn");
	buf_reset(&b);
	region_endpoint_url(&b, "kms", "us-gov-west-1", 1);
	assert_string_equal(b.data, "https://kms-fips.us-gov-west-1.amazonaws.com");
	buf_reset(&b);
	region_endpoint_or(&b, "https://vpce-1.logs.eu-west-1.vpce.amazonaws.com/",
	    "logs", "eu-west-1", 1);
	assert_string_equal(b.data, "https://vpce-1.logs.eu-west-1.vpce.amazonaws.com");
	buf_reset(&b);
	region_endpoint_or(&b, "", "sts", "eu-west-1", 0);
	assert_string_equal(b.data, "https://sts.eu-west-1.amazonaws.com");
	assert_string_equal(region_dns_suffix("cn-north-1"), "amazonaws.com.cn");
	assert_string_equal(region_dns_suffix("us-east-1"), "amazonaws.com");
	assert_string_equal(region_source_name(REGION_FROM_AWS_REGION), "AWS_REGION");
	buf_free(&b);
}

/* Resolve with cfg_region and profile; expect region from "from". */
static void
expect_region(const char *cfg_region, const char *profile, const char *want,
    enum region_source wsrc, const char *wfrom)
{
	struct buf from = BUF_INIT, err = BUF_INIT;
	enum region_source src;
	char *region;

	if (aws_region_resolve(cfg_region, profile, &region, &src, &from,
	    &err) != 0)
		fail_msg("no region: %s", err.data);
	assert_string_equal(region, want);
	assert_int_equal(src, wsrc);
	if (strstr(from.data, wfrom) == NULL)
		fail_msg("from \"%s\", expected \"%s\"", from.data, wfrom);
	free(region);
	buf_free(&from);
	buf_free(&err);
}

static void
test_resolve_order(void **state)
{
	struct buf from = BUF_INIT, err = BUF_INIT, path = BUF_INIT;
	enum region_source src;
	char *region;
	FILE *fp;

	(void)state;
	assert_int_equal(aws_region_resolve(NULL, NULL, &region, &src, &from,
	    &err), -1);
	assert_null(region);
	assert_non_null(strstr(err.data, "no AWS region: set region in the "
	    "configuration file or AWS_REGION"));
	assert_non_null(strstr(err.data, "disabled by AWS_EC2_METADATA_DISABLED"));

	buf_printf(&path, "%s/config", tmpdir);
	assert_non_null(fp = fopen(path.data, "w"));
	fputs("[default]\nregion = ap-south-1\n[profile x]\nregion = sa-east-1\n",
	    fp);
	fclose(fp);
	setenv("AWS_CONFIG_FILE", path.data, 1);
	expect_region(NULL, NULL, "ap-south-1", REGION_FROM_PROFILE,
	    "profile 'default' in ");
	expect_region(NULL, "x", "sa-east-1", REGION_FROM_PROFILE,
	    "profile 'x' in ");
	setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
	expect_region(NULL, "x", "eu-north-1", REGION_FROM_AWS_DEFAULT_REGION,
	    "AWS_DEFAULT_REGION");
	setenv("AWS_REGION", "eu-central-1", 1);
	expect_region(NULL, "x", "eu-central-1", REGION_FROM_AWS_REGION,
	    "AWS_REGION");
	expect_region("us-west-2", "x", "us-west-2", REGION_FROM_CONFIG,
	    "configuration file");

	setenv("AWS_REGION", "eu-west-1.attacker.example", 1);
	buf_reset(&err);
	assert_int_equal(aws_region_resolve(NULL, NULL, &region, &src, &from,
	    &err), -1);
	assert_string_equal(err.data, "the region from AWS_REGION is not a "
	    "valid AWS region name");
	buf_free(&from);
	buf_free(&err);
	buf_free(&path);
}

static void
test_setup_and_describe(void **state)
{
	struct config cfg;
	struct aws_setup s;
	struct buf err = BUF_INIT;
	char line[512];
	FILE *fp;

	(void)state;
	config_defaults(&cfg);
	free(cfg.region);
	cfg.region = strdup("cn-north-1");
	assert_int_equal(aws_setup_init(&s, &cfg, &err), 0);
	assert_string_equal(s.region, "cn-north-1");
	assert_string_equal(s.region_from, "configuration file");
	assert_string_equal(s.logs_url, "https://logs.cn-north-1.amazonaws.com.cn");
	assert_string_equal(s.kms_url, "https://kms.cn-north-1.amazonaws.com.cn");
	assert_string_equal(s.sts_url, "https://sts.cn-north-1.amazonaws.com.cn");
	assert_string_equal(s.creds.region, "cn-north-1");
	aws_setup_free(&s);

	free(cfg.endpoint);
	cfg.endpoint = strdup("http://127.0.0.1:9/");
	cfg.aws.fips = 1;
	assert_int_equal(aws_setup_init(&s, &cfg, &err), 0);
	assert_string_equal(s.logs_url, "http://127.0.0.1:9");
	assert_string_equal(s.kms_url, "https://kms-fips.cn-north-1.amazonaws.com.cn");
	aws_setup_free(&s);

	/* -n: the line names the source and the region's origin, no secret. */
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	assert_non_null(fp = tmpfile());
	assert_int_equal(aws_describe_setup(&cfg, fp, &err), 0);
	rewind(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "credentials: environment, region: cn-north-1 "
	    "(from configuration file), endpoint: http://127.0.0.1:9\n");
	fclose(fp);

	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	assert_non_null(fp = tmpfile());
	assert_int_equal(aws_describe_setup(&cfg, fp, &err), -1);
	rewind(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, "credentials: none, region: cn-north-1"));
	assert_non_null(strstr(err.data, "no usable AWS credentials"));
	fclose(fp);
	config_free(&cfg);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test_setup_teardown(test_resolve_order, setup_env,
		    teardown_env),
		cmocka_unit_test_setup_teardown(test_setup_and_describe,
		    setup_env, teardown_env),
	};

	log_init(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
