/* test_ct_merkle.c -- ct/merkle.c against roots and proofs computed independently (the
 * recursive definitions of RFC 6962 in ct_fixtures/gen.py), tampered proofs, the byte form
 * of the frontier, static-ct-api tile paths and where a frontier lies in tiles. */
#include "ct/merkle.h"
#include "tap.h"
#include "ct_fixture.h"

static uint8_t leaves[9][32];

static void test_roots(json_t *m)
{
	json_t *roots = json_object_get(m, "roots");
	struct ct_frontier f;
	ct_frontier_init(&f);
	uint8_t got[32], want[32];
	ct_frontier_root(&f, got);
	fx_hash(json_string_value(json_array_get(roots, 0)), want);
	ok(memcmp(got, want, 32) == 0, "the empty tree's root is SHA-256 of nothing");
	for (int n = 1; n <= 9; n++) {
		ct_frontier_append(&f, leaves[n - 1]);
		fx_hash(json_string_value(json_array_get(roots, (size_t)n)), want);
		ct_frontier_root(&f, got);
		ok(memcmp(got, want, 32) == 0 && f.size == (uint64_t)n &&
			f.n == __builtin_popcount((unsigned)n), "frontier root of %d leaves", n);
		ct_hash_range((const uint8_t (*)[32])leaves, (size_t)n, got);
		ok(memcmp(got, want, 32) == 0, "hash range of %d leaves", n);
		uint8_t buf[8 + 64 * 32];
		struct ct_frontier g;
		int len = ct_frontier_encode(&f, buf, sizeof buf);
		is_int(len, 8 + 32 * f.n, "frontier of %d encodes to 8 + 32 per subtree", n);
		ok(ct_frontier_decode(&g, buf, (size_t)len) == 0 && g.size == f.size && g.n == f.n &&
			memcmp(g.h, f.h, 32 * (size_t)f.n) == 0, "frontier of %d decodes to itself", n);
		is_int(ct_frontier_decode(&g, buf, (size_t)len - 1), -1, "a short encoding is refused");
		is_int(ct_frontier_encode(&f, buf, (size_t)len - 1), -1, "a short buffer is refused");
	}
}

static int read_path(json_t *arr, uint8_t (*out)[32])
{
	size_t n = json_array_size(arr);
	for (size_t i = 0; i < n; i++)
		fx_hash(json_string_value(json_array_get(arr, i)), out[i]);
	return (int)n;
}

static void test_inclusion(json_t *m)
{
	json_t *roots = json_object_get(m, "roots"), *incl = json_object_get(m, "inclusion");
	int good = 0, bad = 0, total = (int)json_array_size(incl), audit = 0;
	for (int i = 0; i < total; i++) {
		json_t *c = json_array_get(incl, (size_t)i);
		uint64_t idx = (uint64_t)json_integer_value(json_object_get(c, "index"));
		uint64_t size = (uint64_t)json_integer_value(json_object_get(c, "size"));
		uint8_t path[64][32], root[32];
		int np = read_path(json_object_get(c, "path"), path);
		fx_hash(json_string_value(json_array_get(roots, size)), root);
		good += ct_verify_inclusion(idx, size, leaves[idx], root, (const uint8_t (*)[32])path,
			(size_t)np);
		/* wrong leaf, wrong index, short path, a flipped bit in the path */
		bad += ct_verify_inclusion(idx, size, leaves[(idx + 1) % 9], root,
			(const uint8_t (*)[32])path, (size_t)np);
		if (size > 1)
			bad += ct_verify_inclusion((idx + 1) % size, size, leaves[idx], root,
				(const uint8_t (*)[32])path, (size_t)np);
		if (np > 0) {
			bad += ct_verify_inclusion(idx, size, leaves[idx], root,
				(const uint8_t (*)[32])path, (size_t)np - 1);
			path[np - 1][7] ^= 0x10;
			bad += ct_verify_inclusion(idx, size, leaves[idx], root,
				(const uint8_t (*)[32])path, (size_t)np);
			path[np - 1][7] ^= 0x10;
		}
		if (idx == size - 1) {
			struct ct_frontier f;
			uint8_t got[32];
			if (ct_frontier_from_audit(&f, size, leaves[idx], (const uint8_t (*)[32])path,
					(size_t)np) == 0) {
				ct_frontier_root(&f, got);
				audit += memcmp(got, root, 32) == 0;
			}
		}
	}
	is_int(good, total, "all %d inclusion proofs verify", total);
	is_int(bad, 0, "no tampered inclusion proof verifies");
	is_int(audit, 9, "the frontier rebuilt from the last leaf's audit path gives the root (sizes 1..9)");
	struct ct_frontier f;
	uint8_t path[4][32] = { { 0 } };
	is_int(ct_frontier_from_audit(&f, 6, leaves[5], (const uint8_t (*)[32])path, 3), -1,
		"an audit path of the wrong length gives no frontier");
	is_int(ct_verify_inclusion(9, 9, leaves[0], leaves[0], NULL, 0), 0, "index past the size fails");
}

static void test_consistency(json_t *m)
{
	json_t *roots = json_object_get(m, "roots"), *cons = json_object_get(m, "consistency");
	int good = 0, bad = 0, total = (int)json_array_size(cons);
	for (int i = 0; i < total; i++) {
		json_t *c = json_array_get(cons, (size_t)i);
		uint64_t a = (uint64_t)json_integer_value(json_object_get(c, "m"));
		uint64_t b = (uint64_t)json_integer_value(json_object_get(c, "n"));
		uint8_t proof[64][32], ra[32], rb[32];
		int np = read_path(json_object_get(c, "proof"), proof);
		const uint8_t (*pp)[32] = (const uint8_t (*)[32])proof;
		fx_hash(json_string_value(json_array_get(roots, a)), ra);
		fx_hash(json_string_value(json_array_get(roots, b)), rb);
		good += ct_verify_consistency(a, b, ra, rb, pp, (size_t)np);
		bad += ct_verify_consistency(b, a, rb, ra, pp, (size_t)np) && a != b;
		if (a != b) {
			bad += ct_verify_consistency(a, b, rb, rb, pp, (size_t)np);
			bad += ct_verify_consistency(a, b, ra, ra, pp, (size_t)np);
			proof[0][0] ^= 1;
			bad += ct_verify_consistency(a, b, ra, rb, pp, (size_t)np);
			proof[0][0] ^= 1;
			bad += ct_verify_consistency(a, b, ra, rb, pp, (size_t)np - 1);
		}
	}
	is_int(good, total, "all %d consistency proofs verify", total);
	is_int(bad, 0, "no tampered consistency proof verifies");
	uint8_t r[32] = { 0 };
	is_int(ct_verify_consistency(0, 5, r, r, NULL, 0), 1, "the empty tree is a prefix of any tree");
	is_int(ct_verify_consistency(3, 3, leaves[0], leaves[1], NULL, 0), 0,
		"equal sizes with different roots are not consistent");
}

static void test_tiles(void)
{
	char b[128];
	ct_tile_path(b, sizeof b, 0, 1234067, 0);
	is_str(b, "tile/0/x001/x234/067", "1234067 -> x001/x234/067");
	ct_tile_path(b, sizeof b, 0, 1000, 256);
	is_str(b, "tile/0/x001/000", "1000 -> x001/000 (width 256 is full)");
	ct_tile_path(b, sizeof b, 2, 1999001, 0);
	is_str(b, "tile/2/x001/x999/001", "1999001 at level 2");
	ct_tile_path(b, sizeof b, -1, 0, 7);
	is_str(b, "tile/data/000.p/7", "a partial data tile");
	ct_tile_path(b, sizeof b, 1, 999, 255);
	is_str(b, "tile/1/999.p/255", "999 is one group");
	int n = ct_tile_path(b, sizeof b, 5, UINT64_MAX, 0);
	is_str(b, "tile/5/x018/x446/x744/x073/x709/x551/615", "the largest index");
	is_int(n, (int)strlen(b), "the length written is returned");
	is_int(ct_tile_path(b, 10, 0, 1234067, 0), -1, "a short buffer is refused");
	is_int(ct_tile_path(b, sizeof b, 0, 1, 257), -1, "a width over 256 is refused");
	is_int(ct_tile_path(b, sizeof b, -2, 1, 0), -1, "a level below -1 is refused");

	struct ct_tile_span s[64];
	/* 70000 = 65536 + 4096 + 256 + 112: subtrees of 2^16 (level 2, one hash), 2^12 (level
	 * 1, 16 hashes at 256), 2^8 (level 1, one hash at 272), 2^6 + 2^5 + 2^4 (level 0) */
	n = ct_frontier_spans(70000, 70100, s);
	is_int(n, 6, "70000 leaves have 6 frontier subtrees");
	ok(s[0].level == 2 && s[0].index == 0 && s[0].first == 0 && s[0].count == 1 && s[0].width == 1,
		"2^16 leaves: level 2 tile 0, one hash, partial width 1");
	ok(s[1].level == 1 && s[1].index == 1 && s[1].first == 0 && s[1].count == 16 && s[1].width == 17,
		"2^12 leaves: level 1 tile 1, hashes 0..15, width 17 (273 level-1 hashes)");
	ok(s[2].level == 1 && s[2].index == 1 && s[2].first == 16 && s[2].count == 1,
		"2^8 leaves: level 1 tile 1, hash 16");
	ok(s[3].level == 0 && s[3].index == 273 && s[3].first == 0 && s[3].count == 64 &&
		s[3].width == 212, "2^6 leaves: level 0 tile 273, hashes 0..63, width 212");
	ok(s[5].level == 0 && s[5].first == 96 && s[5].count == 16, "2^4 leaves: hashes 96..111");
	is_int(ct_frontier_spans(10, 9, s), -1, "a tree smaller than the frontier is refused");

	/* a frontier from tiles: 9 leaves as one level-0 tile of width 9 */
	n = ct_frontier_spans(9, 9, s);
	const uint8_t *tiles[2] = { leaves[0], leaves[0] };
	size_t lens[2] = { sizeof leaves, sizeof leaves };
	struct ct_frontier f, g;
	ct_frontier_init(&g);
	for (int i = 0; i < 9; i++)
		ct_frontier_append(&g, leaves[i]);
	ok(n == 2 && ct_frontier_from_spans(&f, 9, s, n, tiles, lens) == 0 && f.n == g.n &&
		memcmp(f.h, g.h, 64) == 0, "the frontier of 9 from its tile equals the appended one");
	lens[1] = 8 * 32;
	is_int(ct_frontier_from_spans(&f, 9, s, n, tiles, lens), -1, "a short tile is refused");
}

int main(int argc, char **argv)
{
	fx_init(argc, argv);
	json_t *m = fx_load("merkle");
	json_t *lh = json_object_get(m, "leaf_hashes");
	for (int i = 0; i < 9; i++)
		fx_hash(json_string_value(json_array_get(lh, (size_t)i)), leaves[i]);
	uint8_t h[32], want[32];
	ct_hash_leaf((const uint8_t *)"leaf 0", 6, h);
	memcpy(want, leaves[0], 32);
	ok(memcmp(h, want, 32) == 0, "leaf hash is SHA-256(00 || input)");
	test_roots(m);
	test_inclusion(m);
	test_consistency(m);
	test_tiles();
	json_decref(m);
	return tap_done();
}
