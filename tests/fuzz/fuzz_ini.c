/*
 * libFuzzer target: the shared credentials/config file parser (ini.h), on
 * whatever ~/.aws/credentials or ~/.aws/config may hold.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ini ini;
	struct buf err = BUF_INIT;
	size_t i, sum = 0;

	if (ini_parse(&ini, (const char *)data, size, &err) == 0) {
		if (err.len != 0)
			__builtin_trap();
		for (i = 0; i < ini.n; i++) {
			/* Keys are lowercase, values trimmed, sections known. */
			if (ini.e[i].key[0] == '\0' || strpbrk(ini.e[i].key,
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ\n") != NULL)
				__builtin_trap();
			if (!ini_has_section(&ini, ini.e[i].section))
				__builtin_trap();
			if (ini_get(&ini, ini.e[i].section, ini.e[i].key) == NULL)
				__builtin_trap();
			sum += strlen(ini.e[i].value);
			if (ini.e[i].value[0] == ' ' || ini.e[i].line == 0)
				__builtin_trap();
		}
		for (i = 0; i < ini.nsections; i++)
			sum += strlen(ini.sections[i]);
	} else if (err.len == 0 || strncmp(err.data, "line ", 5) != 0 ||
	    ini.n != 0)
		__builtin_trap();	/* an error always says where */
	ini_free(&ini);
	buf_free(&err);
	return sum == (size_t)-1;
}
