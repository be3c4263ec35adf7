/* upstream.c -- the upstream zones nodd follows as a secondary: their life cycle, the
 * refresh each runs, and their status and metrics.
 *
 * DESIGN
 * Per upstream zone, one exchange at a time, all on the main libevent loop (the timers
 * and their clamps are zones/refresh.c, pure in now; the exchange zones/xfrclient.c;
 * applying zones/apply.c):
 *
 *     refresh timer / NOTIFY (zones/notifyin.c)
 *            |
 *            v
 *     SOA probe (TCP) --- up to date ---------------------------> wait refresh
 *            | newer serial, or no copy
 *            v
 *     IXFR (held SOA in authority) --- REFUSED/NOTIMP/FORMERR,
 *            |                          AXFR-style answer ------> AXFR
 *            v                                                     |
 *     verify TSIG on every message (RFC 8945 5.3.1, lib/tsig.c)    |
 *     read the records off the wire (zones/xfrmsg.c) and stage     |
 *     them: an IXFR in a temp table (one temp-only transaction     |
 *     per message), an AXFR in memory (zones/stage.c), each        |
 *     zone apart from the others (its conn.axfr, rows keyed by it) |
 *            v                                                     v
 *     a changeset per IXFR difference (zones/ixfr.c), or the AXFR difference
 *     (zones/axfrdiff.c: sorted and diffed by a worker thread with a read connection of
 *     its own, zones/applyjob.c), applied in ONE transaction on the main thread: zone
 *     copy, first-seen names, zone_diff and newly_registered_domain outbox rows, refresh
 *     state ---> commit
 *
 * Any failure (connect, timeout, bad TSIG, malformed or cut stream, IXFR that starts at the
 * wrong serial or deletes an absent record, a serial going backwards) discards the whole
 * transfer: the transaction is rolled back, the last good version keeps serving, the error
 * is kept for /api/v1/status, and the next primary is tried, then the retry timer. An
 * IXFR that cannot be applied is followed at once by an AXFR.
 *
 * Observations: an owner below the apex that gains NS records is observed at commit time;
 * the store keeps the earliest first_seen, so a name seen before (also in the baseline, the
 * first AXFR of a zone) is not new. DNSSEC and glue changes add no NS and so observe
 * nothing. A deleted name that comes back keeps its first_seen.
 */
#define LOG_CATEGORY LOG_CAT_XFR_IN
#include "zones/upstream.h"

#include <event2/dns.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/prom.h"
#include "policy/store.h"
#include "zones/apply.h"
#include "zones/secondary.h"

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static const char *zone_name(const struct upstream *up)
{
	return up->zone[0] ? up->zone : ".";
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The least time between SOA probes answering NOTIFYs (upstreams.notify-min-interval). */
static int64_t notify_interval_ms(const struct upstream *up)
{
	return up->cfg->notify_min_interval * 1000;
}

static void schedule_ms(struct upstream *up, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	up->next_at = unix_now() + (ms + 999) / 1000;
	up->due_ms = mono_ms() + ms;
	evtimer_add(up->timer, &tv);
}

void upstream_schedule(struct upstream *up, int64_t delay)
{
	schedule_ms(up, delay < 0 ? 0 : delay * 1000);
}

/* A refresh succeeded: wait for the refresh timer, or, when NOTIFYs came in during the
 * exchange, probe once more as soon as their pace allows. */
static void schedule_after_success(struct upstream *up, int64_t now)
{
	int notified = up->rs.notified;
	int64_t d = refresh_success(&up->rs, now);
	if (notified)
		schedule_ms(up, notify_gate_due(&up->gate, mono_ms(), notify_interval_ms(up)));
	else
		upstream_schedule(up, d);
}

void upstream_error(struct upstream *up, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(up->last_error, sizeof up->last_error, fmt, ap);
	va_end(ap);
	up->last_error_at = unix_now();
	up->n_errors++;
	if (up->pi < up->nprim)
		log_warn("upstream %s: %s: %s", zone_name(up), up->prim_text[up->pi], up->last_error);
	else /* no primary address yet: the message names the primary it is about */
		log_warn("upstream %s: %s", zone_name(up), up->last_error);
}

struct upstream *upstream_by_apex(struct secondary *s, const uint8_t *name, size_t len)
{
	struct upstream *up = NULL;
	for (int i = 0; i < s->nups; i++)
		if (s->ups[i].apex_len == len && memcmp(s->ups[i].apex, name, len) == 0)
			up = &s->ups[i];
	return up;
}

/* ---- the refresh ----------------------------------------------------------------- */

static void start_exchange(struct upstream *up, enum xfr_kind kind);

/* Keep the outcome of a transfer (not of an SOA probe) for the zone's status. */
static void note_transfer(struct upstream *up, enum xfr_kind kind, const char *result,
	uint32_t to)
{
	up->last_xfr_at = unix_now();
	up->last_xfr_kind = kind == XFR_AXFR ? "AXFR" : "IXFR";
	up->last_xfr_result = result;
	up->last_xfr_from = up->rs.have_copy ? up->rs.serial : 0;
	up->last_xfr_to = to;
}

/* The exchange that starts a refresh: an SOA probe, or an AXFR while one is wanted. */
static enum xfr_kind first_exchange(const struct upstream *up)
{
	return up->want_axfr ? XFR_AXFR : XFR_PROBE;
}

/* Wait for the refresh timer (or probe again at once after a NOTIFY that came in). */
static void up_to_date(struct upstream *up)
{
	up->n_up_to_date++;
	schedule_after_success(up, unix_now());
}

/* Every primary tried has failed, or the transfer was discarded: wait for the retry. */
static void wait_retry(struct upstream *up)
{
	up->n_fail++;
	upstream_schedule(up, refresh_failure(&up->rs, &up->bounds));
}

/* This primary failed: try the next one, or wait for the retry. */
static void primary_failed(struct upstream *up, enum xfr_kind kind)
{
	copy_stage_clear(&up->sec->copy, up->zone, &up->conn.axfr);
	up->n_fail++;
	if (up->pi + 1 < up->nprim) {
		up->pi++;
		start_exchange(up, up->want_axfr ? XFR_AXFR
			: kind == XFR_IXFR || kind == XFR_AXFR ? XFR_PROBE : kind);
		return;
	}
	up->pi = 0;
	if (refresh_expired(&up->rs, unix_now()))
		log_warn("upstream %s: expired: no successful refresh for %lld s (serving the last copy)",
			zone_name(up), (long long)(unix_now() - up->rs.last_success));
	upstream_schedule(up, refresh_failure(&up->rs, &up->bounds));
}

#define UPSTREAM_BUSY_RETRY_MS 200

/* A complete, verified transfer: applied in one transaction (an AXFR with what the apply
 * worker found, when job is not NULL). 1 when it was put off because another thread
 * holds the store: the staging (and job) are kept and the timer applies it again. */
static int apply_staged(struct upstream *up, enum xfr_kind kind, struct applyjob *job)
{
	struct secondary *s = up->sec;
	const struct xfrin *in = &up->conn.in;
	int axfr = kind == XFR_AXFR || in->style == XFRIN_STYLE_AXFR;
	struct apply a = { .copy = &s->copy, .nod = s->nod, .ob = s->ob, .zone = up->zone,
		.keep_first_seen = up->cfg->keep_first_seen, .baseline = !up->rs.have_copy,
		.from = up->rs.have_copy ? up->rs.serial : 0, .to = in->new_serial,
		.now = unix_now(), .diff = job && job->diff ? &job->cs : NULL,
		.staged = job ? &job->st : &up->conn.axfr };
	struct timespec t_recv = up->t_recv, t_main, t_done;
	clock_gettime(CLOCK_MONOTONIC, &t_main);
	if (!job)
		t_recv = t_main;
	struct nodd_err e = { 0 };
	enum apply_result res = APPLY_COMMITTED;
	if (job && job->written) { /* the worker committed the first copy (applyjob.h) */
		a.now = job->now;
		a.adds = job->adds;
		store_names_add(nod_store(s->nod), (int64_t)job->n_new);
		nod_count_observations(s->nod, job->n_new, job->n_known, job->n_refused);
		copy_stage_clear(&s->copy, up->zone, a.staged);
	} else {
		res = apply_transfer(&a, axfr, &e);
	}
	if (res == APPLY_BUSY) {
		if (!up->apply_wait)
			log_info("upstream %s: a zone's first copy is being written; serial %u is "
				"applied when it is done", zone_name(up), in->new_serial);
		up->apply_wait = 1;
		up->apply_wait_job = job != NULL;
		up->n_apply_busy++;
		up->conn.kind = kind;
		schedule_ms(up, UPSTREAM_BUSY_RETRY_MS);
		return 1;
	}
	up->apply_wait = 0;
	note_transfer(up, axfr ? XFR_AXFR : XFR_IXFR, res == APPLY_COMMITTED ? "applied" : "failed",
		in->new_serial);
	switch (res) {
	case APPLY_BUSY:
	case APPLY_FAILED:
		upstream_error(up, "%s", e.msg);
		wait_retry(up);
		return 0;
	case APPLY_DISCARDED:
		upstream_error(up, "%s; transfer discarded, serial %u still served", e.msg,
			up->rs.serial);
		if (axfr) {
			wait_retry(up);
		} else { /* an inconsistent IXFR: fall back to AXFR at once */
			up->n_fail++;
			start_exchange(up, XFR_AXFR);
		}
		return 0;
	case APPLY_COMMITTED:
		break;
	}
	if (axfr)
		up->n_axfr++;
	else
		up->n_ixfr++;
	if (kind == XFR_AXFR)
		up->want_axfr = 0;
	up->n_obs += a.obs;
	clock_gettime(CLOCK_MONOTONIC, &t_done);
	log_info("upstream %s: %s serial %u -> %u applied: %llu added, %llu removed, %llu new names%s "
		"(%llu records in %u messages received in %.2f s, applied in %.2f s, %.2f s of it "
		"on the main thread)",
		zone_name(up), axfr ? "AXFR" : "IXFR", a.from, a.to, (unsigned long long)a.adds,
		(unsigned long long)a.dels, (unsigned long long)a.obs, a.baseline ? " (baseline)" : "",
		(unsigned long long)in->nrr, in->msgs, ts_diff(&up->conn.t_start, &t_recv),
		ts_diff(&t_recv, &t_done), ts_diff(&t_main, &t_done));
	up->rs.have_copy = 1;
	up->rs.serial = in->new_serial;
	/* the zone's own SOA timers, clamped to the configured bounds */
	refresh_set_soa(&up->rs, &up->bounds, in->refresh, in->retry, in->expire);
	schedule_after_success(up, a.now);
	return 0;
}

/* The timer of a transfer put off by apply_staged: apply it again. */
static void apply_again(struct upstream *up)
{
	enum xfr_kind kind = up->conn.kind;
	up->conn.kind = XFR_NONE;
	struct applyjob *job = up->apply_wait_job ? &up->job : NULL;
	if (apply_staged(up, kind, job) == 0 && job)
		applyjob_end(job);
}

/* The apply worker ended (zones/applyjob.h): apply what it found, or give up this
 * transfer as a failed apply does. */
static void on_job_done(void *ctx)
{
	struct upstream *up = ctx;
	enum xfr_kind kind = up->conn.kind;
	up->conn.kind = XFR_NONE;
	if (up->job.rc < 0) {
		note_transfer(up, XFR_AXFR, "failed", up->conn.in.new_serial);
		upstream_error(up, "%s; transfer discarded", up->job.e.msg);
		copy_stage_clear(&up->sec->copy, up->zone, &up->conn.axfr);
		applyjob_end(&up->job);
		wait_retry(up);
		return;
	}
	if (!up->job.diff && !up->job.written) /* a held name needs the main thread's state */
		log_info("upstream %s: the first copy is written on the main thread: a name it "
			"delegates is held with a later first_seen or as a CT candidate", zone_name(up));
	if (apply_staged(up, kind, &up->job) == 0)
		applyjob_end(&up->job);
}

/* A complete AXFR: sorted (and, when a copy is held, diffed against it) by the apply
 * worker, then applied by on_job_done. The zone counts as busy until then: no other
 * exchange of it starts. 0 when the worker took it; -1 to apply it here at once (an
 * IXFR, or a store that is not a file). */
static int apply_later(struct upstream *up, enum xfr_kind kind)
{
	struct secondary *s = up->sec;
	const char *path = copy_db_path(&s->copy);
	if ((kind != XFR_AXFR && up->conn.in.style != XFRIN_STYLE_AXFR) || !path || !*path)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &up->t_recv);
	struct nodd_err e = { 0 };
	if (applyjob_start(&up->job, s->base, path, up->zone, up->rs.have_copy, s->nod,
		    up->conn.in.new_serial, &up->conn.axfr, on_job_done, up, &e) < 0) {
		log_warn("upstream %s: %s; applying on the main thread", zone_name(up), e.msg);
		return -1;
	}
	up->conn.kind = kind;
	return 0;
}

/* The exchange with the primary ended (xfrclient closed it): what follows. */
static void on_exchange_done(void *ctx, struct xfrconn *c, enum xfr_next next,
	const struct nodd_err *e)
{
	struct upstream *up = ctx;
	enum xfr_kind kind = c->kind;
	c->kind = XFR_NONE;
	switch (next) {
	case XFR_MORE:
	case XFR_FAILED:
		if (c->cut != XFR_CUT_NONE) /* discarded like any failed transfer, and counted */
			up->n_cut[c->cut]++;
		if (kind == XFR_IXFR || kind == XFR_AXFR)
			note_transfer(up, kind, "failed", 0);
		upstream_error(up, "%s", e && e->msg[0] ? e->msg : "failed");
		primary_failed(up, kind);
		break;
	case XFR_OLDER: /* the primary answered; our copy stays */
		upstream_error(up, "primary has serial %u, older than our %u; keeping ours",
			c->probe_serial, up->rs.serial);
		up_to_date(up);
		break;
	case XFR_UP_TO_DATE:
		log_debug("upstream %s: %s has serial %u, ours is current", zone_name(up),
			up->prim_text[up->pi], c->probe_serial);
		up_to_date(up);
		break;
	case XFR_CURRENT:
		note_transfer(up, kind, "current", up->rs.serial);
		copy_stage_clear(&up->sec->copy, up->zone, &up->conn.axfr);
		up_to_date(up);
		break;
	case XFR_DO_IXFR:
		start_exchange(up, XFR_IXFR);
		break;
	case XFR_DO_AXFR:
		start_exchange(up, XFR_AXFR);
		break;
	case XFR_COMPLETE:
		if (apply_later(up, kind) < 0)
			apply_staged(up, kind, NULL);
		break;
	}
}

static void start_exchange(struct upstream *up, enum xfr_kind kind)
{
	struct nodd_err e = { 0 };
	log_debug("upstream %s: %s to %s", zone_name(up), xfr_kind_name(kind),
		up->prim_text[up->pi]);
	if (kind == XFR_PROBE) {
		up->n_probes++;
		notify_gate_probe(&up->gate, mono_ms()); /* answers the NOTIFYs waiting */
	}
	/* the whole exchange verifies with the key it starts with */
	if (xfr_start(&up->conn, kind, (struct sockaddr *)&up->prim[up->pi], up->prim_len[up->pi],
		    up->apex, up->apex_len, &up->rs, atomic_load(&up->key), &e) < 0) {
		up->conn.kind = XFR_NONE;
		upstream_error(up, "%s", e.msg);
		primary_failed(up, kind);
	}
}

void upstream_refresh_now(struct upstream *up)
{
	up->pi = 0;
	start_exchange(up, first_exchange(up));
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct upstream *up = arg;
	if (up->apply_wait) {
		apply_again(up);
		return;
	}
	if (up->conn.kind != XFR_NONE)
		return;
	if (up->nprim == 0) {
		/* no primary resolved yet (offline at start?): try the names again */
		for (int j = 0; j < up->cfg->nprimaries; j++) {
			struct nodd_err e = { 0 };
			if (upstream_resolve(up, up->cfg->primaries[j], &e) < 0)
				upstream_error(up, "primary %s", e.msg);
		}
		if (up->nprim == 0) {
			upstream_schedule(up, refresh_failure(&up->rs, &up->bounds));
			return;
		}
		up->last_error[0] = '\0';
	}
	upstream_refresh_now(up);
}

/* NOTIFYs marked by the UDP threads (zones/notifyin.c), however many, for one zone: a
 * probe now; or when the last probe answering NOTIFYs is younger than the zone's
 * notify-min-interval, at the interval's end (unless the timer fires sooner); or, during
 * an exchange, one probe after it. */
static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct secondary *s = arg;
	notify_wake_drain(&s->wake);
	for (int i = 0; i < s->nups; i++) {
		if (!notify_wake_take(&s->wake, i))
			continue;
		struct upstream *up = &s->ups[i];
		int64_t now = mono_ms();
		int64_t d = notify_gate_notify(&up->gate, now, notify_interval_ms(up));
		if (d > 0 && (!up->paced_logged_ms || now - up->paced_logged_ms >= 60000)) {
			up->paced_logged_ms = now; /* at most once a minute per zone */
			log_info("upstream %s: NOTIFYs come faster than notify-min-interval %llds; "
				"probing at that pace", zone_name(up), (long long)up->cfg->notify_min_interval);
		}
		if (up->conn.kind != XFR_NONE) {
			up->rs.notified = 1; /* probe again when the current exchange ends */
		} else if (d == 0) {
			evtimer_del(up->timer);
			upstream_refresh_now(up);
		} else if (!evtimer_pending(up->timer, NULL) || up->due_ms > now + d) {
			schedule_ms(up, d);
		}
	}
}

/* ---- control (the HTTP API's refresh and retransfer) ------------------------------- */

static struct upstream *upstream_by_name(struct secondary *s, const char *zone)
{
	for (int i = 0; s && i < s->nups; i++)
		if (strcmp(s->ups[i].zone, zone) == 0)
			return &s->ups[i];
	return NULL;
}

int secondary_kick(struct secondary *s, const char *zone, enum secondary_kick what)
{
	struct upstream *up = upstream_by_name(s, zone);
	if (!up)
		return -1;
	int full = what == SECONDARY_RETRANSFER;
	if (full)
		up->want_axfr = 1; /* until an AXFR is applied, even when the serial is current */
	int busy = up->conn.kind != XFR_NONE;
	log_info("upstream %s: %s requested%s", zone_name(up), full ? "retransfer (full AXFR)"
		: "refresh (SOA query)", busy ? "; it follows the exchange in progress" : "");
	if (busy) {
		up->rs.notified = 1; /* start again as soon as the running exchange ends */
		return 0;
	}
	evtimer_del(up->timer);
	on_timer(-1, 0, up);
	return 1;
}

/* ---- life cycle ------------------------------------------------------------------ */

/* One upstream from its configuration: key, primaries, the state saved in the store. */
static int upstream_init(struct secondary *s, struct upstream *up, const struct config_upstream *cu,
	const struct tsig_keyring *kr, struct nodd_err *e)
{
	up->sec = s;
	up->cfg = cu;
	up->notify_key_required = cu->notify_key_required;
	atomic_init(&up->nprim, 0);
	atomic_init(&up->n_notify, 0);
	up->conn = (struct xfrconn){ .base = s->base, .copy = &s->copy, .zone = up->zone,
		.done = on_exchange_done, .ctx = up, .lim = { cu->max_transfer_time,
		cu->max_transfer_idle, (uint64_t)cu->max_records } };
	snprintf(up->zone, sizeof up->zone, "%s", cu->zone);
	int wl = dname_text_to_wire(cu->zone, up->apex);
	up->apex_len = wl > 0 ? (size_t)wl : 1;
	if (cu->key) {
		atomic_init(&up->key, tsig_keyring_find_text(kr, cu->key));
		if (!up->key) /* keys_check_refs() ran first; this is only a guard */
			return nodd_fail(e, NODD_E_NOTFOUND, "upstreams.key %s: not among the keys", cu->key);
	}
	for (int j = 0; j < cu->nprimaries; j++) {
		struct nodd_err re = { 0 };
		if (upstream_resolve(up, cu->primaries[j], &re) < 0)
			log_warn("upstream %s: primary %s; skipped", zone_name(up), re.msg);
	}
	up->bounds = (struct refresh_bounds){ cu->refresh_min, cu->refresh_max, cu->retry_min,
		cu->retry_max, cu->expire_min, cu->expire_max };
	refresh_init(&up->rs, &up->bounds);
	up->timer = evtimer_new(s->base, on_timer, up);
	struct copy_state cs;
	if (copy_load_state(&s->copy, up->zone, &cs) == 0) {
		up->rs.serial = cs.serial;
		up->rs.have_copy = cs.have_copy;
		up->rs.last_success = cs.last_success;
		if (cs.have_timers) /* a restart keeps the zone's own refresh/retry/expire */
			refresh_set_soa(&up->rs, &up->bounds, cs.refresh, cs.retry, cs.expire);
	}
	const struct tsig_key *key = atomic_load(&up->key);
	log_info("upstream %s: %d primaries, %s%s, %s", zone_name(up), up->nprim,
		key ? "TSIG key " : "no TSIG", key ? key->name_text : "",
		up->rs.have_copy ? "resuming from the held serial" : "no copy yet (first AXFR is the baseline)");
	if (up->rs.have_copy)
		log_info("upstream %s: held serial %u", zone_name(up), up->rs.serial);
	/* without an address yet, the resolver's answer starts the first refresh */
	upstream_schedule(up, up->nprim == 0 ? (int64_t)cu->retry_min : 0);
	return 0;
}

struct secondary *secondary_start(struct event_base *base, const struct nodd_config *cfg,
	nod_t *nod, outbox_t *ob, const struct tsig_keyring *kr, struct nodd_err *e)
{
	if (cfg->nupstreams == 0)
		return NULL;
	struct secondary *s = nodd_calloc(1, sizeof *s, e);
	if (!s)
		return NULL;
	*s = (struct secondary){ .base = base, .nod = nod, .ob = ob, .kr = kr, .wake.fd = -1,
		.dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS) };
	if (!s->dns)
		log_warn("upstreams: no resolver configured (/etc/resolv.conf); primaries must be addresses");
	if (copy_open(&s->copy, store_db(nod_store(nod)), e) < 0) {
		secondary_stop(s);
		return NULL;
	}
	s->ups = calloc((size_t)cfg->nupstreams, sizeof *s->ups);
	if (!s->ups || notify_wake_init(&s->wake, cfg->nupstreams, e) < 0) {
		if (!s->ups)
			nodd_fail(e, NODD_E_NOMEM, "out of memory");
		secondary_stop(s);
		return NULL;
	}
	s->nev = event_new(base, s->wake.fd, EV_READ | EV_PERSIST, on_notify, s);
	if (!s->nev || event_add(s->nev, NULL) < 0) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		secondary_stop(s);
		return NULL;
	}
	s->nups = cfg->nupstreams;
	srandom((unsigned)unix_now() ^ (unsigned)getpid());
	for (int i = 0; i < s->nups; i++)
		if (upstream_init(s, &s->ups[i], &cfg->upstreams[i], kr, e) < 0) {
			secondary_stop(s);
			return NULL;
		}
	return s;
}

void secondary_stop(struct secondary *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nups; i++) {
		applyjob_end(&s->ups[i].job); /* waits for a worker still running */
		xfr_deinit(&s->ups[i].conn);
		if (s->ups[i].timer)
			event_free(s->ups[i].timer);
	}
	store_checkpoints_wait(); /* a first copy's pages still being copied from the WAL */
	copy_close(&s->copy);
	if (s->nev)
		event_free(s->nev);
	if (s->dns)
		evdns_base_free(s->dns, 1);
	notify_wake_free(&s->wake); /* the UDP threads have stopped */
	free(s->ups);
	free(s);
}

void secondary_set_keys(struct secondary *s, const struct tsig_keyring *kr)
{
	if (!s)
		return;
	for (int i = 0; i < s->nups; i++) {
		struct upstream *up = &s->ups[i];
		const struct tsig_key *k = up->cfg->key ? tsig_keyring_find_text(kr, up->cfg->key) : NULL;
		if (k) /* checked by keys_check_refs before the swap; never unsign an upstream */
			atomic_store(&up->key, k);
	}
	atomic_store(&s->kr, kr);
}

/* ---- status and metrics ---------------------------------------------------------- */

static json_t *last_transfer_json(const struct upstream *up)
{
	if (!up->last_xfr_at)
		return json_null();
	return json_pack("{s:I, s:s, s:s, s:I, s:I}", "at", (json_int_t)up->last_xfr_at,
		"kind", up->last_xfr_kind, "result", up->last_xfr_result,
		"serial_from", (json_int_t)up->last_xfr_from, "serial_to", (json_int_t)up->last_xfr_to);
}

static json_t *upstream_json(const struct upstream *up, int64_t now)
{
	enum xfr_kind k = up->conn.kind;
	json_t *o = json_pack("{s:s, s:o, s:b, s:I, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:I, s:b, s:s}",
		"zone", zone_name(up),
		"serial", up->rs.have_copy ? json_integer(up->rs.serial) : json_null(),
		"have_copy", up->rs.have_copy,
		"last_success", (json_int_t)up->rs.last_success,
		"last_error", up->last_error[0] ? json_string(up->last_error) : json_null(),
		"last_error_at", up->last_error_at ? json_integer(up->last_error_at) : json_null(),
		"next_refresh", k == XFR_NONE ? json_integer(up->next_at) : json_null(),
		"transfers", "ixfr", (json_int_t)up->n_ixfr, "axfr", (json_int_t)up->n_axfr,
		"failed", (json_int_t)up->n_fail, "up_to_date", (json_int_t)up->n_up_to_date,
		"observations", (json_int_t)up->n_obs,
		"expired", refresh_expired(&up->rs, now),
		"state", k == XFR_NONE ? "idle" : k == XFR_PROBE ? "probing" : "transferring");
	if (o) {
		json_object_set_new(o, "errors", json_integer((json_int_t)up->n_errors));
		json_object_set_new(o, "last_transfer", last_transfer_json(up));
		json_object_set_new(o, "retransfer_pending", json_boolean(up->want_axfr));
	}
	return o;
}

json_t *secondary_status(struct secondary *s)
{
	json_t *a = json_array();
	for (int i = 0; s && i < s->nups; i++)
		json_array_append_new(a, upstream_json(&s->ups[i], unix_now()));
	return a;
}

json_t *secondary_zone_status(struct secondary *s, const char *zone)
{
	const struct upstream *up = upstream_by_name(s, zone);
	return up ? upstream_json(up, unix_now()) : NULL;
}

/* The per-zone value of one single-label metric family. */
static uint64_t m_serial(const struct upstream *up) { return up->rs.serial; }
static uint64_t m_obs(const struct upstream *up) { return up->n_obs; }
static uint64_t m_probes(const struct upstream *up) { return up->n_probes; }
static uint64_t m_notify(const struct upstream *up)
{
	return atomic_load_explicit(&up->n_notify, memory_order_relaxed);
}
static uint64_t m_expired(const struct upstream *up)
{
	return (uint64_t)refresh_expired(&up->rs, unix_now());
}

static const struct {
	const char *name, *type, *help;
	uint64_t (*value)(const struct upstream *);
} zone_metrics[] = {
	{ "nodd_upstream_observations_total", "counter", "New names seen in the upstream zone.",
	  m_obs },
	{ "nodd_upstream_notify_total", "counter",
	  "NOTIFYs accepted for the upstream zone (from a primary, TSIG-checked).", m_notify },
	{ "nodd_upstream_probes_total", "counter",
	  "SOA probes of the upstream zone's primaries (refresh timer, retry or NOTIFY).", m_probes },
	{ "nodd_upstream_expired", "gauge", "1 when no refresh succeeded within the expire bound.",
	  m_expired },
};

void secondary_metrics(struct secondary *s, FILE *f)
{
	if (!s)
		return;
	static const char *const kinds[] = { "ixfr", "axfr", "failed" };
	prom_family(f, "nodd_upstream_serial", "gauge", "SOA serial held for the upstream zone.");
	for (int i = 0; i < s->nups; i++)
		prom_sample(f, "nodd_upstream_serial", "zone", zone_name(&s->ups[i]), NULL, NULL,
			m_serial(&s->ups[i]));
	prom_family(f, "nodd_upstream_transfers_total", "counter", "Transfers by kind and outcome.");
	for (int i = 0; i < s->nups; i++) {
		const struct upstream *up = &s->ups[i];
		const uint64_t n[] = { up->n_ixfr, up->n_axfr, up->n_fail };
		for (int k = 0; k < 3; k++)
			prom_sample(f, "nodd_upstream_transfers_total", "zone", zone_name(up), "kind",
				kinds[k], n[k]);
	}
	prom_family(f, "nodd_upstream_transfers_cut_total", "counter",
		"Transfers in cut and discarded by a limit (max-transfer-time, -idle, max-records).");
	for (int i = 0; i < s->nups; i++)
		for (int k = XFR_CUT_TIME; k < XFR_CUT_COUNT; k++)
			prom_sample(f, "nodd_upstream_transfers_cut_total", "zone", zone_name(&s->ups[i]),
				"limit", xfr_cut_name((enum xfr_cut)k), s->ups[i].n_cut[k]);
	for (size_t m = 0; m < sizeof zone_metrics / sizeof zone_metrics[0]; m++) {
		prom_family(f, zone_metrics[m].name, zone_metrics[m].type, zone_metrics[m].help);
		for (int i = 0; i < s->nups; i++)
			prom_sample(f, zone_metrics[m].name, "zone", zone_name(&s->ups[i]), NULL, NULL,
				zone_metrics[m].value(&s->ups[i]));
	}
}
