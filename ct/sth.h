/* sth.h -- what a CT log signs and serves as JSON or text: log keys, RFC 6962 signed tree
 * heads (get-sth), static-ct-api checkpoints (signed notes), get-entries, and the proof
 * answers. Every signature is verified here; everything parsed is hostile (bounded
 * lengths, strict base64, JSON through jansson). No network, no store. */
#ifndef NODD_CT_STH_H
#define NODD_CT_STH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base64.h"
#include "lib/err.h"

/* A log's public key: ECDSA P-256 or RSA >= 2048 bits, from a DER SubjectPublicKeyInfo. */
struct ct_logkey;

/* From the base64 SPKI of a log list or the configuration (borrowed, NUL-terminated), or
 * from the DER itself. Returns the key or NULL with e set (NODD_E_INVALID: "log key: ...").
 * Caller frees with ct_logkey_free (NULL is a no-op). */
struct ct_logkey *ct_logkey_new(const char *b64_spki, struct nodd_err *e);
struct ct_logkey *ct_logkey_new_der(const uint8_t *spki, size_t len, struct nodd_err *e);
void ct_logkey_free(struct ct_logkey *k);
/* The log ID: SHA-256 of the SPKI DER, 32 bytes owned by k. */
const uint8_t *ct_logkey_id(const struct ct_logkey *k);

/* Verify a TLS DigitallySigned (u8 hash = 4 SHA-256, u8 sig = 3 ECDSA or 1 RSA matching
 * the key, u16 length, signature; ds/dslen borrowed, nothing may follow) over msg.
 * Returns 0, or -1 with e set: NODD_E_PEER for a signature that does not verify,
 * NODD_E_INVALID for a malformed or mismatched DigitallySigned. */
int ct_logkey_verify(const struct ct_logkey *k, const uint8_t *msg, size_t msglen,
	const uint8_t *ds, size_t dslen, struct nodd_err *e);

/* A verified tree head. */
struct ct_sth {
	uint64_t tree_size;
	uint64_t timestamp_ms;
	uint8_t root[32];
};

/* How far ahead of this host's clock a tree head may be dated: a log's clock and ours
 * differ by seconds, not by minutes. */
#define CT_STH_MAX_FUTURE_MS (10 * 60 * 1000)

/* The time of a verified tree head s (borrowed) against the newest one verified before
 * (prev, borrowed; NULL: none) and the wall clock now_ms (unix milliseconds). A log signs
 * its heads in time order (RFC 6962 section 3.5), so a head dated before prev, or more than
 * CT_STH_MAX_FUTURE_MS ahead of now_ms, is the log's fault. Returns 0, or -1 with e set
 * (NODD_E_PEER, both heads' sizes and dates in the message). */
int ct_sth_check_time(const struct ct_sth *prev, const struct ct_sth *s, int64_t now_ms,
	struct nodd_err *e);

/* The 50 bytes a log signs for a tree head: 00 01 || u64 timestamp || u64 size || root. */
void ct_sth_signed_input(const struct ct_sth *s, uint8_t out[50]);

/* An RFC 6962 get-sth body (len bytes, borrowed): tree_size, timestamp, sha256_root_hash,
 * tree_head_signature, its signature checked with k. Returns 0 with *out, or -1 with e set:
 * NODD_E_PEER when the signature does not verify ("get-sth: signature does not verify"),
 * NODD_E_INVALID when the body is malformed. */
int ct_sth_parse_json(const char *body, size_t len, const struct ct_logkey *k, struct ct_sth *out,
	struct nodd_err *e);

/* The signed-note key ID of a static log: SHA-256(origin || 0A || 05 || log_id)[:4]. */
void ct_checkpoint_keyid(const char *origin, const uint8_t log_id[32], uint8_t out[4]);

/* The checkpoint origin of a submission prefix (borrowed): scheme and trailing slashes
 * removed ("https://log.example/2026h1/" -> "log.example/2026h1"). Returns 0, or -1 when
 * out (outsz bytes) is too small. */
int ct_origin_from_url(const char *url, char *out, size_t outsz);

/* A static-ct-api checkpoint (len bytes, borrowed): origin line (must equal origin), tree
 * size, base64 root, a blank line, then signature lines "— <name> <base64>"; lines whose
 * name is not origin or whose key ID is not k's are ignored; the one that is must carry a
 * u64 timestamp and a DigitallySigned over the RFC 6962 tree-head input. No extension
 * lines. Returns 0 with *out, or -1 with e set: NODD_E_PEER when the matching signature
 * does not verify, NODD_E_NOTFOUND when no line is signed by k, NODD_E_LIMIT past 100
 * signature lines, NODD_E_INVALID else. */
int ct_checkpoint_parse(const char *body, size_t len, const char *origin, const struct ct_logkey *k,
	struct ct_sth *out, struct nodd_err *e);

/* Receives one get-entries entry: the decoded leaf_input and extra_data (borrowed for the
 * call). Returns 0 to go on, non-zero to stop. */
typedef int (*ct_entry_cb)(void *ctx, const uint8_t *leaf, size_t leaflen, const uint8_t *extra,
	size_t extralen);

/* A get-entries body (borrowed): {"entries":[{"leaf_input","extra_data"}...]}, each passed to
 * cb in order. Returns the number of entries given to cb, -1 with e set (NODD_E_INVALID)
 * on a malformed body or entry (the entries before it were already given), or -1 with e
 * untouched when cb returned non-zero. */
int ct_entries_parse_json(const char *body, size_t len, ct_entry_cb cb, void *ctx, struct nodd_err *e);

/* A proof answer (borrowed): get-sth-consistency {"consistency":[...]} or
 * get-entry-and-proof / get-proof-by-hash {"audit_path":[...]}, whichever the body has, into
 * path (at most max hashes; *npath set). When leaf_input is not NULL the body must also
 * have "leaf_input" (get-entry-and-proof), decoded into *leaf_input (malloc'd, caller
 * frees) and *leaf_len. Returns 0, or -1 with e set (NODD_E_INVALID, NODD_E_LIMIT over max). */
int ct_proof_parse_json(const char *body, size_t len, uint8_t (*path)[32], size_t max, size_t *npath,
	uint8_t **leaf_input, size_t *leaf_len, struct nodd_err *e);

/* Strict base64 (lib/base64.h, BASE64_STRICT: padding required, no whitespace) of in (len
 * bytes) into out (outsz bytes): what a log sends. Returns the decoded length, or -1 on a
 * bad character, bad padding or out too small. */
static inline long ct_base64_decode(const char *in, size_t len, uint8_t *out, size_t outsz)
{
	long n = base64_decode(in, len, out, outsz, BASE64_STRICT, NULL);
	return n < 0 ? -1 : n;
}

#endif
