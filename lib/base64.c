/* base64.c -- base64 text to bytes (see base64.h). OpenSSL's EVP_DecodeBlock does the
 * decoding; the checks before it make it exact: on its own it trims whitespace at both
 * ends, accepts padding anywhere in a block and writes the padding out as zero bytes. */
#include "lib/base64.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* 1 for the 64 characters of the alphabet (RFC 4648 table 1), 0 for every other byte */
const unsigned char base64_alphabet[256] = {
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
	['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
	['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['+'] = 1, ['/'] = 1,
};

static int skipped(enum base64_mode mode, unsigned char c)
{
	return mode == BASE64_SPACES && isspace(c);
}

/* Check the text: NULL with *nchar (characters but skipped ones) and *npad, or why not. */
static const char *check(const unsigned char *in, size_t len, enum base64_mode mode,
	size_t *nchar, size_t *npad)
{
	size_t n = 0, pad = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];
		if (skipped(mode, c))
			continue;
		if (c == '=') {
			/* padding fills the last one or two places of the final group */
			if (n % 4 < 2)
				return "misplaced base64 '=' padding";
			pad++;
		} else if (!base64_alphabet[c]) {
			return "invalid base64 character";
		} else if (pad) {
			return "base64 data after '=' padding";
		}
		n++;
	}
	if (n % 4 != 0)
		return "base64 length is not a multiple of 4 (missing '=' padding?)";
	*nchar = n;
	*npad = pad;
	return NULL;
}

/* Text with skipped characters in it: one group of four at a time. */
static void decode_groups(const unsigned char *in, size_t len, enum base64_mode mode,
	uint8_t *out, size_t size)
{
	unsigned char group[4], b[3];
	size_t g = 0, o = 0;
	for (size_t i = 0; i < len && o < size; i++) {
		if (skipped(mode, in[i]))
			continue;
		group[g++] = in[i];
		if (g < 4)
			continue;
		g = 0;
		EVP_DecodeBlock(b, group, 4); /* checked: cannot fail */
		size_t nb = size - o < 3 ? size - o : 3;
		memcpy(out + o, b, nb);
		o += nb;
	}
	OPENSSL_cleanse(group, sizeof group);
	OPENSSL_cleanse(b, sizeof b);
}

long base64_decode(const char *in, size_t len, uint8_t *out, size_t outsz,
	enum base64_mode mode, const char **why)
{
	const unsigned char *t = (const unsigned char *)in;
	size_t n = 0, pad = 0;
	const char *w = len > INT_MAX ? "base64 text too long" : check(t, len, mode, &n, &pad);
	if (w) {
		if (why)
			*why = w;
		return -1;
	}
	if (n == 0)
		return 0;
	size_t size = n / 4 * 3 - pad;
	if (size > outsz) {
		if (why)
			*why = "decoded data longer than the buffer";
		return BASE64_NO_ROOM;
	}
	if (n != len) {
		decode_groups(t, len, mode, out, size);
		return (long)size;
	}
	/* all but the last group straight into out; the last one through a small buffer, so
	 * an out of exactly the decoded length is enough */
	size_t head = n - 4;
	uint8_t last[3];
	if (head)
		EVP_DecodeBlock(out, t, (int)head);
	EVP_DecodeBlock(last, t + head, 4);
	memcpy(out + head / 4 * 3, last, 3 - pad);
	OPENSSL_cleanse(last, sizeof last);
	return (long)size;
}
