/* fuzz_retry_after.c -- libFuzzer target: arbitrary bytes as the value of a CT log's
 * Retry-After header (ct/fetch.h: delta-seconds or an HTTP-date, curl_getdate). The answer
 * is a wait of 0 or more seconds, or -1; never a crash or a read past the value. */
#include <stdlib.h>
#include <string.h>

#include "ct/fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 255)
		return 0; /* the header reader passes at most 255 bytes */
	char v[256];
	memcpy(v, data, size);
	v[size] = '\0';
	int64_t w = ct_retry_after(v, 1700000000);
	if (w < -1)
		abort();
	return 0;
}
