/* fuzz_base64.c -- libFuzzer target: arbitrary bytes as base64 text (lib/base64.c), in
 * both modes and with outs of every size near the decoded length. What is accepted strictly
 * encodes back to the same text but for the unused bits of its last group; the tolerant
 * mode gives the same bytes as the strict one on the text without its whitespace; a
 * refusal for room comes only with an out shorter than what the text holds. Never a read
 * past the input or a write past out. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/base64.h"

static void check_strict(const uint8_t *data, size_t size, const uint8_t *out, long n)
{
	if (n < 0)
		return;
	if (n == 0) {
		if (size != 0)
			abort();
		return;
	}
	unsigned char *enc = malloc((size_t)n / 3 * 4 + 8);
	int el = EVP_EncodeBlock(enc, out, (int)n);
	/* same length; the same characters but for the last group's unused bits */
	if ((size_t)el != size || memcmp(enc, data, size - 4) != 0)
		abort();
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	const char *in = (const char *)data;
	size_t room = size / 4 * 3;
	uint8_t *out = malloc(room + 1), *out2 = malloc(room + 1);
	long n = base64_decode(in, size, out, room, BASE64_STRICT, NULL);
	check_strict(data, size, out, n);
	if (n > 0) {
		/* an out one byte short is refused for room, an exact one is enough */
		uint8_t *exact = malloc((size_t)n);
		if (base64_decode(in, size, exact, (size_t)n, BASE64_STRICT, NULL) != n ||
		    memcmp(exact, out, (size_t)n) != 0 ||
		    base64_decode(in, size, exact, (size_t)n - 1, BASE64_STRICT, NULL) !=
			    BASE64_NO_ROOM)
			abort();
		free(exact);
	}
	/* the tolerant mode: the same as strict on the text without whitespace */
	char *squeezed = malloc(size + 1);
	size_t k = 0;
	for (size_t i = 0; i < size; i++)
		if (!isspace(data[i]))
			squeezed[k++] = (char)data[i];
	const char *why = NULL;
	long m = base64_decode(in, size, out2, room, BASE64_SPACES, &why);
	long s = base64_decode(squeezed, k, out, room, BASE64_STRICT, NULL);
	if (m != s || (m > 0 && memcmp(out, out2, (size_t)m) != 0) || (m == -1 && !why))
		abort();
	free(squeezed);
	free(out);
	free(out2);
	return 0;
}
