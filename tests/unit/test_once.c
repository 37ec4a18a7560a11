/*
 * Unit tests for once: the window read for each start_position, and the
 * endpoints, signing region and pacing of the AWS client (no request made).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "once.h"

#define NOW	1700000000123LL

static void
test_window_beginning(void **state)
{
	struct config_start s = { CONFIG_START_BEGINNING, 0, 0 };
	int64_t start, end;

	(void)state;
	assert_int_equal(once_window(&s, NOW, &start, &end), 0);
	assert_int_equal(start, -1);
	assert_int_equal(end, NOW);
}

/* "end" without a checkpoint: from now on, so nothing for one pass. */
static void
test_window_end(void **state)
{
	struct config_start s = { CONFIG_START_END, 0, 0 };
	int64_t start, end;

	(void)state;
	assert_int_equal(once_window(&s, NOW, &start, &end), 1);
	assert_int_equal(start, NOW);
	assert_int_equal(end, NOW);
}

static void
test_window_relative(void **state)
{
	struct config_start s = { CONFIG_START_RELATIVE, 7200, 0 };
	int64_t start, end;

	(void)state;
	assert_int_equal(once_window(&s, NOW, &start, &end), 0);
	assert_int_equal(start, NOW - 7200000);
	assert_int_equal(end, NOW);
	/* Further back than the epoch: from the epoch. */
	s.seconds = 1000000000000L;
	assert_int_equal(once_window(&s, NOW, &start, &end), 0);
	assert_int_equal(start, 0);
}

static void
test_window_absolute(void **state)
{
	struct config_start s = { CONFIG_START_ABSOLUTE, 0, 1600000000000LL };
	int64_t start, end;

	(void)state;
	assert_int_equal(once_window(&s, NOW, &start, &end), 0);
	assert_int_equal(start, 1600000000000LL);
	assert_int_equal(end, NOW);
	/* In the future: nothing yet. */
	s.epoch_ms = NOW + 1;
	assert_int_equal(once_window(&s, NOW, &start, &end), 1);
	s.epoch_ms = NOW;
	assert_int_equal(once_window(&s, NOW, &start, &end), 0);
}

/* Set a string member of cfg (config_free releases it). */
static void
set(char **member, const char *value)
{
	free(*member);
	*member = value ? strdup(value) : NULL;
}

static void
check_endpoints(const char *region, int fips, const char *endpoint,
    const char *kms_endpoint, const char *logs_url, const char *kms_url)
{
	struct config cfg;
	struct once_aws a;
	struct buf err = BUF_INIT;

	config_defaults(&cfg);
	set(&cfg.log_group, "/vpc/flowlogs/x");
	set(&cfg.region, region);
	set(&cfg.endpoint, endpoint);
	set(&cfg.aws.kms_endpoint, kms_endpoint);
	cfg.aws.fips = fips;
	cfg.aws.max_rps = 3.5;
	assert_int_equal(once_aws_open(&a, &cfg, NULL, &err), 0);
	assert_string_equal(a.setup.logs_url, logs_url);
	assert_string_equal(a.setup.kms_url, kms_url);
	assert_string_equal(a.logs.region, region);
	assert_string_equal(a.logs.service, "logs");
	assert_true(a.client.pacing.rate == 3.5);
	assert_int_equal(a.client.max_attempts, ONCE_MAX_ATTEMPTS);
	once_aws_close(&a);
	config_free(&cfg);
	buf_free(&err);
}

static void
test_endpoints(void **state)
{
	(void)state;
	check_endpoints("eu-west-1", 0, NULL, NULL,
	    "https://logs.eu-west-1.amazonaws.com",
	    "https://kms.eu-west-1.amazonaws.com");
	check_endpoints("us-gov-west-1", 1, NULL, NULL,
	    "https://logs-fips.us-gov-west-1.amazonaws.com",
	    "https://kms-fips.us-gov-west-1.amazonaws.com");
	check_endpoints("cn-north-1", 0, NULL, NULL,
	    "https://logs.cn-north-1.amazonaws.com.cn",
	    "https://kms.cn-north-1.amazonaws.com.cn");
	check_endpoints("eu-west-1", 0, "https://vpce-1.logs.example:8443",
	    "https://kms.internal/", "https://vpce-1.logs.example:8443",
	    "https://kms.internal");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_beginning),
		cmocka_unit_test(test_window_end),
		cmocka_unit_test(test_window_relative),
		cmocka_unit_test(test_window_absolute),
		cmocka_unit_test(test_endpoints),
	};

	log_init(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
