/* sth.c -- log keys, signed tree heads, checkpoints and the JSON answers of a CT log.
 * Owns signature verification (OpenSSL EVP) and strict decoding of what a log sends; keeps
 * nothing between calls but the key objects it hands out. No network, no store. */
#include "ct/sth.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

struct ct_logkey {
	EVP_PKEY *pkey;
	int sigalg; /* TLS SignatureAlgorithm: 3 ECDSA, 1 RSA */
	uint8_t id[32];
};

struct ct_logkey *ct_logkey_new_der(const uint8_t *spki, size_t len, struct nodd_err *e)
{
	if (len == 0 || len > 16384) {
		nodd_fail(e, NODD_E_INVALID, "log key: %zu bytes of SPKI", len);
		return NULL;
	}
	const unsigned char *p = spki;
	EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (!pkey || p != spki + len) {
		EVP_PKEY_free(pkey);
		nodd_fail(e, NODD_E_INVALID, "log key: not a DER SubjectPublicKeyInfo");
		return NULL;
	}
	int sigalg = 0;
	if (EVP_PKEY_is_a(pkey, "EC")) {
		char group[64] = "";
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
				NULL) && strcmp(group, "prime256v1") == 0)
			sigalg = 3;
		else
			nodd_fail(e, NODD_E_INVALID, "log key: EC curve %s, CT logs use P-256",
				group[0] ? group : "(unnamed)");
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		if (EVP_PKEY_get_bits(pkey) >= 2048)
			sigalg = 1;
		else
			nodd_fail(e, NODD_E_INVALID, "log key: RSA of %d bits, CT logs use 2048 or more",
				EVP_PKEY_get_bits(pkey));
	} else {
		nodd_fail(e, NODD_E_INVALID, "log key: neither ECDSA P-256 nor RSA");
	}
	struct ct_logkey *k = sigalg ? nodd_calloc(1, sizeof *k, e) : NULL;
	if (!k) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if (!EVP_Digest(spki, len, k->id, NULL, EVP_sha256(), NULL)) {
		EVP_PKEY_free(pkey);
		free(k);
		nodd_fail(e, NODD_E_NOMEM, "log key: hashing failed");
		return NULL;
	}
	k->pkey = pkey;
	k->sigalg = sigalg;
	return k;
}

struct ct_logkey *ct_logkey_new(const char *b64_spki, struct nodd_err *e)
{
	size_t len = strlen(b64_spki);
	if (len > 16384) {
		nodd_fail(e, NODD_E_INVALID, "log key: %zu characters of base64", len);
		return NULL;
	}
	uint8_t der[12288];
	long n = ct_base64_decode(b64_spki, len, der, sizeof der);
	if (n < 0) {
		nodd_fail(e, NODD_E_INVALID, "log key: not base64");
		return NULL;
	}
	return ct_logkey_new_der(der, (size_t)n, e);
}

void ct_logkey_free(struct ct_logkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

const uint8_t *ct_logkey_id(const struct ct_logkey *k)
{
	return k->id;
}

int ct_logkey_verify(const struct ct_logkey *k, const uint8_t *msg, size_t msglen,
	const uint8_t *ds, size_t dslen, struct nodd_err *e)
{
	if (dslen < 4)
		return nodd_fail(e, NODD_E_INVALID, "signature: %zu bytes, too short", dslen);
	if (ds[0] != 4)
		return nodd_fail(e, NODD_E_INVALID, "signature: hash algorithm %d, want 4 (SHA-256)",
			ds[0]);
	if (ds[1] != k->sigalg)
		return nodd_fail(e, NODD_E_INVALID, "signature: algorithm %d, the log key wants %d",
			ds[1], k->sigalg);
	size_t slen = (size_t)ds[2] << 8 | ds[3];
	if (slen != dslen - 4)
		return nodd_fail(e, NODD_E_INVALID, "signature: length %zu, %zu bytes follow", slen,
			dslen - 4);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return nodd_fail(e, NODD_E_NOMEM, "signature: out of memory");
	int ok = EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
		EVP_DigestVerify(c, ds + 4, slen, msg, msglen) == 1;
	EVP_MD_CTX_free(c);
	if (!ok)
		return nodd_fail(e, NODD_E_PEER, "signature does not verify with the log key");
	return 0;
}

void ct_sth_signed_input(const struct ct_sth *s, uint8_t out[50])
{
	out[0] = 0; /* v1 */
	out[1] = 1; /* tree_hash */
	for (int i = 0; i < 8; i++) {
		out[2 + i] = (uint8_t)(s->timestamp_ms >> (56 - 8 * i));
		out[10 + i] = (uint8_t)(s->tree_size >> (56 - 8 * i));
	}
	memcpy(out + 18, s->root, 32);
}

/* A unix time in milliseconds as "2026-01-02T03:04:05.678Z" (UTC). */
static void fmt_ms(uint64_t ms, char *out, size_t outsz)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];
	if (!gmtime_r(&t, &tm) ||
	    !strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(out, outsz, "%llu ms", (unsigned long long)ms);
		return;
	}
	snprintf(out, outsz, "%s.%03uZ", day, (unsigned)(ms % 1000));
}

int ct_sth_check_time(const struct ct_sth *prev, const struct ct_sth *s, int64_t now_ms,
	struct nodd_err *e)
{
	char at[48], before[48];
	fmt_ms(s->timestamp_ms, at, sizeof at);
	if (prev && s->timestamp_ms < prev->timestamp_ms) {
		fmt_ms(prev->timestamp_ms, before, sizeof before);
		return nodd_fail(e, NODD_E_PEER, "the tree head of size %llu dated %s goes back in "
			"time from the verified head of size %llu dated %s",
			(unsigned long long)s->tree_size, at, (unsigned long long)prev->tree_size, before);
	}
	if (now_ms >= 0 && s->timestamp_ms > (uint64_t)now_ms + CT_STH_MAX_FUTURE_MS)
		return nodd_fail(e, NODD_E_PEER, "the tree head of size %llu is dated %s, %llu s "
			"ahead of this host's clock (at most %d s allowed)",
			(unsigned long long)s->tree_size, at,
			(unsigned long long)((s->timestamp_ms - (uint64_t)now_ms) / 1000),
			CT_STH_MAX_FUTURE_MS / 1000);
	return 0;
}

/* A base64 JSON string member into out: exactly want bytes when want > 0, else up to outsz. */
static long json_b64(json_t *obj, const char *key, uint8_t *out, size_t outsz, size_t want,
	const char *ctx, struct nodd_err *e)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return nodd_fail(e, NODD_E_INVALID, "%s: no string \"%s\"", ctx, key);
	long n = ct_base64_decode(json_string_value(v), json_string_length(v), out, outsz);
	if (n < 0)
		return nodd_fail(e, NODD_E_INVALID, "%s: \"%s\" is not base64 (or over %zu bytes)", ctx,
			key, outsz);
	if (want && (size_t)n != want)
		return nodd_fail(e, NODD_E_INVALID, "%s: \"%s\" has %ld bytes, want %zu", ctx, key, n,
			want);
	return n;
}

static int json_u64(json_t *obj, const char *key, uint64_t *out, const char *ctx,
	struct nodd_err *e)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return nodd_fail(e, NODD_E_INVALID, "%s: \"%s\" is not a non-negative integer", ctx, key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static json_t *load_object(const char *body, size_t len, const char *ctx, struct nodd_err *e)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		nodd_fail(e, NODD_E_INVALID, "%s: not JSON: %s (at %d)", ctx, jerr.text, jerr.position);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		nodd_fail(e, NODD_E_INVALID, "%s: not a JSON object", ctx);
		return NULL;
	}
	return root;
}

int ct_sth_parse_json(const char *body, size_t len, const struct ct_logkey *k, struct ct_sth *out,
	struct nodd_err *e)
{
	json_t *root = load_object(body, len, "get-sth", e);
	if (!root)
		return -1;
	struct ct_sth s;
	uint8_t sig[1024];
	long siglen;
	int rc = -1;
	if (json_u64(root, "tree_size", &s.tree_size, "get-sth", e) < 0 ||
		json_u64(root, "timestamp", &s.timestamp_ms, "get-sth", e) < 0 ||
		json_b64(root, "sha256_root_hash", s.root, sizeof s.root, 32, "get-sth", e) < 0 ||
		(siglen = json_b64(root, "tree_head_signature", sig, sizeof sig, 0, "get-sth", e)) < 0)
		goto out;
	uint8_t msg[50];
	ct_sth_signed_input(&s, msg);
	if (ct_logkey_verify(k, msg, sizeof msg, sig, (size_t)siglen, e) < 0) {
		nodd_wrap(e, "get-sth of size %llu", (unsigned long long)s.tree_size);
		goto out;
	}
	*out = s;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

void ct_checkpoint_keyid(const char *origin, const uint8_t log_id[32], uint8_t out[4])
{
	uint8_t h[32] = { 0 };
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	static const uint8_t sep[2] = { 0x0a, 0x05 }; /* newline, signature type 05 (RFC 6962) */
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL))
		if (!EVP_DigestUpdate(c, origin, strlen(origin)) || !EVP_DigestUpdate(c, sep, 2) ||
			!EVP_DigestUpdate(c, log_id, 32) || !EVP_DigestFinal_ex(c, h, NULL))
			memset(h, 0, sizeof h);
	EVP_MD_CTX_free(c);
	memcpy(out, h, 4);
}

int ct_origin_from_url(const char *url, char *out, size_t outsz)
{
	const char *s = strstr(url, "://");
	s = s ? s + 3 : url;
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == '/')
		len--;
	if (len + 1 > outsz)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* One line of a checkpoint at *p: its text and length without the newline. A line that is
 * not ended by a newline is malformed (a signed note ends in one). */
static int next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl)
		return -1;
	*line = *p;
	*len = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

static int parse_u64_dec(const char *s, size_t len, uint64_t *out)
{
	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

#define CT_NOTE_MAX_SIGS 100

/* A signature line "— <name> <base64>" of the note: 1 when it is the log's and verifies,
 * 0 when it is someone else's (ignored), -1 with e set when it is the log's and does not. */
static int checkpoint_sig(const char *line, size_t len, const char *origin, const uint8_t kid[4],
	const struct ct_logkey *k, struct ct_sth *s, struct nodd_err *e)
{
	static const char dash[] = "\xe2\x80\x94 "; /* U+2014 EM DASH, space */
	if (len < 4 || memcmp(line, dash, 4) != 0)
		return nodd_fail(e, NODD_E_INVALID, "checkpoint: a signature line does not start "
			"with an em dash and a space");
	const char *name = line + 4, *sp = memchr(name, ' ', len - 4);
	if (!sp || sp == name)
		return nodd_fail(e, NODD_E_INVALID, "checkpoint: a signature line has no name");
	size_t namelen = (size_t)(sp - name), b64len = len - 4 - namelen - 1;
	if (namelen != strlen(origin) || memcmp(name, origin, namelen) != 0)
		return 0;
	uint8_t sig[1100];
	long n = ct_base64_decode(sp + 1, b64len, sig, sizeof sig);
	if (n < 0)
		return nodd_fail(e, NODD_E_INVALID, "checkpoint: the signature of %s is not base64 "
			"(or too long)", origin);
	if (n < 4 || memcmp(sig, kid, 4) != 0)
		return 0; /* another key of the same name */
	if (n < 4 + 8 + 4)
		return nodd_fail(e, NODD_E_INVALID, "checkpoint: signature of %ld bytes, too short", n);
	s->timestamp_ms = 0;
	for (int i = 0; i < 8; i++)
		s->timestamp_ms = s->timestamp_ms << 8 | sig[4 + i];
	uint8_t msg[50];
	ct_sth_signed_input(s, msg);
	if (ct_logkey_verify(k, msg, sizeof msg, sig + 12, (size_t)n - 12, e) < 0)
		return nodd_wrap(e, "checkpoint of size %llu", (unsigned long long)s->tree_size);
	return 1;
}

int ct_checkpoint_parse(const char *body, size_t len, const char *origin, const struct ct_logkey *k,
	struct ct_sth *out, struct nodd_err *e)
{
	const char *p = body, *end = body + len, *line;
	size_t ll;
	struct ct_sth s;
	if (next_line(&p, end, &line, &ll) < 0)
		return nodd_fail(e, NODD_E_INVALID, "checkpoint: no origin line");
	if (ll != strlen(origin) || memcmp(line, origin, ll) != 0)
		return nodd_fail(e, NODD_E_INVALID, "checkpoint: origin \"%.*s\", want \"%s\"",
			(int)(ll > 200 ? 200 : ll), line, origin);
	if (next_line(&p, end, &line, &ll) < 0 || parse_u64_dec(line, ll, &s.tree_size) < 0)
		return nodd_fail(e, NODD_E_INVALID, "checkpoint: the second line is not a tree size");
	if (next_line(&p, end, &line, &ll) < 0 ||
		ct_base64_decode(line, ll, s.root, sizeof s.root) != 32)
		return nodd_fail(e, NODD_E_INVALID, "checkpoint: the third line is not a base64 "
			"32-byte root hash");
	if (next_line(&p, end, &line, &ll) < 0 || ll != 0)
		return nodd_fail(e, NODD_E_INVALID, "checkpoint: a fourth line where the blank line "
			"before the signatures belongs (static-ct-api allows no extension lines)");
	uint8_t kid[4];
	ct_checkpoint_keyid(origin, ct_logkey_id(k), kid);
	int nsig = 0, found = 0;
	while (p < end && !found) {
		if (next_line(&p, end, &line, &ll) < 0)
			return nodd_fail(e, NODD_E_INVALID, "checkpoint: the last line has no newline");
		if (++nsig > CT_NOTE_MAX_SIGS)
			return nodd_fail(e, NODD_E_LIMIT, "checkpoint: over %d signature lines",
				CT_NOTE_MAX_SIGS);
		found = checkpoint_sig(line, ll, origin, kid, k, &s, e);
		if (found < 0)
			return -1;
	}
	if (!found)
		return nodd_fail(e, NODD_E_NOTFOUND, "checkpoint: no signature by the log's key "
			"(%d lines of others)", nsig);
	*out = s;
	return 0;
}

/* Decode the base64 string member key of obj into *buf (grown as needed, *cap bytes). */
static long json_b64_grow(json_t *obj, const char *key, uint8_t **buf, size_t *cap, const char *ctx,
	struct nodd_err *e)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return nodd_fail(e, NODD_E_INVALID, "%s: no string \"%s\"", ctx, key);
	size_t need = json_string_length(v) / 4 * 3 + 3;
	if (need > *cap) {
		uint8_t *nb = realloc(*buf, need);
		if (!nb)
			return nodd_fail(e, NODD_E_NOMEM, "%s: out of memory", ctx);
		*buf = nb;
		*cap = need;
	}
	long n = ct_base64_decode(json_string_value(v), json_string_length(v), *buf, *cap);
	if (n < 0)
		return nodd_fail(e, NODD_E_INVALID, "%s: \"%s\" is not base64", ctx, key);
	return n;
}

int ct_entries_parse_json(const char *body, size_t len, ct_entry_cb cb, void *ctx, struct nodd_err *e)
{
	json_t *root = load_object(body, len, "get-entries", e);
	if (!root)
		return -1;
	json_t *arr = json_object_get(root, "entries");
	int rc = -1;
	uint8_t *leaf = NULL, *extra = NULL;
	size_t leafcap = 0, extracap = 0;
	if (!json_is_array(arr)) {
		nodd_fail(e, NODD_E_INVALID, "get-entries: no \"entries\" array");
		goto out;
	}
	size_t n = json_array_size(arr);
	if (n > INT_MAX) {
		nodd_fail(e, NODD_E_LIMIT, "get-entries: %zu entries", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *ent = json_array_get(arr, i);
		char what[48];
		snprintf(what, sizeof what, "get-entries: entry %zu", i);
		if (!json_is_object(ent)) {
			nodd_fail(e, NODD_E_INVALID, "%s is not an object", what);
			goto out;
		}
		long ll = json_b64_grow(ent, "leaf_input", &leaf, &leafcap, what, e);
		if (ll < 0)
			goto out;
		long el = json_b64_grow(ent, "extra_data", &extra, &extracap, what, e);
		if (el < 0)
			goto out;
		if (cb(ctx, leaf, (size_t)ll, extra, (size_t)el) != 0)
			goto out;
	}
	rc = (int)n;
out:
	free(leaf);
	free(extra);
	json_decref(root);
	return rc;
}

int ct_proof_parse_json(const char *body, size_t len, uint8_t (*path)[32], size_t max, size_t *npath,
	uint8_t **leaf_input, size_t *leaf_len, struct nodd_err *e)
{
	json_t *root = load_object(body, len, "proof", e);
	if (!root)
		return -1;
	int rc = -1;
	json_t *cons = json_object_get(root, "consistency"), *audit = json_object_get(root, "audit_path");
	json_t *arr = cons ? cons : audit;
	const char *name = cons ? "consistency" : "audit_path";
	if ((cons && audit) || !json_is_array(arr)) {
		nodd_fail(e, NODD_E_INVALID, "proof: want one array, \"consistency\" or \"audit_path\"");
		goto out;
	}
	size_t n = json_array_size(arr);
	if (n > max) {
		nodd_fail(e, NODD_E_LIMIT, "proof: %zu hashes in \"%s\", at most %zu", n, name, max);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_array_get(arr, i);
		if (!json_is_string(h) ||
			ct_base64_decode(json_string_value(h), json_string_length(h), path[i], 32) != 32) {
			nodd_fail(e, NODD_E_INVALID, "proof: \"%s\"[%zu] is not a base64 32-byte hash",
				name, i);
			goto out;
		}
	}
	if (leaf_input) {
		uint8_t *buf = NULL;
		size_t cap = 0;
		long ll = json_b64_grow(root, "leaf_input", &buf, &cap, "proof", e);
		if (ll < 0) {
			free(buf);
			goto out;
		}
		*leaf_input = buf;
		*leaf_len = (size_t)ll;
	}
	*npath = n;
	rc = 0;
out:
	json_decref(root);
	return rc;
}
