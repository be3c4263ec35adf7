/* nod_allow.c -- the allow-list side of the core (policy/nod.h, nod_allow_*): entries
 * added and ended at the next versions, stored with their intervals, the zones listing a
 * matched name given a new version, and the allow zone's zone_diff records. Matching itself
 * is policy/allow.c; the rows are policy/allow_store.c. Main thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "policy/allow_store.h"
#include "policy/nod_int.h"

/* A name the allow-list matches now is in no zone, so it makes no empty non-terminal:
 * the index leaves it out of the ancestors (nindex_set_exclude). */
static int allow_excluded(void *ctx, const uint8_t *rel, size_t len)
{
	return allow_match_now(ctx, rel, len);
}

/* The entries stored, in memory for matching; a change committed after a zone's last
 * version (nodd stopped before the next tick) is in none yet: the first tick makes one.
 * Loaded before the names, whose ancestors leave out the allowed ones. */
int nod_load_allow(nod_t *nod)
{
	nod->allow = allow_new();
	if (!nod->allow) {
		snprintf(nod->err, sizeof nod->err, "out of memory");
		return -1;
	}
	int64_t newest;
	if (allow_store_load(nod->st, nod->allow, &newest, nod->err, sizeof nod->err) < 0)
		return -1;
	if (allow_rebuild(nod->allow, nod->ix) < 0) {
		snprintf(nod->err, sizeof nod->err, "out of memory");
		return -1;
	}
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		if (newest > nod->vtime[z])
			nod->pending[z] = 1;
	nindex_set_exclude(nod->ix, allow_excluded, nod->allow);
	return 0;
}

struct allow_mark {
	nod_t *nod;
	const allow_t *changed;
	int64_t now;
};

/* The zones listing a name that a changed entry matches get a new version: one walk of
 * the index for all the entries changed together (changed: their patterns, open). */
static void allow_mark_cb(void *ctx, const uint8_t *rel, size_t len, int64_t fs)
{
	struct allow_mark *m = ctx;
	if (m->now - fs < WINDOW_MAX_SECS && allow_match_now(m->changed, rel, len))
		nod_mark_pending(m->nod, m->now, fs);
}

static int allow_mark(nod_t *nod, allow_t *changed, int64_t now)
{
	if (allow_rebuild(changed, NULL) < 0) {
		snprintf(nod->err, sizeof nod->err, "out of memory");
		return -1;
	}
	nod->pending[NOD_ZONE_ALLOW] = 1;
	struct allow_mark m = { nod, changed, now };
	nindex_foreach(nod->ix, allow_mark_cb, &m);
	/* the empty non-terminals follow the names allowed now */
	if (nindex_ancestors_rebuild(nod->ix) < 0) {
		snprintf(nod->err, sizeof nod->err, "out of memory");
		return -1;
	}
	return 0;
}

/* Start or end one entry at the next versions: stored, in memory, and its pattern added
 * to changed for allow_mark(). */
static int allow_change(nod_t *nod, const char *norm, enum allow_origin origin, int on,
	int64_t now, allow_t *changed)
{
	int64_t t = nod_added_clock(nod, now);
	int rc = on ? allow_store_add(nod->st, norm, origin, t, nod->err, sizeof nod->err)
		: allow_store_end(nod->st, norm, origin, t, nod->err, sizeof nod->err);
	if (rc < 0)
		return -1;
	int mem = on ? allow_add(nod->allow, norm, origin, t, ALLOW_OPEN) : 0;
	if (!on)
		allow_end(nod->allow, norm, origin, t);
	if (mem < 0 || allow_add(changed, norm, origin, 0, ALLOW_OPEN) < 0 ||
	    allow_rebuild(nod->allow, nod->ix) < 0) {
		snprintf(nod->err, sizeof nod->err, "out of memory");
		return -1;
	}
	log_info("allow-list: %s (%s) %s", norm, allow_origin_name(origin),
		on ? "added: no longer listed" : "removed: listed again while within 24 h");
	return 0;
}

/* nod_allow_set() with the changed patterns collected in changed (not marked). */
static int allow_set(nod_t *nod, const char *pattern, enum allow_origin origin, int on,
	int64_t now, char *norm, size_t normsz, enum nod_allow_outcome *out, const char **why,
	allow_t *changed)
{
	const char *w = NULL;
	if (allow_parse(pattern, norm, normsz, &w) < 0) {
		*out = NOD_ALLOW_INVALID;
		if (why)
			*why = w;
		return 0;
	}
	if (allow_is_open(nod->allow, norm, origin) == on) {
		*out = NOD_ALLOW_UNCHANGED;
		return 0;
	}
	*out = NOD_ALLOW_CHANGED;
	return allow_change(nod, norm, origin, on, now, changed);
}

int nod_allow_set(nod_t *nod, const char *pattern, enum allow_origin origin, int on,
	int64_t now, char *norm, size_t normsz, enum nod_allow_outcome *out, const char **why)
{
	allow_t *changed = allow_new();
	if (!changed) {
		snprintf(nod->err, sizeof nod->err, "out of memory");
		return -1;
	}
	int rc = allow_set(nod, pattern, origin, on, now, norm, normsz, out, why, changed);
	if (rc == 0 && *out == NOD_ALLOW_CHANGED)
		rc = allow_mark(nod, changed, now);
	allow_free(changed);
	return rc;
}

int nod_allow_config(nod_t *nod, char *const *patterns, int n, int64_t now)
{
	size_t ngone = 0;
	char (*gone)[ALLOW_MAX_TEXT + 3] = allow_config_gone(nod->allow, patterns, n, &ngone);
	allow_t *changed = allow_new();
	if (!gone || !changed) {
		free(gone);
		allow_free(changed);
		snprintf(nod->err, sizeof nod->err, "out of memory");
		return -1;
	}
	int count = 0, rc = 0;
	for (size_t i = 0; i < ngone && rc == 0; i++, count++)
		rc = allow_change(nod, gone[i], ALLOW_CONFIG, 0, now, changed);
	for (int i = 0; i < n && rc == 0; i++) {
		char norm[ALLOW_MAX_TEXT + 3];
		enum nod_allow_outcome out;
		const char *why = NULL;
		rc = allow_set(nod, patterns[i], ALLOW_CONFIG, 1, now, norm, sizeof norm, &out,
			&why, changed);
		if (rc == 0 && out == NOD_ALLOW_INVALID)
			log_warn("policy.allow: %s: %s; ignored", patterns[i], why);
		count += rc == 0 && out == NOD_ALLOW_CHANGED;
	}
	/* what changed before a failure is stored: its zones get their versions too */
	if (count > 0 && allow_mark(nod, changed, now) < 0)
		rc = -1;
	free(gone);
	allow_free(changed);
	return rc < 0 ? -1 : count;
}

/* The allow zone's new version: its zone_diff records (policy/allow_store.h). */
int nod_allow_records(nod_t *nod, int64_t t1, int64_t t2, uint32_t from, uint32_t to)
{
	if (!nod->ob)
		return 0;
	int n = allow_zone_records(nod->allow, nod->ob, nod->opt.suffix, nod->opt.ttl, t1, t2,
		from, to, unix_now() * 1000);
	nod->ob_dirty |= n > 0;
	return n < 0 ? -1 : 0;
}

allow_t *nod_allow(nod_t *nod) { return nod->allow; }
