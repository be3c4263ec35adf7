/* allow.c -- the allow-list entries, their matching and the allow zone's content (see
 * allow.h). Owns the entries in memory; must not touch the store or the network.
 *
 * DESIGN
 * Entries are few (an operator's exceptions), names are many: a name is matched by
 * binary search in a table sorted by (key length, key, wildcard), once for the name
 * itself (exact entries) and once per proper ancestor (wildcard entries), so a name of k
 * labels costs k searches whatever the number of entries. Two tables are built from the
 * entries: the writer's (every interval, for versions and transfers) and the readers'
 * (open entries only, for answers), which is swapped under the index write lock because
 * the UDP threads read it under the index read lock.
 */
#include "policy/allow.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct item {
	uint8_t key[DNAME_MAX_WIRE]; /* relative wire of the name, or of the wildcard's base */
	uint8_t len;
	uint8_t wild;
	int64_t since, until;
};

struct tab {
	size_t n;
	struct item it[];
};

struct allow {
	struct allow_entry *e;
	size_t n, cap;
	struct tab *hist;              /* writer: every entry */
	struct tab *_Atomic pub;       /* readers: the open entries */
};

allow_t *allow_new(void)
{
	return calloc(1, sizeof(allow_t));
}

void allow_free(allow_t *a)
{
	if (!a)
		return;
	free(a->e);
	free(a->hist);
	free(atomic_load(&a->pub));
	free(a);
}

int allow_parse(const char *in, char *out, size_t outsz, const char **why)
{
	const char *base = in;
	int wild = in[0] == '*';
	if (wild) {
		if (in[1] != '.' || in[2] == '\0') {
			*why = "\"*\" is allowed only as the whole first label, as in *.example.com";
			return -1;
		}
		base = in + 2;
	}
	char norm[DNAME_MAX_TEXT + 1];
	if (strchr(base, '*')) {
		*why = "\"*\" is allowed only as the whole first label, as in *.example.com";
		return -1;
	}
	if (dname_text_normalize(base, norm, sizeof norm, why) < 0)
		return -1;
	if (strlen(norm) + (wild ? 2 : 0) > ALLOW_MAX_TEXT || outsz < ALLOW_MAX_TEXT + 3) {
		*why = "longer than 200 characters";
		return -1;
	}
	strcpy(out, wild ? "*." : "");
	strcat(out, norm);
	return 0;
}

/* The key of a pattern: relative wire of its base and the wildcard flag. -1 if invalid. */
static int pattern_key(const char *pattern, uint8_t *key, uint8_t *len, uint8_t *wild)
{
	*wild = pattern[0] == '*';
	uint8_t w[DNAME_MAX_WIRE];
	int l = dname_text_to_wire(pattern + (*wild ? 2 : 0), w);
	if (l <= 1)
		return -1;
	memcpy(key, w, (size_t)l - 1);
	*len = (uint8_t)(l - 1);
	return 0;
}

static struct allow_entry *find_open(const allow_t *a, const char *pattern,
	enum allow_origin origin)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].origin == origin && a->e[i].until == ALLOW_OPEN &&
		    strcmp(a->e[i].pattern, pattern) == 0)
			return &a->e[i];
	return NULL;
}

int allow_add(allow_t *a, const char *pattern, enum allow_origin origin, int64_t since,
	int64_t until)
{
	uint8_t key[DNAME_MAX_WIRE], len, wild;
	if (strlen(pattern) > ALLOW_MAX_TEXT || pattern_key(pattern, key, &len, &wild) < 0)
		return -1;
	/* entries are an operator's exceptions: a few, grown 16 at a time */
	if (a->n == a->cap) {
		struct allow_entry *ne = reallocarray(a->e, a->cap + 16, sizeof *ne);
		if (!ne)
			return -1;
		a->e = ne;
		a->cap += 16;
	}
	struct allow_entry *e = &a->e[a->n++];
	*e = (struct allow_entry){ .origin = origin, .since = since, .until = until };
	strcpy(e->pattern, pattern);
	return 0;
}

int allow_end(allow_t *a, const char *pattern, enum allow_origin origin, int64_t until)
{
	struct allow_entry *e = find_open(a, pattern, origin);
	if (!e)
		return 0;
	e->until = until;
	return 1;
}

int allow_is_open(const allow_t *a, const char *pattern, enum allow_origin origin)
{
	return find_open(a, pattern, origin) != NULL;
}

size_t allow_trim(allow_t *a, int64_t before)
{
	size_t k = 0, n = a->n;
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].until >= before)
			a->e[k++] = a->e[i];
	a->n = k;
	return n - k;
}

static int item_cmp(const struct item *x, const uint8_t *key, uint8_t len, uint8_t wild)
{
	if (x->len != len)
		return x->len < len ? -1 : 1;
	int c = memcmp(x->key, key, len);
	if (c)
		return c;
	return (int)x->wild - (int)wild;
}

static int item_sort(const void *p, const void *q)
{
	const struct item *y = q;
	return item_cmp(p, y->key, y->len, y->wild);
}

static struct tab *build(const allow_t *a, int open_only)
{
	struct tab *t = malloc(sizeof *t + (a->n ? a->n : 1) * sizeof(struct item));
	if (!t)
		return NULL;
	t->n = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct allow_entry *e = &a->e[i];
		if (open_only && e->until != ALLOW_OPEN)
			continue;
		struct item *it = &t->it[t->n];
		if (pattern_key(e->pattern, it->key, &it->len, &it->wild) < 0)
			continue;
		it->since = e->since;
		it->until = e->until;
		t->n++;
	}
	qsort(t->it, t->n, sizeof t->it[0], item_sort);
	return t;
}

int allow_rebuild(allow_t *a, nindex_t *ix)
{
	struct tab *h = build(a, 0), *p = build(a, 1);
	if (!h || !p) {
		free(h);
		free(p);
		return -1;
	}
	free(a->hist);
	a->hist = h;
	if (ix)
		nindex_wrlock(ix);
	struct tab *old = atomic_exchange(&a->pub, p);
	if (ix)
		nindex_wrunlock(ix);
	free(old);
	return 0;
}

char (*allow_config_gone(const allow_t *a, char *const *patterns, int n,
	size_t *count))[ALLOW_MAX_TEXT + 3]
{
	char (*gone)[ALLOW_MAX_TEXT + 3] = calloc(a->n ? a->n : 1, sizeof *gone);
	*count = 0;
	for (size_t i = 0; gone && i < a->n; i++) {
		const struct allow_entry *e = &a->e[i];
		int named = 0;
		for (int k = 0; k < n && !named && e->origin == ALLOW_CONFIG; k++) {
			char norm[ALLOW_MAX_TEXT + 3];
			const char *why;
			named = allow_parse(patterns[k], norm, sizeof norm, &why) == 0 &&
				strcmp(norm, e->pattern) == 0;
		}
		if (e->origin == ALLOW_CONFIG && e->until == ALLOW_OPEN && !named)
			strcpy(gone[(*count)++], e->pattern);
	}
	return gone;
}

void allow_each(const allow_t *a, allow_entry_cb cb, void *ctx)
{
	for (size_t i = 0; i < a->n; i++)
		cb(ctx, &a->e[i]);
}

size_t allow_count_open(const allow_t *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		n += a->e[i].until == ALLOW_OPEN;
	return n;
}

/* ---- matching ---- */

/* A sorted run of items: a table's, or one pattern's. */
struct run {
	const struct item *it;
	size_t n;
};

static struct run run_of(const struct tab *t)
{
	return t ? (struct run){ t->it, t->n } : (struct run){ NULL, 0 };
}

/* Index of the first item with this key, or r.n when none. */
static size_t lower_bound(struct run r, const uint8_t *key, size_t len, uint8_t wild)
{
	size_t lo = 0, hi = r.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (item_cmp(&r.it[mid], key, (uint8_t)len, wild) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* 1 when an item with this key applies at version time at (any item for ALLOW_OPEN). */
static int key_applies(struct run r, const uint8_t *key, size_t len, uint8_t wild, int64_t at)
{
	for (size_t i = lower_bound(r, key, len, wild);
	     i < r.n && item_cmp(&r.it[i], key, (uint8_t)len, wild) == 0; i++)
		if (at == ALLOW_OPEN || (r.it[i].since <= at && at < r.it[i].until))
			return 1;
	return 0;
}

/* The name itself against exact entries, each proper ancestor against wildcards. */
static int run_match(struct run r, const uint8_t *rel, size_t len, int64_t at)
{
	if (r.n == 0 || len == 0)
		return 0;
	if (key_applies(r, rel, len, 0, at))
		return 1;
	for (size_t i = 1 + (size_t)rel[0]; i < len; i += 1 + (size_t)rel[i])
		if (key_applies(r, rel + i, len - i, 1, at))
			return 1;
	return 0;
}

static const struct tab *pub_of(const allow_t *a)
{
	return atomic_load_explicit(&((allow_t *)a)->pub, memory_order_acquire);
}

int allow_match_now(const allow_t *a, const uint8_t *rel, size_t len)
{
	return a ? run_match(run_of(pub_of(a)), rel, len, ALLOW_OPEN) : 0;
}

int allow_has_wildcard(const allow_t *a, const uint8_t *rel, size_t len)
{
	return a && len ? key_applies(run_of(pub_of(a)), rel, len, 1, ALLOW_OPEN) : 0;
}

int allow_match_at(const allow_t *a, const uint8_t *rel, size_t len, int64_t t)
{
	if (!a || t == ALLOW_OPEN)
		return 0;
	return run_match(run_of(a->hist), rel, len, t);
}

int allow_pattern_match(const char *pattern, const uint8_t *rel, size_t len)
{
	struct item one = { .until = ALLOW_OPEN };
	if (pattern_key(pattern, one.key, &one.len, &one.wild) < 0)
		return 0;
	return run_match((struct run){ &one, 1 }, rel, len, ALLOW_OPEN);
}

/* ---- the allow zone ---- */

/* The owner of an item: its key, with a "*" label first for a wildcard. */
static size_t owner_of(const struct item *it, uint8_t *out)
{
	size_t o = 0;
	if (it->wild) {
		out[0] = 1;
		out[1] = '*';
		o = 2;
	}
	memcpy(out + o, it->key, it->len);
	return o + it->len;
}

/* 1 when owner is a proper descendant of anc (alen 0: the apex). */
static int is_below(const uint8_t *owner, size_t olen, const uint8_t *anc, size_t alen)
{
	if (olen <= alen)
		return 0;
	size_t i = 0;
	while (i < olen - alen)
		i += 1 + (size_t)owner[i];
	return i == olen - alen && memcmp(owner + i, anc, alen) == 0;
}

/* Whether a node exists at name (an owner, or above one): 2 owner, 1 above one, 0 none. */
static int node_at(struct run r, const uint8_t *name, size_t len)
{
	int found = 0;
	uint8_t o[DNAME_MAX_WIRE + 2];
	for (size_t i = 0; i < r.n; i++) {
		size_t ol = owner_of(&r.it[i], o);
		if (ol == len && memcmp(o, name, len) == 0)
			return 2;
		if (is_below(o, ol, name, len))
			found = 1;
	}
	return found;
}

int allow_zone_lookup(const allow_t *a, const uint8_t *rel, size_t len)
{
	struct run r = run_of(a ? pub_of(a) : NULL);
	if (len == 0)
		return 1;
	int here = node_at(r, rel, len);
	if (here)
		return here;
	/* The closest encloser (RFC 4592 3.3.1): the longest existing ancestor; the name is
	 * synthesised from its wildcard child when it has one, else it does not exist. */
	for (size_t i = 1 + (size_t)rel[0]; i <= len; i += i < len ? 1 + (size_t)rel[i] : 1) {
		if (i < len && !node_at(r, rel + i, len - i))
			continue;
		return key_applies(r, rel + i, len - i, 1, ALLOW_OPEN) ? 2 : 0;
	}
	return 0;
}

int allow_zone_walk(const allow_t *a, int64_t t1, int64_t t2, allow_owner_cb cb, void *ctx)
{
	const struct tab *t = a ? a->hist : NULL;
	if (!t)
		return 0;
	uint8_t o[DNAME_MAX_WIRE + 2];
	for (size_t i = 0; i < t->n;) {
		size_t j = i;
		int in1 = 0, in2 = 0;
		for (; j < t->n && item_sort(&t->it[i], &t->it[j]) == 0; j++) {
			in1 |= t->it[j].since <= t1 && t1 < t->it[j].until;
			in2 |= t->it[j].since <= t2 && t2 < t->it[j].until;
		}
		if (in1 || in2) {
			int rc = cb(ctx, o, owner_of(&t->it[i], o), in1, in2);
			if (rc)
				return rc;
		}
		i = j;
	}
	return 0;
}
