/* notifyin.c -- NOTIFY in (RFC 1996), on the UDP threads: a NOTIFY for a zone we follow,
 * from one of its primaries (an IPv4-mapped address counts as the IPv4 address), and
 * TSIG-signed with the upstream's key when it has one, is answered NOERROR and marks the
 * zone for a refresh on the main loop (coalesced and paced: zones/notifygate.h). Anything else is answered REFUSED (or FORMERR /
 * NOTAUTH for a bad TSIG) and wakes nothing. Reads the upstreams, never writes them. */
#include <stdatomic.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "lib/wire.h"
#include "zones/secondary.h"
#include "zones/upstream.h"

enum { RC_NOERROR = 0, RC_FORMERR = 1, RC_REFUSED = 5, RC_NOTAUTH = 9 };

/* The RCODE for a NOTIFY from a primary of up, by its TSIG verdict v (res: the key). */
static int notify_rcode(const struct upstream *up, enum tsig_verdict v,
	const struct tsig_result *res)
{
	const struct tsig_key *want = atomic_load(&up->key);
	if (want && v == TSIG_V_UNSIGNED)
		return RC_REFUSED; /* a key is configured: an unsigned NOTIFY is refused */
	if (v == TSIG_V_OK && want && !dname_wire_equal(res->key->name, res->key->name_len,
			want->name, want->name_len))
		return RC_REFUSED; /* signed, but with another key than the upstream's (by name:
		                    * a reload may swap the keyring between the two reads) */
	if (v == TSIG_V_OK || v == TSIG_V_UNSIGNED)
		return RC_NOERROR;
	return v == TSIG_V_FORMERR ? RC_FORMERR : RC_NOTAUTH;
}

size_t notifyin_answer(const struct upstream *ups, int nups, const struct tsig_keyring *kr,
	const uint8_t *q, size_t qlen, const struct sockaddr *peer, uint64_t now, uint8_t *out,
	size_t outcap, int *wake)
{
	*wake = -1;
	uint8_t name[DNAME_MAX_WIRE];
	size_t nl;
	if (qlen < WIRE_HEADER_SIZE || (q[2] & 0x80))
		return 0;
	size_t qend = dname_wire_parse(q, qlen, WIRE_HEADER_SIZE, name, &nl);
	if (!qend || qend + 4 > qlen || wire_get16(q + 4) != 1)
		return 0;
	qend += 4;
	const struct upstream *up = NULL;
	for (int i = 0; i < nups; i++)
		if (ups[i].apex_len == nl && memcmp(ups[i].apex, name, nl) == 0)
			up = &ups[i];
	int from_primary = 0;
	int nprim = up ? atomic_load_explicit(&up->nprim, memory_order_acquire) : 0;
	for (int i = 0; i < nprim; i++) /* the slots below nprim are complete (upstream.h) */
		from_primary |= sa_same_host(peer, (const struct sockaddr *)&up->prim[i]);
	struct tsig_result res;
	memset(&res, 0, sizeof res);
	enum tsig_verdict v = TSIG_V_UNSIGNED;
	int rcode = RC_REFUSED; /* not a zone we follow, or not from its primary */
	if (up && from_primary) {
		v = tsig_verify_request(kr, q, qlen, now, &res);
		rcode = notify_rcode(up, v, &res);
	}
	if (qend > outcap)
		return 0;
	memcpy(out, q, qend);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x78) | 0x04); /* QR, opcode NOTIFY, AA */
	out[3] = (uint8_t)rcode;
	memset(out + 6, 0, 6);
	size_t len = qend;
	if (v != TSIG_V_UNSIGNED && v != TSIG_V_FORMERR && up)
		tsig_sign_response(&res, out, qend, outcap, now, &len);
	char pt[SA_TEXT_MAX];
	sa_host_text(peer, pt, sizeof pt);
	if (rcode != RC_NOERROR) {
		/* UDP sources can be forged: one key for all, not one per address */
		log_limited(LOG_INFO, "notify in refused", "NOTIFY from %s for a zone we do not "
			"follow from there, or with a bad TSIG (%s); %s", pt, tsig_verdict_str(v),
			rcode == RC_REFUSED ? "refused" : "rejected");
		return len;
	}
	log_debug("NOTIFY from %s for %s", pt, up->zone);
	*wake = (int)(up - ups);
	return len;
}

size_t secondary_notify(void *ctx, const uint8_t *q, size_t qlen, const struct sockaddr *peer,
	socklen_t peerlen, uint8_t *out, size_t outcap)
{
	(void)peerlen;
	struct secondary *s = ctx;
	int wake;
	size_t len = notifyin_answer(s->ups, s->nups, atomic_load(&s->kr), q, qlen, peer,
		(uint64_t)unix_now(), out, outcap, &wake);
	if (wake >= 0) { /* coalesced: a flood is one wake of the loop (zones/notifygate.c) */
		atomic_fetch_add_explicit(&s->ups[wake].n_notify, 1, memory_order_relaxed);
		notify_wake_mark(&s->wake, wake);
	}
	return len;
}
