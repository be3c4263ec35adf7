/* allow_store.h -- the allow-list's rows in the store (added, ended, trimmed, loaded) and
 * its records in the outbox. Each call is part of the caller's transaction when one is
 * open. Errors return -1 (with the message in err where there is one). Main thread only. */
#ifndef NODD_ALLOW_STORE_H
#define NODD_ALLOW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/allow.h"
#include "policy/outbox.h"
#include "policy/store.h"

/* "config" or "api": the origin as stored and as the API shows it. */
const char *allow_origin_name(enum allow_origin o);

/* An entry that starts applying at since. */
int allow_store_add(store_t *st, const char *pattern, enum allow_origin origin, int64_t since,
	char *err, size_t errsz);
/* The open entry (pattern, origin) stops applying at until. */
int allow_store_end(store_t *st, const char *pattern, enum allow_origin origin, int64_t until,
	char *err, size_t errsz);
/* Rows that stopped applying before `before` are deleted. */
int allow_store_trim(store_t *st, int64_t before, char *err, size_t errsz);
/* Every row into a (allow_add; unreadable rows skipped); *newest gets the latest since or
 * until (INT64_MIN when none). */
int allow_store_load(store_t *st, allow_t *a, int64_t *newest, char *err, size_t errsz);

/* One zone_diff record per owner of the allow zone allow.rpz.<suffix> added ("add") or
 * deleted ("del") between version times t1 and t2 (serials from, to): CNAME
 * rpz-passthru with ttl, timestamp ms. Returns the number appended, or -1. */
int allow_zone_records(const allow_t *a, outbox_t *ob, const char *suffix, uint32_t ttl,
	int64_t t1, int64_t t2, uint32_t from, uint32_t to, int64_t ms);

#endif
