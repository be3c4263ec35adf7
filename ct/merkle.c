/* merkle.c -- RFC 6962 Merkle tree hashing for CT: leaf/node hashes, the compact range a
 * follower keeps, RFC 9162 proof checks and static-ct-api tile paths. Owns no state and
 * does no I/O; every loop is bounded by the 64 bits of a tree size, nothing recurses. */
#include "ct/merkle.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/* SHA-256 fetched once: EVP_sha256() is fetched again from the provider on every digest
 * (a lock and a lookup), a measurable share of the time per log entry. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *ct_sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md ? sha256_md : EVP_sha256();
}

void ct_hash_leaf(const uint8_t *in, size_t len, uint8_t out[32])
{
	static const uint8_t zero = 0x00;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || !EVP_DigestInit_ex(c, ct_sha256(), NULL) || !EVP_DigestUpdate(c, &zero, 1) ||
		!EVP_DigestUpdate(c, in, len) || !EVP_DigestFinal_ex(c, out, NULL))
		memset(out, 0, 32); /* only when out of memory: an all-zero hash never verifies */
	EVP_MD_CTX_free(c);
}

void ct_hash_node(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t buf[65];
	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	if (!EVP_Digest(buf, sizeof buf, out, NULL, ct_sha256(), NULL))
		memset(out, 0, 32);
}

static void hash_empty(uint8_t out[32])
{
	if (!EVP_Digest("", 0, out, NULL, ct_sha256(), NULL))
		memset(out, 0, 32);
}

void ct_frontier_init(struct ct_frontier *f)
{
	memset(f, 0, sizeof *f);
}

/* Like a binary counter: each trailing 1 bit of the size is a perfect subtree that merges
 * with the new one into the next size up. */
void ct_frontier_append(struct ct_frontier *f, const uint8_t leaf_hash[32])
{
	uint8_t cur[32];
	memcpy(cur, leaf_hash, 32);
	for (uint64_t s = f->size; (s & 1) && f->n > 0; s >>= 1)
		ct_hash_node(f->h[--f->n], cur, cur);
	memcpy(f->h[f->n++], cur, 32);
	f->size++;
}

void ct_frontier_root(const struct ct_frontier *f, uint8_t root[32])
{
	if (f->n == 0) {
		hash_empty(root);
		return;
	}
	uint8_t cur[32];
	memcpy(cur, f->h[f->n - 1], 32);
	for (int i = f->n - 2; i >= 0; i--)
		ct_hash_node(f->h[i], cur, cur);
	memcpy(root, cur, 32);
}

void ct_hash_range(const uint8_t (*h)[32], size_t n, uint8_t out[32])
{
	struct ct_frontier f;
	ct_frontier_init(&f);
	for (size_t i = 0; i < n; i++)
		ct_frontier_append(&f, h[i]);
	ct_frontier_root(&f, out);
}

int ct_frontier_encode(const struct ct_frontier *f, uint8_t *buf, size_t bufsz)
{
	size_t need = 8 + 32 * (size_t)f->n;
	if (bufsz < need)
		return -1;
	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(f->size >> (56 - 8 * i));
	for (int i = 0; i < f->n; i++)
		memcpy(buf + 8 + 32 * i, f->h[i], 32);
	return (int)need;
}

int ct_frontier_decode(struct ct_frontier *f, const uint8_t *buf, size_t len)
{
	if (len < 8)
		return -1;
	uint64_t size = 0;
	for (int i = 0; i < 8; i++)
		size = size << 8 | buf[i];
	int n = __builtin_popcountll(size);
	if (len != 8 + 32 * (size_t)n)
		return -1;
	f->size = size;
	f->n = n;
	for (int i = 0; i < n; i++)
		memcpy(f->h[i], buf + 8 + 32 * i, 32);
	return 0;
}

/* The last leaf is the rightmost leaf of the smallest perfect subtree (the lowest set bit
 * of size, 2^k leaves): the first k path entries are its left siblings inside that subtree,
 * and each later entry is the next larger subtree root to its left, smallest first. */
int ct_frontier_from_audit(struct ct_frontier *f, uint64_t size, const uint8_t leaf_hash_of_last[32],
	const uint8_t (*path)[32], size_t npath)
{
	if (size == 0)
		return -1;
	int k = __builtin_ctzll(size), n = __builtin_popcountll(size);
	if (npath != (size_t)(k + n - 1))
		return -1;
	uint8_t cur[32];
	memcpy(cur, leaf_hash_of_last, 32);
	for (int i = 0; i < k; i++)
		ct_hash_node(path[i], cur, cur);
	f->size = size;
	f->n = n;
	memcpy(f->h[n - 1], cur, 32);
	for (int i = 0; i < n - 1; i++)
		memcpy(f->h[n - 2 - i], path[k + i], 32);
	return 0;
}

int ct_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[32],
	const uint8_t root[32], const uint8_t (*path)[32], size_t npath)
{
	if (index >= size || npath > CT_PROOF_MAX)
		return 0;
	uint64_t fn = index, sn = size - 1;
	uint8_t r[32];
	memcpy(r, leaf_hash, 32);
	for (size_t i = 0; i < npath; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			ct_hash_node(path[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			ct_hash_node(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0;
}

int ct_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[32], const uint8_t root_n[32],
	const uint8_t (*proof)[32], size_t nproof)
{
	if (m > n || nproof > CT_PROOF_MAX)
		return 0;
	if (m == 0)
		return nproof == 0;
	if (m == n)
		return nproof == 0 && memcmp(root_m, root_n, 32) == 0;
	if (nproof == 0)
		return 0;
	/* When m is a power of two the old root is itself the first node of the path. */
	size_t i = 0;
	const uint8_t *first = proof[0];
	if ((m & (m - 1)) == 0)
		first = root_m;
	else
		i = 1;
	uint64_t fn = m - 1, sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	uint8_t fr[32], sr[32];
	memcpy(fr, first, 32);
	memcpy(sr, first, 32);
	for (; i < nproof; i++) {
		const uint8_t *c = proof[i];
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			ct_hash_node(c, fr, fr);
			ct_hash_node(c, sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			ct_hash_node(sr, c, sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, root_m, 32) == 0 && memcmp(sr, root_n, 32) == 0;
}

int ct_tile_path(char *buf, size_t n, int level, uint64_t index, unsigned partial_width)
{
	if (level < -1 || level > 63 || partial_width > 256)
		return -1;
	/* the 3-digit groups, least significant first */
	unsigned groups[8];
	int ng = 0;
	do {
		groups[ng++] = (unsigned)(index % 1000);
		index /= 1000;
	} while (index > 0);
	char tmp[96];
	size_t len;
	if (level < 0)
		len = (size_t)snprintf(tmp, sizeof tmp, "tile/data/");
	else
		len = (size_t)snprintf(tmp, sizeof tmp, "tile/%d/", level);
	for (int g = ng - 1; g >= 0; g--)
		len += (size_t)snprintf(tmp + len, sizeof tmp - len, "%s%03u%s", g > 0 ? "x" : "",
			groups[g], g > 0 ? "/" : "");
	if (partial_width > 0 && partial_width < 256)
		len += (size_t)snprintf(tmp + len, sizeof tmp - len, ".p/%u", partial_width);
	if (len + 1 > n)
		return -1;
	memcpy(buf, tmp, len + 1);
	return (int)len;
}

int ct_frontier_spans(uint64_t size, uint64_t tree_size, struct ct_tile_span out[64])
{
	if (tree_size < size)
		return -1;
	int n = 0;
	uint64_t off = 0;
	for (int k = 63; k >= 0; k--) {
		if (!(size >> k & 1))
			continue;
		int level = k / 8;
		uint64_t start = off >> (8 * level);          /* first level-l hash of the subtree */
		uint64_t total = tree_size >> (8 * level);    /* level-l hashes in the tree */
		uint64_t tile = start / 256, have = total - tile * 256;
		out[n++] = (struct ct_tile_span){
			.level = level,
			.index = tile,
			.width = have >= 256 ? 256 : (unsigned)have,
			.first = (unsigned)(start % 256),
			.count = 1u << (k % 8),
		};
		off += (uint64_t)1 << k;
	}
	return n;
}

int ct_frontier_from_spans(struct ct_frontier *f, uint64_t size, const struct ct_tile_span *spans,
	int nspans, const uint8_t *const *tiles, const size_t *tile_len)
{
	if (nspans != __builtin_popcountll(size))
		return -1;
	for (int i = 0; i < nspans; i++)
		if (spans[i].count > 256 || spans[i].first > 256 - spans[i].count ||
			tile_len[i] < 32 * (size_t)(spans[i].first + spans[i].count))
			return -1;
	for (int i = 0; i < nspans; i++)
		ct_hash_range((const uint8_t (*)[32])(tiles[i] + 32 * (size_t)spans[i].first),
			spans[i].count, f->h[i]);
	f->size = size;
	f->n = nspans;
	return 0;
}
