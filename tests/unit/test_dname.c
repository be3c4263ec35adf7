/* test_dname.c -- name validation, wire conversion and the wire parser. */
#include <ldns/ldns.h>
#include <stdlib.h>

#include "lib/dname.h"
#include "tests/unit/tap.h"

/* What the secondary stored before dname_wire_to_zone_text: ldns's text, lowercased,
 * without the trailing dot. */
static int ldns_zone_text(const uint8_t *wire, size_t len, char *out, size_t outsz)
{
	ldns_rdf *r = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len, wire);
	char *t = r ? ldns_rdf2str(r) : NULL;
	ldns_rdf_deep_free(r); /* new_frm_data copies the data */
	if (!t)
		return -1;
	size_t n = strlen(t);
	if (n > 0 && t[n - 1] == '.')
		t[--n] = '\0';
	for (char *c = t; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	snprintf(out, outsz, "%s", t);
	free(t);
	return (int)n;
}

static void zone_text_matches_ldns(void)
{
	uint8_t w[DNAME_MAX_WIRE];
	char a[4 * DNAME_MAX_WIRE + 8], b[4 * DNAME_MAX_WIRE + 8];
	static const char pick[] = "abcXYZ019-_.;()\\* \"$@";
	int bad = 0, n = 0;
	srand(12345);
	for (int round = 0; round < 20000; round++) {
		size_t o = 0;
		int labels = 1 + rand() % 5;
		for (int l = 0; l < labels; l++) {
			int ll = 1 + rand() % (round % 4 == 0 ? 63 : 12);
			if (o + 1 + (size_t)ll + 1 > sizeof w)
				break;
			w[o++] = (uint8_t)ll;
			for (int k = 0; k < ll; k++)
				/* a quarter of the rounds any byte, else mostly letters, digits, '-' */
				w[o++] = (uint8_t)(round % 4 == 1 ? rand() % 256 :
					pick[rand() % (int)(sizeof pick - 1)]);
		}
		w[o++] = 0;
		int la = dname_wire_to_zone_text(w, o, a, sizeof a);
		int lb = ldns_zone_text(w, o, b, sizeof b);
		n++;
		if (la != lb || strcmp(a, b) != 0) {
			if (bad++ < 3)
				printf("# differs: ours \"%s\" (%d), ldns \"%s\" (%d)\n", a, la, b, lb);
		}
	}
	is_int(bad, 0, "zone text equals ldns's, lowercased, on %d random names", n);
	w[0] = 0;
	is_int(dname_wire_to_zone_text(w, 1, a, sizeof a), 0, "the root is \"\"");
	is_int(dname_wire_to_zone_text((const uint8_t *)"\003abc", 4, a, sizeof a), -1,
		"a name without its root label is refused");
	is_int(dname_wire_to_zone_text((const uint8_t *)"\003ab\000", 4, a, sizeof a), -1,
		"a label running past the end is refused");
	is_int(dname_wire_to_zone_text((const uint8_t *)"\003abc\000", 5, a, 3), -1,
		"a small buffer is refused");
	is_int(dname_wire_to_zone_text((const uint8_t *)"\003aBc\000", 5, a, 4), 3, "exactly enough room");
	is_str(a, "abc", "lowercased");
}

static const char *norm(const char *in)
{
	static char out[300];
	const char *why;
	return dname_text_normalize(in, out, sizeof out, &why) == 0 ? out : NULL;
}

int main(void)
{
	char long_label[80], long_name[300];
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".se");
	is_str(norm("Example.SE."), "example.se", "lowercased, trailing dot dropped");
	is_str(norm("xn--bcher-kva.ch"), "xn--bcher-kva.ch", "punycode accepted");
	is_str(norm("_dmarc.x.se"), "_dmarc.x.se", "underscore accepted");
	ok(norm("exa mple.se") == NULL, "space refused");
	ok(norm("a..se") == NULL, "empty label refused");
	ok(norm("-x.se") == NULL, "leading hyphen refused");
	ok(norm("x-.se") == NULL, "trailing hyphen refused");
	ok(norm("") == NULL && norm(".") == NULL, "empty name refused");
	ok(norm(long_label) == NULL, "64-octet label refused");
	long_label[1] = '.';
	long_label[63] = '\0';
	ok(norm(long_label + 2) != NULL, "61-octet label accepted");
	/* 253 characters accepted, 254 refused */
	for (int i = 0; i < 253; i++)
		long_name[i] = (i % 10 == 9) ? '.' : 'a';
	long_name[253] = '\0';
	ok(norm(long_name) != NULL, "253-character name accepted");
	long_name[253] = 'a';
	long_name[254] = '\0';
	ok(norm(long_name) == NULL, "254-character name refused");

	uint8_t wire[DNAME_MAX_WIRE];
	int wl = dname_text_to_wire("mail.x.se", wire);
	is_int(wl, 11, "wire length");
	ok(memcmp(wire, "\004mail\001x\002se\000", 11) == 0, "wire bytes");
	char text[300];
	is_int(dname_wire_to_text(wire, (size_t)wl, text, sizeof text), 9, "back to text");
	is_str(text, "mail.x.se", "text round trip");
	is_int(dname_wire_to_text((const uint8_t *)"\003a\001b\000", 5, text, sizeof text), 6,
		"non-LDH byte escaped");
	is_str(text, "a\\001b", "escape form");

	/* the packet parser: header (12 bytes) then names */
	uint8_t pkt[64] = { 0 };
	memcpy(pkt + 12, "\001X\002Se\000", 7);             /* x.se at 12 */
	memcpy(pkt + 18, "\004mail\300\014", 7);            /* mail + pointer to 12 */
	uint8_t out[DNAME_MAX_WIRE];
	size_t ol;
	is_int(dname_wire_parse(pkt, 26, 12, out, &ol), 18, "plain name: end offset");
	ok(ol == 6 && memcmp(out, "\001x\002se\000", 6) == 0, "lowercased copy");
	is_int(dname_wire_parse(pkt, 26, 18, out, &ol), 25, "compressed: end after pointer");
	ok(ol == 11 && memcmp(out, "\004mail\001x\002se\000", 11) == 0, "pointer followed");
	pkt[30] = 0xC0; pkt[31] = 30;
	is_int(dname_wire_parse(pkt, 32, 30, out, &ol), 0, "self pointer refused");
	pkt[30] = 0xC0; pkt[31] = 31;
	is_int(dname_wire_parse(pkt, 32, 30, out, &ol), 0, "forward pointer refused");
	memcpy(pkt + 40, "\001a\300\050", 4); /* a + pointer back to 40: loop */
	is_int(dname_wire_parse(pkt, 44, 40, out, &ol), 0, "pointer loop refused");
	is_int(dname_wire_parse(pkt, 15, 12, out, &ol), 0, "truncated name refused");
	pkt[50] = 0x40;
	is_int(dname_wire_parse(pkt, 60, 50, out, &ol), 0, "extended label type refused");
	/* a 256-octet name built of 63-octet labels is refused */
	uint8_t big[300] = { 0 };
	size_t o = 0;
	for (int i = 0; i < 4; i++) {
		big[o++] = 63;
		memset(big + o, 'a', 63);
		o += 63;
	}
	big[o++] = 0;
	is_int(dname_wire_parse(big, o, 0, out, &ol), 0, "name over 255 octets refused");

	is_int(dname_label_count((const uint8_t *)"\004mail\001x\002se", 10), 3, "label count");
	is_int(dname_strip_suffix((const uint8_t *)"\004mail\001x\002se\000", 11,
		(const uint8_t *)"\002se\000", 4), 7, "strip suffix");
	is_int(dname_strip_suffix((const uint8_t *)"\004mail\001x\002se\000", 11,
		(const uint8_t *)"\001e\000", 3), -1, "suffix must be on a label boundary");
	zone_text_matches_ldns();
	return tap_done();
}
