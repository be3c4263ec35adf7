/* tsig.c -- TSIG (RFC 8945) MACs with OpenSSL 3 EVP_MAC: signing and verifying requests,
 * single responses and multi-message streams in both directions, and the verdicts. Keys
 * and the keyring live in lib/tsig_key.c, finding, reading and appending the TSIG RR in
 * lib/tsig_msg.c; this file only decides what goes into a digest and what it means.
 *
 * Why not ldns's TSIG (ldns_pkt_tsig_sign/verify[_next], REFERENCE.md 0.1): it never checks
 * Time Signed against Fudge (no BADTIME), cannot build error responses (Error is always 0,
 * Other Data empty, time from gettimeofday()), cannot verify a stream with unsigned
 * intermediate messages, misspells hmac-sha384 ("hmac-shac384.") so that algorithm fails,
 * takes the algorithm from the packet instead of the key, and leaves the packet's TSIG and ID
 * altered when verification fails. It also re-serialises the whole packet to sign it. So nodd
 * does TSIG here, on the bytes that travel, and checks placement (exactly one TSIG, last in
 * additional) itself. EVP_MAC "HMAC" computes the MACs (HMAC_CTX is deprecated in OpenSSL 3).
 *
 * Digest layout (RFC 8945 4.3):
 *   request:        message(ID := Original ID, ARCOUNT - 1) | variables
 *   response 1:     u16 len | request MAC | message(...) | variables
 *   response k > 1: u16 len | prior MAC | unsigned messages since | message(...) | timers
 *   variables = key name (canonical wire) | CLASS 255 | TTL 0 | algorithm name (canonical) |
 *               Time Signed u48 | Fudge | Error | Other Len | Other Data;  timers = Time | Fudge
 */
#include "lib/tsig.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/dname.h"
#include "lib/tsig_internal.h"
#include "lib/wire.h"

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
	const struct tsig_alg_info *a = tsig_alg_info(key->alg);
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
	tsig_put16(b, v);
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
	tsig_put16(h, orig_id);
	tsig_put16(h + 10, arcount);
	mac_feed(ctx, h, 12, err);
	mac_feed(ctx, msg + 12, end - 12, err);
}

static void mac_feed_vars(EVP_MAC_CTX *ctx, const struct tsig_vars *v, int *err)
{
	uint8_t b[10];
	mac_feed(ctx, v->key_name, v->key_name_len, err);
	tsig_put16(b, TSIG_CLASS_ANY);
	memset(b + 2, 0, 4);
	mac_feed(ctx, b, 6, err);
	mac_feed(ctx, v->alg_name, v->alg_name_len, err);
	tsig_put48(b, v->time);
	tsig_put16(b + 6, v->fudge);
	tsig_put16(b + 8, v->error);
	mac_feed(ctx, b, 10, err);
	mac_feed_u16(ctx, (uint16_t)v->other_len, err);
	mac_feed(ctx, v->other, v->other_len, err);
}

/* The variables of a message signed with key: its name, its algorithm (written into
 * aname, TSIG_ALG_WIRE_MAX bytes), Error 0 and no Other Data. */
static struct tsig_vars key_vars(const struct tsig_key *key, uint8_t *aname, uint64_t time,
	uint16_t fudge)
{
	return (struct tsig_vars){
		.key_name = key->name, .key_name_len = key->name_len,
		.alg_name = aname, .alg_name_len = tsig_alg_to_wire(key->alg, aname),
		.time = time, .fudge = fudge,
	};
}

static void mac_feed_timers(EVP_MAC_CTX *ctx, uint64_t time, uint16_t fudge, int *err)
{
	uint8_t b[8];
	tsig_put48(b, time);
	tsig_put16(b + 6, fudge);
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
	if (!key || !msg || !mac || !out_len || len < 12 || tsig_alg_info(key->alg) == NULL)
		return TSIG_E_INVAL;
	if (fudge == 0)
		fudge = TSIG_FUDGE_DEFAULT;
	uint8_t aname[TSIG_ALG_WIRE_MAX];
	struct tsig_vars vars = key_vars(key, aname, now, fudge);
	EVP_MAC_CTX *ctx = mac_new();
	int err = 0, rc = TSIG_E_CRYPTO;
	if (!ctx || mac_init(ctx, key) < 0)
		goto out;
	mac_feed(ctx, msg, len, &err);
	mac_feed_vars(ctx, &vars, &err);
	if (mac_final(ctx, mac, err) < 0)
		goto out;
	rc = tsig_rr_append(msg, len, cap, &vars, mac->data, mac->len, wire_get16(msg), out_len);
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
		return fail_with(res, TSIG_V_FORMERR, WIRE_RCODE_FORMERR, 0);
	if (r == 0) {
		res->verdict = TSIG_V_UNSIGNED;
		return TSIG_V_UNSIGNED;
	}
	struct tsig_rr t;
	if (tsig_rr_parse(msg, len, off, &t) < 0)
		return fail_with(res, TSIG_V_FORMERR, WIRE_RCODE_FORMERR, 0);
	tsig_result_from_rr(res, &t, off);
	res->error = 0;
	res->other_time = 0;

	const struct tsig_key *key = tsig_keyring_find_alg(kr, t.key_name, t.key_name_len,
		tsig_alg_from_wire(t.alg_name, t.alg_name_len));
	if (!key)
		return fail_with(res, TSIG_V_BADKEY, WIRE_RCODE_NOTAUTH, TSIG_ERR_BADKEY);
	size_t full = tsig_alg_mac_len(key->alg);
	/* An empty or short MAC is a format error, never "unsigned" and never checked as a
	 * prefix: the CVE-2017-3142/3143 class of bypasses lived in such paths. */
	if (!mac_len_ok(t.mac_len, full))
		return fail_with(res, TSIG_V_FORMERR, WIRE_RCODE_FORMERR, 0);

	EVP_MAC_CTX *ctx = mac_new();
	struct tsig_mac calc;
	int err = 0;
	if (!ctx || mac_init(ctx, key) < 0) {
		EVP_MAC_CTX_free(ctx);
		return fail_with(res, TSIG_V_BADSIG, WIRE_RCODE_NOTAUTH, TSIG_ERR_BADSIG);
	}
	mac_feed_msg(ctx, msg, off, t.orig_id, (uint16_t)(wire_get16(msg + 10) - 1), &err);
	struct tsig_vars vars = tsig_rr_vars(&t);
	mac_feed_vars(ctx, &vars, &err);
	int fin = mac_final(ctx, &calc, err);
	EVP_MAC_CTX_free(ctx);
	if (fin < 0 || CRYPTO_memcmp(calc.data, t.mac, t.mac_len) != 0)
		return fail_with(res, TSIG_V_BADSIG, WIRE_RCODE_NOTAUTH, TSIG_ERR_BADSIG);
	res->key = key;
	if (t.mac_len < mac_policy(key))
		return fail_with(res, TSIG_V_BADTRUNC, WIRE_RCODE_NOTAUTH, TSIG_ERR_BADTRUNC);
	if (!time_ok(now, t.time, t.fudge))
		return fail_with(res, TSIG_V_BADTIME, WIRE_RCODE_NOTAUTH, TSIG_ERR_BADTIME);
	res->verdict = TSIG_V_OK;
	return TSIG_V_OK;
}

/* ---- server: sign responses ---- */

static void set_rcode(uint8_t *msg, uint8_t rcode)
{
	msg[3] = (uint8_t)((msg[3] & 0xf0) | (rcode & 0x0f));
}

/* BADTIME: signed with the request's key over the request MAC, Time Signed the request's,
 * Other Data our clock. */
static int sign_badtime(const struct tsig_result *req, uint8_t *msg, size_t len, size_t cap,
	uint64_t now, size_t *out_len)
{
	if (!req->key)
		return TSIG_E_INVAL;
	uint8_t aname[TSIG_ALG_WIRE_MAX], other[6];
	struct tsig_vars vars = key_vars(req->key, aname, req->time_signed, req->fudge);
	tsig_put48(other, now);
	vars.error = TSIG_ERR_BADTIME;
	vars.other = other;
	vars.other_len = sizeof other;
	set_rcode(msg, WIRE_RCODE_NOTAUTH);
	EVP_MAC_CTX *ctx = mac_new();
	struct tsig_mac m;
	int err = 0, rc = TSIG_E_CRYPTO;
	if (!ctx || mac_init(ctx, req->key) < 0)
		goto out;
	mac_feed_prior(ctx, &req->mac, &err);
	mac_feed(ctx, msg, len, &err);
	mac_feed_vars(ctx, &vars, &err);
	if (mac_final(ctx, &m, err) < 0)
		goto out;
	rc = tsig_rr_append(msg, len, cap, &vars, m.data, m.len, wire_get16(msg), out_len);
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
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
	case TSIG_V_BADTIME:
		return sign_badtime(req, msg, len, cap, now, out_len);
	case TSIG_V_BADKEY:
	case TSIG_V_BADSIG:
	case TSIG_V_BADTRUNC: {
		/* Unsigned: we either have no key or cannot trust the request MAC. */
		struct tsig_vars vars = {
			.key_name = req->key_name, .key_name_len = req->key_name_len,
			.alg_name = req->alg_name, .alg_name_len = req->alg_name_len,
			.time = now, .fudge = req->fudge, .error = req->error,
		};
		set_rcode(msg, WIRE_RCODE_NOTAUTH);
		return tsig_rr_append(msg, len, cap, &vars, NULL, 0, wire_get16(msg), out_len);
	}
	default:
		return TSIG_E_INVAL;
	}
}

int tsig_signer_init(struct tsig_signer *s, const struct tsig_key *key,
	const struct tsig_mac *request_mac, uint16_t fudge)
{
	memset(s, 0, sizeof *s);
	if (!key || !request_mac || request_mac->len > TSIG_MAX_MAC || !tsig_alg_info(key->alg))
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
	uint8_t aname[TSIG_ALG_WIRE_MAX];
	struct tsig_vars vars = key_vars(s->key, aname, now, s->fudge);
	struct tsig_mac m;
	int err = 0;
	mac_feed(ctx, msg, len, &err);
	if (s->nsigned == 0)
		mac_feed_vars(ctx, &vars, &err);
	else
		mac_feed_timers(ctx, now, s->fudge, &err);
	if (mac_final(ctx, &m, err) < 0)
		return TSIG_E_CRYPTO;
	int rc = tsig_rr_append(msg, len, cap, &vars, m.data, m.len, wire_get16(msg), out_len);
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
	if (!key || !request_mac || request_mac->len > TSIG_MAX_MAC || !tsig_alg_info(key->alg))
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
	if (tsig_rr_parse(msg, len, off, &t) < 0)
		return stream_fail(v, res, TSIG_V_FORMERR);
	tsig_result_from_rr(res, &t, off);
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
		tsig_alg_from_wire(t.alg_name, t.alg_name_len) != key->alg)
		return stream_fail(v, res, TSIG_V_BADKEY);
	if (!mac_len_ok(t.mac_len, tsig_alg_mac_len(key->alg)))
		return stream_fail(v, res, TSIG_V_FORMERR);
	mac_feed_msg(v->ctx, msg, off, t.orig_id, (uint16_t)(wire_get16(msg + 10) - 1), &err);
	struct tsig_vars vars = tsig_rr_vars(&t);
	if (v->nmsg == 0)
		mac_feed_vars(v->ctx, &vars, &err);
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
