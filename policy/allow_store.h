/* allow_store.h -- the allow-list's rows in the store: added, ended, trimmed, loaded.
 * Each call is one statement, part of the caller's transaction when one is open. Errors
 * return -1 with the message in err. Main thread only. */
#ifndef NODD_ALLOW_STORE_H
#define NODD_ALLOW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/allow.h"
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

#endif
