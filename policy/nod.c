/* nod.c -- the newly-observed-domain core: observations in, zone versions out.
 *
 * DESIGN
 * Every observation is written to the store first and then put in the index, so the
 * index never shows a name the store does not hold (a restart serves exactly what was
 * served before). Baseline names go to the store only.
 *
 * Zone versions: zone z has a serial (unix time of its version) and a version time.
 * Its content changes when a name enters it (an observation) or leaves it (ageing across
 * the window edge). nod_tick() notices both, and makes a new version when the content
 * changed and min_interval has passed since the last one on the monotonic clock (a wall
 * clock stepped back neither freezes nor hurries the versions). A version's time is now, or
 * one second after the newest version of any zone when the wall clock is behind that, so
 * version times and the names' "added" stamps only go forward; its serial is that time,
 * or serial + 1 when not greater (RFC 1982), so serials never go backwards. Serials and
 * version times are kept in the store's meta table: after a restart the same serial is
 * served unless the content changed while nodd was down (names that aged out), which the
 * first tick detects because the index is loaded back to the oldest version time.
 *
 * The UDP threads read serials through nod_serial() (relaxed atomics) and the index under
 * its read lock; everything else here runs on the main thread.
 */
#include "policy/nod.h"

#include <libpsl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "policy/allow_store.h"
#include "policy/confirm.h"
#include "policy/nod_int.h"
#include "policy/outbox.h"


static int load_cb(void *ctx, const char *name, int64_t fs, int64_t added)
{
	nod_t *nod = ctx;
	uint8_t wire[DNAME_MAX_WIRE];
	int wl = dname_text_to_wire(name, wire);
	if (wl <= 1) {
		log_warn("store: skipping unusable name \"%s\"", name);
		return 0;
	}
	/* the stamp stored with the name; none (from before the history was kept): always there */
	nindex_set_clock(nod->ix, added == STORE_ADDED_UNKNOWN ? INT64_MIN : added);
	if (added != STORE_ADDED_UNKNOWN && added > nod->max_added)
		nod->max_added = added;
	/* Committed after the last version of a zone that lists it (nodd stopped within
	 * min-interval of the commit): no version holds it yet, so the first tick makes one. */
	if (added != STORE_ADDED_UNKNOWN)
		for (int z = 0; z <= NOD_ZONE_DNSBL; z++) {
			int64_t w = z == NOD_ZONE_DNSBL ? WINDOW_MAX_SECS : window_secs[z];
			if (added > nod->vtime[z] && nod->load_now - fs < w)
				nod->pending[z] = 1;
		}
	if (nindex_put(nod->ix, wire, (size_t)wl - 1, fs, NULL) < 0) {
		snprintf(nod->err, sizeof nod->err, "out of memory loading the index");
		return 1; /* stops the walk: store_each_since returns it, nod_open reports nod->err */
	}
	return 0;
}

static void meta_key(char *buf, size_t n, int z, const char *what)
{
	snprintf(buf, n, "zone.%s.%s", published_zone_label(z), what);
}


void nod_close(nod_t *nod)
{
	if (!nod)
		return;
	store_close(nod->st);
	allow_free(nod->allow);
	nindex_free(nod->ix);
	if (nod->psl)
		psl_free(nod->psl);
	free(nod->pend);
	free(nod);
}

nod_t *nod_open(const struct nod_options *opt, int64_t now, struct nodd_err *e)
{
	nod_t *nod = calloc(1, sizeof *nod);
	if (!nod) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		return NULL;
	}
	nod->opt = *opt;
	if (nod->opt.min_interval < 1)
		nod->opt.min_interval = 1;
	nod->st = store_open(opt->database, e);
	if (!nod->st || store_checkpoint_in_background(nod->st, opt->database, e) < 0)
		goto fail;
	nod->psl = psl_latest(opt->psl_file);
	if (!nod->psl) {
		nodd_fail(e, NODD_E_INVALID, "cannot load the public suffix list%s%s",
			opt->psl_file ? " " : "", opt->psl_file ? opt->psl_file : "");
		goto fail;
	}
	nod->ix = nindex_new();
	if (!nod->ix) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		goto fail;
	}
	int64_t oldest = now;
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		char k[64];
		int64_t s = 0, vt = 0;
		meta_key(k, sizeof k, z, "serial");
		int have = store_meta_get_int(nod->st, k, &s);
		meta_key(k, sizeof k, z, "vtime");
		if (have == 1 && store_meta_get_int(nod->st, k, &vt) == 1) {
			atomic_store(&nod->serial[z], (uint32_t)s);
			/* kept as stored even when ahead of the wall clock: names stamped after it
			 * must be in the next version, made after it */
			nod->vtime[z] = vt;
		} else {
			atomic_store(&nod->serial[z], (uint32_t)now);
			nod->vtime[z] = now;
			meta_key(k, sizeof k, z, "serial");
			if (store_meta_set_int(nod->st, k, now) < 0)
				goto store_fail;
			meta_key(k, sizeof k, z, "vtime");
			if (store_meta_set_int(nod->st, k, now) < 0)
				goto store_fail;
			/* in the IXFR history like every later version, so a secondary that took
			 * this first (empty) version gets a diff after a restart too */
			if (store_version_add(nod->st, z, (uint32_t)now, now) < 0)
				goto store_fail;
		}
		if (nod->vtime[z] < oldest)
			oldest = nod->vtime[z];
	}
	if (store_meta_get_int(nod->st, "versions.floor", &nod->floor) < 0)
		goto store_fail;
	/* Load back to the oldest version time so names that aged out while we were down
	 * are seen leaving their windows by the first tick, and as far back as the index's
	 * history keeps names, so an IXFR from a version of the last 24 h lists their
	 * deletion. */
	int64_t since = oldest - WINDOW_MAX_SECS;
	if (now - NOD_KEEP_SECS < since)
		since = now - NOD_KEEP_SECS;
	nod->load_now = now;
	/* before the names: their ancestors leave out the names it allows */
	if (nod_load_allow(nod) < 0)
		goto store_fail;
	if (nindex_keep_history(nod->ix, WINDOW_MAX_SECS) < 0) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		goto fail;
	}
	nindex_bulk_begin(nod->ix);
	/* Names out of every window since before the oldest version (so the first tick needs
	 * none of them to see an edge crossed) go straight to the index's history. */
	int64_t hist_before = now - NOD_INDEX_SECS;
	if (oldest - WINDOW_MAX_SECS < hist_before)
		hist_before = oldest - WINDOW_MAX_SECS;
	nindex_bulk_history(nod->ix, hist_before);
	int rc = store_each_since(nod->st, since, load_cb, nod);
	if (rc == 0 && nindex_bulk_end(nod->ix) < 0) {
		snprintf(nod->err, sizeof nod->err, "out of memory loading the index");
		rc = 1;
	}
	if (rc < 0)
		goto store_fail;
	if (rc > 0) {
		nodd_fail(e, NODD_E_NOMEM, "%s", nod->err);
		goto fail;
	}
	nod->last_check = oldest;
	log_info("store %s: %lld names, %zu of the last 48 h loaded", opt->database,
		(long long)store_names(nod->st), nindex_count(nod->ix) + nindex_history_count(nod->ix));
	return nod;
store_fail:
	nodd_fail(e, NODD_E_STORE, "%s", nod->err[0] ? nod->err : store_errmsg(nod->st));
fail:
	nod_close(nod);
	return NULL;
}

int nod_check_name(nod_t *nod, const char *in, char *norm, size_t normsz,
	enum nod_outcome *refusal, const char **why)
{
	const char *w = NULL;
	if (dname_text_normalize(in, norm, normsz, &w) < 0) {
		*refusal = NOD_REFUSED_INVALID;
		if (why)
			*why = w;
		return 0;
	}
	/* A listed name lists its subdomains too, so listing a public suffix (co.uk,
	 * github.io) would list everyone under it. Never. */
	if (!strchr(norm, '.') ||
	    psl_is_public_suffix2(nod->psl, norm, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE)) {
		*refusal = NOD_REFUSED_PUBLIC_SUFFIX;
		if (why)
			*why = strchr(norm, '.') ? "a public suffix can never be listed"
				: "a top-level domain can never be listed";
		return 0;
	}
	return 1;
}

void nod_mark_pending(nod_t *nod, int64_t now, int64_t fs)
{
	for (int w = 0; w < WINDOW_COUNT; w++)
		if (now - fs < window_secs[w])
			nod->pending[w] = 1;
	if (now - fs < WINDOW_MAX_SECS)
		nod->pending[NOD_ZONE_DNSBL] = 1;
}

void nod_set_outbox(nod_t *nod, struct outbox *ob) { nod->ob = ob; }

/* reset: fs replaces the held time whatever it was (nod_observe_return) */
/* "added" for the IXFR history: after every version made so far, so a version made
 * earlier in this same second (before this commit) does not count the name as held. The
 * same value goes to the store with the row and to the index at commit: no version can be
 * made in between, since nod_begin()..nod_commit() runs without returning to the event
 * loop. */
int64_t nod_added_clock(nod_t *nod, int64_t now)
{
	int64_t added = now;
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		if (nod->vtime[z] + 1 > added)
			added = nod->vtime[z] + 1;
	if (added > nod->max_added)
		nod->max_added = added;
	return added;
}

/* A stored first_seen moved: the versions made so far can no longer be diffed exactly
 * (their content is a function of first_seen). Persisted with the change. */
static int raise_floor(nod_t *nod, int64_t added)
{
	if (added <= nod->floor)
		return 0;
	if (store_meta_set_int(nod->st, "versions.floor", added) < 0)
		return -1;
	nod->floor = added;
	return 0;
}

int64_t nod_history_floor(const nod_t *nod) { return nod->floor; }

int nod_each_version(nod_t *nod, store_version_cb cb, void *ctx)
{
	return store_each_version(nod->st, cb, ctx);
}

static int index_name(nod_t *nod, const uint8_t *rel, size_t len, int64_t fs, int64_t now,
	int64_t added, int reset)
{
	nindex_set_clock(nod->ix, added);
	int64_t before = 0;
	int had = nindex_get(nod->ix, rel, len, &before);
	if ((reset ? nindex_set : nindex_put)(nod->ix, rel, len, fs, NULL) < 0) {
		snprintf(nod->err, sizeof nod->err, "out of memory");
		return -1;
	}
	if (!had || fs < before || (reset && fs != before)) {
		nod_mark_pending(nod, now, fs);
		if (had)
			nod_mark_pending(nod, now, before);
	}
	return 0;
}

/* A listed name (first_seen fs) into the index: at nod_commit() inside a transaction
 * (answers never show what is not committed), at once outside. Only when it is in a window
 * or in the index already: a first_seen moved back beyond 24 h must take the name out of
 * the zones it is in now, at once (a new version of each). 0 or -1. */
static int index_listed(nod_t *nod, const char *norm, int64_t fs, int64_t added, int reset,
	int64_t now)
{
	uint8_t wire[DNAME_MAX_WIRE];
	int wl = dname_text_to_wire(norm, wire);
	if (wl <= 1 || (now - fs >= WINDOW_MAX_SECS &&
		!nindex_get(nod->ix, wire, (size_t)wl - 1, NULL)))
		return 0;
	if (!nod->in_tx)
		return index_name(nod, wire, (size_t)wl - 1, fs, now, added, 0);
	if (nod->npend == nod->pend_cap) {
		size_t nc = nod->pend_cap ? nod->pend_cap * 2 : 64;
		struct pending *np = realloc(nod->pend, nc * sizeof *np);
		if (!np) {
			snprintf(nod->err, sizeof nod->err, "out of memory");
			return -1;
		}
		nod->pend = np;
		nod->pend_cap = nc;
	}
	struct pending *p = &nod->pend[nod->npend++];
	memcpy(p->rel, wire, (size_t)wl - 1);
	p->len = (uint8_t)(wl - 1);
	p->fs = fs;
	p->added = added;
	p->reset = (int8_t)reset;
	return 0;
}

static int nrd_record(nod_t *nod, const char *norm, int64_t fs, const char *source,
	const char *zone, int64_t serial, const struct nod_ct_fields *ct, int64_t now)
{
	outbox_t *ob = nod->ob;
	outbox_rec_begin(ob);
	outbox_rec_str(ob, "domain", norm);
	if (ct) {
		/* the fields of Zonestream's CT records, so its consumers read them unchanged */
		outbox_rec_int(ob, "cert_index", ct->cert_index);
		outbox_rec_str(ob, "ct_name", ct->ct_name ? ct->ct_name : "");
	}
	outbox_rec_int(ob, "timestamp", fs);
	if (ct) {
		outbox_rec_int(ob, "submission_timestamp", ct->submission_timestamp);
	} else if (zone) {
		outbox_rec_str(ob, "zone", zone);
		outbox_rec_int(ob, "serial", serial);
	} else {
		outbox_rec_null(ob, "zone");
		outbox_rec_null(ob, "serial");
	}
	outbox_rec_str(ob, "source", source ? source : "");
	int rc = outbox_rec_append(ob, OUTBOX_NRD, norm, now, NULL);
	if (rc == 0)
		nod->ob_dirty = 1;
	return rc;
}

int nod_observe(nod_t *nod, const char *name, int64_t fs, const char *source, int baseline,
	int64_t now, int64_t *stored_fs, enum nod_outcome *out, const char **why)
{
	return nod_observe_from(nod, name, fs, source, baseline, now, NULL, 0, stored_fs, out,
		why);
}

static int observe(nod_t *nod, const char *name, int64_t fs, const char *source,
	int baseline, int reset, int64_t now, const char *zone, int64_t serial,
	const struct nod_ct_fields *ct, int64_t *stored_fs, enum nod_outcome *out,
	const char **why);

int nod_observe_ct(nod_t *nod, const char *domain, int64_t fs, const char *source,
	int64_t now, const struct nod_ct_fields *ct, enum nod_outcome *out, const char **why)
{
	if (!nod->in_tx) {
		snprintf(nod->err, sizeof nod->err, "nod_observe_ct outside a transaction");
		if (why)
			*why = "internal error";
		return -1;
	}
	return observe(nod, domain, fs, source, ct->learning || !ct->listed, 0, now, NULL, 0, ct,
		NULL, out, why);
}

int nod_observe_checked(nod_t *nod, const char *norm, int64_t fs, const char *source,
	int baseline, int64_t now, enum nod_outcome *out, const char **why)
{
	nod->checked = 1;
	int rc = nod_observe(nod, norm, fs, source, baseline, now, NULL, out, why);
	nod->checked = 0;
	return rc;
}

int nod_observe_return(nod_t *nod, const char *name, int64_t fs, const char *source,
	int64_t now, const char *zone, int64_t serial, enum nod_outcome *out, const char **why)
{
	if (!nod->in_tx) {
		snprintf(nod->err, sizeof nod->err, "nod_observe_return outside a transaction");
		if (why)
			*why = "internal error";
		return -1;
	}
	return observe(nod, name, fs, source, 0, 1, now, zone, serial, NULL, NULL, out, why);
}

int nod_observe_from(nod_t *nod, const char *name, int64_t fs, const char *source,
	int baseline, int64_t now, const char *zone, int64_t serial, int64_t *stored_fs,
	enum nod_outcome *out, const char **why)
{
	if (nod->in_tx || !nod->ob)
		return observe(nod, name, fs, source, baseline, 0, now, zone, serial, NULL,
			stored_fs, out, why);
	/* The name and its record commit together or not at all. */
	if (nod_begin(nod) < 0) {
		snprintf(nod->err, sizeof nod->err, "%s", store_errmsg(nod->st));
		if (why)
			*why = "store error";
		return -1;
	}
	int rc = observe(nod, name, fs, source, baseline, 0, now, zone, serial, NULL, stored_fs,
		out, why);
	if (rc < 0 || nod_commit(nod) < 0) {
		nod_rollback(nod);
		if (rc == 0)
			snprintf(nod->err, sizeof nod->err, "%s", store_errmsg(nod->st));
		if (why)
			*why = "store error";
		return -1;
	}
	return 0;
}

/* The baseline branch of observe() for a store of another thread: what it does for a
 * name new to the store or known without consequence, and nothing else. */

/* A checked name the store held already (name: norm text). */
static int baseline_known(store_t *st, const char *name, const char *source, int64_t now,
	enum nod_baseline *out)
{
	struct store_kept row;
	enum store_outcome so;
	if (store_observe_kept(st, name, now, source, 1, STORE_ADDED_UNKNOWN, &row, &so) < 0)
		return -1;
	*out = so == STORE_INSERTED ? NOD_BASELINE_NEW : NOD_BASELINE_KNOWN;
	if (so == STORE_INSERTED)
		return 0;
	if (so != STORE_UNCHANGED) { /* a first_seen moved back: the floor and the index */
		*out = NOD_BASELINE_MAIN;
		return 0;
	}
	char held[320] = "";
	if (store_lookup(st, name, NULL, held, sizeof held, NULL) < 0)
		return -1;
	if (strncmp(held, "ct ", 3) == 0) /* the zone confirms a CT candidate */
		*out = NOD_BASELINE_MAIN;
	return 0;
}

int nod_baseline_observe_many(nod_t *nod, store_t *st, const char *const *names, size_t n,
	const char *source, int64_t now, enum nod_baseline *out)
{
	if (n == 0)
		return 0;
	typedef char normtext[DNAME_MAX_TEXT + 1];
	normtext *norm = malloc(n * sizeof *norm);
	const char **ok = calloc(n, sizeof *ok);
	size_t *at = malloc(n * sizeof *at);
	unsigned char *held = malloc(n);
	int rc = norm && ok && at && held ? 0 : -1;
	size_t m = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		enum nod_outcome refusal;
		out[i] = NOD_BASELINE_REFUSED;
		if (nod_check_name(nod, names[i], norm[m], sizeof norm[m], &refusal, NULL)) {
			ok[m] = norm[m];
			at[m++] = i;
		}
	}
	if (rc == 0 && store_insert_new_many(st, ok, m, now, source, 1, STORE_ADDED_UNKNOWN,
		    held) < 0)
		rc = -1;
	for (size_t k = 0; rc == 0 && k < m; k++) {
		out[at[k]] = NOD_BASELINE_NEW;
		if (held[k])
			rc = baseline_known(st, ok[k], source, now, &out[at[k]]);
	}
	free(norm);
	free(ok);
	free(at);
	free(held);
	return rc;
}

void nod_count_observations(nod_t *nod, uint64_t fresh, uint64_t known, uint64_t refused)
{
	nod->stats.observations_new += fresh;
	nod->stats.observations_known += known;
	nod->stats.observations_refused += refused;
}

int64_t nod_stamp(nod_t *nod, int64_t now) { return nod_added_clock(nod, now); }

int nod_hold(nod_t *nod, const char *norm, int64_t fs, int64_t added, int64_t now)
{
	return index_listed(nod, norm, fs, added, 0, now);
}

int nod_unhold(nod_t *nod, const char *norm, int64_t now)
{
	int64_t added = nod_added_clock(nod, now);
	if (raise_floor(nod, added) < 0) {
		snprintf(nod->err, sizeof nod->err, "%s", store_errmsg(nod->st));
		return -1;
	}
	return index_listed(nod, norm, 0, added, 1, now);
}

int nod_record(nod_t *nod, int topic, const char *key, json_t *o, int64_t now)
{
	if (!nod->ob)
		return 0;
	int rc = outbox_append(nod->ob, topic, key, o, now, NULL);
	if (rc == 0)
		nod->ob_dirty = 1;
	return rc;
}

/* ct: from a CT log (baseline then means "not listed"; the record goes out for every
 * candidate outside the learning period, listed or not) */
static int observe(nod_t *nod, const char *name, int64_t fs, const char *source,
	int baseline, int reset, int64_t now, const char *zone, int64_t serial,
	const struct nod_ct_fields *ct, int64_t *stored_fs, enum nod_outcome *out,
	const char **why)
{
	char norm[DNAME_MAX_TEXT + 1];
	if (nod->checked && strlen(name) < sizeof norm) {
		strcpy(norm, name);
	} else if (!nod_check_name(nod, name, norm, sizeof norm, out, why)) {
		nod->stats.observations_refused++;
		return 0;
	}
	if (fs <= 0)
		fs = now;
	if (fs > now + nod->opt.future_skew) {
		nod->stats.observations_refused++;
		if (why)
			*why = "first_seen is in the future";
		*out = NOD_REFUSED_FUTURE;
		return 0;
	}
	struct store_kept row = { fs, 0 };
	int64_t added = nod_added_clock(nod, now);
	enum store_outcome so;
	int rc;
	if (reset) {
		rc = store_reset(nod->st, norm, fs, source ? source : "", added, &so);
		/* a returning name's time changes: older versions are no longer exact */
		if (rc == 0 && so == STORE_RESET && raise_floor(nod, added) < 0)
			rc = -1;
	} else {
		/* baseline rows are not listed: no stamp (NULL costs no space in the row) */
		rc = store_observe_kept(nod->st, norm, fs, source ? source : "", baseline,
			baseline ? STORE_ADDED_UNKNOWN : added, &row, &so);
		if (rc == 0 && so == STORE_LOWERED && raise_floor(nod, added) < 0)
			rc = -1;
	}
	int64_t kept = row.first_seen;
	if (rc < 0) {
		snprintf(nod->err, sizeof nod->err, "%s", store_errmsg(nod->st));
		if (why)
			*why = "store error";
		return -1;
	}
	if (stored_fs)
		*stored_fs = kept;
	/* a returning name is new again, whether its row was kept or not */
	int fresh = reset || so == STORE_INSERTED;
	int listed = !baseline;
	if (!fresh) {
		nod->stats.observations_known++;
		int bl = row.baseline;
		listed = !bl;
		/* the source held decides a confirmation: read only when one can follow */
		char held[320] = "";
		if (((ct && !ct->learning && !bl) || (zone && !reset)) &&
		    store_lookup(nod->st, norm, NULL, held, sizeof held, NULL) < 0)
			held[0] = '\0';
		int cf = 0;
		/* a new delegation a transfer showed first: the zone confirms the CT sighting */
		if (ct && !ct->learning && !bl && strncmp(held, "zone ", 5) == 0)
			cf = nod_confirm_zone_first(nod, norm, kept, held, source, now);
		/* a delegation of a name CT showed: the zone confirms a candidate */
		else if (zone && !reset && strncmp(held, "ct ", 3) == 0)
			cf = nod_confirm_zone(nod, norm, now, zone, serial, baseline);
		if (cf < 0) {
			snprintf(nod->err, sizeof nod->err, "store: cannot confirm %s (see the log)",
				norm);
			if (why)
				*why = "store error";
			return -1;
		}
	} else {
		nod->stats.observations_new++;
		int record = ct ? !ct->learning : !baseline;
		if (record && nod->ob &&
		    nrd_record(nod, norm, kept, source, zone, serial, ct, now) < 0) {
			/* In a batch the caller rolls back; alone, the row stays and the
			 * record is lost, so say so loudly. */
			snprintf(nod->err, sizeof nod->err, "outbox: cannot append a record for %s", norm);
			if (why)
				*why = "store error";
			return -1;
		}
	}
	/* a row that did not change needs nothing of the index: it holds the name already
	 * when it is in a window (put when it was stored, or loaded at start) */
	if (listed && (fresh || so != STORE_UNCHANGED) &&
	    index_listed(nod, norm, kept, added, reset, now) < 0)
		return -1;
	*out = fresh ? NOD_NEW : NOD_KNOWN;
	return 0;
}


int nod_begin(nod_t *nod)
{
	int rc = store_begin(nod->st);
	nod->in_tx = rc == 0;
	return rc;
}

int nod_commit(nod_t *nod)
{
	int rc = store_commit(nod->st);
	nod->in_tx = 0;
	if (rc == 0) {
		int64_t now = unix_now();
		for (size_t i = 0; i < nod->npend; i++)
			if (index_name(nod, nod->pend[i].rel, nod->pend[i].len, nod->pend[i].fs, now,
				    nod->pend[i].added, nod->pend[i].reset) < 0)
				log_err("index: out of memory; a committed name is not served until restart");
	}
	nod->npend = 0;
	if (rc == 0 && nod->ob && nod->ob_dirty) {
		nod->ob_dirty = 0;
		outbox_notify(nod->ob);
	}
	return rc;
}

int nod_rollback(nod_t *nod)
{
	nod->in_tx = 0;
	nod->npend = 0;
	nod->ob_dirty = 0;
	return store_rollback(nod->st);
}

/* The monotonic times of the versions loaded at start: as old as their wall-clock age,
 * at most min_interval (a version made just before a restart still paces the next one;
 * one dated ahead of the wall clock counts as made now). */
static void mono_init(nod_t *nod, int64_t now, int64_t mono)
{
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		int64_t age = now - nod->vtime[z];
		age = age < 0 ? 0 : age > nod->opt.min_interval ? nod->opt.min_interval : age;
		nod->vmono[z] = mono - age;
	}
	nod->last_purge = mono - 60;
	nod->mono_set = 1;
}

/* The time of versions made now: now, or one second after the newest version of any zone
 * when the wall clock is not past it (stepped back, or a second tick in one second), and
 * never before the newest "added" stamp (names committed just before a step back are
 * stamped with the wall clock of then), so the new versions hold every committed name. */
static int64_t version_clock(const nod_t *nod, int64_t now)
{
	int64_t newest = INT64_MIN;
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		if (nod->vtime[z] > newest)
			newest = nod->vtime[z];
	int64_t vt = now > newest ? now : newest + 1;
	return vt > nod->max_added ? vt : nod->max_added;
}

/* New versions of the pending zones whose last version is min_interval old (monotonic). */
static unsigned make_versions(nod_t *nod, int64_t now, int64_t mono)
{
	unsigned mask = 0;
	int64_t vt = version_clock(nod, now);
	int began = 0;
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		if (!nod->pending[z] || mono - nod->vmono[z] < nod->opt.min_interval)
			continue;
		uint32_t cur = atomic_load(&nod->serial[z]);
		uint32_t next = (uint32_t)vt;
		/* RFC 1982: the new serial must be greater than the old one. */
		if ((int32_t)(next - cur) <= 0)
			next = cur + 1;
		if (!began && store_begin(nod->st) == 0)
			began = 1;
		else if (!began && store_busy(nod->st))
			break; /* an apply worker holds the store: the old versions until a later tick */
		char k[64];
		meta_key(k, sizeof k, z, "serial");
		int ok = store_meta_set_int(nod->st, k, next) == 0;
		meta_key(k, sizeof k, z, "vtime");
		ok = ok && store_meta_set_int(nod->st, k, vt) == 0;
		ok = ok && store_version_add(nod->st, z, next, vt) == 0;
		ok = ok && (z != NOD_ZONE_ALLOW ||
			nod_allow_records(nod, nod->vtime[z], vt, cur, next) == 0);
		if (!ok) {
			log_err("cannot persist the serial of zone %d: %s", z, store_errmsg(nod->st));
			continue; /* keep serving the old version; try again next tick */
		}
		atomic_store(&nod->serial[z], next);
		nod->vtime[z] = vt;
		nod->vmono[z] = mono;
		nod->pending[z] = 0;
		mask |= 1u << z;
	}
	if (began && store_commit(nod->st) < 0) {
		log_err("cannot commit zone serials: %s", store_errmsg(nod->st));
		store_rollback(nod->st);
	}
	if (nod->ob && nod->ob_dirty) {
		nod->ob_dirty = 0;
		outbox_notify(nod->ob);
	}
	return mask;
}

/* Rows of the store's table of listed names that no start-up load reads any more (one
 * slice a minute: the table is gone round in about an hour at a million names). A load
 * reads back to the oldest version time less the largest window, or NOD_KEEP_SECS; a
 * day more is kept so that a clock set back by less than that still finds every row. */
#define NOD_RECENT_SLICE 16384
#define NOD_RECENT_MARGIN 86400

static void purge_recent(nod_t *nod, int64_t now)
{
	int64_t cut = now - NOD_KEEP_SECS;
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		if (nod->vtime[z] - WINDOW_MAX_SECS < cut)
			cut = nod->vtime[z] - WINDOW_MAX_SECS;
	int n = store_recent_purge(nod->st, cut - NOD_RECENT_MARGIN, NOD_RECENT_SLICE);
	if (n < 0 && !store_busy(nod->st))
		log_warn("cannot purge old rows of listed names: %s (will retry)",
			store_errmsg(nod->st));
	else if (n > 0)
		log_debug("store: %d old rows of listed names purged", n);
}

unsigned nod_tick(nod_t *nod, int64_t now)
{
	return nod_tick_at(nod, now, mono_now());
}

unsigned nod_tick_at(nod_t *nod, int64_t now, int64_t mono)
{
	if (!nod->mono_set)
		mono_init(nod, now, mono);
	if (now > nod->last_check) {
		for (int w = 0; w < WINDOW_COUNT; w++) {
			if (nindex_any_between(nod->ix, nod->last_check - window_secs[w],
				    now - window_secs[w])) {
				nod->pending[w] = 1;
				nod->pending[NOD_ZONE_DNSBL] = 1; /* its A codes changed */
			}
		}
		nod->last_check = now;
	}
	unsigned mask = make_versions(nod, now, mono);
	/* every minute, and soon after a lowered first_seen left an ancestor too new */
	if (mono - nod->last_purge >= 60 || (nindex_ancestors_stale(nod->ix) &&
		    mono - nod->last_purge >= nod->opt.min_interval)) {
		nod->last_purge = mono;
		/* Names leave the index for its history 2 minutes after leaving the 24 h window,
		 * and the history keeps them a day: an IXFR from a version up to 24 h old must
		 * still list their deletion (policy/versions.c). */
		long n = nindex_purge(nod->ix, now - NOD_INDEX_SECS);
		/* IXFR from versions up to a day old (policy/versions.h); a minute's slack */
		if (store_version_trim(nod->st, now - WINDOW_MAX_SECS - 60) < 0)
			log_warn("cannot trim old zone versions: %s", store_errmsg(nod->st));
		/* allow-list entries: kept as long as the versions they shape */
		if (allow_trim(nod->allow, now - WINDOW_MAX_SECS - 60) > 0) {
			if (allow_rebuild(nod->allow, nod->ix) < 0)
				log_warn("allow-list: out of memory while trimming; will retry");
			if (allow_store_trim(nod->st, now - WINDOW_MAX_SECS - 60, nod->err,
				    sizeof nod->err) < 0)
				log_warn("%s", nod->err);
		}
		purge_recent(nod, now);
		if (n > 0)
			log_debug("index: %ld names dropped from memory", n);
		else if (n < 0)
			log_warn("index: out of memory while purging; will retry");
	}
	return mask;
}

uint32_t nod_serial(const nod_t *nod, int zone)
{
	return atomic_load_explicit(&((nod_t *)nod)->serial[zone], memory_order_relaxed);
}

int64_t nod_version_time(const nod_t *nod, int zone) { return nod->vtime[zone]; }
nindex_t *nod_index(nod_t *nod) { return nod->ix; }
store_t *nod_store(nod_t *nod) { return nod->st; }
const char *nod_errmsg(const nod_t *nod) { return nod->err; }
const struct nod_stats *nod_stats(const nod_t *nod) { return &nod->stats; }
