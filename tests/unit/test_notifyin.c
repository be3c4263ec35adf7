/* test_notifyin.c -- NOTIFY in: the exact RCODE answered and whether the zone's refresh is
 * woken, for a NOTIFY from a primary (any port, IPv4, IPv6, IPv4-mapped) or another
 * address, for a zone we do not follow, and for a zone with a key: signed with its key,
 * with another known key, with an unknown key, unsigned (taken by default, refused with
 * notify-key: required). A response is not answered. */
#include <stdatomic.h>

#include "lib/sockaddr.h"
#include "lib/wire.h"
#include "tests/unit/tap.h"
#include "zones/upstream.h"

#define NOW 1700000000

struct notify_case {
	const char *what;
	const char *zone;
	const char *peer;
	const char *key;      /* sign with this key ("k3" is not in the keyring, "k4" is k1 with
	                       * a wrong secret); NULL unsigned */
	int response;         /* QR set */
	int rcode;            /* -1: no answer */
	int wake;
	int tsig_answer;      /* the answer carries a TSIG record (a MAC, or BADKEY) */
};

static const struct notify_case cases[] = {
	{ "from a primary, another port", "nodtest", "127.0.0.1@5353", NULL, 0, 0, 0, 0 },
	{ "from another address", "nodtest", "127.0.0.2@53", NULL, 0, 5, -1, 0 },
	{ "from the primary's IPv4-mapped address", "nodtest", "::ffff:127.0.0.1@53", NULL, 0, 0, 0, 0 },
	{ "from the IPv6 primary", "nodtest", "[::1]@53", NULL, 0, 0, 0, 0 },
	{ "names are compared in any case", "NodTest", "127.0.0.1@53", NULL, 0, 0, 0, 0 },
	{ "a zone we do not follow", "other.test", "127.0.0.1@53", NULL, 0, 5, -1, 0 },
	{ "signed with the upstream's key", "signed.test", "192.0.2.7@53", "k1", 0, 0, 1, 1 },
	{ "signed with another known key", "signed.test", "192.0.2.7@53", "k2", 0, 5, -1, 1 },
	{ "signed with an unknown key", "signed.test", "192.0.2.7@53", "k3", 0, 9, -1, 1 },
	{ "unsigned from the primary of a zone with a key", "signed.test", "192.0.2.7@53", NULL,
	  0, 0, 1, 0 },
	{ "unsigned, notify-key: required", "strict.test", "192.0.2.9@53", NULL, 0, 5, -1, 0 },
	{ "signed, notify-key: required", "strict.test", "192.0.2.9@53", "k1", 0, 0, 2, 1 },
	{ "bad key, notify-key: required", "strict.test", "192.0.2.9@53", "k3", 0, 9, -1, 1 },
	{ "wrong secret (BADSIG), notify-key: optional", "signed.test", "192.0.2.7@53", "k4", 0,
	  9, -1, 1 },
	{ "another key, notify-key: required", "strict.test", "192.0.2.9@53", "k2", 0, 5, -1, 1 },
	{ "signed, but not from the primary", "signed.test", "192.0.2.8@53", "k1", 0, 5, -1, 0 },
	{ "a response is not answered", "nodtest", "127.0.0.1@53", NULL, 1, -1, -1, 0 },
};

static void add_primary(struct upstream *up, const char *text)
{
	const char *why;
	sa_parse(text, 53, &up->prim[up->nprim], &up->prim_len[up->nprim], &why);
	up->nprim++;
}

static void upstream_of(struct upstream *up, const char *zone, const struct tsig_key *key)
{
	memset(up, 0, sizeof *up);
	snprintf(up->zone, sizeof up->zone, "%s", zone);
	up->apex_len = (size_t)dname_text_to_wire(zone, up->apex);
	atomic_init(&up->key, key);
}

int main(void)
{
	struct tsig_key k1, k2, k3, k4;
	const char *why = NULL;
	tsig_key_init(&k1, "k1", "hmac-sha256", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", &why);
	tsig_key_init(&k2, "k2", "hmac-sha256", "b3RoZXJvdGhlcm90aGVyb3RoZXJvdGhl", &why);
	tsig_key_init(&k3, "k3", "hmac-sha256", "dW5rbm93bnVua25vd251bmtub3dudW5r", &why);
	tsig_key_init(&k4, "k1", "hmac-sha256", "d3Jvbmd3cm9uZ3dyb25nd3Jvbmd3cm9u", &why);
	struct tsig_keyring *kr = tsig_keyring_new();
	tsig_keyring_add(kr, &k1);
	tsig_keyring_add(kr, &k2);
	struct upstream ups[3];
	upstream_of(&ups[0], "nodtest", NULL);
	add_primary(&ups[0], "127.0.0.1@53");
	add_primary(&ups[0], "::1@53");
	upstream_of(&ups[1], "signed.test", tsig_keyring_find_text(kr, "k1"));
	add_primary(&ups[1], "192.0.2.7@53");
	upstream_of(&ups[2], "strict.test", tsig_keyring_find_text(kr, "k1"));
	ups[2].notify_key_required = 1;
	add_primary(&ups[2], "192.0.2.9@53");

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct notify_case *c = &cases[i];
		uint8_t q[512], out[512], name[DNAME_MAX_WIRE];
		char norm[256];
		snprintf(norm, sizeof norm, "%s", c->zone);
		int nl = dname_text_to_wire(norm, name);
		struct wire w;
		wire_init(&w, q, sizeof q);
		wire_header(&w, 0x1234, (uint16_t)(WIRE_OPCODE(4) | WIRE_AA | (c->response ? WIRE_QR : 0)));
		wire_question(&w, name, (size_t)nl, WIRE_T_SOA, WIRE_C_IN);
		size_t qlen = wire_finish(&w), qbare = qlen;
		const struct tsig_key *key = !c->key ? NULL : c->key[1] == '1' ? &k1
			: c->key[1] == '2' ? &k2 : c->key[1] == '3' ? &k3 : &k4;
		struct tsig_mac mac;
		if (key)
			tsig_sign_request(key, q, qlen, sizeof q, NOW, 0, &mac, &qlen);
		struct sockaddr_storage peer;
		socklen_t plen;
		sa_parse(c->peer, 53, &peer, &plen, &why);
		int wake = 7;
		size_t len = notifyin_answer(ups, 3, kr, q, qlen, (struct sockaddr *)&peer, NOW, out,
			sizeof out, &wake);
		if (c->rcode < 0) {
			is_int(len, 0, "%s: no answer", c->what);
		} else {
			is_int(len > 3 ? out[3] & 0x0F : -1, c->rcode, "%s: RCODE", c->what);
			ok(len >= qbare && wire_get16(out) == 0x1234 && (out[2] & 0x80) &&
				((out[2] >> 3) & 0x0F) == 4, "%s: a NOTIFY response with the query's ID", c->what);
			ok((len > qbare) == c->tsig_answer, "%s: answer %s", c->what,
				c->tsig_answer ? "with TSIG" : "without TSIG");
		}
		is_int(wake, c->wake, "%s: refresh woken", c->what);
	}
	tsig_keyring_free(kr);
	return tap_done();
}
