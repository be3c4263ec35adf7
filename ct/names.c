/* names.c -- host names out of a certificate or precertificate TBS (OpenSSL), normalised and
 * checked (libidn2 for A-labels), deduplicated per certificate, and the key that makes a
 * precertificate and its final certificate one issuance. The only file of nodd that parses
 * X.509. Pure: no network, no store; the public suffix side lives in psl.c. */
#include "ct/names.h"

#include "ct/merkle.h"

#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ---- a minimal DER walker: only what locating the TBS fields needs ---- */

struct tlv {
	const uint8_t *start; /* the tag */
	size_t hdr, len;      /* header and content length */
	uint8_t tag;
};

/* One TLV at p (avail bytes): low tag numbers only, definite lengths up to 2^32-1. */
static int tlv_read(const uint8_t *p, size_t avail, struct tlv *t)
{
	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	size_t hdr = 2, len = p[1];
	if (len & 0x80) {
		size_t nb = len & 0x7f;
		if (nb == 0 || nb > 4 || avail < 2 + nb)
			return -1;
		len = 0;
		for (size_t i = 0; i < nb; i++)
			len = len << 8 | p[2 + i];
		hdr += nb;
	}
	if (len > avail - hdr)
		return -1;
	*t = (struct tlv){ .start = p, .hdr = hdr, .len = len, .tag = p[0] };
	return 0;
}

/* The TBSCertificate fields names.c needs, located in the TBS bytes; ext is the content
 * of [3] Extensions (tag 0 when the TBS has none). */
struct tbs_fields {
	struct tlv tbs, serial, sigalg, issuer, subject, ext;
};

/* The TLV at *q with tag `tag`, stepped over. */
static int tlv_take(const uint8_t **q, const uint8_t *end, uint8_t tag, struct tlv *t)
{
	if (tlv_read(*q, (size_t)(end - *q), t) < 0 || t->tag != tag)
		return -1;
	*q += t->hdr + t->len;
	return 0;
}

static int tbs_locate(const uint8_t *p, size_t len, struct tbs_fields *f)
{
	if (tlv_read(p, len, &f->tbs) < 0 || f->tbs.tag != 0x30)
		return -1;
	const uint8_t *q = p + f->tbs.hdr, *end = q + f->tbs.len;
	struct tlv t;
	if (tlv_read(q, (size_t)(end - q), &t) < 0)
		return -1;
	if (t.tag == 0xa0) /* [0] EXPLICIT Version */
		q += t.hdr + t.len;
	if (tlv_take(&q, end, 0x02, &f->serial) < 0 || tlv_take(&q, end, 0x30, &f->sigalg) < 0 ||
	    tlv_take(&q, end, 0x30, &f->issuer) < 0 || tlv_take(&q, end, 0x30, &t) < 0 ||
	    tlv_take(&q, end, 0x30, &f->subject) < 0 || tlv_take(&q, end, 0x30, &t) < 0)
		return -1; /* validity and subjectPublicKeyInfo are stepped over */
	memset(&f->ext, 0, sizeof f->ext);
	while (q < end) { /* [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions */
		if (tlv_read(q, (size_t)(end - q), &t) < 0)
			return -1;
		q += t.hdr + t.len;
		if (t.tag == 0xa3) {
			const uint8_t *e = t.start + t.hdr;
			if (tlv_take(&e, e + t.len, 0x30, &f->ext) < 0)
				return -1;
		}
	}
	return 0;
}

/* The extnValue of the one subjectAltName extension in f->ext: 1 found, 0 none (or more
 * than one, which RFC 5280 forbids: its names are not trusted then), -1 malformed. */
static int san_locate(const struct tbs_fields *f, struct tlv *val)
{
	static const uint8_t san_oid[] = { 0x06, 0x03, 0x55, 0x1d, 0x11 };
	int found = 0;
	if (!f->ext.start)
		return 0;
	const uint8_t *q = f->ext.start + f->ext.hdr, *end = q + f->ext.len;
	while (q < end) {
		struct tlv x, oid, v;
		if (tlv_take(&q, end, 0x30, &x) < 0)
			return -1;
		const uint8_t *r = x.start + x.hdr, *xend = r + x.len;
		if (tlv_take(&r, xend, 0x06, &oid) < 0)
			return -1;
		if (r < xend && *r == 0x01 && tlv_take(&r, xend, 0x01, &v) < 0)
			return -1; /* critical */
		if (tlv_take(&r, xend, 0x04, &v) < 0)
			return -1;
		if (oid.hdr + oid.len == sizeof san_oid && !memcmp(oid.start, san_oid, sizeof san_oid)) {
			found++;
			*val = v;
		}
	}
	return found == 1;
}

/* ---- the names of one certificate, each once ---- */

struct nameset {
	char **slot; /* open addressing; NULL = empty */
	size_t cap, used;
	ct_name_cb cb;
	void *ctx;
	int given, stopped, nomem, bad;
};

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int set_grow(struct nameset *ns)
{
	size_t cap = ns->cap ? ns->cap * 2 : 32;
	char **slot = calloc(cap, sizeof *slot);
	if (!slot)
		return -1;
	for (size_t i = 0; i < ns->cap; i++) {
		if (!ns->slot[i])
			continue;
		size_t j = name_hash(ns->slot[i]) & (cap - 1);
		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = ns->slot[i];
	}
	free(ns->slot);
	ns->slot = slot;
	ns->cap = cap;
	return 0;
}

/* Normalise raw and, when it is a host name not given before, give it to the callback. */
static void offer(struct nameset *ns, const char *raw, size_t len)
{
	char name[CT_NAME_MAX];
	if (ns->stopped || ns->nomem || ct_name_normalise(raw, len, name, sizeof name) != 1)
		return;
	if ((ns->used + 1) * 2 > ns->cap && set_grow(ns) < 0) {
		ns->nomem = 1;
		return;
	}
	size_t j = name_hash(name) & (ns->cap - 1);
	for (; ns->slot[j]; j = (j + 1) & (ns->cap - 1))
		if (strcmp(ns->slot[j], name) == 0)
			return;
	if (!(ns->slot[j] = strdup(name))) {
		ns->nomem = 1;
		return;
	}
	ns->used++;
	ns->given++;
	if (ns->cb(ns->ctx, name) != 0)
		ns->stopped = 1;
}

/* Only the subject and the subjectAltName extension are decoded (by OpenSSL's ASN.1
 * templates): d2i_X509 of the whole certificate also decodes its public key through
 * OpenSSL 3's provider decoders, which cost about ten times the rest of an entry. */
static int offer_all(struct nameset *ns, const struct tbs_fields *f)
{
	struct tlv v;
	int san = san_locate(f, &v);
	if (san < 0)
		return -1;
	const unsigned char *p = f->subject.start;
	X509_NAME *subj = d2i_X509_NAME(NULL, &p, (long)(f->subject.hdr + f->subject.len));
	if (!subj)
		return -1;
	if (san) {
		p = v.start + v.hdr;
		GENERAL_NAMES *gens = d2i_GENERAL_NAMES(NULL, &p, (long)v.len);
		for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
			if (g->type == GEN_DNS)
				offer(ns, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
					(size_t)ASN1_STRING_length(g->d.dNSName));
		}
		GENERAL_NAMES_free(gens);
	}
	for (int i = -1; (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
		unsigned char *utf8 = NULL;
		int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i)));
		if (n >= 0)
			offer(ns, (const char *)utf8, (size_t)n);
		OPENSSL_free(utf8);
	}
	X509_NAME_free(subj);
	return 0;
}

int ct_names_extract(const struct ct_leaf *leaf, ct_name_cb cb, void *ctx, uint8_t dedup_key[32],
	struct nodd_err *e)
{
	struct tbs_fields f;
	const uint8_t *tbs = leaf->cert;
	size_t tbslen = leaf->cert_len;
	struct tlv outer;
	if (leaf->entry_type == CT_ENTRY_X509) {
		/* Certificate ::= SEQUENCE { tbsCertificate, ... }: the TBS is the first element */
		if (tlv_read(tbs, tbslen, &outer) < 0 || outer.tag != 0x30)
			return nodd_fail(e, NODD_E_INVALID, "certificate: not a DER SEQUENCE");
		tbs += outer.hdr;
		tbslen = outer.len;
	}
	if (tbs_locate(tbs, tbslen, &f) < 0)
		return nodd_fail(e, NODD_E_INVALID, "certificate: no TBSCertificate with serial, "
			"algorithm and issuer");
	if (dedup_key) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		int ok = c && EVP_DigestInit_ex(c, ct_sha256(), NULL) &&
			EVP_DigestUpdate(c, f.issuer.start, f.issuer.hdr + f.issuer.len) &&
			EVP_DigestUpdate(c, f.serial.start + f.serial.hdr, f.serial.len) &&
			EVP_DigestFinal_ex(c, dedup_key, NULL);
		EVP_MD_CTX_free(c);
		if (!ok)
			return nodd_fail(e, NODD_E_NOMEM, "certificate: hashing failed (out of memory)");
	}
	struct nameset ns = { .cb = cb, .ctx = ctx };
	if (offer_all(&ns, &f) < 0)
		ns.bad = 1;
	for (size_t i = 0; i < ns.cap; i++)
		free(ns.slot[i]);
	free(ns.slot);
	if (ns.bad)
		return nodd_fail(e, NODD_E_INVALID, "certificate: OpenSSL cannot read the %s",
			leaf->entry_type == CT_ENTRY_X509 ? "certificate" : "precertificate TBS");
	if (ns.nomem)
		return nodd_fail(e, NODD_E_NOMEM, "certificate: out of memory collecting names");
	if (ns.stopped)
		return -1;
	return ns.given;
}

/* ---- one name ---- */

/* An A-label is kept only when libidn2 decodes it and encodes the result back to the same
 * label (IDNA2008, non-transitional): that refuses bad Punycode and disallowed code points. */
static int alabel_ok(const char *label, size_t len)
{
	char buf[64];
	if (len >= sizeof buf)
		return 0;
	memcpy(buf, label, len);
	buf[len] = '\0';
	char *u = NULL, *a = NULL;
	int ok = idn2_to_unicode_8z8z(buf, &u, 0) == IDN2_OK &&
		idn2_to_ascii_8z(u, &a, IDN2_NONTRANSITIONAL) == IDN2_OK && strcmp(a, buf) == 0;
	idn2_free(u);
	idn2_free(a);
	return ok;
}

int ct_name_normalise(const char *in, size_t len, char *out, size_t outsz)
{
	while (len > 0 && (in[0] == ' ' || in[0] == '\t'))
		in++, len--;
	while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t' || in[len - 1] == '.'))
		len--;
	if (len >= 2 && in[0] == '*' && in[1] == '.')
		in += 2, len -= 2;
	if (len == 0 || len > 253 || len + 1 > outsz)
		return 0;
	size_t label = 0, labels = 1, last_start = 0;
	int last_digits = 1;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = c;
		if (c == '.') {
			if (label == 0)
				return 0;
			if (label >= 4 && memcmp(out + i - label, "xn--", 4) == 0 &&
				!alabel_ok(out + i - label, label))
				return 0;
			label = 0;
			labels++;
			last_start = i + 1;
			last_digits = 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (++label > 63)
			return 0;
		if (c < '0' || c > '9')
			last_digits = 0;
	}
	/* the last label: an all-digit one makes an address (or no host name at all) */
	if (labels < 2 || last_digits)
		return 0;
	if (label >= 4 && memcmp(out + last_start, "xn--", 4) == 0 && !alabel_ok(out + last_start, label))
		return 0;
	out[len] = '\0';
	return 1;
}
