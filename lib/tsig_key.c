/* tsig_key.c -- TSIG keys: the algorithm table and names, base64 secrets, key names in
 * text and wire form, and the keyring (a small array: a server has a handful of keys).
 * Holds secrets, so every copy it drops is cleansed. Knows nothing of messages or MACs
 * (lib/tsig_msg.c, lib/tsig.c). */
#include "lib/tsig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "lib/base64.h"
#include "lib/dname.h"
#include "lib/grow.h"
#include "lib/tsig_internal.h"

static const struct tsig_alg_info algs[] = {
	{ TSIG_ALG_SHA1, "hmac-sha1", "SHA1", 20 },
	{ TSIG_ALG_SHA224, "hmac-sha224", "SHA2-224", 28 },
	{ TSIG_ALG_SHA256, "hmac-sha256", "SHA2-256", 32 },
	{ TSIG_ALG_SHA384, "hmac-sha384", "SHA2-384", 48 },
	{ TSIG_ALG_SHA512, "hmac-sha512", "SHA2-512", 64 },
};
#define NALGS (sizeof algs / sizeof algs[0])

const struct tsig_alg_info *tsig_alg_info(enum tsig_alg alg)
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
	const struct tsig_alg_info *a = tsig_alg_info(alg);
	return a ? a->name : "unknown";
}

size_t tsig_alg_mac_len(enum tsig_alg alg)
{
	const struct tsig_alg_info *a = tsig_alg_info(alg);
	return a ? a->mac_len : 0;
}

enum tsig_alg tsig_alg_from_wire(const uint8_t *w, size_t len)
{
	if (len < 2 || (size_t)w[0] + 2 != len || w[len - 1] != 0)
		return TSIG_ALG_UNKNOWN;
	for (size_t i = 0; i < NALGS; i++)
		if (strlen(algs[i].name) == w[0] && memcmp(algs[i].name, w + 1, w[0]) == 0)
			return algs[i].alg;
	return TSIG_ALG_UNKNOWN;
}

size_t tsig_alg_to_wire(enum tsig_alg alg, uint8_t *w)
{
	const struct tsig_alg_info *a = tsig_alg_info(alg);
	size_t n = strlen(a->name);
	w[0] = (uint8_t)n;
	memcpy(w + 1, a->name, n);
	w[n + 1] = 0;
	return n + 2;
}

/* ---- base64 and keys ---- */

/* A secret's text as a key file or the configuration writes it (line breaks and spaces
 * allowed), decoded by lib/base64.c; the messages here speak of secrets. */
int tsig_base64_decode(const char *in, uint8_t *out, size_t outsz, size_t *outlen,
	const char **why)
{
	const char *w = NULL;
	long n = base64_decode(in, strlen(in), out, outsz, BASE64_SPACES, &w);
	if (n == BASE64_NO_ROOM)
		w = "secret longer than 512 octets";
	else if (n == 0)
		w = "empty base64 secret";
	if (n <= 0) {
		if (why)
			*why = w;
		return -1;
	}
	*outlen = (size_t)n;
	return 0;
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
	if (grow_array(&kr->keys, &kr->cap, kr->n + 1, sizeof *kr->keys) < 0)
		return TSIG_E_NOMEM;
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
