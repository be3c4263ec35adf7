/* psl.c -- the registrable domain of a host name: one label below its ICANN public suffix
 * (libpsl). Loads the list once; no network, no store. */
#include "ct/names.h"

#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

struct ct_psl {
	psl_ctx_t *ctx;
	int builtin; /* libpsl's own copy: not ours to free */
};

struct ct_psl *ct_psl_open(const char *psl_file, struct nodd_err *e)
{
	struct ct_psl *p = nodd_calloc(1, sizeof *p, e);
	if (!p)
		return NULL;
	if (psl_file) {
		p->ctx = psl_load_file(psl_file);
		if (!p->ctx) {
			free(p);
			nodd_fail(e, NODD_E_INVALID, "%s: not a public suffix list libpsl can read",
				psl_file);
			return NULL;
		}
		return p;
	}
	p->ctx = psl_latest(NULL);
	if (!p->ctx) {
		p->ctx = (psl_ctx_t *)psl_builtin();
		p->builtin = 1;
	}
	if (!p->ctx) {
		free(p);
		nodd_fail(e, NODD_E_NOTFOUND, "no public suffix list (install publicsuffix)");
		return NULL;
	}
	return p;
}

void ct_psl_close(struct ct_psl *p)
{
	if (!p)
		return;
	if (!p->builtin)
		psl_free(p->ctx);
	free(p);
}

/* The longest ICANN suffix is the leftmost position that is one; the implicit "*" rule is
 * off so that an unknown TLD is found as "no suffix" and then counts as one itself. */
int ct_registrable(const struct ct_psl *p, const char *fqdn, char *out, size_t outsz)
{
	const char *suffix = fqdn;
	for (const char *dot; !psl_is_public_suffix2(p->ctx, suffix,
			PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE) && (dot = strchr(suffix, '.'));)
		suffix = dot + 1; /* ends at the last label when the list does not know the TLD */
	if (suffix == fqdn)
		return 0;
	const char *start = suffix - 1; /* the dot before the suffix */
	while (start > fqdn && start[-1] != '.')
		start--;
	size_t len = strlen(start);
	if (len + 1 > outsz)
		return 0;
	memcpy(out, start, len + 1);
	return 1;
}
