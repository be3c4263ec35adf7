/* rdap.h -- what nodd reads from an RDAP domain answer (RFC 9083): the registration date
 * among its events, checked against the name asked for. Pure: no network, no store, no
 * policy (what a date means for a candidate is ct/confirm.c's). */
#ifndef NODD_CT_RDAP_H
#define NODD_CT_RDAP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* Bodies larger than this are not parsed (registries answer a few kB). */
#define CT_RDAP_MAX_BODY (256 * 1024)

enum ct_rdap_answer {
	CT_RDAP_REGISTRATION,  /* a registration event: *created set */
	CT_RDAP_NO_EVENT,      /* a domain object without a registration event */
};

/* Parse body (len bytes, need not be NUL-terminated) as the answer for domain (norm text).
 * Returns 0 with the outcome in *out (and *created, unix seconds, for a registration), or
 * -1 with e set (NODD_E_INVALID: not JSON, not a domain object, another domain's object,
 * an unreadable registration date; NODD_E_LIMIT: too large or too deep). */
int ct_rdap_parse(const char *body, size_t len, const char *domain, enum ct_rdap_answer *out,
	int64_t *created, struct nodd_err *e);

/* An RFC 3339 date-time ("2026-12-03T10:00:00Z", fractions and +hh:mm offsets allowed) to
 * unix seconds. 0, or -1 when it is not one. */
int ct_rdap_time(const char *s, int64_t *t);

#endif
