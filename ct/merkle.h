/* merkle.h -- the RFC 6962 / RFC 9162 Merkle tree of a CT log: leaf and node hashes, the
 * compact range (frontier) a follower keeps to recompute a tree head from the leaves it
 * reads, consistency and inclusion proof checks, and static-ct-api tile paths. Pure
 * functions; no recursion (every loop is bounded by the 64 bits of a tree size). */
#ifndef NODD_CT_MERKLE_H
#define NODD_CT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

/* The longest proof a tree of 2^64 leaves can need. */
#define CT_PROOF_MAX 64

/* SHA-256 for every digest of ct/ (fetched from the provider once, thread-safe). */
const EVP_MD *ct_sha256(void);

/* SHA-256(0x00 || in) and SHA-256(0x01 || l || r). */
void ct_hash_leaf(const uint8_t *in, size_t len, uint8_t out[32]);
void ct_hash_node(const uint8_t l[32], const uint8_t r[32], uint8_t out[32]);

/* The Merkle tree hash of n consecutive hashes taken as leaves of a (sub)tree, split as RFC
 * 6962 splits (n a power of two: a perfect subtree, as the 256 hashes of a full tile hash to
 * the entry one level up). n == 0 gives SHA-256(""). */
void ct_hash_range(const uint8_t (*h)[32], size_t n, uint8_t out[32]);

/* The compact range [0,size): the roots of the perfect subtrees that make up the first size
 * leaves, largest (leftmost) first; n == popcount(size). A value the caller embeds. */
struct ct_frontier {
	uint64_t size;
	uint8_t h[64][32];
	int n;
};

void ct_frontier_init(struct ct_frontier *f);                                /* size 0 */
void ct_frontier_append(struct ct_frontier *f, const uint8_t leaf_hash[32]); /* leaf size */
/* The tree head of [0,size); SHA-256("") for size 0. */
void ct_frontier_root(const struct ct_frontier *f, uint8_t root[32]);

/* A stable byte form for the store: u64 size (big-endian) then the n hashes. encode returns
 * the bytes written (8 + 32n) or -1 when bufsz is too small; decode returns 0, or -1 when
 * len does not match the size it announces (f is then untouched). */
int ct_frontier_encode(const struct ct_frontier *f, uint8_t *buf, size_t bufsz);
int ct_frontier_decode(struct ct_frontier *f, const uint8_t *buf, size_t len);

/* The frontier of [0,size) from the audit path of leaf size-1 in the tree of that size (RFC
 * 6962 get-entry-and-proof, leaf_index = size-1, tree_size = size): path and leaf hash are
 * borrowed. Returns 0, or -1 when npath is not the length such a path has (f untouched).
 * The caller then checks ct_frontier_root against the signed root of that size. */
int ct_frontier_from_audit(struct ct_frontier *f, uint64_t size, const uint8_t leaf_hash_of_last[32],
	const uint8_t (*path)[32], size_t npath);

/* RFC 9162 2.1.4.2: does proof show the tree of m leaves with root_m to be a prefix of the
 * tree of n leaves with root_n? m == n needs an empty proof and equal roots; m == 0 is
 * accepted with an empty proof. Returns 1 when it does, 0 when not (including m > n). */
int ct_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[32], const uint8_t root_n[32],
	const uint8_t (*proof)[32], size_t nproof);

/* RFC 9162 2.1.3.2: is leaf_hash at index in the tree of size leaves with this root?
 * Returns 1 or 0. */
int ct_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[32],
	const uint8_t root[32], const uint8_t (*path)[32], size_t npath);

/* A static-ct-api tile path relative to the monitoring prefix: "tile/<level>/<N>" for level
 * 0..63, "tile/data/<N>" for level -1, N in 3-digit groups ("x001/x234/067"), and ".p/<W>"
 * appended when partial_width is 1..255 (0 or 256: a full tile). Returns the length written
 * (NUL not counted), or -1 for a level out of range, a width over 256 or buf too small. */
int ct_tile_path(char *buf, size_t n, int level, uint64_t index, unsigned partial_width);

/* Where the frontier of [0,size) lies in a static log's hash tiles: each root of a perfect
 * subtree of 2^k leaves is the hash range (ct_hash_range) of 2^(k mod 8) consecutive hashes
 * of one tile at level k/8. width is the width to fetch that tile with in a tree of
 * tree_size leaves (>= size): 256 when full, else the partial width. */
struct ct_tile_span {
	int level;
	uint64_t index;     /* the tile */
	unsigned width;     /* 1..256 */
	unsigned first;     /* the hashes [first, first+count) of the tile */
	unsigned count;
};
/* Fills out[0..n) for the frontier's roots, largest first; returns n (popcount(size)), or
 * -1 when tree_size < size. Several spans may name the same tile. */
int ct_frontier_spans(uint64_t size, uint64_t tree_size, struct ct_tile_span out[64]);
/* Build f from those spans and the fetched tiles (tiles[i], tile_len[i] bytes, for span i;
 * borrowed). Returns 0, or -1 when a tile is shorter than its span needs (f untouched). */
int ct_frontier_from_spans(struct ct_frontier *f, uint64_t size, const struct ct_tile_span *spans,
	int nspans, const uint8_t *const *tiles, const size_t *tile_len);

#endif
