/* test_ct_leaf.c -- ct/leaf.c on real RFC 6962 leaves and a static-ct-api data tile (from
 * ct_fixtures/gen.py): fields, leaf hashes, the leaf_index extension, and every truncation
 * and malformation refused with a message. */
#include "ct/leaf.h"
#include "tap.h"
#include "ct_fixture.h"

static void test_leaves(json_t *c)
{
	json_t *leaves = json_object_get(c, "leaves"), *hashes = json_object_get(c, "leaf_hashes");
	const char *names[] = { "names", "cn_only", "final", "precert" };
	for (int i = 0; i < 4; i++) {
		size_t len, certlen;
		uint8_t *li = fx_hex(leaves, names[i], &len), want[32];
		fx_hash(fx_str(hashes, names[i]), want);
		struct ct_leaf l;
		struct nodd_err e = { 0, "" };
		int rc = ct_leaf_parse(li, len, &l, &e);
		is_int(rc, 0, "leaf %s parses (%s)", names[i], e.msg);
		ok(memcmp(l.leaf_hash, want, 32) == 0, "leaf %s: the leaf hash", names[i]);
		is_int(l.timestamp_ms, 1767225600000LL + i, "leaf %s: the timestamp", names[i]);
		is_int(l.leaf_index, -1, "leaf %s: no leaf_index extension", names[i]);
		if (i == 3) {
			uint8_t *tbs = fx_hex(c, "precert_tbs", &certlen), ikh[32];
			fx_hash(fx_str(c, "issuer_key_hash"), ikh);
			ok(l.entry_type == CT_ENTRY_PRECERT && l.cert_len == certlen &&
				memcmp(l.cert, tbs, certlen) == 0 && l.issuer_key_hash &&
				memcmp(l.issuer_key_hash, ikh, 32) == 0, "the precert leaf: TBS and issuer key hash");
			free(tbs);
		} else {
			ok(l.entry_type == CT_ENTRY_X509 && l.issuer_key_hash == NULL &&
				l.cert == li + 15 && l.cert_len == len - 17, "leaf %s: x509 certificate located",
				names[i]);
		}
		/* every shorter prefix is truncated somewhere */
		int refused = 0;
		for (size_t cut = 0; cut < len; cut++)
			refused += ct_leaf_parse(li, cut, &l, NULL) < 0;
		is_int(refused, len, "leaf %s: each of its %zu prefixes is refused", names[i], len);
		free(li);
	}
	size_t len;
	uint8_t *li = fx_hex(leaves, "cn_only", &len), *big = malloc(len + 1);
	memcpy(big, li, len);
	big[len] = 0;
	struct ct_leaf l;
	struct nodd_err e = { 0, "" };
	is_int(ct_leaf_parse(big, len + 1, &l, &e), -1, "a byte after the extensions is refused");
	is_str(e.msg, "leaf: 1 bytes after the extensions", "... and said");
	big[0] = 1;
	ct_leaf_parse(big, len, &l, &e);
	is_str(e.msg, "leaf: version 1 leaf type 0, want 0 0 (v1 timestamped entry)", "version 1 is refused");
	big[0] = 0;
	big[11] = 2;
	ct_leaf_parse(big, len, &l, &e);
	is_str(e.msg, "leaf: entry type 2 is neither x509 nor precert", "entry type 2 is refused");
	big[11] = 0;
	big[12] = 0xff; /* certificate length far beyond the bytes */
	is_int(ct_leaf_parse(big, len, &l, &e), -1, "a certificate length beyond the input is refused");
	ok(strncmp(e.msg, "leaf: certificate truncated", 27) == 0 && e.kind == NODD_E_INVALID,
		"... as truncated: %s", e.msg);
	free(li);
	free(big);

	/* extensions: a leaf_index, then a malformed one */
	uint8_t x[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xaa, 0, 8,
		0, 0, 5, 0, 0, 0, 1, 2, 7, 0 };
	is_int(ct_leaf_parse(x, sizeof x - 2, &l, &e), 0, "a leaf with a leaf_index extension (%s)", e.msg);
	is_int(l.leaf_index, 258, "leaf_index read as a uint40");
	x[17] = 9;
	is_int(ct_leaf_parse(x, sizeof x - 1, &l, &e), -1, "a truncated extension is refused");
	is_str(e.msg, "leaf: extension data truncated (0 bytes left)", "... and said");
	x[17] = 8;
	x[20] = 4;
	is_int(ct_leaf_parse(x, sizeof x - 2, &l, &e), -1, "a leaf_index of 4 bytes is refused");
	is_str(e.msg, "leaf: leaf_index extension of 4 bytes, not 5", "... and said");
}

static void test_tile(json_t *c)
{
	size_t len;
	uint8_t *tile = fx_hex(c, "tile", &len);
	json_t *hashes = json_object_get(c, "tile_hashes");
	const uint8_t *p = tile;
	size_t left = len;
	struct ct_leaf l;
	struct nodd_err e = { 0, "" };
	for (int i = 0; i < 2; i++) {
		uint8_t want[32];
		fx_hash(json_string_value(json_array_get(hashes, (size_t)i)), want);
		is_int(ct_tileleaf_next(&p, &left, &l, &e), 1, "tile leaf %d read (%s)", i, e.msg);
		ok(memcmp(l.leaf_hash, want, 32) == 0, "tile leaf %d: hash over the rebuilt leaf_input", i);
		is_int(l.leaf_index, 256 + i, "tile leaf %d: leaf_index", i);
		is_int(l.entry_type, i == 0 ? CT_ENTRY_X509 : CT_ENTRY_PRECERT, "tile leaf %d: type", i);
	}
	is_int(ct_tileleaf_next(&p, &left, &l, &e), 0, "the tile ends");
	size_t first_end;
	p = tile;
	left = len;
	ct_tileleaf_next(&p, &left, &l, &e);
	first_end = (size_t)(p - tile);
	int refused = 0, unmoved = 0;
	for (size_t cut = 1; cut < len; cut++) {
		if (cut == first_end)
			continue; /* a tile of the first leaf alone */
		p = tile;
		left = cut;
		const uint8_t *was_p;
		size_t was_left;
		int rc;
		do {
			was_p = p;
			was_left = left;
			rc = ct_tileleaf_next(&p, &left, &l, NULL);
		} while (rc == 1);
		refused += rc < 0;
		unmoved += rc < 0 && p == was_p && left == was_left;
	}
	is_int(refused, len - 2, "every truncated tile is refused");
	is_int(unmoved, len - 2, "and the failing call leaves the position where it was");
	/* the chain fingerprints of the first leaf: 32 bytes -> 31 */
	tile[first_end - 33] = 31;
	p = tile;
	left = first_end - 1;
	is_int(ct_tileleaf_next(&p, &left, &l, &e), -1, "fingerprints not a multiple of 32 are refused");
	is_str(e.msg, "tile leaf: chain fingerprints of 31 bytes, not a multiple of 32", "... and said");
	free(tile);
}

int main(int argc, char **argv)
{
	fx_init(argc, argv);
	json_t *c = fx_load("certs");
	test_leaves(c);
	test_tile(c);
	json_decref(c);
	return tap_done();
}
