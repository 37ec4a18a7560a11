/*
 * libFuzzer target: the FilterLogEvents response page parser (cwl.h), on
 * whatever a CloudWatch Logs endpoint (or a proxy in the way) may answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "cwl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cwl_page page;
	struct buf err = BUF_INIT;
	size_t i, sum = 0;

	if (cwl_page_parse(&page, (const char *)data, size, &err) == 0) {
		/* Touch everything a caller uses. */
		for (i = 0; i < page.nevents; i++) {
			sum += strlen(page.events[i].log_stream);
			sum += strlen(page.events[i].event_id);
			sum += page.events[i].message_len;
			if (page.events[i].message_len > 0)
				sum += (unsigned char)page.events[i].message[
				    page.events[i].message_len - 1];
			if (page.events[i].timestamp < 0)
				__builtin_trap();
		}
		if (page.next_token != NULL)
			sum += strlen(page.next_token);
		if (err.len != 0)
			__builtin_trap();
	} else if (err.len == 0)
		__builtin_trap();	/* an error always says why */
	cwl_page_free(&page);
	buf_free(&err);
	return sum == SIZE_MAX;
}
