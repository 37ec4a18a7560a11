/*
 * libFuzzer target: the Logz.io listener's answers (status and body, e.g.
 * {"malformedLines":N,...}) as the shipper classifies them.
 */
#include <stddef.h>
#include <stdint.h>

#include "shipper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 403, 413, 500, 503, 0 };
	struct ship_counts counts;
	enum ship_result r;
	long status;

	if (size < 1)
		return 0;
	status = statuses[data[0] & 7];
	r = shipper_classify(status, status == 0, (const char *)data + 1,
	    size - 1, &counts);
	if (r < SHIP_OK || r > SHIP_UNAUTHORIZED)
		__builtin_trap();
	/* Only an answer of 200 is an acknowledgement; a 400 is never a retry of good data. */
	if (r == SHIP_OK && status != 200)
		__builtin_trap();
	if (status == 0 && r != SHIP_RETRY)
		__builtin_trap();
	return 0;
}
