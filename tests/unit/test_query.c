/* test_query.c -- the dispatcher: each kind of message reaches exactly one handler (the
 * answer path, the NOTIFY handler, the transfer handler, the signed-query check), and the
 * defaults when none is registered. */
#include <event2/buffer.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include "lib/dname.h"
#include "lib/wire.h"
#include "server/query.h"
#include "tap.h"

#define BL "x.se.v1.bl.nod.example"
#define APEX "5m.rpz.nod.example"

static struct answer_cfg cfg;
static struct answer_view view;
static int notify_calls, xfr_calls;

static void setup(void)
{
	static const char *labels[NOD_ZONE_COUNT] = { "5m.rpz", "10m.rpz", "30m.rpz", "1h.rpz",
		"3h.rpz", "12h.rpz", "24h.rpz", "v1.bl", "allow.rpz" };
	char buf[128];
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		snprintf(buf, sizeof buf, "%s.nod.example", labels[z]);
		cfg.apex_len[z] = (size_t)dname_text_to_wire(buf, cfg.apex[z]);
	}
	cfg.ttl = 60;
	cfg.soa_minimum = 30;
	cfg.nns = 1;
	cfg.ns_len[0] = (size_t)dname_text_to_wire("ns1.nod.example", cfg.ns[0]);
	memcpy(cfg.mname, cfg.ns[0], cfg.ns_len[0]);
	cfg.mname_len = cfg.ns_len[0];
	cfg.rname_len = (size_t)dname_text_to_wire("hostmaster.nod.example", cfg.rname);
	view.ix = nindex_new();
	view.now = time(NULL);
}

/* A NOTIFY handler that answers NOERROR with the header only. */
static size_t fake_notify(void *ctx, const uint8_t *q, size_t qlen, const struct sockaddr *peer,
	socklen_t peerlen, uint8_t *out, size_t outcap)
{
	(void)ctx, (void)qlen, (void)peer, (void)peerlen, (void)outcap;
	notify_calls++;
	memcpy(out, q, WIRE_HEADER_SIZE);
	out[2] |= 0x80;
	out[3] = WIRE_RCODE_NOERROR;
	memset(out + 4, 0, 8);
	return WIRE_HEADER_SIZE;
}

/* A transfer handler that writes one byte and starts no stream. */
static int fake_xfr(void *ctx, const uint8_t *q, size_t qlen, const struct sockaddr *peer,
	socklen_t peerlen, struct evbuffer *out, struct query_xfr_stream **stream)
{
	(void)ctx, (void)q, (void)qlen, (void)peer, (void)peerlen, (void)stream;
	xfr_calls++;
	evbuffer_add(out, "x", 1);
	return 0;
}

/* A message: header with opcode and flags, one question, qlen returned. */
static size_t msg(uint8_t *m, size_t cap, int opcode, uint16_t flags, const char *name,
	uint16_t type)
{
	uint8_t w[DNAME_MAX_WIRE];
	int l = dname_text_to_wire(name, w);
	struct wire wr;
	wire_init(&wr, m, cap);
	wire_header(&wr, 0x1234, (uint16_t)(WIRE_OPCODE(opcode) | flags));
	wire_question(&wr, w, (size_t)l, type, WIRE_C_IN);
	return wire_finish(&wr);
}

struct outcome {
	enum query_kind kind;
	size_t len;
	int rcode;
};

static struct outcome handle(const uint8_t *q, size_t qlen, struct evbuffer *tcp)
{
	static uint8_t out[65536];
	struct sockaddr_in peer = { .sin_family = AF_INET };
	struct answer_req r;
	answer_parse(&cfg, q, qlen, tcp != NULL, &r);
	struct outcome o = { query_classify(&r), 0, -1 };
	struct query_out qo = { out, sizeof out, tcp, NULL };
	struct answer_info info;
	o.len = query_handle(&cfg, &view, q, qlen, (struct sockaddr *)&peer, sizeof peer, &qo,
		&info);
	if (o.len >= WIRE_HEADER_SIZE)
		o.rcode = out[3] & WIRE_RCODE_MASK;
	return o;
}

int main(void)
{
	setup();
	struct evbuffer *tcp = evbuffer_new();
	uint8_t q[512];
	size_t n;

	/* no handlers registered: the defaults */
	n = msg(q, sizeof q, WIRE_OPCODE_NOTIFY, WIRE_AA, APEX, WIRE_T_SOA);
	struct outcome o = handle(q, n, NULL);
	is_int(o.kind, QUERY_NOTIFY, "NOTIFY classified");
	is_int(o.rcode, WIRE_RCODE_NOTIMP, "NOTIFY without a handler: NOTIMP");
	n = msg(q, sizeof q, 0, 0, APEX, WIRE_T_AXFR);
	o = handle(q, n, tcp);
	is_int(o.kind, QUERY_TRANSFER, "AXFR over TCP classified as a transfer");
	is_int(o.rcode, WIRE_RCODE_REFUSED, "transfer without a handler: REFUSED");

	query_set_notify(fake_notify, NULL);
	query_set_transfer(fake_xfr, NULL);
	static const struct {
		const char *what;
		int opcode;
		uint16_t flags;
		const char *name;
		uint16_t type;
		int tcp;
		enum query_kind kind;
		int rcode;            /* -1: no reply */
		int notify, xfr;      /* handler calls */
	} rows[] = {
		{ "a response (QR=1): dropped", 0, WIRE_QR, BL, WIRE_T_A, 0, QUERY_DROP, -1, 0, 0 },
		{ "a NOTIFY response: dropped", WIRE_OPCODE_NOTIFY, WIRE_QR, APEX, WIRE_T_SOA, 0,
			QUERY_DROP, -1, 0, 0 },
		{ "opcode STATUS: NOTIMP", 2, 0, BL, WIRE_T_A, 0, QUERY_ERROR, WIRE_RCODE_NOTIMP, 0, 0 },
		{ "NOTIFY: the handler's reply", WIRE_OPCODE_NOTIFY, WIRE_AA, APEX, WIRE_T_SOA, 0,
			QUERY_NOTIFY, WIRE_RCODE_NOERROR, 1, 0 },
		{ "NOTIFY over TCP: the handler's reply", WIRE_OPCODE_NOTIFY, WIRE_AA, APEX,
			WIRE_T_SOA, 1, QUERY_NOTIFY, WIRE_RCODE_NOERROR, 1, 0 },
		{ "a standard query: the answer", 0, 0, BL, WIRE_T_A, 0, QUERY_STANDARD,
			WIRE_RCODE_NXDOMAIN, 0, 0 },
		{ "outside our zones: REFUSED", 0, 0, "example.com", WIRE_T_A, 0, QUERY_STANDARD,
			WIRE_RCODE_REFUSED, 0, 0 },
		{ "AXFR over UDP: FORMERR", 0, 0, APEX, WIRE_T_AXFR, 0, QUERY_STANDARD,
			WIRE_RCODE_FORMERR, 0, 0 },
		{ "IXFR over UDP: the SOA", 0, 0, APEX, WIRE_T_IXFR, 0, QUERY_STANDARD,
			WIRE_RCODE_NOERROR, 0, 0 },
		{ "AXFR over TCP: the transfer handler", 0, 0, APEX, WIRE_T_AXFR, 1, QUERY_TRANSFER,
			-1, 0, 1 },
		{ "IXFR over TCP: the transfer handler", 0, 0, APEX, WIRE_T_IXFR, 1, QUERY_TRANSFER,
			-1, 0, 1 },
		{ "AXFR over TCP outside our zones: REFUSED", 0, 0, "example.com", WIRE_T_AXFR, 1,
			QUERY_STANDARD, WIRE_RCODE_REFUSED, 0, 0 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		notify_calls = xfr_calls = 0;
		n = msg(q, sizeof q, rows[i].opcode, rows[i].flags, rows[i].name, rows[i].type);
		o = handle(q, n, rows[i].tcp ? tcp : NULL);
		is_int(o.kind, rows[i].kind, "%s: kind", rows[i].what);
		is_int(o.rcode, rows[i].rcode, "%s: rcode", rows[i].what);
		is_int(notify_calls, rows[i].notify, "%s: NOTIFY handler calls", rows[i].what);
		is_int(xfr_calls, rows[i].xfr, "%s: transfer handler calls", rows[i].what);
	}

	/* malformed: QDCOUNT 0, and trailing bytes after the question */
	n = msg(q, sizeof q, 0, 0, BL, WIRE_T_A);
	q[5] = 0;
	o = handle(q, n, NULL);
	is_int(o.kind, QUERY_ERROR, "no question: an error");
	is_int(o.rcode, WIRE_RCODE_FORMERR, "no question: FORMERR");
	q[5] = 1;
	o = handle(q, n + 3, NULL);
	is_int(o.rcode, WIRE_RCODE_FORMERR, "trailing bytes: FORMERR");

	/* signed queries: unsigned answer without keys, NOTAUTH (BADKEY) with a keyring that
	 * lacks the key, the signed answer with it */
	struct tsig_key key;
	const char *why;
	ok(tsig_key_init(&key, "k1", "hmac-sha256", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", &why) == 0,
		"key");
	struct tsig_keyring *empty = tsig_keyring_new(), *kr = tsig_keyring_new();
	ok(empty && kr && tsig_keyring_add(kr, &key) == 0, "keyrings");
	n = msg(q, sizeof q, 0, 0, APEX, WIRE_T_SOA);
	struct tsig_mac mac;
	size_t sn = 0;
	ok(tsig_sign_request(&key, q, n, sizeof q, (uint64_t)time(NULL), 0, &mac, &sn) == 0,
		"signed SOA query");
	o = handle(q, sn, NULL);
	is_int(o.kind, QUERY_SIGNED, "signed query classified");
	is_int(o.rcode, WIRE_RCODE_NOERROR, "no keys registered: the answer");
	query_set_keys(empty);
	o = handle(q, sn, NULL);
	is_int(o.rcode, WIRE_RCODE_NOTAUTH, "unknown key: NOTAUTH");
	query_set_keys(kr);
	o = handle(q, sn, NULL);
	is_int(o.rcode, WIRE_RCODE_NOERROR, "known key: the answer");
	size_t tsig_off = 0;
	static uint8_t out[65536];
	struct sockaddr_in peer = { .sin_family = AF_INET };
	struct query_out qo = { out, sizeof out, NULL, NULL };
	struct answer_info info;
	size_t len = query_handle(&cfg, &view, q, sn, (struct sockaddr *)&peer, sizeof peer, &qo,
		&info);
	ok(len > 0 && tsig_find(out, len, &tsig_off) == 1 && tsig_off > 0,
		"known key: the answer carries a TSIG");
	query_set_keys(NULL);
	query_set_notify(NULL, NULL);
	query_set_transfer(NULL, NULL);
	tsig_keyring_free(empty);
	tsig_keyring_free(kr);
	evbuffer_free(tcp);
	nindex_free((nindex_t *)view.ix);
	return tap_done();
}
