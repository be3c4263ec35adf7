/* listread.c -- the CT log list and its detached signature, read and checked (see
 * listread.h). Owns the key (OpenSSL EVP), the two reads of one round and the list's status;
 * parses no list and follows no log.
 *
 * A round: the list and, with a key, the signature are read (a file at once, a URL through
 * the fetch client); when both are in, the signature is verified over the list's exact
 * bytes and only then is the list handed to the caller. A round that fails anywhere hands
 * nothing on, so the logs followed stay those of the last good list. */
#define LOG_CATEGORY LOG_CAT_CT
#include "ct/listread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/prom.h"

#define MAX_SIG_BYTES 16384
#define MAX_KEY_BYTES 65536

struct ct_listkey {
	EVP_PKEY *pkey;
};

struct ct_listkey *ct_listkey_new_pem(const char *pem, size_t len, struct nodd_err *e)
{
	if (len > MAX_KEY_BYTES) {
		nodd_fail(e, NODD_E_INVALID, "%zu bytes, too long for a public key", len);
		return NULL;
	}
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	const char *why = !pkey ? "not a PEM public key (BEGIN PUBLIC KEY)"
		: !EVP_PKEY_is_a(pkey, "RSA") && !EVP_PKEY_is_a(pkey, "EC")
		? "neither an RSA nor an ECDSA key" : NULL;
	struct ct_listkey *k = why ? NULL : nodd_calloc(1, sizeof *k, e);
	if (k)
		k->pkey = pkey;
	else
		EVP_PKEY_free(pkey);
	if (why)
		nodd_fail(e, NODD_E_INVALID, "%s", why);
	return k;
}

void ct_listkey_free(struct ct_listkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

int ct_listkey_verify(const struct ct_listkey *k, const void *data, size_t len,
	const uint8_t *sig, size_t siglen, struct nodd_err *e)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return nodd_fail(e, NODD_E_NOMEM, "out of memory");
	/* RSA keys default to PKCS#1 v1.5 padding, EC keys take a DER ECDSA-Sig-Value */
	int ok = EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
		EVP_DigestVerify(c, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(c);
	if (!ok)
		return nodd_fail(e, NODD_E_PEER, "does not verify with ct.log-list-key");
	return 0;
}

/* One of the two reads of a round. */
struct part {
	char *loc;              /* file or URL */
	struct ct_req *req;     /* a URL under way */
	char *body;             /* what was read (NUL-terminated) */
	size_t len;
	int state;              /* 0 under way, 1 read, -1 failed */
	char error[512];
};

struct ct_listread {
	struct ct_fetch *fetch;
	ct_list_apply_fn apply;
	void *ctx;
	struct ct_listkey *key;
	struct part list, sig;
	size_t max_bytes;
	int64_t last_read;
	uint64_t refused_sig, refused_invalid;
	char last_error[1100];
};

static int is_url(const char *loc)
{
	return strncmp(loc, "https://", 8) == 0 || strncmp(loc, "http://", 7) == 0;
}

/* A whole file of at most max bytes into *out (malloc'd, NUL-terminated). 0, or -1 with e. */
static int read_file(const char *path, size_t max, char **out, size_t *len, struct nodd_err *e)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return nodd_fail(e, NODD_E_SYSTEM, "cannot read %s: %s", path, strerror(errno));
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max + 1, fp) : 0;
	int err = ferror(fp);
	fclose(fp);
	if (!buf)
		return nodd_fail(e, NODD_E_NOMEM, "%s: out of memory", path);
	if (err || n > max) {
		free(buf);
		return err ? nodd_fail(e, NODD_E_SYSTEM, "cannot read %s", path)
			: nodd_fail(e, NODD_E_LIMIT, "%s: over %zu bytes", path, max);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static void part_clear(struct ct_listread *r, struct part *p)
{
	if (p->req)
		ct_fetch_cancel(r->fetch, p->req);
	p->req = NULL;
	free(p->body);
	p->body = NULL;
	p->len = 0;
	p->state = 0;
	p->error[0] = '\0';
}

/* Both parts are in (or failed): check and hand the list on. */
static void finish(struct ct_listread *r)
{
	if (r->list.state == 0 || (r->key && r->sig.state == 0))
		return;
	struct nodd_err e = { 0 };
	if (r->list.state < 0) {
		snprintf(r->last_error, sizeof r->last_error, "%s", r->list.error);
		log_err("ct: log list %s: %s; the logs followed stay as they are", r->list.loc,
			r->list.error);
	} else if (r->key && (r->sig.state < 0 || ct_listkey_verify(r->key, r->list.body,
		    r->list.len, (const uint8_t *)r->sig.body, r->sig.len, &e) < 0)) {
		r->refused_sig++;
		snprintf(r->last_error, sizeof r->last_error, "refused: signature %.500s: %s",
			r->sig.loc, r->sig.state < 0 ? r->sig.error : e.msg);
		log_err("ct: log list %s: %s; the logs followed stay as they are", r->list.loc,
			r->last_error);
	} else if (r->apply(r->ctx, r->list.body, r->list.len, &e) < 0) {
		r->refused_invalid++;
		snprintf(r->last_error, sizeof r->last_error, "refused: %s", e.msg);
		log_err("ct: log list %s: %s; the logs followed stay as they are", r->list.loc,
			r->last_error);
	} else {
		r->last_read = unix_now();
		r->last_error[0] = '\0';
	}
	part_clear(r, &r->list);
	part_clear(r, &r->sig);
}

static void take(struct part *p, const struct ct_http *h)
{
	p->req = NULL;
	if (h->error || h->status != 200) {
		p->state = -1;
		if (h->error)
			snprintf(p->error, sizeof p->error, "%s", h->error);
		else
			snprintf(p->error, sizeof p->error, "HTTP %ld", h->status);
		return;
	}
	p->body = malloc(h->len + 1);
	if (!p->body) {
		p->state = -1;
		snprintf(p->error, sizeof p->error, "out of memory");
		return;
	}
	memcpy(p->body, h->body, h->len);
	p->body[h->len] = '\0';
	p->len = h->len;
	p->state = 1;
}

static void on_list(void *ctx, const struct ct_http *h)
{
	struct ct_listread *r = ctx;
	take(&r->list, h);
	finish(r);
}

static void on_sig(void *ctx, const struct ct_http *h)
{
	struct ct_listread *r = ctx;
	take(&r->sig, h);
	if (r->sig.state > 0 && r->sig.len > MAX_SIG_BYTES) {
		r->sig.state = -1;
		snprintf(r->sig.error, sizeof r->sig.error, "over %d bytes", MAX_SIG_BYTES);
	}
	finish(r);
}

/* Start reading p: a file now, a URL in the background. */
static void part_start(struct ct_listread *r, struct part *p, size_t max, ct_http_cb cb)
{
	struct nodd_err e = { 0 };
	if (is_url(p->loc)) {
		p->req = ct_fetch_get(r->fetch, p->loc, cb, r, &e);
		if (p->req)
			return;
	} else if (read_file(p->loc, max, &p->body, &p->len, &e) == 0) {
		p->state = 1;
		return;
	}
	p->state = -1;
	snprintf(p->error, sizeof p->error, "%s", e.msg);
}

int ct_listread_start(struct ct_listread *r, struct nodd_err *e)
{
	if (r->list.req || r->sig.req)
		return 0;
	part_clear(r, &r->list);
	part_clear(r, &r->sig);
	part_start(r, &r->list, r->max_bytes, on_list);
	if (r->list.state < 0 && !is_url(r->list.loc)) {
		nodd_fail(e, NODD_E_SYSTEM, "ct.log-list: %s", r->list.error);
		snprintf(r->last_error, sizeof r->last_error, "%s", r->list.error);
		part_clear(r, &r->list);
		return -1;
	}
	if (r->key)
		part_start(r, &r->sig, MAX_SIG_BYTES, on_sig);
	finish(r);
	return 0;
}

void ct_listread_free(struct ct_listread *r)
{
	if (!r)
		return;
	part_clear(r, &r->list);
	part_clear(r, &r->sig);
	free(r->list.loc);
	free(r->sig.loc);
	ct_listkey_free(r->key);
	free(r);
}

struct ct_listread *ct_listread_new(struct ct_fetch *fetch, const struct ct_listread_options *o,
	ct_list_apply_fn apply, void *ctx, struct nodd_err *e)
{
	struct ct_listread *r = nodd_calloc(1, sizeof *r, e);
	if (!r)
		return NULL;
	*r = (struct ct_listread){ .fetch = fetch, .apply = apply, .ctx = ctx,
		.max_bytes = o->max_bytes };
	r->list.loc = strdup(o->location);
	if (o->signature)
		r->sig.loc = strdup(o->signature);
	else if (r->list.loc && asprintf(&r->sig.loc, "%s.sig", o->location) < 0)
		r->sig.loc = NULL;
	if (!r->list.loc || !r->sig.loc) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		goto fail;
	}
	if (o->key_file) {
		char *pem = NULL;
		size_t len = 0;
		if (read_file(o->key_file, MAX_KEY_BYTES, &pem, &len, e) < 0) {
			nodd_wrap(e, "ct.log-list-key");
			goto fail;
		}
		r->key = ct_listkey_new_pem(pem, len, e);
		free(pem);
		if (!r->key) {
			nodd_wrap(e, "ct.log-list-key: %s", o->key_file);
			goto fail;
		}
	} else if (is_url(o->location)) {
		log_warn("ct: the log list %s is not authenticated: anyone who can change it on "
			"the way can choose the logs nodd follows (set ct.log-list-key to check its "
			"signature)", o->location);
	}
	return r;
fail:
	ct_listread_free(r);
	return NULL;
}

json_t *ct_listread_status(const struct ct_listread *r)
{
	if (!r)
		return NULL;
	json_t *o = json_object();
	json_object_set_new(o, "location", json_string(r->list.loc));
	json_object_set_new(o, "signature", r->key ? json_string(r->sig.loc) : json_null());
	json_object_set_new(o, "authenticated", json_boolean(r->key != NULL));
	json_object_set_new(o, "last_read", r->last_read ? json_integer(r->last_read) : json_null());
	json_object_set_new(o, "refused", json_integer((json_int_t)(r->refused_sig +
		r->refused_invalid)));
	json_object_set_new(o, "last_error", r->last_error[0] ? json_string(r->last_error)
		: json_null());
	return o;
}

void ct_listread_metrics(const struct ct_listread *r, FILE *out)
{
	if (!r)
		return;
	prom_family(out, "nodd_ct_log_list_refused_total", "counter",
		"Log lists read and refused: a signature missing or not verifying, or not a log list");
	const char *reason[] = { "signature", "invalid" };
	uint64_t count[] = { r->refused_sig, r->refused_invalid };
	for (int i = 0; i < 2; i++)
		prom_sample(out, "nodd_ct_log_list_refused_total", "reason", reason[i], NULL, NULL,
			count[i]);
}
