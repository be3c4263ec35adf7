/* tsig.c -- TSIG (RFC 8945) on raw wire messages with OpenSSL 3 EVP_MAC.
 *
 * Why not ldns's TSIG (ldns_pkt_tsig_sign/verify[_next], REFERENCE.md 0.1): it never checks
 * Time Signed against Fudge (no BADTIME), cannot build error responses (Error is always 0,
 * Other Data empty, time from gettimeofday()), cannot verify a stream with unsigned
 * intermediate messages, misspells hmac-sha384 ("hmac-shac384.") so that algorithm fails,
 * takes the algorithm from the packet instead of the key, and leaves the packet's TSIG and ID
 * altered when verification fails. It also re-serialises the whole packet to sign it. So nodd
 * does TSIG here, on the bytes that travel, and checks placement (exactly one TSIG, last in
 * additional) itself. HMAC_CTX is deprecated in OpenSSL 3; EVP_MAC "HMAC" replaces it.
 *
 * Digest layout (RFC 8945 4.3):
 *   request:        message(ID := Original ID, ARCOUNT - 1) | variables
 *   response 1:     u16 len | request MAC | message(...) | variables
 *   response k > 1: u16 len | prior MAC | unsigned messages since | message(...) | timers
 *   variables = key name (canonical wire) | CLASS 255 | TTL 0 | algorithm name (canonical) |
 *               Time Signed u48 | Fudge | Error | Other Len | Other Data;  timers = Time | Fudge
 */
#include "lib/tsig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/dname.h"

struct alg_info {
	enum tsig_alg alg;
	const char *name;      /* presentation, no trailing dot */
	const char *digest;    /* OpenSSL digest name */
	size_t mac_len;
};

static const struct alg_info algs[] = {
	{ TSIG_ALG_SHA1, "hmac-sha1", "SHA1", 20 },
	{ TSIG_ALG_SHA224, "hmac-sha224", "SHA2-224", 28 },
	{ TSIG_ALG_SHA256, "hmac-sha256", "SHA2-256", 32 },
	{ TSIG_ALG_SHA384, "hmac-sha384", "SHA2-384", 48 },
	{ TSIG_ALG_SHA512, "hmac-sha512", "SHA2-512", 64 },
};
#define NALGS (sizeof algs / sizeof algs[0])

static const struct alg_info *alg_info(enum tsig_alg alg)
{
	for (size_t i = 0; i < NALGS; i++)
		if (algs[i].alg == alg)
			return &algs[i];
	return NULL;
}

enum tsig_alg tsig_alg_from_name(const char *name)
{
	if (!name)
		return TSIG_ALG_UNKNOWN;
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < NALGS; i++)
		if (strlen(algs[i].name) == n && strncasecmp(algs[i].name, name, n) == 0)
			return algs[i].alg;
	return TSIG_ALG_UNKNOWN;
}

const char *tsig_alg_name(enum tsig_alg alg)
{
	const struct alg_info *a = alg_info(alg);
	return a ? a->name : "unknown";
}

size_t tsig_alg_mac_len(enum tsig_alg alg)
{
	const struct alg_info *a = alg_info(alg);
	return a ? a->mac_len : 0;
}

/* Algorithm from a lowercase wire name: a single label equal to one of the names. */
static enum tsig_alg alg_from_wire(const uint8_t *w, size_t len)
{
	if (len < 2 || (size_t)w[0] + 2 != len || w[len - 1] != 0)
		return TSIG_ALG_UNKNOWN;
	for (size_t i = 0; i < NALGS; i++)
		if (strlen(algs[i].name) == w[0] && memcmp(algs[i].name, w + 1, w[0]) == 0)
			return algs[i].alg;
	return TSIG_ALG_UNKNOWN;
}

static size_t alg_to_wire(enum tsig_alg alg, uint8_t *w)
{
	const struct alg_info *a = alg_info(alg);
	size_t n = strlen(a->name);
	w[0] = (uint8_t)n;
	memcpy(w + 1, a->name, n);
	w[n + 1] = 0;
	return n + 2;
}

const char *tsig_strerror(int err)
{
	switch (err) {
	case TSIG_OK: return "ok";
	case TSIG_E_INVAL: return "invalid argument or malformed message";
	case TSIG_E_SPACE: return "message buffer too small for the TSIG record";
	case TSIG_E_CRYPTO: return "OpenSSL HMAC failure";
	case TSIG_E_NOMEM: return "out of memory";
	case TSIG_E_EXISTS: return "key name already defined";
	}
	return "unknown TSIG error";
}

const char *tsig_verdict_str(enum tsig_verdict v)
{
	switch (v) {
	case TSIG_V_OK: return "ok";
	case TSIG_V_UNSIGNED: return "unsigned";
	case TSIG_V_FORMERR: return "FORMERR";
	case TSIG_V_BADKEY: return "BADKEY";
	case TSIG_V_BADSIG: return "BADSIG";
	case TSIG_V_BADTRUNC: return "BADTRUNC";
	case TSIG_V_BADTIME: return "BADTIME";
	case TSIG_V_PEER_BADKEY: return "peer BADKEY";
	case TSIG_V_PEER_BADSIG: return "peer BADSIG";
	case TSIG_V_PEER_BADTIME: return "peer BADTIME";
	case TSIG_V_PEER_ERROR: return "peer TSIG error";
	case TSIG_V_STREAM: return "TSIG stream rule broken";
	}
	return "?";
}

/* ---- base64 and keys ---- */

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

int tsig_base64_decode(const char *in, uint8_t *out, size_t outsz, size_t *outlen,
	const char **why)
{
	uint32_t acc = 0;
	size_t nchar = 0, npad = 0, o = 0;
	const char *w = NULL;
	for (const char *p = in; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (isspace(c))
			continue;
		if (c == '=') {
			npad++;
			acc <<= 6;
			nchar++;
		} else {
			int v = b64_value(c);
			if (v < 0) {
				w = "invalid base64 character";
				goto fail;
			}
			if (npad) {
				w = "base64 data after '=' padding";
				goto fail;
			}
			acc = (acc << 6) | (uint32_t)v;
			nchar++;
		}
		if (nchar % 4 == 0) {
			if (npad > 2) {
				w = "too much base64 '=' padding";
				goto fail;
			}
			size_t nb = 3 - npad;
			if (o + nb > outsz) {
				w = "secret longer than 512 octets";
				goto fail;
			}
			uint8_t b[3] = { (uint8_t)(acc >> 16), (uint8_t)(acc >> 8), (uint8_t)acc };
			memcpy(out + o, b, nb);
			o += nb;
			acc = 0;
		} else if (npad && nchar % 4 < 3) {
			w = "misplaced base64 '=' padding";
			goto fail;
		}
	}
	if (nchar == 0) {
		w = "empty base64 secret";
		goto fail;
	}
	if (nchar % 4 != 0) {
		w = "base64 length is not a multiple of 4 (missing '=' padding?)";
		goto fail;
	}
	*outlen = o;
	return 0;
fail:
	if (why)
		*why = w;
	return -1;
}

/* Key name text to lowercase wire. Key names are not host names ("tsig-zonedata-ch-public-
 * 21-01", "k_1"), so any printable character but '.', '\\' and quotes is kept. */
static int key_name_to_wire(const char *text, uint8_t *w, size_t *wlen, char *norm,
	const char **why)
{
	size_t n = strlen(text), o = 0, lab_at = 0;
	if (n > 0 && text[n - 1] == '.')
		n--;
	if (n == 0) {
		*why = "empty key name";
		return -1;
	}
	if (n > 253) {
		*why = "key name longer than 253 characters";
		return -1;
	}
	w[o++] = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || text[i] == '.') {
			size_t l = o - lab_at - 1;
			if (l == 0) {
				*why = "empty label in key name";
				return -1;
			}
			if (l > 63) {
				*why = "key name label longer than 63 octets";
				return -1;
			}
			w[lab_at] = (uint8_t)l;
			lab_at = o;
			w[o++] = 0;
			if (i < n)
				norm[i] = '.';
			continue;
		}
		unsigned char c = (unsigned char)text[i];
		if (c <= ' ' || c >= 0x7f || c == '\\' || c == '"' || c == '\'') {
			*why = "invalid character in key name";
			return -1;
		}
		c = dname_lower(c);
		w[o++] = c;
		norm[i] = (char)c;
	}
	norm[n] = '\0';
	*wlen = o;
	return 0;
}

int tsig_key_init(struct tsig_key *key, const char *name, const char *alg,
	const char *secret_b64, const char **why)
{
	const char *w = NULL;
	memset(key, 0, sizeof *key);
	if (!name || !alg || !secret_b64) {
		w = "missing key name, algorithm or secret";
		goto fail;
	}
	if (key_name_to_wire(name, key->name, &key->name_len, key->name_text, &w) < 0)
		goto fail;
	key->alg = tsig_alg_from_name(alg);
	if (key->alg == TSIG_ALG_UNKNOWN) {
		w = "unsupported TSIG algorithm (use hmac-sha1, hmac-sha224, hmac-sha256, "
			"hmac-sha384 or hmac-sha512)";
		goto fail;
	}
	if (tsig_base64_decode(secret_b64, key->secret, sizeof key->secret, &key->secret_len,
		&w) < 0)
		goto fail;
	return 0;
fail:
	OPENSSL_cleanse(key->secret, sizeof key->secret);
	if (why)
		*why = w;
	return -1;
}

/* ---- key table: a small array; a server has a handful of keys ---- */

struct tsig_keyring {
	struct tsig_key **keys;
	size_t n, cap;
};

struct tsig_keyring *tsig_keyring_new(void)
{
	return calloc(1, sizeof(struct tsig_keyring));
}

void tsig_keyring_free(struct tsig_keyring *kr)
{
	if (!kr)
		return;
	for (size_t i = 0; i < kr->n; i++) {
		OPENSSL_cleanse(kr->keys[i], sizeof *kr->keys[i]);
		free(kr->keys[i]);
	}
	free(kr->keys);
	free(kr);
}

int tsig_keyring_add(struct tsig_keyring *kr, const struct tsig_key *key)
{
	if (!kr || !key || key->name_len == 0 || key->alg == TSIG_ALG_UNKNOWN)
		return TSIG_E_INVAL;
	if (tsig_keyring_find(kr, key->name, key->name_len))
		return TSIG_E_EXISTS;
	if (kr->n == kr->cap) {
		size_t nc = kr->cap ? kr->cap * 2 : 8;
		struct tsig_key **nk = realloc(kr->keys, nc * sizeof *nk);
		if (!nk)
			return TSIG_E_NOMEM;
		kr->keys = nk;
		kr->cap = nc;
	}
	struct tsig_key *k = malloc(sizeof *k);
	if (!k)
		return TSIG_E_NOMEM;
	*k = *key;
	kr->keys[kr->n++] = k;
	return TSIG_OK;
}

const struct tsig_key *tsig_keyring_find(const struct tsig_keyring *kr,
	const uint8_t *name, size_t name_len)
{
	if (!kr)
		return NULL;
	for (size_t i = 0; i < kr->n; i++)
		if (dname_wire_equal(kr->keys[i]->name, kr->keys[i]->name_len, name, name_len))
			return kr->keys[i];
	return NULL;
}

const struct tsig_key *tsig_keyring_find_text(const struct tsig_keyring *kr, const char *name)
{
	uint8_t w[TSIG_MAX_NAME + 1];
	char norm[256];
	size_t wl;
	const char *why;
	if (!name || key_name_to_wire(name, w, &wl, norm, &why) < 0)
		return NULL;
	return tsig_keyring_find(kr, w, wl);
}

const struct tsig_key *tsig_keyring_find_alg(const struct tsig_keyring *kr,
	const uint8_t *name, size_t name_len, enum tsig_alg alg)
{
	const struct tsig_key *k = tsig_keyring_find(kr, name, name_len);
	return (k && k->alg == alg) ? k : NULL;
}

size_t tsig_keyring_count(const struct tsig_keyring *kr)
{
	return kr ? kr->n : 0;
}

const struct tsig_key *tsig_keyring_get(const struct tsig_keyring *kr, size_t i)
{
	return (kr && i < kr->n) ? kr->keys[i] : NULL;
}

int tsig_keyring_same(const struct tsig_keyring *a, const struct tsig_keyring *b)
{
	if (tsig_keyring_count(a) != tsig_keyring_count(b))
		return 0;
	for (size_t i = 0; i < tsig_keyring_count(a); i++) {
		const struct tsig_key *x = a->keys[i];
		const struct tsig_key *y = tsig_keyring_find(b, x->name, x->name_len);
		if (!y || y->alg != x->alg || y->secret_len != x->secret_len ||
		    y->min_mac_len != x->min_mac_len ||
		    CRYPTO_memcmp(y->secret, x->secret, x->secret_len) != 0)
			return 0;
	}
	return 1;
}

/* ---- wire helpers ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint64_t get48(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int tsig_find(const uint8_t *msg, size_t len, size_t *tsig_off)
{
	if (!msg || len < 12)
		return -1;
	uint8_t name[DNAME_MAX_WIRE];
	size_t nl, off = 12;
	unsigned qd = get16(msg + 4), an = get16(msg + 6), ns = get16(msg + 8),
		ar = get16(msg + 10);
	for (unsigned i = 0; i < qd; i++) {
		off = dname_wire_parse(msg, len, off, name, &nl);
		if (off == 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	/* Every record is walked (not just searched for type 250), because names in earlier
	 * records may be compressed and a TSIG anywhere but last must be refused. */
	unsigned total = an + ns + ar;
	int found = 0;
	for (unsigned i = 0; i < total; i++) {
		size_t start = off;
		off = dname_wire_parse(msg, len, off, name, &nl);
		if (off == 0 || off + 10 > len)
			return -1;
		uint16_t type = get16(msg + off);
		size_t rdlen = get16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			return -1;
		off += rdlen;
		if (type == TSIG_RR_TYPE) {
			if (i != total - 1 || i < an + ns)
				return -1;
			*tsig_off = start;
			found = 1;
		}
	}
	if (off != len)
		return -1; /* trailing bytes: the MAC would not cover them */
	return found;
}

/* The parsed TSIG RR. */
struct tsig_rr {
	uint8_t key_name[DNAME_MAX_WIRE];
	size_t key_name_len;
	uint8_t alg_name[DNAME_MAX_WIRE];
	size_t alg_name_len;
	uint64_t time;
	uint16_t fudge, mac_len, orig_id, error, other_len;
	const uint8_t *mac, *other;
};

static int parse_tsig(const uint8_t *msg, size_t len, size_t off, struct tsig_rr *t)
{
	off = dname_wire_parse(msg, len, off, t->key_name, &t->key_name_len);
	if (off == 0 || off + 10 > len)
		return -1;
	uint16_t cls = get16(msg + off + 2);
	uint32_t ttl = ((uint32_t)get16(msg + off + 4) << 16) | get16(msg + off + 6);
	size_t rdlen = get16(msg + off + 8);
	off += 10;
	size_t end = off + rdlen;
	if (cls != TSIG_CLASS_ANY || ttl != 0 || end != len)
		return -1;
	off = dname_wire_parse(msg, end, off, t->alg_name, &t->alg_name_len);
	if (off == 0 || off + 10 > end)
		return -1;
	t->time = get48(msg + off);
	t->fudge = get16(msg + off + 6);
	t->mac_len = get16(msg + off + 8);
	off += 10;
	if (t->mac_len > TSIG_MAX_MAC || off + t->mac_len + 6 > end)
		return -1;
	t->mac = msg + off;
	off += t->mac_len;
	t->orig_id = get16(msg + off);
	t->error = get16(msg + off + 2);
	t->other_len = get16(msg + off + 4);
	off += 6;
	if (off + t->other_len != end)
		return -1;
	t->other = msg + off;
	return 0;
}

/* Copy the parsed RR into the caller-visible result. */
static void result_from_rr(struct tsig_result *res, const struct tsig_rr *t, size_t off)
{
	memcpy(res->key_name, t->key_name, t->key_name_len);
	res->key_name_len = t->key_name_len;
	memcpy(res->alg_name, t->alg_name, t->alg_name_len);
	res->alg_name_len = t->alg_name_len;
	memcpy(res->mac.data, t->mac, t->mac_len);
	res->mac.len = t->mac_len;
	res->time_signed = t->time;
	res->fudge = t->fudge;
	res->orig_id = t->orig_id;
	res->error = t->error;
	res->other_time = t->other_len == 6 ? get48(t->other) : 0;
	res->msg_len = off;
	res->tsig_off = off;
}

/* Append a TSIG RR at msg[len], bump ARCOUNT. */
static int append_tsig(uint8_t *msg, size_t len, size_t cap, const uint8_t *kname, size_t kl,
	const uint8_t *aname, size_t al, uint64_t time, uint16_t fudge, const uint8_t *mac,
	size_t mac_len, uint16_t orig_id, uint16_t error, const uint8_t *other, size_t olen,
	size_t *out_len)
{
	size_t rdlen = al + 6 + 2 + 2 + mac_len + 2 + 2 + 2 + olen;
	size_t need = kl + 10 + rdlen;
	if (len < 12 || len + need > cap || len + need > 65535 || get16(msg + 10) == 0xffff)
		return len < 12 ? TSIG_E_INVAL : TSIG_E_SPACE;
	uint8_t *p = msg + len;
	memcpy(p, kname, kl);
	p += kl;
	put16(p, TSIG_RR_TYPE);
	put16(p + 2, TSIG_CLASS_ANY);
	memset(p + 4, 0, 4);
	put16(p + 8, (uint16_t)rdlen);
	p += 10;
	memcpy(p, aname, al);
	p += al;
	put48(p, time);
	put16(p + 6, fudge);
	put16(p + 8, (uint16_t)mac_len);
	p += 10;
	if (mac_len)
		memcpy(p, mac, mac_len);
	p += mac_len;
	put16(p, orig_id);
	put16(p + 2, error);
	put16(p + 4, (uint16_t)olen);
	p += 6;
	if (olen)
		memcpy(p, other, olen);
	put16(msg + 10, (uint16_t)(get16(msg + 10) + 1));
	*out_len = len + need;
	return TSIG_OK;
}

/* ---- HMAC on EVP_MAC ---- */

static EVP_MAC_CTX *mac_new(void)
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!m)
		return NULL;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(m);
	EVP_MAC_free(m); /* the context keeps its own reference */
	return ctx;
}

static int mac_init(EVP_MAC_CTX *ctx, const struct tsig_key *key)
{
	const struct alg_info *a = alg_info(key->alg);
	if (!a || !ctx)
		return -1;
	OSSL_PARAM params[2] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)a->digest, 0),
		OSSL_PARAM_construct_end(),
	};
	return EVP_MAC_init(ctx, key->secret, key->secret_len, params) == 1 ? 0 : -1;
}

/* A failed update is remembered in *err so the callers check once at final. */
static void mac_feed(EVP_MAC_CTX *ctx, const void *p, size_t n, int *err)
{
	if (n && EVP_MAC_update(ctx, p, n) != 1)
		*err = 1;
}

static void mac_feed_u16(EVP_MAC_CTX *ctx, uint16_t v, int *err)
{
	uint8_t b[2];
	put16(b, v);
	mac_feed(ctx, b, 2, err);
}

static void mac_feed_prior(EVP_MAC_CTX *ctx, const struct tsig_mac *m, int *err)
{
	mac_feed_u16(ctx, m->len, err);
	mac_feed(ctx, m->data, m->len, err);
}

/* The message part of the digest: header with ID := orig_id and the given ARCOUNT, then
 * the bytes from offset 12 to end. */
static void mac_feed_msg(EVP_MAC_CTX *ctx, const uint8_t *msg, size_t end, uint16_t orig_id,
	uint16_t arcount, int *err)
{
	uint8_t h[12];
	memcpy(h, msg, 12);
	put16(h, orig_id);
	put16(h + 10, arcount);
	mac_feed(ctx, h, 12, err);
	mac_feed(ctx, msg + 12, end - 12, err);
}

static void mac_feed_vars(EVP_MAC_CTX *ctx, const uint8_t *kname, size_t kl,
	const uint8_t *aname, size_t al, uint64_t time, uint16_t fudge, uint16_t error,
	const uint8_t *other, size_t olen, int *err)
{
	uint8_t b[10];
	mac_feed(ctx, kname, kl, err);
	put16(b, TSIG_CLASS_ANY);
	memset(b + 2, 0, 4);
	mac_feed(ctx, b, 6, err);
	mac_feed(ctx, aname, al, err);
	put48(b, time);
	put16(b + 6, fudge);
	put16(b + 8, error);
	mac_feed(ctx, b, 10, err);
	mac_feed_u16(ctx, (uint16_t)olen, err);
	mac_feed(ctx, other, olen, err);
}

static void mac_feed_timers(EVP_MAC_CTX *ctx, uint64_t time, uint16_t fudge, int *err)
{
	uint8_t b[8];
	put48(b, time);
	put16(b + 6, fudge);
	mac_feed(ctx, b, 8, err);
}

static int mac_final(EVP_MAC_CTX *ctx, struct tsig_mac *out, int err)
{
	size_t ol = 0;
	if (err || EVP_MAC_final(ctx, out->data, &ol, sizeof out->data) != 1)
		return -1;
	out->len = (uint16_t)ol;
	return 0;
}

/* ---- client: sign a request ---- */

int tsig_sign_request(const struct tsig_key *key, uint8_t *msg, size_t len, size_t cap,
	uint64_t now, uint16_t fudge, struct tsig_mac *mac, size_t *out_len)
{
	if (!key || !msg || !mac || !out_len || len < 12 || alg_info(key->alg) == NULL)
		return TSIG_E_INVAL;
	if (fudge == 0)
		fudge = TSIG_FUDGE_DEFAULT;
	uint8_t aname[16];
	size_t al = alg_to_wire(key->alg, aname);
	EVP_MAC_CTX *ctx = mac_new();
	int err = 0, rc = TSIG_E_CRYPTO;
	if (!ctx || mac_init(ctx, key) < 0)
		goto out;
	mac_feed(ctx, msg, len, &err);
	mac_feed_vars(ctx, key->name, key->name_len, aname, al, now, fudge, 0, NULL, 0, &err);
	if (mac_final(ctx, mac, err) < 0)
		goto out;
	rc = append_tsig(msg, len, cap, key->name, key->name_len, aname, al, now, fudge,
		mac->data, mac->len, get16(msg), 0, NULL, 0, out_len);
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/* ---- server: verify a request ---- */

static enum tsig_verdict fail_with(struct tsig_result *res, enum tsig_verdict v,
	uint8_t rcode, uint16_t error)
{
	res->verdict = v;
	res->rcode = rcode;
	res->error = error;
	return v;
}

/* max(10, L/2) <= mac_len <= L (RFC 8945 5.2.2.1); outside that range -> FORMERR. */
static int mac_len_ok(size_t mac_len, size_t full)
{
	size_t min = full / 2 > 10 ? full / 2 : 10;
	return mac_len >= min && mac_len <= full;
}

static size_t mac_policy(const struct tsig_key *key)
{
	size_t full = tsig_alg_mac_len(key->alg);
	return (key->min_mac_len && key->min_mac_len < full) ? key->min_mac_len : full;
}

static int time_ok(uint64_t now, uint64_t t, uint16_t fudge)
{
	uint64_t d = now > t ? now - t : t - now;
	return d <= fudge;
}

enum tsig_verdict tsig_verify_request(const struct tsig_keyring *kr, const uint8_t *msg,
	size_t len, uint64_t now, struct tsig_result *res)
{
	memset(res, 0, sizeof *res);
	res->msg_len = len;
	size_t off = 0;
	int r = tsig_find(msg, len, &off);
	if (r < 0)
		return fail_with(res, TSIG_V_FORMERR, TSIG_RCODE_FORMERR, 0);
	if (r == 0) {
		res->verdict = TSIG_V_UNSIGNED;
		return TSIG_V_UNSIGNED;
	}
	struct tsig_rr t;
	if (parse_tsig(msg, len, off, &t) < 0)
		return fail_with(res, TSIG_V_FORMERR, TSIG_RCODE_FORMERR, 0);
	result_from_rr(res, &t, off);
	res->error = 0;
	res->other_time = 0;

	const struct tsig_key *key = tsig_keyring_find_alg(kr, t.key_name, t.key_name_len,
		alg_from_wire(t.alg_name, t.alg_name_len));
	if (!key)
		return fail_with(res, TSIG_V_BADKEY, TSIG_RCODE_NOTAUTH, TSIG_ERR_BADKEY);
	size_t full = tsig_alg_mac_len(key->alg);
	/* An empty or short MAC is a format error, never "unsigned" and never checked as a
	 * prefix: the CVE-2017-3142/3143 class of bypasses lived in such paths. */
	if (!mac_len_ok(t.mac_len, full))
		return fail_with(res, TSIG_V_FORMERR, TSIG_RCODE_FORMERR, 0);

	EVP_MAC_CTX *ctx = mac_new();
	struct tsig_mac calc;
	int err = 0;
	if (!ctx || mac_init(ctx, key) < 0) {
		EVP_MAC_CTX_free(ctx);
		return fail_with(res, TSIG_V_BADSIG, TSIG_RCODE_NOTAUTH, TSIG_ERR_BADSIG);
	}
	mac_feed_msg(ctx, msg, off, t.orig_id, (uint16_t)(get16(msg + 10) - 1), &err);
	mac_feed_vars(ctx, t.key_name, t.key_name_len, t.alg_name, t.alg_name_len, t.time,
		t.fudge, t.error, t.other, t.other_len, &err);
	int fin = mac_final(ctx, &calc, err);
	EVP_MAC_CTX_free(ctx);
	if (fin < 0 || CRYPTO_memcmp(calc.data, t.mac, t.mac_len) != 0)
		return fail_with(res, TSIG_V_BADSIG, TSIG_RCODE_NOTAUTH, TSIG_ERR_BADSIG);
	res->key = key;
	if (t.mac_len < mac_policy(key))
		return fail_with(res, TSIG_V_BADTRUNC, TSIG_RCODE_NOTAUTH, TSIG_ERR_BADTRUNC);
	if (!time_ok(now, t.time, t.fudge))
		return fail_with(res, TSIG_V_BADTIME, TSIG_RCODE_NOTAUTH, TSIG_ERR_BADTIME);
	res->verdict = TSIG_V_OK;
	return TSIG_V_OK;
}

/* ---- server: sign responses ---- */

static void set_rcode(uint8_t *msg, uint8_t rcode)
{
	msg[3] = (uint8_t)((msg[3] & 0xf0) | (rcode & 0x0f));
}

int tsig_sign_response(const struct tsig_result *req, uint8_t *msg, size_t len, size_t cap,
	uint64_t now, size_t *out_len)
{
	if (!req || !msg || !out_len || len < 12)
		return TSIG_E_INVAL;
	switch (req->verdict) {
	case TSIG_V_OK: {
		struct tsig_signer s;
		int rc = tsig_signer_init(&s, req->key, &req->mac, req->fudge);
		if (rc == TSIG_OK)
			rc = tsig_signer_sign(&s, msg, len, cap, now, out_len);
		tsig_signer_deinit(&s);
		return rc;
	}
	case TSIG_V_BADTIME: {
		if (!req->key)
			return TSIG_E_INVAL;
		uint8_t aname[16], other[6];
		size_t al = alg_to_wire(req->key->alg, aname);
		put48(other, now);
		set_rcode(msg, TSIG_RCODE_NOTAUTH);
		EVP_MAC_CTX *ctx = mac_new();
		struct tsig_mac m;
		int err = 0, rc = TSIG_E_CRYPTO;
		if (!ctx || mac_init(ctx, req->key) < 0)
			goto out;
		mac_feed_prior(ctx, &req->mac, &err);
		mac_feed(ctx, msg, len, &err);
		mac_feed_vars(ctx, req->key->name, req->key->name_len, aname, al, req->time_signed,
			req->fudge, TSIG_ERR_BADTIME, other, 6, &err);
		if (mac_final(ctx, &m, err) < 0)
			goto out;
		rc = append_tsig(msg, len, cap, req->key->name, req->key->name_len, aname, al,
			req->time_signed, req->fudge, m.data, m.len, get16(msg), TSIG_ERR_BADTIME,
			other, 6, out_len);
out:
		EVP_MAC_CTX_free(ctx);
		return rc;
	}
	case TSIG_V_BADKEY:
	case TSIG_V_BADSIG:
	case TSIG_V_BADTRUNC:
		/* Unsigned: we either have no key or cannot trust the request MAC. */
		set_rcode(msg, TSIG_RCODE_NOTAUTH);
		return append_tsig(msg, len, cap, req->key_name, req->key_name_len, req->alg_name,
			req->alg_name_len, now, req->fudge, NULL, 0, get16(msg), req->error, NULL, 0,
			out_len);
	default:
		return TSIG_E_INVAL;
	}
}

int tsig_signer_init(struct tsig_signer *s, const struct tsig_key *key,
	const struct tsig_mac *request_mac, uint16_t fudge)
{
	memset(s, 0, sizeof *s);
	if (!key || !request_mac || request_mac->len > TSIG_MAX_MAC || !alg_info(key->alg))
		return TSIG_E_INVAL;
	s->key = key;
	s->prior = *request_mac;
	s->fudge = fudge ? fudge : TSIG_FUDGE_DEFAULT;
	s->ctx = mac_new();
	/* Like the verifier, the digest runs from the prior MAC over any skipped messages to
	 * the next signed one. */
	int err = 0;
	if (!s->ctx || mac_init(s->ctx, key) < 0)
		return TSIG_E_CRYPTO;
	mac_feed_prior(s->ctx, &s->prior, &err);
	return err ? TSIG_E_CRYPTO : TSIG_OK;
}

int tsig_signer_skip(struct tsig_signer *s, const uint8_t *msg, size_t len)
{
	if (!s || !s->ctx || !msg || len < 12)
		return TSIG_E_INVAL;
	if (s->nsigned == 0)
		return TSIG_E_INVAL; /* the first message must be signed */
	int err = 0;
	mac_feed(s->ctx, msg, len, &err);
	return err ? TSIG_E_CRYPTO : TSIG_OK;
}

int tsig_signer_sign(struct tsig_signer *s, uint8_t *msg, size_t len, size_t cap,
	uint64_t now, size_t *out_len)
{
	if (!s || !s->ctx || !msg || !out_len || len < 12)
		return TSIG_E_INVAL;
	EVP_MAC_CTX *ctx = s->ctx;
	uint8_t aname[16];
	size_t al = alg_to_wire(s->key->alg, aname);
	struct tsig_mac m;
	int err = 0;
	mac_feed(ctx, msg, len, &err);
	if (s->nsigned == 0)
		mac_feed_vars(ctx, s->key->name, s->key->name_len, aname, al, now, s->fudge, 0,
			NULL, 0, &err);
	else
		mac_feed_timers(ctx, now, s->fudge, &err);
	if (mac_final(ctx, &m, err) < 0)
		return TSIG_E_CRYPTO;
	int rc = append_tsig(msg, len, cap, s->key->name, s->key->name_len, aname, al, now,
		s->fudge, m.data, m.len, get16(msg), 0, NULL, 0, out_len);
	if (rc != TSIG_OK)
		return rc; /* the digest is consumed: this signer cannot continue */
	s->prior = m;
	s->nsigned++;
	if (mac_init(ctx, s->key) < 0)
		return TSIG_E_CRYPTO;
	mac_feed_prior(ctx, &s->prior, &err);
	return err ? TSIG_E_CRYPTO : TSIG_OK;
}

void tsig_signer_deinit(struct tsig_signer *s)
{
	if (!s)
		return;
	EVP_MAC_CTX_free(s->ctx);
	s->ctx = NULL;
}

/* ---- client: verify responses ---- */

int tsig_verifier_init(struct tsig_verifier *v, const struct tsig_key *key,
	const struct tsig_mac *request_mac)
{
	memset(v, 0, sizeof *v);
	if (!key || !request_mac || request_mac->len > TSIG_MAX_MAC || !alg_info(key->alg))
		return TSIG_E_INVAL;
	v->key = key;
	v->prior = *request_mac;
	v->ctx = mac_new();
	if (!v->ctx)
		return TSIG_E_CRYPTO;
	/* The running digest always starts with the prior MAC; unsigned messages are then
	 * appended as they arrive, until a signed message closes the segment. */
	int err = 0;
	if (mac_init(v->ctx, key) < 0)
		return TSIG_E_CRYPTO;
	mac_feed_prior(v->ctx, &v->prior, &err);
	return err ? TSIG_E_CRYPTO : TSIG_OK;
}

static enum tsig_verdict stream_fail(struct tsig_verifier *v, struct tsig_result *res,
	enum tsig_verdict verdict)
{
	v->failed = (int)verdict;
	res->verdict = verdict;
	return verdict;
}

enum tsig_verdict tsig_verifier_feed(struct tsig_verifier *v, const uint8_t *msg, size_t len,
	uint64_t now, struct tsig_result *res)
{
	memset(res, 0, sizeof *res);
	res->msg_len = len;
	if (!v->ctx)
		return stream_fail(v, res, TSIG_V_STREAM);
	if (v->failed) {
		res->verdict = (enum tsig_verdict)v->failed;
		return res->verdict;
	}
	size_t off = 0;
	int r = tsig_find(msg, len, &off);
	if (r < 0)
		return stream_fail(v, res, TSIG_V_FORMERR);
	int err = 0;
	if (r == 0) {
		/* An unsigned first message is an unsigned answer to a signed request. */
		if (v->nmsg == 0 || v->unsigned_run + 1 > TSIG_MAX_UNSIGNED)
			return stream_fail(v, res, TSIG_V_STREAM);
		mac_feed(v->ctx, msg, len, &err);
		if (err)
			return stream_fail(v, res, TSIG_V_BADSIG);
		v->unsigned_run++;
		v->nmsg++;
		res->verdict = TSIG_V_UNSIGNED;
		return TSIG_V_UNSIGNED;
	}
	struct tsig_rr t;
	if (parse_tsig(msg, len, off, &t) < 0)
		return stream_fail(v, res, TSIG_V_FORMERR);
	result_from_rr(res, &t, off);
	/* The peer rejected our request: report what it said (its MAC is empty or, for
	 * BADTIME, irrelevant since the transfer is over either way). */
	switch (t.error) {
	case 0: break;
	case TSIG_ERR_BADKEY: return stream_fail(v, res, TSIG_V_PEER_BADKEY);
	case TSIG_ERR_BADSIG: return stream_fail(v, res, TSIG_V_PEER_BADSIG);
	case TSIG_ERR_BADTIME: return stream_fail(v, res, TSIG_V_PEER_BADTIME);
	default: return stream_fail(v, res, TSIG_V_PEER_ERROR);
	}
	const struct tsig_key *key = v->key;
	if (!dname_wire_equal(t.key_name, t.key_name_len, key->name, key->name_len) ||
		alg_from_wire(t.alg_name, t.alg_name_len) != key->alg)
		return stream_fail(v, res, TSIG_V_BADKEY);
	if (!mac_len_ok(t.mac_len, tsig_alg_mac_len(key->alg)))
		return stream_fail(v, res, TSIG_V_FORMERR);
	mac_feed_msg(v->ctx, msg, off, t.orig_id, (uint16_t)(get16(msg + 10) - 1), &err);
	if (v->nmsg == 0)
		mac_feed_vars(v->ctx, t.key_name, t.key_name_len, t.alg_name, t.alg_name_len,
			t.time, t.fudge, t.error, t.other, t.other_len, &err);
	else
		mac_feed_timers(v->ctx, t.time, t.fudge, &err);
	struct tsig_mac calc;
	if (mac_final(v->ctx, &calc, err) < 0 || CRYPTO_memcmp(calc.data, t.mac, t.mac_len) != 0)
		return stream_fail(v, res, TSIG_V_BADSIG);
	if (t.mac_len < mac_policy(key))
		return stream_fail(v, res, TSIG_V_BADTRUNC);
	if (!time_ok(now, t.time, t.fudge))
		return stream_fail(v, res, TSIG_V_BADTIME);
	/* Next segment: the MAC as it appeared on the wire chains into the next digest. */
	memcpy(v->prior.data, t.mac, t.mac_len);
	v->prior.len = t.mac_len;
	if (mac_init(v->ctx, key) < 0)
		return stream_fail(v, res, TSIG_V_BADSIG);
	mac_feed_prior(v->ctx, &v->prior, &err);
	if (err)
		return stream_fail(v, res, TSIG_V_BADSIG);
	v->unsigned_run = 0;
	v->nmsg++;
	res->key = key;
	res->verdict = TSIG_V_OK;
	return TSIG_V_OK;
}

enum tsig_verdict tsig_verifier_end(const struct tsig_verifier *v)
{
	if (v->failed)
		return (enum tsig_verdict)v->failed;
	if (v->nmsg == 0 || v->unsigned_run > 0)
		return TSIG_V_STREAM;
	return TSIG_V_OK;
}

void tsig_verifier_deinit(struct tsig_verifier *v)
{
	if (!v)
		return;
	EVP_MAC_CTX_free(v->ctx);
	v->ctx = NULL;
}
