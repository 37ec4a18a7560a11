/* Unit tests for ini: the shared credentials/config file format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ini.h"

#define SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static const char *
val(const struct ini *ini, const char *section, const char *key)
{
	const struct ini_entry *e = ini_get(ini, section, key);

	return e != NULL ? e->value : NULL;
}

static void
parse_ok(struct ini *ini, const char *text)
{
	struct buf err = BUF_INIT;

	if (ini_parse(ini, text, strlen(text), &err) != 0)
		fail_msg("unexpected error: %s", err.data);
	buf_free(&err);
}

/* Parse text that must fail; return the error (caller frees). */
static char *
parse_bad(const char *text, size_t len)
{
	struct ini ini;
	struct buf err = BUF_INIT;

	assert_int_equal(ini_parse(&ini, text, len, &err), -1);
	assert_int_equal(ini.n, 0);
	assert_null(ini.e);
	assert_non_null(err.data);
	return buf_detach(&err);
}

static void
test_basic(void **state)
{
	struct ini ini;

	(void)state;
	parse_ok(&ini,
	    "# a comment\n"
	    "; another\n"
	    "[default]\n"
	    "aws_access_key_id = AKIDEXAMPLE\n"
	    "aws_secret_access_key=" SECRET "\n"
	    "Region\t=   eu-west-1   # inline comment\n"
	    "\n"
	    "[profile prod]\n"
	    "role_arn = arn:aws:iam::123456789012:role/x ; comment\n"
	    "source_profile: default\n"
	    "empty =\n"
	    "with#hash = a#b\n");
	assert_int_equal(ini.nsections, 2);
	assert_true(ini_has_section(&ini, "default"));
	assert_true(ini_has_section(&ini, "profile prod"));
	assert_false(ini_has_section(&ini, "prod"));
	assert_string_equal(val(&ini, "default", "aws_access_key_id"), "AKIDEXAMPLE");
	assert_string_equal(val(&ini, "default", "aws_secret_access_key"), SECRET);
	assert_string_equal(val(&ini, "default", "region"), "eu-west-1");
	assert_int_equal(ini_get(&ini, "default", "region")->line, 6);
	assert_string_equal(val(&ini, "profile prod", "role_arn"),
	    "arn:aws:iam::123456789012:role/x");
	assert_string_equal(val(&ini, "profile prod", "source_profile"), "default");
	assert_string_equal(val(&ini, "profile prod", "empty"), "");
	assert_string_equal(val(&ini, "profile prod", "with#hash"), "a#b");
	assert_null(val(&ini, "default", "role_arn"));
	assert_null(val(&ini, "nosuch", "region"));
	ini_free(&ini);
	assert_null(ini.e);
}

static void
test_crlf_bom_dupes(void **state)
{
	struct ini ini;

	(void)state;
	parse_ok(&ini, "\xef\xbb\xbf[a]\r\nk = 1\r\n[b]\r\nk=2\r\n[a]\r\nk = 3\r\n"
	    "[ spaced name ]  # c\r\nx=y");
	assert_string_equal(val(&ini, "a", "k"), "3");
	assert_string_equal(val(&ini, "b", "k"), "2");
	assert_string_equal(val(&ini, "spaced name", "x"), "y");
	assert_int_equal(ini.nsections, 3);
	ini_free(&ini);
	parse_ok(&ini, "");
	assert_int_equal(ini.n, 0);
	ini_free(&ini);
}

static void
test_nested(void **state)
{
	struct ini ini;

	(void)state;
	parse_ok(&ini,
	    "[profile dev]\n"
	    "s3 =\n"
	    "  max_concurrent_requests = 20\n"
	    "\n"
	    "  [not a section]\n"
	    "  addressing_style = path\n"
	    "region = us-west-2\n"
	    "long = first\n"
	    "   continued line without equals\n"
	    "   key = continued too\n"
	    "after = yes\n");
	assert_string_equal(val(&ini, "profile dev", "s3"), "");
	assert_string_equal(val(&ini, "profile dev", "s3.max_concurrent_requests"), "20");
	assert_string_equal(val(&ini, "profile dev", "s3.addressing_style"), "path");
	assert_null(val(&ini, "profile dev", "max_concurrent_requests"));
	assert_string_equal(val(&ini, "profile dev", "region"), "us-west-2");
	assert_string_equal(val(&ini, "profile dev", "long"), "first");
	assert_null(val(&ini, "profile dev", "key"));
	assert_string_equal(val(&ini, "profile dev", "after"), "yes");
	ini_free(&ini);

	/* Keys indented alike are ordinary keys, nested or not. */
	parse_ok(&ini, "[x]\n  a = 1\n  b = 2\n    c = 3\n  d = 4\n");
	assert_string_equal(val(&ini, "x", "a"), "1");
	assert_string_equal(val(&ini, "x", "b"), "2");
	assert_null(val(&ini, "x", "c"));
	assert_string_equal(val(&ini, "x", "d"), "4");
	ini_free(&ini);
}

static void
test_errors(void **state)
{
	static const struct { const char *text; const char *err; } cases[] = {
		{ "key = " SECRET "\n", "line 1: 'key = value' before any [section] header" },
		{ "[a]\n[b\n", "line 2: section header without ']'" },
		{ "[a] x\n", "line 1: unexpected text after the section header" },
		{ "[a]\nok = 1\n" SECRET "\n", "line 3: expected 'key = value' or '[section]'" },
		{ "[a]\n = " SECRET "\n", "line 2: expected 'key = value' or '[section]'" },
		{ "[ ]\n", "line 1: empty section name" },
	};
	size_t i;
	char *e;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = parse_bad(cases[i].text, strlen(cases[i].text));
		assert_string_equal(e, cases[i].err);
		assert_null(strstr(e, SECRET));
		free(e);
	}
	e = parse_bad("[a]\nk = v\0x\n", 11);
	assert_string_equal(e, "line 2: NUL byte");
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_crlf_bom_dupes),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
