/* bootstrap.h -- the IANA RDAP bootstrap file for DNS (RFC 9224, dns.json): which RDAP
 * server answers for which TLD. Parses and looks up only: reading the file or fetching
 * the URL is the caller's (ct/confirm.c). */
#ifndef NODD_CT_BOOTSTRAP_H
#define NODD_CT_BOOTSTRAP_H

#include <stddef.h>

#include "lib/err.h"

struct ct_bootstrap;

/* Parse dns.json (len bytes). Entries with no http(s) URL are skipped; an https URL is
 * preferred over an http one. NULL with e set when the file is not a bootstrap file. */
struct ct_bootstrap *ct_bootstrap_parse(const char *json, size_t len, struct nodd_err *e);
void ct_bootstrap_free(struct ct_bootstrap *b); /* NULL is a no-op */

/* The base URL (ending in '/') of the server for domain (norm text): the entry with the
 * longest label-wise suffix match. NULL when no entry matches. Valid until freed. */
const char *ct_bootstrap_lookup(const struct ct_bootstrap *b, const char *domain);

/* Number of suffixes known. */
size_t ct_bootstrap_count(const struct ct_bootstrap *b);

#endif
