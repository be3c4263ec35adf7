/* confirm.h -- the confidence of CT candidates: a candidate (a registrable domain first
 * seen in a CT log, table ct_candidate) is unconfirmed until its registry speaks, through
 * a transfer of its zone (zones/, via nod_observe_from) or its RDAP creation date (ct/).
 * Confirmed: the name is listed with its original first_seen (unless listed already) and a
 * confirmed_newly_registered_domain record goes out. Known (registered long before the
 * certificate): never listed, never asked again. Either way its RDAP queue row goes, in
 * the caller's transaction. Knows neither the network nor where the answer came from. */
#ifndef NODD_POLICY_CONFIRM_H
#define NODD_POLICY_CONFIRM_H

#include <stdint.h>

#include "policy/nod.h"

/* A confirmation is for first_seen within this many seconds of the registration. */
#define NOD_CONFIRM_WINDOW 86400

/* What the registry said. */
struct nod_confirmation {
	const char *zone;      /* delegated in a transfer of zone (norm text) at serial; */
	int64_t serial;        /* NULL: by RDAP */
	int64_t created;       /* by RDAP: the registration date, unix seconds */
	const char *server;    /* by RDAP: the server's base URL (for the record) */
	int known;             /* registered long before first_seen: known, not new */
	int64_t max_age;       /* > 0: only a candidate first seen at most this long ago */
};

enum nod_confirm_result {
	NOD_CONFIRM_NONE,      /* not an unconfirmed candidate: nothing changed */
	NOD_CONFIRM_CONFIRMED,
	NOD_CONFIRM_KNOWN,
};

/* Apply c to domain (norm text). 0 with *res set, or -1 on a store failure (nod_errmsg). */
int nod_confirm_ct(nod_t *nod, const char *domain, int64_t now, const struct nod_confirmation *c,
	enum nod_confirm_result *res);

/* A transfer of zone (at serial) delegates norm, a name the store held already (called by
 * policy/nod.c): when norm is an unconfirmed candidate, a baseline transfer (the zone's
 * first copy) makes it known, and a later transfer within NOD_CONFIRM_WINDOW of its
 * first_seen confirms it. 0 or -1. */
int nod_confirm_zone(nod_t *nod, const char *norm, int64_t now, const char *zone,
	int64_t serial, int baseline);

/* A CT log shows norm, which a transfer observed first (stored first_seen fs, source zsrc
 * "zone <zone> serial <n>"): within NOD_CONFIRM_WINDOW the zone confirms it at once, with
 * a negative ct_lead_seconds (the zone was ahead), once per domain; ct_src names the CT
 * sighting. Inside the caller's transaction. 0 or -1. */
int nod_confirm_zone_first(nod_t *nod, const char *norm, int64_t fs, const char *zsrc,
	const char *ct_src, int64_t now);

/* Counts since start, for status and /metrics (main thread). */
struct nod_confirm_stats {
	uint64_t confirmed_zone, confirmed_rdap, known_zone, known_rdap;
};
const struct nod_confirm_stats *nod_confirm_stats(void);

#endif
