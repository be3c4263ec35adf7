/* base64.h -- base64 text (RFC 4648 section 4, '=' padding required) to bytes, for every
 * room that reads it: strict for what protocols send (CT log data), whitespace-tolerant
 * for text people paste (TSIG secrets in key files). Messages name no caller's data, so
 * each caller words its own ("not base64", "bad secret: ..."). No state, no allocation;
 * what passes through it may be a secret, so its own buffers are cleansed. */
#ifndef NODD_BASE64_H
#define NODD_BASE64_H

#include <stddef.h>
#include <stdint.h>

enum base64_mode {
	BASE64_STRICT,  /* the alphabet and the final '=' padding, nothing else */
	BASE64_SPACES,  /* whitespace between characters is skipped */
};

/* The return of base64_decode when the decoded bytes do not fit in out. */
#define BASE64_NO_ROOM (-2)

/* 1 for the 64 characters of the standard alphabet (RFC 4648 table 1), 0 for every other
 * byte, '=' included: for scanners that check base64 text in place before decoding it. */
extern const unsigned char base64_alphabet[256];

/* Decode in (len bytes, borrowed; need not be NUL-terminated) into out (outsz bytes).
 * Returns the number of bytes decoded (0 for no text); -1 for malformed text, with *why
 * (unless why is NULL) set to a static message ("invalid base64 character", "misplaced
 * base64 '=' padding", "base64 data after '=' padding", "base64 length is not a multiple
 * of 4 (missing '=' padding?)", "base64 text too long" past INT_MAX characters), the first
 * met reading left to right; or BASE64_NO_ROOM
 * (why: "decoded data longer than the buffer") when the text is well formed but out is too
 * small. out past the returned length is left undefined. */
long base64_decode(const char *in, size_t len, uint8_t *out, size_t outsz,
	enum base64_mode mode, const char **why);

#endif
