/* upstream.h -- the registry of upstream zones inside zones/: per-upstream state (the
 * options from conf/config.h, the primaries' addresses, the held copy's refresh state,
 * the running exchange, the counters of status and metrics) and the secondary that holds
 * them. For the files of zones/ only; the rest of nodd sees zones/secondary.h.
 *
 * Threads: everything is main thread, except what the NOTIFY hook reads on the UDP
 * threads: the zones' apexes and notify_key_required (fixed after start), the primaries'
 * addresses, key (atomic) and kr (atomic); it writes only the wake marks and n_notify (atomics).
 *
 * The primaries' addresses are published, not locked: the resolver (main thread) only
 * ever appends, filling prim[k] before it raises nprim to k + 1 (an atomic increment,
 * which releases), and never rewrites or removes a slot; a UDP thread loads nprim
 * (acquire) and reads only the slots below it. So a reader sees complete addresses with
 * neither a lock nor a copy, and at most CONFIG_MAX_PRIMARIES are ever written. */
#ifndef NODD_UPSTREAM_H
#define NODD_UPSTREAM_H

#include <event2/event.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/config.h"
#include "lib/dname.h"
#include "lib/tsig.h"
#include "policy/nod.h"
#include "policy/outbox.h"
#include "zones/applyjob.h"
#include "zones/copy.h"
#include "zones/notifygate.h"
#include "zones/refresh.h"
#include "zones/xfrclient.h"

struct secondary;

struct upstream {
	struct secondary *sec;
	const struct config_upstream *cfg;    /* borrowed from the configuration */
	char zone[DNAME_MAX_TEXT + 2];        /* norm text, "" for the root */
	uint8_t apex[DNAME_MAX_WIRE];
	size_t apex_len;
	struct sockaddr_storage prim[CONFIG_MAX_PRIMARIES];
	socklen_t prim_len[CONFIG_MAX_PRIMARIES];
	char prim_text[CONFIG_MAX_PRIMARIES][160]; /* "spec (address)" for logs */
	_Atomic int nprim;                    /* slots of prim in use; only grows (see above) */
	const struct tsig_key *_Atomic key;   /* by cfg->key; a reload replaces it */
	int notify_key_required;              /* a NOTIFY must be signed with key (fixed) */

	/* the held copy's timers (serial and last success are saved in the upstream table,
	 * the timers come back from the held SOA) */
	struct refresh_bounds bounds;
	struct refresh_state rs;
	struct event *timer;
	int64_t next_at;
	int64_t due_ms;                       /* when the timer fires (monotonic ms) */

	/* NOTIFY in: the pace of the probes it causes (notify-min-interval) */
	struct notify_gate gate;
	int64_t paced_logged_ms;              /* when a paced NOTIFY was last logged, 0 never */
	atomic_uint_fast64_t n_notify;        /* NOTIFYs accepted (counted on the UDP threads) */
	uint64_t n_probes;                    /* SOA probes started, for any cause */

	/* the running exchange: one at a time, with primary pi */
	struct xfrconn conn;                  /* conn.kind XFR_NONE when idle (and not applying) */
	int pi;
	struct applyjob job;                  /* an AXFR being sorted and diffed off the loop */
	struct timespec t_recv;               /* when the transfer handed to job was received */
	/* a complete transfer put off while another thread holds the store (APPLY_BUSY):
	 * applied again from timer; conn.kind stays set so no exchange starts meanwhile */
	int apply_wait, apply_wait_job;
	uint64_t n_apply_busy;

	/* a full AXFR is wanted (noddctl retransfer): every start of an exchange is an AXFR
	 * until one is applied */
	int want_axfr;

	/* status */
	uint64_t n_ixfr, n_axfr, n_fail, n_obs, n_up_to_date;
	uint64_t n_errors;                    /* errors noted (upstream_error) */
	/* the last transfer (IXFR or AXFR, not an SOA probe): when it ended, its kind, its
	 * result ("applied", "current", "failed"), the serials */
	int64_t last_xfr_at;
	const char *last_xfr_kind, *last_xfr_result;
	uint32_t last_xfr_from, last_xfr_to;
	uint64_t n_cut[XFR_CUT_COUNT];        /* exchanges cut by a limit, by enum xfr_cut */
	char last_error[256];
	int64_t last_error_at;
};

struct secondary {
	struct event_base *base;
	nod_t *nod;
	outbox_t *ob;
	struct copy copy;         /* the store's statements; every upstream stages apart in
	                           * it (its conn.axfr, its zone's temp rows) */
	const struct tsig_keyring *_Atomic kr; /* borrowed; replaced by a reload */
	struct upstream *ups;
	int nups;
	/* NOTIFY from the UDP threads: a mark per upstream, one eventfd wake (notifygate.h) */
	struct notify_wake wake;
	struct event *nev;        /* watches wake.fd */
	struct evdns_base *dns;   /* host names of primaries are resolved without blocking */
};

/* The upstream whose apex is name (wire, any case), or NULL. */
struct upstream *upstream_by_apex(struct secondary *s, const uint8_t *name, size_t len);

/* Note an error for status and log it with the zone and the primary being tried. */
void upstream_error(struct upstream *up, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Resolve a primary "host[@port]": an address is taken at once, a host name is looked up
 * with evdns (on_resolved adds its addresses and starts a waiting refresh). 0, or -1 with
 * e for a malformed spec or no resolver. (zones/resolve.c) */
int upstream_resolve(struct upstream *up, const char *spec, struct nodd_err *e);

/* Start a refresh with an SOA probe of the first primary now. */
void upstream_refresh_now(struct upstream *up);
void upstream_schedule(struct upstream *up, int64_t delay);

/* NOTIFY in (zones/notifyin.c): the answer to q (qlen bytes) from peer, written to out;
 * *wake gets the index of the upstream whose refresh to wake, or -1. Returns the answer
 * length, 0 for no answer (not a NOTIFY question we can read, or no room). Reads the
 * upstreams as the UDP threads may (see above). */
size_t notifyin_answer(const struct upstream *ups, int nups, const struct tsig_keyring *kr,
	const uint8_t *q, size_t qlen, const struct sockaddr *peer, uint64_t now, uint8_t *out,
	size_t outcap, int *wake);

#endif
