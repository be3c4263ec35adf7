/* changeset.c -- the changeset type: owned copies of records, grown lists. No I/O. */
#include "zones/changeset.h"

#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"

int zone_rr_copy(struct zone_rr *copy, const struct zone_rr *rr, struct nodd_err *e)
{
	size_t ol = strlen(rr->owner) + 1;
	char *mem = malloc(ol + rr->rdlen + 1);
	if (!mem)
		return nodd_fail(e, NODD_E_NOMEM, "out of memory");
	memcpy(mem, rr->owner, ol);
	if (rr->rdlen)
		memcpy(mem + ol, rr->rd, rr->rdlen);
	*copy = *rr;
	copy->owner = mem;
	copy->rd = (const uint8_t *)mem + ol;
	return 0;
}

static void rr_free(struct zone_rr *rr)
{
	free((void *)rr->owner);
	memset(rr, 0, sizeof *rr);
}

void changeset_init(struct changeset *cs)
{
	memset(cs, 0, sizeof *cs);
}

static void list_free(struct zone_rr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		rr_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void changeset_deinit(struct changeset *cs)
{
	list_free(&cs->removed);
	list_free(&cs->added);
	rr_free(&cs->soa_from);
	rr_free(&cs->soa_to);
	changeset_init(cs);
}

int changeset_push(struct zone_rr_list *list, const struct zone_rr *rr, struct nodd_err *e)
{
	if (grow_array(&list->v, &list->cap, list->n + 1, sizeof *list->v) < 0)
		return nodd_fail(e, NODD_E_NOMEM, "out of memory");
	if (zone_rr_copy(&list->v[list->n], rr, e) < 0)
		return -1;
	list->n++;
	return 0;
}

int changeset_set_soa(struct zone_rr *slot, const struct zone_rr *rr, struct nodd_err *e)
{
	struct zone_rr c;
	if (zone_rr_copy(&c, rr, e) < 0)
		return -1;
	rr_free(slot);
	*slot = c;
	return 0;
}
