/* versions.h -- what each published zone held at each of its versions, so a transfer can
 * send the content of the current version (AXFR) or the exact condensed difference between
 * a client's version and the current one (IXFR, RFC 1995 section 6).
 *
 * Zone content is a pure function of the names and the version time T:
 *   RPZ zone w:  { n : added(n) <= T and T - first_seen(n) < W }   ("n CNAME ." + "*.n")
 *   DNSBL zone:  the same with W = 24 h, each name with its A code for age T - first_seen.
 *   Both without the names an allow-list entry applying at T matches (policy/allow.h);
 *   the allow zone holds the patterns of the entries applying at T.
 * added(n) is the index's stamp of when n entered it (policy/nod.c: after the last version;
 * names loaded at start count as always added). Between T1 < T2 a name can only enter by being added in
 * (T1, T2] and only leave by ageing, so the diff is exact as long as first_seen values do
 * not move: when one is lowered, versions before that moment are forgotten (those clients
 * get an AXFR-style answer).
 *
 * The names come from the index, and for a day after they leave the 24 h window from its
 * history of departed names (policy/history.h), so a version up to a day old can be
 * diffed. The history survives restarts: each name's added stamp is stored with it, the
 * versions of the last 24 h and the floor (versions older than it are not diffable) are
 * kept in the store by policy/nod.c, and xfrout loads them with versions_add() and
 * versions_set_floor() before the first versions_sync(). Main thread only. */
#ifndef NODD_VERSIONS_H
#define NODD_VERSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "policy/allow.h"
#include "policy/index.h"
#include "policy/window.h"

#define VERSIONS_ZONES NOD_ZONE_COUNT /* 7 RPZ windows, the DNSBL zone, the allow zone */
#define VERSIONS_KEEP_SECS 86400  /* IXFR from versions up to this old */

typedef struct versions versions_t;

/* A list of names to transfer, built at request time so that later index changes do not
 * touch a transfer in progress. Entries are packed in one growable buffer. */
struct xfr_list {
	uint8_t *buf;
	size_t len, cap;
	size_t count;
};

/* One entry as read back by xfr_list_next(). */
struct xfr_entry {
	int64_t first_seen;
	uint8_t code;       /* DNSBL A code 2..8; 0 for RPZ and the allow zone */
	uint8_t a_only;     /* DNSBL: only the A records (a code change), not TXT */
	uint8_t len;        /* relative wire name length */
	const uint8_t *rel; /* points into the list */
};

void xfr_list_init(struct xfr_list *l);
void xfr_list_free(struct xfr_list *l);
/* Append an entry (rel is copied). Returns 0 or -1 when out of memory. */
int xfr_list_add(struct xfr_list *l, const uint8_t *rel, size_t len, int64_t fs, int code,
	int a_only);
/* Read the entry at *pos and advance *pos; returns 0 at the end. */
int xfr_list_next(const struct xfr_list *l, size_t *pos, struct xfr_entry *e);

versions_t *versions_new(void);
void versions_free(versions_t *v); /* NULL is a no-op */
/* The allow-list whose entries the zones leave out (borrowed; NULL for none). */
void versions_set_allow(versions_t *v, const allow_t *a);

/* Take in the index after nod_tick() (borrowed; it carries first_seen and added of every
 * name, see nindex_set_clock); a lowered first_seen forgets the versions older than those
 * made now; each zone z in mask records (serial[z], vtime[z]) as a version.
 * first_call_serial_time: on the first call the current versions of every zone are
 * recorded with serial[z] and vtime[z] even when not in mask. Returns 0, -1 on no memory. */
int versions_sync(versions_t *v, nindex_t *ix, unsigned mask, const uint32_t *serial,
	const int64_t *vtime, int64_t now);

/* Before the first versions_sync(): a version recorded before a restart (in vtime order
 * per zone), and the time before which versions cannot be diffed exactly (without it, the
 * first sync takes its own time: nothing from before the start is diffable). Return 0, -1
 * on no memory or a bad zone. */
int versions_add(versions_t *v, int zone, uint32_t serial, int64_t vtime);
void versions_set_floor(versions_t *v, int64_t floor);

/* Version time of zone's serial when an exact IXFR from it can be made: 1 and *vtime,
 * else 0 (unknown, too old, or before a first_seen moved). */
int versions_find(const versions_t *v, int zone, uint32_t serial, int64_t *vtime);

/* Names of zone at version time t (appended to out). DNSBL entries carry their code.
 * Returns 0 or -1 when out of memory. */
int versions_content(const versions_t *v, int zone, int64_t t, struct xfr_list *out);

/* Condensed diff of zone from version time t1 to t2 > t1: records to delete (in del) and
 * to add (in add). For the DNSBL zone a name whose code changed appears in both with
 * a_only set. Returns 0 or -1 when out of memory. */
int versions_diff(const versions_t *v, int zone, int64_t t1, int64_t t2, struct xfr_list *del,
	struct xfr_list *add);

/* Names held (for tests and metrics). */
size_t versions_names(const versions_t *v);

#endif
