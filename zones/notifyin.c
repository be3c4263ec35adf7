/* notifyin.c -- NOTIFY in (RFC 1996), on the UDP threads: a NOTIFY for a zone we follow,
 * from one of its primaries (an IPv4-mapped address counts as the IPv4 address), is
 * answered NOERROR and marks the zone for a refresh on the main loop (coalesced and paced:
 * zones/notifygate.h). As BIND and NSD take it, an unsigned NOTIFY from a primary is
 * accepted even when the upstream has a transfer key: it only wakes an SOA query, which
 * is signed. `notify-key: required` refuses it; a signed NOTIFY must verify with the
 * upstream's key either way. Anything else is answered REFUSED (or FORMERR / NOTAUTH for a
 * bad TSIG), counted in nodd_notify_in_refused_total, and wakes nothing. Reads the
 * upstreams, never writes them. */
#define LOG_CATEGORY LOG_CAT_NOTIFY
#include <stdatomic.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/counters.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "lib/wire.h"
#include "zones/secondary.h"
#include "zones/upstream.h"

enum { RC_NOERROR = 0, RC_FORMERR = 1, RC_REFUSED = 5, RC_NOTAUTH = 9 };

/* Why a NOTIFY was not taken, for the log line (one rate-limit key each). */
enum notify_why {
	WHY_TAKEN,
	WHY_ZONE,        /* not a zone we follow */
	WHY_PRIMARY,     /* not from one of its primaries */
	WHY_UNSIGNED,    /* unsigned, and notify-key: required */
	WHY_OTHER_KEY,   /* verified, with another key than the upstream's */
	WHY_TSIG,        /* the TSIG does not verify (FORMERR, BADKEY, BADSIG, ...) */
};

static const char *const why_text[] = {
	"", "not a zone we follow", "not from one of its primaries",
	"unsigned, and the upstream has notify-key: required",
	"signed with another key than the upstream's", "TSIG",
};

/* The decision for a NOTIFY from a primary of up, by its TSIG verdict v (res: the key). */
static enum notify_why notify_decide(const struct upstream *up, enum tsig_verdict v,
	const struct tsig_result *res)
{
	const struct tsig_key *want = atomic_load(&up->key);
	if (v == TSIG_V_UNSIGNED)
		return want && up->notify_key_required ? WHY_UNSIGNED : WHY_TAKEN;
	if (v != TSIG_V_OK)
		return WHY_TSIG;
	if (want && !dname_wire_equal(res->key->name, res->key->name_len, want->name,
			want->name_len))
		return WHY_OTHER_KEY; /* by name: a reload may swap the keyring between reads */
	return WHY_TAKEN;
}

static int notify_rcode(enum notify_why why, enum tsig_verdict v)
{
	if (why == WHY_TAKEN)
		return RC_NOERROR;
	if (why != WHY_TSIG)
		return RC_REFUSED;
	return v == TSIG_V_FORMERR ? RC_FORMERR : RC_NOTAUTH;
}

/* The refusal, rate-limited per reason (UDP sources can be forged: never one key per
 * address); the zone name comes from the peer and is written escaped. */
static void log_refused(enum notify_why why, enum tsig_verdict v, const struct sockaddr *peer,
	const uint8_t *name, size_t nl, int rcode)
{
	char pt[SA_TEXT_MAX], zt[DNAME_MAX_TEXT * 4 + 2];
	sa_host_text(peer, pt, sizeof pt);
	if (dname_wire_to_text(name, nl, zt, sizeof zt) < 0)
		snprintf(zt, sizeof zt, "?");
	char key[48];
	snprintf(key, sizeof key, "notify in refused %d", (int)why);
	metrics_inc("notify_in_refused", 1);
	log_cat_limited(LOG_CAT_SECURITY, LOG_INFO, key, "NOTIFY from %s for %s: %s%s%s; %s",
		pt, zt[0] ? zt : ".", why_text[why], why == WHY_TSIG ? " " : "",
		why == WHY_TSIG ? tsig_verdict_str(v) : "",
		rcode == RC_REFUSED ? "refused" : "rejected");
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
	enum notify_why why = !up ? WHY_ZONE : WHY_PRIMARY;
	if (up && from_primary) {
		v = tsig_verify_request(kr, q, qlen, now, &res);
		why = notify_decide(up, v, &res);
	}
	int rcode = notify_rcode(why, v);
	if (qend > outcap)
		return 0;
	memcpy(out, q, qend);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x78) | 0x04); /* QR, opcode NOTIFY, AA */
	out[3] = (uint8_t)rcode;
	memset(out + 6, 0, 6);
	size_t len = qend;
	if (v != TSIG_V_UNSIGNED && v != TSIG_V_FORMERR && up)
		tsig_sign_response(&res, out, qend, outcap, now, &len);
	if (why != WHY_TAKEN) {
		log_refused(why, v, peer, name, nl, rcode);
		return len;
	}
	if (log_enabled(LOG_DEBUG)) {
		char pt[SA_TEXT_MAX];
		sa_host_text(peer, pt, sizeof pt);
		log_debug("NOTIFY from %s for %s (%s)", pt, up->zone[0] ? up->zone : ".",
			v == TSIG_V_OK ? "signed" : "unsigned");
	}
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
