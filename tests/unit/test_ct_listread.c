/* test_ct_listread.c -- ct/listread.c: the log list's detached signature with RSA
 * (PKCS#1 v1.5) and ECDSA keys made here, good and bad, and a round of reading a list file
 * and its signature file: taken, refused for a bad or missing signature, refused as not a
 * list, a missing list file an error. */
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ct/listread.h"
#include "tap.h"

static char dir[] = "/tmp/nodd-listread-XXXXXX";

static EVP_PKEY *make_key(int rsa)
{
	return rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
		: EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* The PEM SubjectPublicKeyInfo of k into out (NUL-terminated); its length. */
static size_t pem_of(EVP_PKEY *k, char *out, size_t outsz)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(b, k);
	int n = BIO_read(b, out, (int)outsz - 1);
	BIO_free(b);
	out[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static size_t sign(EVP_PKEY *k, const char *data, uint8_t *sig, size_t sigsz)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t n = sigsz;
	if (EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(c, sig, &n, (const uint8_t *)data, strlen(data)) != 1)
		n = 0;
	EVP_MD_CTX_free(c);
	return n;
}

static void test_verify(int rsa)
{
	const char *what = rsa ? "RSA" : "ECDSA";
	EVP_PKEY *pk = make_key(rsa), *other = make_key(rsa);
	char pem[4096];
	size_t plen = pem_of(pk, pem, sizeof pem);
	struct nodd_err e = { 0, "" };
	struct ct_listkey *k = ct_listkey_new_pem(pem, plen, &e);
	ok(k != NULL, "%s: a PEM public key loads (%s)", what, e.msg);
	const char *list = "{\"operators\": []}\n";
	uint8_t sig[1024];
	size_t slen = sign(pk, list, sig, sizeof sig);
	ok(slen > 0, "%s: signed", what);
	is_int(ct_listkey_verify(k, list, strlen(list), sig, slen, &e), 0,
		"%s: the signature verifies over the exact bytes (%s)", what, e.msg);
	is_int(ct_listkey_verify(k, list, strlen(list) - 1, sig, slen, &e), -1,
		"%s: one byte less does not verify", what);
	is_int(e.kind, NODD_E_PEER, "%s: ... as the peer's fault", what);
	is_str(e.msg, "does not verify with ct.log-list-key", "... and said");
	size_t olen = sign(other, list, sig, sizeof sig);
	is_int(ct_listkey_verify(k, list, strlen(list), sig, olen, &e), -1,
		"%s: another key's signature does not verify", what);
	is_int(ct_listkey_verify(k, list, strlen(list), sig, 0, &e), -1,
		"%s: an empty signature does not verify", what);
	ct_listkey_free(k);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(other);
}

static void test_keys(void)
{
	struct nodd_err e = { 0, "" };
	const char *junk = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
	ok(ct_listkey_new_pem(junk, strlen(junk), &e) == NULL, "a broken PEM key is refused");
	is_str(e.msg, "not a PEM public key (BEGIN PUBLIC KEY)", "... and said");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char pem[4096];
	size_t plen = pem_of(ed, pem, sizeof pem);
	ok(ct_listkey_new_pem(pem, plen, &e) == NULL, "an Ed25519 key is refused");
	is_str(e.msg, "neither an RSA nor an ECDSA key", "... and said");
	EVP_PKEY_free(ed);
	ct_listkey_free(NULL);
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
}

static int applied;

static int apply(void *ctx, const char *json, size_t len, struct nodd_err *e)
{
	(void)ctx;
	if (len < 1 || json[0] != '{')
		return nodd_fail(e, NODD_E_INVALID, "not JSON");
	applied++;
	return 0;
}

static const char *status_str(struct ct_listread *r, const char *key)
{
	static char buf[1200];
	json_t *o = ct_listread_status(r);
	json_t *v = json_object_get(o, key);
	snprintf(buf, sizeof buf, "%s", json_is_string(v) ? json_string_value(v)
		: json_is_null(v) ? "(null)" : "(other)");
	json_decref(o);
	return buf;
}

static json_int_t status_int(struct ct_listread *r, const char *key)
{
	json_t *o = ct_listread_status(r);
	json_int_t v = json_integer_value(json_object_get(o, key));
	json_decref(o);
	return v;
}

static void test_round(void)
{
	EVP_PKEY *pk = make_key(0);
	char pem[4096], list[512], keyf[300];
	size_t plen = pem_of(pk, pem, sizeof pem);
	write_file("key.pem", pem, plen);
	snprintf(keyf, sizeof keyf, "%s/key.pem", dir);
	snprintf(list, sizeof list, "%s/list.json", dir);
	const char *body = "{\"operators\": []}";
	uint8_t sig[256];
	size_t slen = sign(pk, body, sig, sizeof sig);
	write_file("list.json", body, strlen(body));
	write_file("list.json.sig", sig, slen);
	struct ct_listread_options o = { .location = list, .key_file = keyf, .max_bytes = 1 << 20 };
	struct nodd_err e = { 0, "" };
	struct ct_listread *r = ct_listread_new(NULL, &o, apply, NULL, &e);
	ok(r != NULL, "a reader with a key file (%s)", e.msg);
	if (!r)
		return;
	is_int(ct_listread_start(r, &e), 0, "a signed list is read");
	is_int(applied, 1, "... and taken");
	is_str(status_str(r, "last_error"), "(null)", "... no error");
	/* a list changed after it was signed */
	write_file("list.json", "{\"operators\": [1]}", 18);
	is_int(ct_listread_start(r, &e), 0, "a list that does not match its signature is read");
	is_int(applied, 1, "... and not taken");
	is_int(status_int(r, "refused"), 1, "... counted as refused");
	char want[1200];
	snprintf(want, sizeof want, "refused: signature %s.sig: does not verify with "
		"ct.log-list-key", list);
	is_str(status_str(r, "last_error"), want, "... and said");
	char sigpath[600];
	snprintf(sigpath, sizeof sigpath, "%s.sig", list);
	unlink(sigpath);
	write_file("list.json", body, strlen(body));
	is_int(ct_listread_start(r, &e), 0, "a list without its signature file is read");
	is_int(applied, 1, "... and not taken");
	snprintf(want, sizeof want, "refused: signature %s.sig: cannot read %s.sig: No such file "
		"or directory", list, list);
	is_str(status_str(r, "last_error"), want, "... and said");
	write_file("list.json", "[]", 2);
	slen = sign(pk, "[]", sig, sizeof sig);
	write_file("list.json.sig", sig, slen);
	is_int(ct_listread_start(r, &e), 0, "a signed list that is not a list is read");
	is_int(applied, 1, "... and not taken");
	is_str(status_str(r, "last_error"), "refused: not JSON", "... and said");
	is_int(status_int(r, "refused"), 3, "three refused");
	unlink(list);
	is_int(ct_listread_start(r, &e), -1, "a missing list file is an error");
	ct_listread_free(r);
	o.key_file = NULL;
	write_file("list.json", "{\"operators\": [2]}", 18);
	r = ct_listread_new(NULL, &o, apply, NULL, &e);
	is_int(ct_listread_start(r, &e), 0, "without a key ...");
	is_int(applied, 2, "... a list is taken as it is");
	is_str(status_str(r, "signature"), "(null)", "... and no signature is named");
	ct_listread_free(r);
	o.key_file = list;
	ok(ct_listread_new(NULL, &o, apply, NULL, &e) == NULL, "a key file that is no key ...");
	snprintf(want, sizeof want, "ct.log-list-key: %s: not a PEM public key (BEGIN PUBLIC KEY)",
		list);
	is_str(e.msg, want, "... is an error");
	EVP_PKEY_free(pk);
	for (const char *f = "list.json\0list.json.sig\0key.pem\0"; *f; f += strlen(f) + 1) {
		char p[300];
		snprintf(p, sizeof p, "%s/%s", dir, f);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_verify(1);
	test_verify(0);
	test_keys();
	test_round();
	return tap_done();
}
