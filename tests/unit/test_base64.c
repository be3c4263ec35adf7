/* test_base64.c -- lib/base64.c: strict and whitespace-tolerant decoding, padding rules,
 * the first error reading left to right, an out of exactly the decoded length, no room. */
#include "lib/base64.h"
#include "tap.h"

static const char *why;

static long dec(const char *in, uint8_t *out, size_t outsz, enum base64_mode mode)
{
	why = NULL;
	return base64_decode(in, strlen(in), out, outsz, mode, &why);
}

static void test_strict(void)
{
	uint8_t out[16];
	is_int(dec("AAEC", out, sizeof out, BASE64_STRICT), 3, "4 characters, 3 bytes");
	ok(out[0] == 0 && out[1] == 1 && out[2] == 2, "... their values");
	is_int(dec("Zm9vYmE=", out, sizeof out, BASE64_STRICT), 5, "one pad");
	ok(memcmp(out, "fooba", 5) == 0, "... \"fooba\"");
	is_int(dec("Zg==", out, sizeof out, BASE64_STRICT), 1, "two pads");
	ok(out[0] == 'f', "... \"f\"");
	is_int(dec("", out, sizeof out, BASE64_STRICT), 0, "no text, no bytes");
	is_int(dec("Zm9", out, sizeof out, BASE64_STRICT), -1, "unpadded is refused");
	is_str(why, "base64 length is not a multiple of 4 (missing '=' padding?)", "... and said");
	is_int(dec("A=EC", out, sizeof out, BASE64_STRICT), -1, "a pad in second place is refused");
	is_str(why, "misplaced base64 '=' padding", "... and said");
	is_int(dec("AA=C", out, sizeof out, BASE64_STRICT), -1, "data after a pad is refused");
	is_str(why, "base64 data after '=' padding", "... and said");
	is_int(dec("Zg==Zg==", out, sizeof out, BASE64_STRICT), -1, "a group after a padded one");
	is_int(dec("Zg===", out, sizeof out, BASE64_STRICT), -1, "three pads are refused");
	is_str(why, "misplaced base64 '=' padding", "... and said");
	is_int(dec(" AEC", out, sizeof out, BASE64_STRICT), -1, "a space is refused");
	is_str(why, "invalid base64 character", "... and said");
	is_int(dec("AAEC\n", out, sizeof out, BASE64_STRICT), -1, "a trailing newline is refused");
	is_int(dec("AA-_", out, sizeof out, BASE64_STRICT), -1, "the URL alphabet is refused");
	is_int(dec("AAECAAEC", out, 5, BASE64_STRICT), BASE64_NO_ROOM, "no room is said apart");
	is_str(why, "decoded data longer than the buffer", "... and said");
	is_int(dec("AAECAAE=", out, 5, BASE64_STRICT), 5, "an out of exactly the length is enough");
	is_int(dec("$$$$AAECAAEC", out, 2, BASE64_STRICT), -1, "malformed text before no room");
	is_int(base64_decode("AAEC!", 4, out, sizeof out, BASE64_STRICT, NULL), 3,
		"only len characters are read; why may be NULL");
	is_int(base64_decode("AA!C", 4, out, sizeof out, BASE64_STRICT, NULL), -1,
		"... also on an error");
}

static void test_spaces(void)
{
	uint8_t out[16];
	is_int(dec(" Zm9v\n YmE= ", out, sizeof out, BASE64_SPACES), 5, "whitespace is skipped");
	ok(memcmp(out, "fooba", 5) == 0, "... \"fooba\"");
	is_int(dec("Zm\t9vYm\r\nFy", out, sizeof out, BASE64_SPACES), 6, "inside a group too");
	ok(memcmp(out, "foobar", 6) == 0, "... \"foobar\"");
	is_int(dec("Zg = =", out, sizeof out, BASE64_SPACES), 1, "between pads too");
	is_int(dec(" \n ", out, sizeof out, BASE64_SPACES), 0, "only whitespace: no bytes");
	is_int(dec("Zm9v YmE", out, sizeof out, BASE64_SPACES), -1, "a missing pad is refused");
	is_int(dec("Zm9v Ym$=", out, sizeof out, BASE64_SPACES), -1, "a bad character is refused");
	is_str(why, "invalid base64 character", "... and said");
	is_int(dec("Zm9v YmFy", out, 5, BASE64_SPACES), BASE64_NO_ROOM, "no room");
	is_int(dec("Zm9v YmE=", out, 5, BASE64_SPACES), 5, "an out of exactly the length");
}

int main(void)
{
	test_strict();
	test_spaces();
	return tap_done();
}
