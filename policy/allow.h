/* allow.h -- the allow-list: names that are never listed in the published DNSBL and RPZ
 * zones, and the content of the RPZ passthru zone allow.rpz.<suffix>.
 *
 * An entry is a pattern: "example.com" matches that name only; "*.bank.example" matches
 * every name below bank.example but not bank.example itself (an RPZ wildcard trigger).
 * Patterns come from the configuration (policy.allow) or from the API (noddctl allow);
 * the same pattern may be held by both, and the allow zone then lists it once.
 *
 * Each entry keeps the interval of version times [since, until) during which it applies,
 * and ended entries stay for a day: zone versions are a pure function of the names, the
 * time and these intervals (policy/versions.h), so an IXFR from any version of the last
 * 24 h stays exact across an allow or unallow.
 *
 * Threads: every function is for the main thread, except allow_match_now() and
 * allow_zone_lookup(), which the UDP threads call while holding the index read lock: the
 * writer publishes a new table for them with allow_publish(), which swaps it under the
 * index write lock. No store, no network: policy/nod.c persists the entries. */
#ifndef NODD_ALLOW_H
#define NODD_ALLOW_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dname.h"
#include "policy/index.h"

#define ALLOW_OPEN INT64_MAX   /* until of an entry that still applies */
#define ALLOW_MAX_TEXT 200     /* a pattern's length: the allow zone owner must fit */

enum allow_origin {
	ALLOW_CONFIG = 0,   /* policy.allow in the configuration */
	ALLOW_API = 1,      /* POST /api/v1/allow, noddctl allow */
};

typedef struct allow allow_t;

/* One entry as kept and listed. */
struct allow_entry {
	char pattern[ALLOW_MAX_TEXT + 3];   /* norm text: "example.com" or "*.bank.example" */
	enum allow_origin origin;
	int64_t since, until;               /* version times; until ALLOW_OPEN while it applies */
};

allow_t *allow_new(void);
void allow_free(allow_t *a); /* NULL is a no-op */

/* A pattern as typed ("Example.COM.", "*.Bank.Example") to its norm text in out (outsz >=
 * ALLOW_MAX_TEXT + 3). Returns 0, or -1 with *why (static text) for an invalid name, a
 * "*" other than as the whole first label, a bare "*", or a pattern over ALLOW_MAX_TEXT. */
int allow_parse(const char *in, char *out, size_t outsz, const char **why);

/* Add an entry (pattern in norm text) with its interval. Entries are not visible to the
 * match functions until allow_rebuild(). Returns 0, -1 when out of memory or invalid. */
int allow_add(allow_t *a, const char *pattern, enum allow_origin origin, int64_t since,
	int64_t until);
/* End the open entry (pattern, origin) at until. Returns 1 when one was open, else 0. */
int allow_end(allow_t *a, const char *pattern, enum allow_origin origin, int64_t until);
/* 1 when (pattern, origin) has an open entry. */
int allow_is_open(const allow_t *a, const char *pattern, enum allow_origin origin);
/* Forget entries that ended before `before`; returns how many (allow_rebuild() then). */
size_t allow_trim(allow_t *a, int64_t before);

/* Rebuild the writer's table from the entries, and a table of the open entries for the
 * readers, which is swapped in under the index write lock (ix may be NULL when no reader
 * runs yet). Returns 0, -1 when out of memory (the old tables stay). */
int allow_rebuild(allow_t *a, nindex_t *ix);

/* The open entries of the configuration that patterns (n, as typed) no longer name: a
 * malloc'd array (caller frees) of their patterns, their number in *count; NULL when out
 * of memory. */
char (*allow_config_gone(const allow_t *a, char *const *patterns, int n,
	size_t *count))[ALLOW_MAX_TEXT + 3];

/* Call cb for each entry (open and ended), in insertion order. */
typedef void (*allow_entry_cb)(void *ctx, const struct allow_entry *e);
void allow_each(const allow_t *a, allow_entry_cb cb, void *ctx);
size_t allow_count_open(const allow_t *a);

/* Matching of a name given as relative wire (lowercase labels, no root label). */

/* 1 when an open entry matches the name. Readers: under the index read lock. */
int allow_match_now(const allow_t *a, const uint8_t *rel, size_t len);
/* 1 when an open wildcard entry "*.<name>" exists for exactly this name (its
 * subdomains are allowed, the name itself may be listed). Readers as allow_match_now(). */
int allow_has_wildcard(const allow_t *a, const uint8_t *rel, size_t len);
/* 1 when an entry applying at version time t matches the name. Writer only. */
int allow_match_at(const allow_t *a, const uint8_t *rel, size_t len, int64_t t);
/* 1 when the pattern (norm text) matches the name, whatever the entries. */
int allow_pattern_match(const char *pattern, const uint8_t *rel, size_t len);

/* The allow zone, whose owners are the patterns ("*.x" as a wildcard label) relative to
 * its apex. What the zone holds for a name (relative wire) from the open entries, as an
 * authoritative server holding exactly "pattern CNAME rpz-passthru." would answer (RFC
 * 4592 wildcards): 2 the name owns a CNAME (exact, or synthesised), 1 it exists without
 * one (an empty non-terminal, or the apex), 0 it does not exist. Readers: under the index
 * read lock. */
int allow_zone_lookup(const allow_t *a, const uint8_t *rel, size_t len);

/* The allow zone's owners from time t1 to t2 (writer only): cb gets each distinct owner
 * (relative wire) with in1/in2 = whether the zone held it at t1 and t2; a content walk
 * passes t1 = t2. Returns 0, or the first non-zero cb return. */
typedef int (*allow_owner_cb)(void *ctx, const uint8_t *owner, size_t len, int in1, int in2);
int allow_zone_walk(const allow_t *a, int64_t t1, int64_t t2, allow_owner_cb cb, void *ctx);

#endif
