/*
 * Unit tests for daemon: which configuration keys a SIGHUP may not change.
 * The loop itself runs against the fakes in the pipeline_* scenarios.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "daemon.h"

/* Replace the string member *m with v (NULL: unset). */
static void
set_str(char **m, const char *v)
{
	free(*m);
	*m = v != NULL ? strdup(v) : NULL;
	if (v != NULL)
		assert_non_null(*m);
}

struct pair {
	struct config	a, b;
};

static int
setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	config_defaults(&p->a);
	config_defaults(&p->b);
	set_str(&p->a.log_group, "/vpc/flowlogs/prod");
	set_str(&p->b.log_group, "/vpc/flowlogs/prod");
	set_str(&p->a.state_dir, "/var/lib/vpcflowd/prod");
	set_str(&p->b.state_dir, "/var/lib/vpcflowd/prod");
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	config_free(&p->a);
	config_free(&p->b);
	free(p);
	return 0;
}

static void
test_same(void **state)
{
	struct pair *p = *state;

	assert_null(daemon_fixed_key(&p->a, &p->b));
}

/*
 * Change *m in b (set, then unset): daemon_fixed_key names key; restored,
 * nothing differs.
 */
static void
expect_fixed(struct pair *p, char **m, const char *key)
{
	char *saved = *m != NULL ? strdup(*m) : NULL;

	set_str(m, "changed");
	assert_string_equal(daemon_fixed_key(&p->a, &p->b), key);
	set_str(m, NULL);
	if (saved != NULL)
		assert_string_equal(daemon_fixed_key(&p->a, &p->b), key);
	set_str(m, saved);
	free(saved);
	assert_null(daemon_fixed_key(&p->a, &p->b));
}

/* Every key that says where to read or keep state, or how to reach AWS. */
static void
test_fixed(void **state)
{
	struct pair *p = *state;

	expect_fixed(p, &p->b.log_group, "log_group");
	expect_fixed(p, &p->b.log_group_arn, "log_group");
	expect_fixed(p, &p->b.region, "region");
	expect_fixed(p, &p->b.endpoint, "endpoint");
	expect_fixed(p, &p->b.state_dir, "state_dir");
	expect_fixed(p, &p->b.ca_file, "ca_file");
	expect_fixed(p, &p->b.aws.profile, "aws.profile");
	expect_fixed(p, &p->b.aws.role_arn, "aws.role_arn");
	expect_fixed(p, &p->b.aws.external_id, "aws.external_id");
	expect_fixed(p, &p->b.aws.sts_endpoint, "aws.sts_endpoint");
	expect_fixed(p, &p->b.aws.kms_endpoint, "aws.kms_endpoint");
	p->b.aws.fips = !p->a.aws.fips;
	assert_string_equal(daemon_fixed_key(&p->a, &p->b), "aws.fips");
}

/* What takes effect live is not reported. */
static void
test_live(void **state)
{
	struct pair *p = *state;

	p->b.poll_interval = p->a.poll_interval + 1;
	p->b.max_delay = p->a.max_delay + 60;
	p->b.aws.max_rps = 1.5;
	p->b.logzio.batch_bytes = 5000;
	p->b.logzio.compress = !p->a.logzio.compress;
	p->b.fields.include_message = !p->a.fields.include_message;
	set_str(&p->b.logzio.url, "https://listener-eu.logz.io:8071");
	set_str(&p->b.log_stream_prefix, "eni-");
	set_str(&p->b.filter_pattern, "REJECT");
	set_str(&p->b.start_position, "beginning");
	assert_null(daemon_fixed_key(&p->a, &p->b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
