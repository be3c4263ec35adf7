/* observe.c -- which changes of an upstream zone are newly observed domains.
 * Pure: no store, no network. */
#include "zones/observe.h"

#include <stdio.h>
#include <string.h>

#define TYPE_NS 2

int observe_is_delegation(const char *owner, const char *zone, int type)
{
	if (type != TYPE_NS || !owner[0])
		return 0;
	size_t ol = strlen(owner), zl = strlen(zone);
	if (zl == 0)
		return 1; /* below the root: every non-root owner */
	/* strictly below: "<label(s)>.<zone>", compared on a label boundary */
	return ol > zl + 1 && owner[ol - zl - 1] == '.' && strcmp(owner + ol - zl, zone) == 0;
}

void observe_source(char *out, size_t outsz, const char *zone, uint32_t serial, int baseline)
{
	snprintf(out, outsz, "zone %s serial %u%s", zone[0] ? zone : ".", serial,
		baseline ? " (baseline)" : "");
}
