/* test_tsig.c -- TSIG signing/verification on the wire, both directions, plus ldns cross-checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "tests/unit/tap.h"
#include "lib/tsig.h"
#include "lib/wire.h"

#define SECRET256 "a2V5LXNlY3JldC1mb3Itbm9kZC11bml0LXRlc3RzLTI1Ng=="
#define SECRET512 "c2VjcmV0LWZvci1ub2RkLXRzaWctdW5pdC10ZXN0cy1obWFjLXNoYTUxMi1rZXktbWF0ZXJpYWwhIQ=="
#define T0 1700000000ULL

/* tap.h's ok() evaluates its condition twice; calls with side effects go through okv(). */
#define okv(cond, ...) do { int okv_ = !!(cond); ok(okv_, __VA_ARGS__); } while (0)

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint64_t rd48(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Text name "a.b" to wire at p; returns length. */
static size_t put_name(uint8_t *p, const char *name)
{
	size_t o = 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[o++] = (uint8_t)l;
		memcpy(p + o, name, l);
		o += l;
		name += l;
		if (*name == '.')
			name++;
	}
	p[o++] = 0;
	return o;
}

static size_t build_query(uint8_t *m, uint16_t id, const char *qname, uint16_t qtype)
{
	memset(m, 0, 12);
	wr16(m, id);
	wr16(m + 4, 1);
	size_t o = 12 + put_name(m + 12, qname);
	wr16(m + o, qtype);
	wr16(m + o + 2, 1);
	return o + 4;
}

/* A response with n compressed A records (owner = pointer to the question name) and one
 * OPT record in additional; seq goes into the A addresses so messages differ. */
static size_t build_response(uint8_t *m, uint16_t id, int n, int seq)
{
	size_t o = build_query(m, id, "Example.COM", 252);
	m[2] = 0x84; /* QR AA */
	wr16(m + 6, (uint16_t)n);
	for (int i = 0; i < n; i++) {
		m[o++] = 0xc0;
		m[o++] = 12;
		wr16(m + o, 1);
		wr16(m + o + 2, 1);
		wr16(m + o + 4, 0);
		wr16(m + o + 6, 300);
		wr16(m + o + 8, 4);
		m[o + 10] = 192;
		m[o + 11] = 0;
		m[o + 12] = (uint8_t)seq;
		m[o + 13] = (uint8_t)i;
		o += 14;
	}
	wr16(m + 10, 1);
	m[o++] = 0; /* OPT: root owner */
	wr16(m + o, 41);
	wr16(m + o + 2, 1232);
	memset(m + o + 4, 0, 4);
	wr16(m + o + 8, 0);
	return o + 10;
}

static struct tsig_key mkkey(const char *name, const char *alg, const char *secret)
{
	struct tsig_key k;
	const char *why = NULL;
	if (tsig_key_init(&k, name, alg, secret, &why) < 0) {
		printf("# key init failed: %s\n", why);
		exit(2);
	}
	return k;
}

/* Offset of the MAC size field inside a message whose TSIG starts at off. */
static size_t macsize_at(const uint8_t *m, size_t off)
{
	size_t o = off;
	while (m[o])
		o += 1 + m[o];
	o += 1 + 10; /* root, type class ttl rdlen */
	while (m[o])
		o += 1 + m[o];
	return o + 1 + 6 + 2;
}

/* Cut the MAC of the TSIG at off down to newlen octets (a correct prefix stays correct). */
static size_t truncate_mac(uint8_t *m, size_t len, size_t off, uint16_t newlen)
{
	size_t ms = macsize_at(m, off);
	uint16_t old = wire_get16(m + ms);
	size_t o = off;
	while (m[o])
		o += 1 + m[o];
	size_t rdlen_at = o + 1 + 8;
	memmove(m + ms + 2 + newlen, m + ms + 2 + old, len - (ms + 2 + old));
	wr16(m + ms, newlen);
	wr16(m + rdlen_at, (uint16_t)(wire_get16(m + rdlen_at) - (old - newlen)));
	return len - (old - newlen);
}

static void test_keys(void)
{
	struct tsig_key k;
	const char *why = NULL;
	okv(tsig_key_init(&k, "Xfr.Key.", "HMAC-SHA256.", SECRET256, &why) == 0, "key init");
	is_str(k.name_text, "xfr.key", "key name lowercased, no dot");
	is_int(k.name_len, 9, "wire name length");
	okv(memcmp(k.name, "\003xfr\003key\000", 9) == 0, "wire name");
	is_int(k.alg, TSIG_ALG_SHA256, "algorithm parsed");
	is_int(k.secret_len, 34, "secret decoded");
	okv(memcmp(k.secret, "key-secret-for-nodd-unit-tests-256", 34) == 0, "secret bytes");

	okv(tsig_key_init(&k, "k", "hmac-md5", SECRET256, &why) < 0 && why &&
		strstr(why, "algorithm"), "hmac-md5 refused: %s", why);
	okv(tsig_key_init(&k, "k", "hmac-sha256", "abc", &why) < 0 && strstr(why, "multiple of 4"),
		"base64 without padding: %s", why);
	okv(tsig_key_init(&k, "k", "hmac-sha256", "ab$c", &why) < 0 && strstr(why, "character"),
		"base64 bad character: %s", why);
	okv(tsig_key_init(&k, "k", "hmac-sha256", "a=bc", &why) < 0, "misplaced padding: %s", why);
	okv(tsig_key_init(&k, "k", "hmac-sha256", "", &why) < 0 && strstr(why, "empty"),
		"empty secret: %s", why);
	okv(tsig_key_init(&k, "a..b", "hmac-sha256", SECRET256, &why) < 0, "empty label: %s", why);
	uint8_t out[8];
	size_t ol;
	okv(tsig_base64_decode("AAAAAAAAAAAA", out, sizeof out, &ol, &why) < 0 &&
		strstr(why, "longer"), "secret over the buffer: %s", why);
	okv(tsig_base64_decode(" Zm9v\n YmE= ", out, sizeof out, &ol, &why) == 0 && ol == 5 &&
		memcmp(out, "fooba", 5) == 0, "whitespace skipped, padding");
	okv(tsig_base64_decode("Zg==", out, sizeof out, &ol, &why) == 0 && ol == 1 && out[0] == 'f',
		"double padding");
	okv(tsig_base64_decode("Zg===", out, sizeof out, &ol, &why) < 0, "triple padding refused");

	is_int(tsig_alg_mac_len(TSIG_ALG_SHA1), 20, "sha1 length");
	is_int(tsig_alg_mac_len(TSIG_ALG_SHA384), 48, "sha384 length");
	is_str(tsig_alg_name(TSIG_ALG_SHA512), "hmac-sha512", "alg name");

	struct tsig_keyring *kr = tsig_keyring_new();
	struct tsig_key a = mkkey("a.example", "hmac-sha256", SECRET256);
	struct tsig_key b = mkkey("b.example", "hmac-sha512", SECRET512);
	is_int(tsig_keyring_add(kr, &a), TSIG_OK, "add a");
	is_int(tsig_keyring_add(kr, &b), TSIG_OK, "add b");
	struct tsig_key a2 = mkkey("A.Example.", "hmac-sha1", SECRET256);
	is_int(tsig_keyring_add(kr, &a2), TSIG_E_EXISTS, "duplicate name refused (case-insensitive)");
	is_int(tsig_keyring_count(kr), 2, "two keys");
	okv(tsig_keyring_find_text(kr, "B.EXAMPLE.") != NULL, "find by text");
	okv(tsig_keyring_find(kr, (const uint8_t *)"\001A\007EXAMPLE\000", 11) != NULL,
		"find by wire, any case");
	okv(tsig_keyring_find_alg(kr, b.name, b.name_len, TSIG_ALG_SHA512) != NULL, "find by alg");
	okv(tsig_keyring_find_alg(kr, b.name, b.name_len, TSIG_ALG_SHA256) == NULL,
		"other alg not found");
	okv(tsig_keyring_find_text(kr, "c.example") == NULL, "absent key");
	tsig_keyring_free(kr);
	tsig_keyring_free(NULL);
}

static void test_roundtrip(enum tsig_alg alg, const char *algname, const char *secret)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	struct tsig_key key = mkkey("xfr.key", algname, secret);
	tsig_keyring_add(kr, &key);
	uint8_t m[1024];
	size_t len = build_response(m, 0x1234, 5, 1); /* compression + OPT before the TSIG */
	m[2] = 0;
	size_t plain = len, slen = 0;
	struct tsig_mac mac;
	is_int(tsig_sign_request(&key, m, len, sizeof m, T0, 0, &mac, &slen), TSIG_OK,
		"%s: sign request", algname);
	is_int(mac.len, tsig_alg_mac_len(alg), "%s: MAC length", algname);
	is_int(wire_get16(m + 10), 2, "%s: ARCOUNT incremented", algname);
	struct tsig_result res;
	is_int(tsig_verify_request(kr, m, slen, T0 + 10, &res), TSIG_V_OK, "%s: verifies", algname);
	okv(res.key == tsig_keyring_find_text(kr, "xfr.key"), "%s: key reported", algname);
	is_int(res.msg_len, plain, "%s: length without TSIG", algname);
	is_int(res.time_signed, T0, "%s: time signed", algname);
	is_int(res.fudge, 300, "%s: fudge 300", algname);
	is_int(res.orig_id, 0x1234, "%s: original ID", algname);
	okv(res.mac.len == mac.len && memcmp(res.mac.data, mac.data, mac.len) == 0,
		"%s: request MAC reported", algname);

	/* A forwarder may change the ID; Original ID keeps the MAC valid. */
	uint8_t c[1024];
	memcpy(c, m, slen);
	wr16(c, 0x9999);
	is_int(tsig_verify_request(kr, c, slen, T0, &res), TSIG_V_OK, "%s: new ID ok", algname);

	/* Server response to it, verified by the client side. */
	uint8_t r[1024];
	size_t rlen = build_response(r, 0x1234, 3, 7), rs = 0;
	tsig_verify_request(kr, m, slen, T0, &res);
	is_int(tsig_sign_response(&res, r, rlen, sizeof r, T0 + 1, &rs), TSIG_OK,
		"%s: sign response", algname);
	struct tsig_verifier v;
	struct tsig_result vr;
	tsig_verifier_init(&v, &key, &mac);
	is_int(tsig_verifier_feed(&v, r, rs, T0 + 2, &vr), TSIG_V_OK, "%s: response verifies",
		algname);
	is_int(vr.msg_len, rlen, "%s: response length without TSIG", algname);
	is_int(tsig_verifier_end(&v), TSIG_V_OK, "%s: stream end ok", algname);
	tsig_verifier_deinit(&v);
	tsig_keyring_free(kr);
}

static void test_request_failures(void)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	struct tsig_key key = mkkey("xfr.key", "hmac-sha256", SECRET256);
	tsig_keyring_add(kr, &key);
	uint8_t m[1024], c[1024];
	struct tsig_mac mac;
	struct tsig_result res;
	size_t len = build_query(m, 42, "example.com", 6), slen;
	tsig_sign_request(&key, m, len, sizeof m, T0, 300, &mac, &slen);

	/* Every single-byte change outside the ID must break the MAC (or the format). */
	int all_fail = 1;
	for (size_t i = 2; i < slen; i++) {
		memcpy(c, m, slen);
		c[i] ^= 0x01;
		enum tsig_verdict vd = tsig_verify_request(kr, c, slen, T0, &res);
		/* Flipping the TSIG TYPE turns it into an unknown RR: unsigned, not verified. */
		if (vd == TSIG_V_OK) {
			all_fail = 0;
			printf("# byte %zu flipped still gives %s\n", i, tsig_verdict_str(vd));
		}
	}
	okv(all_fail, "no flipped byte verifies");
	memcpy(c, m, slen);
	c[14] ^= 0x20; /* qname case: still part of the digest */
	is_int(tsig_verify_request(kr, c, slen, T0, &res), TSIG_V_BADSIG, "tampered byte -> BADSIG");
	is_int(res.rcode, WIRE_RCODE_NOTAUTH, "BADSIG rcode NOTAUTH");
	is_int(res.error, TSIG_ERR_BADSIG, "BADSIG error");

	/* BADSIG response: unsigned TSIG, NOTAUTH in the header. */
	uint8_t r[512];
	size_t rlen = build_query(r, 42, "example.com", 6), rs;
	r[2] |= 0x80;
	is_int(tsig_sign_response(&res, r, rlen, sizeof r, T0, &rs), TSIG_OK, "BADSIG response");
	is_int(r[3] & 0x0f, WIRE_RCODE_NOTAUTH, "BADSIG response rcode NOTAUTH");
	size_t ms = macsize_at(r, rlen);
	is_int(wire_get16(r + ms), 0, "BADSIG response MAC size 0");
	is_int(wire_get16(r + ms + 4), TSIG_ERR_BADSIG, "BADSIG response error field");

	/* Unknown key. */
	struct tsig_key other = mkkey("other.key", "hmac-sha256", SECRET256);
	len = build_query(c, 43, "example.com", 6);
	tsig_sign_request(&other, c, len, sizeof c, T0, 300, &mac, &slen);
	is_int(tsig_verify_request(kr, c, slen, T0, &res), TSIG_V_BADKEY, "unknown key -> BADKEY");
	okv(res.key == NULL, "no key on BADKEY");
	is_int(res.error, TSIG_ERR_BADKEY, "BADKEY error");
	rlen = build_query(r, 43, "example.com", 6);
	is_int(tsig_sign_response(&res, r, rlen, sizeof r, T0, &rs), TSIG_OK, "BADKEY response");
	okv(rs - rlen == 11 + 10 + 13 + 10 + 6, "BADKEY TSIG echoes key and alg names");
	ms = macsize_at(r, rlen);
	is_int(wire_get16(r + ms), 0, "BADKEY response unsigned");
	is_int(wire_get16(r + ms + 4), TSIG_ERR_BADKEY, "BADKEY response error field");
	is_int(r[3] & 0x0f, WIRE_RCODE_NOTAUTH, "BADKEY response NOTAUTH");

	/* Right name, wrong algorithm. */
	struct tsig_key wrongalg = mkkey("xfr.key", "hmac-sha512", SECRET256);
	len = build_query(c, 44, "example.com", 6);
	tsig_sign_request(&wrongalg, c, len, sizeof c, T0, 300, &mac, &slen);
	is_int(tsig_verify_request(kr, c, slen, T0, &res), TSIG_V_BADKEY, "wrong algorithm -> BADKEY");

	/* Wrong secret. */
	struct tsig_key wrongsec = mkkey("xfr.key", "hmac-sha256", SECRET512);
	len = build_query(c, 45, "example.com", 6);
	tsig_sign_request(&wrongsec, c, len, sizeof c, T0, 300, &mac, &slen);
	is_int(tsig_verify_request(kr, c, slen, T0, &res), TSIG_V_BADSIG, "wrong secret -> BADSIG");

	/* Time. */
	len = build_query(c, 46, "example.com", 6);
	tsig_sign_request(&key, c, len, sizeof c, T0, 300, &mac, &slen);
	is_int(tsig_verify_request(kr, c, slen, T0 + 300, &res), TSIG_V_OK, "exactly fudge late ok");
	is_int(tsig_verify_request(kr, c, slen, T0 - 300, &res), TSIG_V_OK, "exactly fudge early ok");
	is_int(tsig_verify_request(kr, c, slen, T0 + 1000, &res), TSIG_V_BADTIME, "late -> BADTIME");
	is_int(tsig_verify_request(kr, c, slen, T0 - 301, &res), TSIG_V_BADTIME, "early -> BADTIME");
	is_int(res.rcode, WIRE_RCODE_NOTAUTH, "BADTIME rcode NOTAUTH");
	okv(res.key != NULL, "BADTIME: key known (MAC verified)");
	/* Wrong secret and bad time: BADSIG wins (time is checked last). */
	len = build_query(c, 47, "example.com", 6);
	tsig_sign_request(&wrongsec, c, len, sizeof c, T0, 300, &mac, &slen);
	is_int(tsig_verify_request(kr, c, slen, T0 + 1000, &res), TSIG_V_BADSIG,
		"bad secret + bad time -> BADSIG first");
	tsig_keyring_free(kr);
}

static void test_badtime_response(void)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	struct tsig_key key = mkkey("xfr.key", "hmac-sha256", SECRET256);
	tsig_keyring_add(kr, &key);
	uint8_t q[512], r[512];
	struct tsig_mac mac;
	struct tsig_result res;
	size_t qlen = build_query(q, 77, "example.com", 6), qs, rs;
	tsig_sign_request(&key, q, qlen, sizeof q, T0, 300, &mac, &qs);
	uint64_t server_now = T0 + 1000;
	is_int(tsig_verify_request(kr, q, qs, server_now, &res), TSIG_V_BADTIME, "BADTIME");
	size_t rlen = build_query(r, 77, "example.com", 6);
	r[2] |= 0x80;
	is_int(tsig_sign_response(&res, r, rlen, sizeof r, server_now, &rs), TSIG_OK,
		"BADTIME response built");
	is_int(r[3] & 0x0f, WIRE_RCODE_NOTAUTH, "BADTIME response NOTAUTH");
	size_t ms = macsize_at(r, rlen);
	is_int(rd48(r + ms - 8), T0, "BADTIME Time Signed = request's");
	is_int(wire_get16(r + ms - 2), 300, "BADTIME fudge = request's");
	is_int(wire_get16(r + ms), 32, "BADTIME response is signed");
	size_t after = ms + 2 + 32;
	is_int(wire_get16(r + after + 2), TSIG_ERR_BADTIME, "BADTIME error field");
	is_int(wire_get16(r + after + 4), 6, "BADTIME Other Len 6");
	is_int(rd48(r + after + 6), server_now, "BADTIME Other Data = server time");

	struct tsig_verifier v;
	struct tsig_result vr;
	tsig_verifier_init(&v, &key, &mac);
	is_int(tsig_verifier_feed(&v, r, rs, T0, &vr), TSIG_V_PEER_BADTIME,
		"client reports peer BADTIME");
	is_int(vr.other_time, server_now, "client sees server time");
	is_int(tsig_verifier_end(&v), TSIG_V_PEER_BADTIME, "stream fails");
	tsig_verifier_deinit(&v);

	/* ldns checks the MAC of our signed error response (Error and Other Data included). */
	ldns_pkt *p = NULL;
	okv(ldns_wire2pkt(&p, r, rs) == LDNS_STATUS_OK, "ldns parses BADTIME response");
	uint8_t mr[2 + TSIG_MAX_MAC];
	wr16(mr, mac.len);
	memcpy(mr + 2, mac.data, mac.len);
	ldns_rdf *mrdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2u + mac.len, mr);
	okv(p && ldns_pkt_tsig_verify(p, r, rs, "xfr.key.", SECRET256, mrdf),
		"ldns verifies the MAC of the BADTIME response");
	ldns_rdf_deep_free(mrdf);
	ldns_pkt_free(p);
	tsig_keyring_free(kr);
}

static void test_format(void)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	struct tsig_key key = mkkey("xfr.key", "hmac-sha256", SECRET256);
	tsig_keyring_add(kr, &key);
	uint8_t m[1024], c[1024];
	struct tsig_mac mac;
	struct tsig_result res;
	size_t len = build_query(m, 1, "example.com", 6), slen, s2;
	tsig_sign_request(&key, m, len, sizeof m, T0, 300, &mac, &slen);

	/* An OPT after the TSIG: TSIG not last. */
	memcpy(c, m, slen);
	size_t o = slen;
	c[o++] = 0;
	wr16(c + o, 41);
	wr16(c + o + 2, 512);
	memset(c + o + 4, 0, 6);
	o += 10;
	wr16(c + 10, (uint16_t)(wire_get16(c + 10) + 1));
	is_int(tsig_verify_request(kr, c, o, T0, &res), TSIG_V_FORMERR, "TSIG not last -> FORMERR");
	is_int(res.rcode, WIRE_RCODE_FORMERR, "FORMERR rcode");
	size_t rs;
	is_int(tsig_sign_response(&res, c, o, sizeof c, T0, &rs), TSIG_E_INVAL,
		"no TSIG on a FORMERR reply");

	/* Two TSIGs. */
	memcpy(c, m, slen);
	tsig_sign_request(&key, c, slen, sizeof c, T0, 300, &mac, &s2);
	is_int(tsig_verify_request(kr, c, s2, T0, &res), TSIG_V_FORMERR, "two TSIGs -> FORMERR");

	/* TSIG in the answer section. */
	memcpy(c, m, slen);
	wr16(c + 6, 1);
	wr16(c + 10, 0);
	is_int(tsig_verify_request(kr, c, slen, T0, &res), TSIG_V_FORMERR, "TSIG in answer -> FORMERR");

	/* Trailing garbage. */
	memcpy(c, m, slen);
	c[slen] = 0;
	is_int(tsig_verify_request(kr, c, slen + 1, T0, &res), TSIG_V_FORMERR, "trailing byte -> FORMERR");

	/* Counts beyond the data, and every truncation of a signed message. */
	int none_ok = 1;
	for (size_t n = 0; n < slen; n++) {
		enum tsig_verdict vd = tsig_verify_request(kr, m, n, T0, &res);
		if (vd == TSIG_V_OK)
			none_ok = 0;
	}
	okv(none_ok, "no truncated message verifies");

	/* Unsigned message. */
	len = build_query(m, 1, "example.com", 6);
	is_int(tsig_verify_request(kr, m, len, T0, &res), TSIG_V_UNSIGNED, "unsigned");
	is_int(res.msg_len, len, "unsigned msg_len = len");

	/* Compression pointer loop in the question -> FORMERR. */
	memcpy(c, m, slen);
	c[12] = 0xc0;
	c[13] = 12;
	is_int(tsig_verify_request(kr, c, slen, T0, &res), TSIG_V_FORMERR, "pointer loop -> FORMERR");
	tsig_keyring_free(kr);
}

/* CVE-2017-3142/3143 class: empty and truncated MACs must never pass. */
static void test_truncated_macs(void)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	struct tsig_key key = mkkey("xfr.key", "hmac-sha256", SECRET256);
	tsig_keyring_add(kr, &key);
	uint8_t m[1024], c[1024];
	struct tsig_mac mac;
	struct tsig_result res;
	size_t len = build_query(m, 5, "example.com", 6), slen, cl;
	tsig_sign_request(&key, m, len, sizeof m, T0, 300, &mac, &slen);

	static const uint16_t sizes[] = { 0, 1, 9, 10, 15 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		memcpy(c, m, slen);
		cl = truncate_mac(c, slen, len, sizes[i]);
		is_int(tsig_verify_request(kr, c, cl, T0, &res), TSIG_V_FORMERR,
			"MAC of %u octets -> FORMERR", sizes[i]);
		is_int(tsig_verify_request(kr, c, cl, T0 + 5000, &res), TSIG_V_FORMERR,
			"MAC of %u octets + bad time -> FORMERR, not BADTIME", sizes[i]);
	}
	memcpy(c, m, slen);
	cl = truncate_mac(c, slen, len, 16);
	is_int(tsig_verify_request(kr, c, cl, T0, &res), TSIG_V_BADTRUNC,
		"correct 16-octet prefix, full MAC required -> BADTRUNC");
	okv(tsig_sign_response(&res, m, len, sizeof m, T0, &cl) == TSIG_OK &&
		wire_get16(m + macsize_at(m, len)) == 0, "BADTRUNC answered unsigned");

	struct tsig_keyring *kr2 = tsig_keyring_new();
	struct tsig_key tk = key;
	tk.min_mac_len = 16;
	tsig_keyring_add(kr2, &tk);
	len = build_query(m, 6, "example.com", 6);
	tsig_sign_request(&key, m, len, sizeof m, T0, 300, &mac, &slen);
	memcpy(c, m, slen);
	cl = truncate_mac(c, slen, len, 16);
	is_int(tsig_verify_request(kr2, c, cl, T0, &res), TSIG_V_OK, "16 octets allowed by policy");
	c[cl - 7 - 1] ^= 1; /* last MAC octet */
	is_int(tsig_verify_request(kr2, c, cl, T0, &res), TSIG_V_BADSIG, "wrong truncated MAC -> BADSIG");

	/* Oversized MAC (33 > 32): build by growing the MAC field. */
	memcpy(c, m, slen);
	size_t ms = macsize_at(c, len);
	memmove(c + ms + 2 + 33, c + ms + 2 + 32, slen - (ms + 2 + 32));
	c[ms + 2 + 32] = 0;
	wr16(c + ms, 33);
	size_t rdl = len + 9 + 8;
	wr16(c + rdl, (uint16_t)(wire_get16(c + rdl) + 1));
	is_int(tsig_verify_request(kr, c, slen + 1, T0, &res), TSIG_V_FORMERR, "MAC of 33 octets -> FORMERR");

	/* Client side: a response with an empty MAC never verifies. */
	len = build_query(m, 8, "example.com", 6);
	tsig_sign_request(&key, m, len, sizeof m, T0, 300, &mac, &slen);
	tsig_verify_request(kr, m, slen, T0, &res);
	uint8_t r[512];
	size_t rlen = build_response(r, 8, 2, 1), rs;
	tsig_sign_response(&res, r, rlen, sizeof r, T0, &rs);
	struct tsig_verifier v;
	struct tsig_result vr;
	tsig_verifier_init(&v, &key, &mac);
	rs = truncate_mac(r, rs, rlen, 0);
	is_int(tsig_verifier_feed(&v, r, rs, T0, &vr), TSIG_V_FORMERR, "response with empty MAC fails");
	is_int(tsig_verifier_end(&v), TSIG_V_FORMERR, "and the stream stays failed");
	tsig_verifier_deinit(&v);
	tsig_keyring_free(kr);
	tsig_keyring_free(kr2);
}

/* Server signs a stream: 's' = signed, 'u' = unsigned. Messages stored in msgs/lens. */
static int make_stream(const struct tsig_key *key, const struct tsig_mac *reqmac,
	const char *pattern, uint8_t (*msgs)[600], size_t *lens, uint64_t now)
{
	struct tsig_signer s;
	tsig_signer_init(&s, key, reqmac, 300);
	int n = 0;
	for (const char *p = pattern; *p; p++, n++) {
		size_t len = build_response(msgs[n], 0x4242, 3 + n % 5, n);
		if (*p == 's') {
			if (tsig_signer_sign(&s, msgs[n], len, 600, now, &lens[n]) != TSIG_OK)
				return -1;
		} else {
			if (tsig_signer_skip(&s, msgs[n], len) != TSIG_OK)
				return -1;
			lens[n] = len;
		}
	}
	tsig_signer_deinit(&s);
	return n;
}

static enum tsig_verdict run_stream(const struct tsig_key *key, const struct tsig_mac *reqmac,
	uint8_t (*msgs)[600], size_t *lens, int n, uint64_t now, int *failed_at)
{
	struct tsig_verifier v;
	struct tsig_result r;
	tsig_verifier_init(&v, key, reqmac);
	*failed_at = -1;
	for (int i = 0; i < n; i++) {
		enum tsig_verdict vd = tsig_verifier_feed(&v, msgs[i], lens[i], now, &r);
		if (vd != TSIG_V_OK && vd != TSIG_V_UNSIGNED) {
			*failed_at = i;
			tsig_verifier_deinit(&v);
			return vd;
		}
	}
	enum tsig_verdict end = tsig_verifier_end(&v);
	tsig_verifier_deinit(&v);
	if (end != TSIG_V_OK)
		*failed_at = n;
	return end;
}

static void test_stream(void)
{
	struct tsig_key key = mkkey("xfr.key", "hmac-sha512", SECRET512);
	struct tsig_mac reqmac = { .len = 64 };
	for (int i = 0; i < 64; i++)
		reqmac.data[i] = (uint8_t)(i * 7);
	static uint8_t msgs[110][600];
	size_t lens[110];
	int at, n;
	char pat[128];

	n = make_stream(&key, &reqmac, "sssss", msgs, lens, T0);
	is_int(run_stream(&key, &reqmac, msgs, lens, n, T0, &at), TSIG_V_OK, "5 signed messages");

	n = make_stream(&key, &reqmac, "suuusuuus", msgs, lens, T0);
	is_int(run_stream(&key, &reqmac, msgs, lens, n, T0, &at), TSIG_V_OK,
		"3 unsigned between signed ones");

	memset(pat, 'u', sizeof pat);
	pat[0] = 's';
	pat[100] = 's';
	pat[101] = '\0';
	n = make_stream(&key, &reqmac, pat, msgs, lens, T0);
	is_int(run_stream(&key, &reqmac, msgs, lens, n, T0, &at), TSIG_V_OK, "99 unsigned accepted");

	pat[100] = 'u';
	pat[101] = 's';
	pat[102] = '\0';
	n = make_stream(&key, &reqmac, pat, msgs, lens, T0);
	is_int(run_stream(&key, &reqmac, msgs, lens, n, T0, &at), TSIG_V_STREAM, "100 unsigned refused");
	is_int(at, 100, "fails at the 100th unsigned message");

	n = make_stream(&key, &reqmac, "ssu", msgs, lens, T0);
	is_int(run_stream(&key, &reqmac, msgs, lens, n, T0, &at), TSIG_V_STREAM, "last unsigned fails");
	is_int(at, 3, "at end()");

	/* First unsigned: build signed-first then feed from message 1 on. */
	n = make_stream(&key, &reqmac, "sus", msgs, lens, T0);
	is_int(run_stream(&key, &reqmac, msgs + 1, lens + 1, n - 1, T0, &at), TSIG_V_STREAM,
		"first unsigned fails");

	n = make_stream(&key, &reqmac, "suuus", msgs, lens, T0);
	msgs[2][lens[2] - 12] ^= 1; /* last octet of the last A record */
	is_int(run_stream(&key, &reqmac, msgs, lens, n, T0, &at), TSIG_V_BADSIG,
		"tampered unsigned intermediate -> BADSIG at next signed");
	is_int(at, 4, "detected at message 4");

	n = make_stream(&key, &reqmac, "sss", msgs, lens, T0);
	uint8_t tmp[600];
	size_t tl = lens[1];
	memcpy(tmp, msgs[1], 600);
	memcpy(msgs[1], msgs[2], 600);
	lens[1] = lens[2];
	memcpy(msgs[2], tmp, 600);
	lens[2] = tl;
	is_int(run_stream(&key, &reqmac, msgs, lens, n, T0, &at), TSIG_V_BADSIG, "reordered -> BADSIG");

	n = make_stream(&key, &reqmac, "ss", msgs, lens, T0);
	struct tsig_mac wrong = reqmac;
	wrong.data[0] ^= 1;
	is_int(run_stream(&key, &wrong, msgs, lens, n, T0, &at), TSIG_V_BADSIG,
		"other request MAC -> BADSIG");
	is_int(at, 0, "on the first message");

	n = make_stream(&key, &reqmac, "sss", msgs, lens, T0);
	is_int(run_stream(&key, &reqmac, msgs, lens, n, T0 + 301, &at), TSIG_V_BADTIME,
		"time outside fudge -> BADTIME");

	struct tsig_key other = mkkey("other.key", "hmac-sha512", SECRET512);
	is_int(run_stream(&other, &reqmac, msgs, lens, n, T0, &at), TSIG_V_BADKEY,
		"response signed with another key -> BADKEY");

	/* Single response with no TSIG to a signed request. */
	lens[0] = build_response(msgs[0], 1, 2, 0);
	is_int(run_stream(&key, &reqmac, msgs, lens, 1, T0, &at), TSIG_V_STREAM,
		"unsigned answer to a signed request");
	is_int(run_stream(&key, &reqmac, msgs, lens, 0, T0, &at), TSIG_V_STREAM, "no message at all");
}

/* ldns is correct for a basic signed request/response with hmac-sha256: check both ways. */
static void test_ldns_cross(void)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	struct tsig_key key = mkkey("cross.key", "hmac-sha256", SECRET256);
	tsig_keyring_add(kr, &key);

	/* ldns signs, we verify. */
	ldns_pkt *q = NULL;
	okv(ldns_pkt_query_new_frm_str(&q, "example.com", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN,
		LDNS_RD) == LDNS_STATUS_OK, "ldns query");
	ldns_pkt_set_id(q, 0x5151);
	okv(ldns_pkt_tsig_sign(q, "cross.key.", SECRET256, 300, "hmac-sha256.", NULL) ==
		LDNS_STATUS_OK, "ldns signs request");
	uint8_t *wire = NULL;
	size_t wlen = 0;
	ldns_pkt2wire(&wire, q, &wlen);
	struct tsig_result res;
	uint64_t now = (uint64_t)time(NULL);
	is_int(tsig_verify_request(kr, wire, wlen, now, &res), TSIG_V_OK, "ldns-signed request verifies");
	wire[wlen - 20] ^= 1; /* inside the MAC */
	is_int(tsig_verify_request(kr, wire, wlen, now, &res), TSIG_V_BADSIG,
		"ldns-signed request with a flipped MAC byte fails");
	free(wire);
	ldns_pkt_free(q);

	/* We sign, ldns verifies the request. */
	uint8_t m[512];
	struct tsig_mac mac;
	size_t len = build_query(m, 0x6262, "example.com", 6), slen;
	tsig_sign_request(&key, m, len, sizeof m, now, 300, &mac, &slen);
	ldns_pkt *p = NULL;
	okv(ldns_wire2pkt(&p, m, slen) == LDNS_STATUS_OK, "ldns parses our request");
	okv(p && ldns_pkt_tsig_verify(p, m, slen, "cross.key.", SECRET256, NULL),
		"ldns verifies our signed request");
	ldns_pkt_free(p);
	p = NULL;
	m[15] ^= 1;
	okv(ldns_wire2pkt(&p, m, slen) == LDNS_STATUS_OK &&
		!ldns_pkt_tsig_verify(p, m, slen, "cross.key.", SECRET256, NULL),
		"ldns rejects our request after tampering");
	ldns_pkt_free(p);
	m[15] ^= 1;

	/* We sign the response, ldns verifies it against the request MAC. */
	tsig_verify_request(kr, m, slen, now, &res);
	uint8_t r[512];
	size_t rlen = build_response(r, 0x6262, 2, 0), rs;
	tsig_sign_response(&res, r, rlen, sizeof r, now, &rs);
	uint8_t mr[2 + TSIG_MAX_MAC];
	wr16(mr, mac.len);
	memcpy(mr + 2, mac.data, mac.len);
	ldns_rdf *mrdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2u + mac.len, mr);
	p = NULL;
	okv(ldns_wire2pkt(&p, r, rs) == LDNS_STATUS_OK &&
		ldns_pkt_tsig_verify(p, r, rs, "cross.key.", SECRET256, mrdf),
		"ldns verifies our signed response");
	ldns_pkt_free(p);

	/* ldns signs a response, we verify it. */
	p = NULL;
	rlen = build_response(r, 0x6262, 2, 0);
	ldns_wire2pkt(&p, r, rlen);
	okv(ldns_pkt_tsig_sign(p, "cross.key.", SECRET256, 300, "hmac-sha256.", mrdf) ==
		LDNS_STATUS_OK, "ldns signs a response");
	wire = NULL;
	ldns_pkt2wire(&wire, p, &wlen);
	struct tsig_verifier v;
	struct tsig_result vr;
	tsig_verifier_init(&v, &key, &mac);
	is_int(tsig_verifier_feed(&v, wire, wlen, now, &vr), TSIG_V_OK,
		"ldns-signed response verifies");
	is_int(tsig_verifier_end(&v), TSIG_V_OK, "single-message stream ok");
	tsig_verifier_deinit(&v);
	free(wire);
	ldns_pkt_free(p);
	ldns_rdf_deep_free(mrdf);
	tsig_keyring_free(kr);
}

/* A reload keeps the running keyring when the keys are the same (daemon/main.c). */
static void test_keyring_same(void)
{
	struct tsig_keyring *a = tsig_keyring_new(), *b = tsig_keyring_new();
	struct tsig_key k1 = mkkey("one.key", "hmac-sha256", SECRET256);
	struct tsig_key k2 = mkkey("two.key", "hmac-sha512", SECRET512);
	ok(tsig_keyring_same(a, b) && tsig_keyring_same(a, NULL), "empty keyrings are the same");
	tsig_keyring_add(a, &k1);
	tsig_keyring_add(a, &k2);
	tsig_keyring_add(b, &k2);
	ok(!tsig_keyring_same(a, b) && !tsig_keyring_same(b, a), "a key more is not the same");
	tsig_keyring_add(b, &k1);
	ok(tsig_keyring_same(a, b), "the same keys in another order are the same");
	/* the same ring with k1 replaced by a variant of it: never the same */
	static const struct { const char *name, *alg, *secret, *what; } var[] = {
		{ "ONE.key.", "hmac-sha256", SECRET512, "a new secret is not the same" },
		{ "one.key", "hmac-sha512", SECRET256, "a new algorithm is not the same" },
		{ "three.key", "hmac-sha256", SECRET256, "a renamed key is not the same" },
	};
	for (size_t i = 0; i < sizeof var / sizeof var[0]; i++) {
		struct tsig_keyring *c = tsig_keyring_new();
		struct tsig_key kv = mkkey(var[i].name, var[i].alg, var[i].secret);
		tsig_keyring_add(c, &kv);
		tsig_keyring_add(c, &k2);
		ok(!tsig_keyring_same(a, c), "%s", var[i].what);
		tsig_keyring_free(c);
	}
	tsig_keyring_free(a);
	tsig_keyring_free(b);
}

int main(void)
{
	test_keys();
	test_keyring_same();
	test_roundtrip(TSIG_ALG_SHA256, "hmac-sha256", SECRET256);
	test_roundtrip(TSIG_ALG_SHA512, "hmac-sha512", SECRET512);
	test_roundtrip(TSIG_ALG_SHA1, "hmac-sha1", SECRET256);
	test_roundtrip(TSIG_ALG_SHA224, "hmac-sha224", SECRET256);
	test_roundtrip(TSIG_ALG_SHA384, "hmac-sha384", SECRET512);
	test_request_failures();
	test_badtime_response();
	test_format();
	test_truncated_macs();
	test_stream();
	test_ldns_cross();
	return tap_done();
}
