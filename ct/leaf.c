/* leaf.c -- RFC 6962 MerkleTreeLeaf and static-ct-api TileLeaf records as bytes. Locates the
 * certificate and computes the leaf hash; never allocates, never parses X.509 (names.c
 * does), never trusts a length before checking it against the bytes left. */
#include "ct/leaf.h"

#include <inttypes.h>
#include <string.h>

#include <openssl/evp.h>

#include "ct/merkle.h"

/* A bounded reader: every get fails once the bytes run out, with what was being read. */
struct rd {
	const uint8_t *p;
	size_t left;
	const char *what; /* the field that did not fit, for the message */
};

static int need(struct rd *r, size_t n, const char *what)
{
	if (r->left < n) {
		r->what = what;
		return -1;
	}
	return 0;
}

static int get_uint(struct rd *r, int bytes, uint64_t *v, const char *what)
{
	if (need(r, (size_t)bytes, what) < 0)
		return -1;
	uint64_t x = 0;
	for (int i = 0; i < bytes; i++)
		x = x << 8 | r->p[i];
	r->p += bytes;
	r->left -= (size_t)bytes;
	*v = x;
	return 0;
}

/* A length-prefixed field (prefix of lenbytes bytes): *out points at its content. */
static int get_vec(struct rd *r, int lenbytes, const uint8_t **out, size_t *len, const char *what)
{
	uint64_t n;
	if (get_uint(r, lenbytes, &n, what) < 0 || need(r, (size_t)n, what) < 0)
		return -1;
	*out = r->p;
	*len = (size_t)n;
	r->p += n;
	r->left -= (size_t)n;
	return 0;
}

static int fail_rd(struct nodd_err *e, const char *ctx, const struct rd *r)
{
	return nodd_fail(e, NODD_E_INVALID, "%s: %s truncated (%zu bytes left)", ctx, r->what,
		r->left);
}

/* CtExtensions: Extension { u8 type; opaque data<0..2^16-1> }*. Type 0 is static-ct-api's
 * leaf_index, a uint40; anything else is skipped. */
static int read_extensions(const uint8_t *p, size_t len, int64_t *leaf_index, const char *ctx,
	struct nodd_err *e)
{
	struct rd r = { p, len, NULL };
	*leaf_index = -1;
	while (r.left > 0) {
		uint64_t type;
		const uint8_t *data;
		size_t dlen;
		if (get_uint(&r, 1, &type, "extension type") < 0 ||
			get_vec(&r, 2, &data, &dlen, "extension data") < 0)
			return fail_rd(e, ctx, &r);
		if (type != 0)
			continue;
		if (dlen != 5)
			return nodd_fail(e, NODD_E_INVALID, "%s: leaf_index extension of %zu bytes, not 5",
				ctx, dlen);
		if (*leaf_index >= 0)
			return nodd_fail(e, NODD_E_INVALID, "%s: two leaf_index extensions", ctx);
		int64_t v = 0;
		for (int i = 0; i < 5; i++)
			v = v << 8 | data[i];
		*leaf_index = v;
	}
	return 0;
}

/* The TimestampedEntry from the timestamp on (shared by both forms). */
static int read_entry(struct rd *r, struct ct_leaf *out, const uint8_t **ext, size_t *extlen)
{
	uint64_t ts, type;
	if (get_uint(r, 8, &ts, "timestamp") < 0 || get_uint(r, 2, &type, "entry type") < 0)
		return -1;
	out->timestamp_ms = ts;
	out->entry_type = (int)type;
	out->issuer_key_hash = NULL;
	if (type == CT_ENTRY_PRECERT) {
		if (need(r, 32, "issuer key hash") < 0)
			return -1;
		out->issuer_key_hash = r->p;
		r->p += 32;
		r->left -= 32;
		if (get_vec(r, 3, &out->cert, &out->cert_len, "precert TBS") < 0)
			return -1;
	} else if (type == CT_ENTRY_X509) {
		if (get_vec(r, 3, &out->cert, &out->cert_len, "certificate") < 0)
			return -1;
	} else {
		r->what = "entry type (neither x509 nor precert)";
		return -1;
	}
	return get_vec(r, 2, ext, extlen, "extensions");
}

int ct_leaf_parse(const uint8_t *leaf_input, size_t len, struct ct_leaf *out, struct nodd_err *e)
{
	struct rd r = { leaf_input, len, NULL };
	uint64_t version, leaf_type;
	const uint8_t *ext;
	size_t extlen;
	if (get_uint(&r, 1, &version, "version") < 0 || get_uint(&r, 1, &leaf_type, "leaf type") < 0)
		return fail_rd(e, "leaf", &r);
	if (version != 0 || leaf_type != 0)
		return nodd_fail(e, NODD_E_INVALID, "leaf: version %" PRIu64 " leaf type %" PRIu64
			", want 0 0 (v1 timestamped entry)", version, leaf_type);
	if (read_entry(&r, out, &ext, &extlen) < 0) {
		if (r.what && strncmp(r.what, "entry type (", 12) == 0)
			return nodd_fail(e, NODD_E_INVALID, "leaf: entry type %d is neither x509 nor precert",
				out->entry_type);
		return fail_rd(e, "leaf", &r);
	}
	if (r.left != 0)
		return nodd_fail(e, NODD_E_INVALID, "leaf: %zu bytes after the extensions", r.left);
	if (read_extensions(ext, extlen, &out->leaf_index, "leaf", e) < 0)
		return -1;
	ct_hash_leaf(leaf_input, len, out->leaf_hash);
	return 0;
}

int ct_tileleaf_next(const uint8_t **p, size_t *left, struct ct_leaf *out, struct nodd_err *e)
{
	if (*left == 0)
		return 0;
	struct rd r = { *p, *left, NULL };
	struct ct_leaf l;
	const uint8_t *ext, *skip;
	size_t extlen, skiplen;
	if (read_entry(&r, &l, &ext, &extlen) < 0) {
		if (r.what && strncmp(r.what, "entry type (", 12) == 0)
			return nodd_fail(e, NODD_E_INVALID, "tile leaf: entry type %d is neither x509 nor "
				"precert", l.entry_type);
		return fail_rd(e, "tile leaf", &r);
	}
	size_t entry_len = (size_t)(r.p - *p); /* timestamp .. extensions: the leaf_input tail */
	if (l.entry_type == CT_ENTRY_PRECERT &&
		get_vec(&r, 3, &skip, &skiplen, "pre_certificate") < 0)
		return fail_rd(e, "tile leaf", &r);
	if (get_vec(&r, 2, &skip, &skiplen, "chain fingerprints") < 0)
		return fail_rd(e, "tile leaf", &r);
	if (skiplen % 32 != 0)
		return nodd_fail(e, NODD_E_INVALID, "tile leaf: chain fingerprints of %zu bytes, not a "
			"multiple of 32", skiplen);
	if (read_extensions(ext, extlen, &l.leaf_index, "tile leaf", e) < 0)
		return -1;
	/* leaf hash = SHA-256(00 || 00 00 || timestamp .. extensions) */
	static const uint8_t prefix[3] = { 0x00, 0x00, 0x00 };
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, ct_sha256(), NULL) && EVP_DigestUpdate(c, prefix, 3) &&
		EVP_DigestUpdate(c, *p, entry_len) && EVP_DigestFinal_ex(c, l.leaf_hash, NULL);
	EVP_MD_CTX_free(c);
	if (!ok)
		return nodd_fail(e, NODD_E_NOMEM, "tile leaf: hashing failed (out of memory)");
	*out = l;
	*p = r.p;
	*left = r.left;
	return 1;
}
