/* test_index_thp.c -- every index arena asks for transparent huge pages: the one made by a
 * new table, the one grown by inserts, the one trimmed by a bulk load's end and the one a
 * purge copies the arena's survivors to. Read from the kernel's own account of the
 * mapping (the "hg" flag of /proc/self/smaps); skipped where the kernel has no THP. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/dname.h"
#include "policy/index_int.h"
#include "tests/unit/tap.h"

#define HUGE ((uintptr_t)2 << 20)

/* 1 when the mapping holding address a carries the hugepage advice, 0 when it does not,
 * -1 when smaps cannot say. */
static int advised_at(uintptr_t a)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	char line[512];
	int in = 0, res = -1;
	while (fgets(line, sizeof line, f)) {
		uintptr_t lo, hi;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2) { /* a mapping's first line */
			in = lo <= a && a < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			res = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	return res;
}

/* The first 2 MiB boundary inside block p of len bytes with a whole huge page after it
 * (0 when the block holds none). */
static uintptr_t huge_inside(const void *p, size_t len)
{
	uintptr_t a = ((uintptr_t)p + HUGE - 1) & ~(HUGE - 1);
	return a + HUGE <= (uintptr_t)p + len ? a : 0;
}

static int arena_advised(const struct ntab *t)
{
	uintptr_t a = huge_inside(t->arena, t->arena_len);
	return a ? advised_at(a) : -1;
}

/* Whether this kernel keeps the advice at all (THP configured, smaps readable). */
static int thp_available(void)
{
	size_t len = 3 * HUGE;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	uintptr_t a = huge_inside(p, len);
	int yes = madvise((void *)a, HUGE, MADV_HUGEPAGE) == 0 && advised_at(a) == 1;
	munmap(p, len);
	return yes;
}

static size_t rel(const char *text, uint8_t *w)
{
	int l = dname_text_to_wire(text, w);
	return (size_t)l - 1;
}

/* n names with first_seen 1700000000 + i, put one by one. */
static void fill(nindex_t *ix, int n)
{
	uint8_t w[DNAME_MAX_WIRE];
	char buf[64];
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof buf, "thp%08x.example.se", (unsigned)i);
		nindex_put(ix, w, rel(buf, w), 1700000000 + i, NULL);
	}
}

int main(void)
{
	if (!thp_available()) {
		printf("1..0 # SKIP no transparent huge page advice on this kernel\n");
		return 0;
	}
	enum { N = 400000 }; /* ~12 MiB of arena: several whole huge pages */

	struct ntab *t = ntab_new(16, 8 * HUGE);
	uintptr_t a = t ? huge_inside(t->arena, t->arena_cap) : 0;
	ok(a && advised_at(a) == 1, "a new table's arena is advised");
	ntab_free(t);

	nindex_t *ix = nindex_new();
	fill(ix, N);
	is_int(arena_advised(ix->names), 1, "an arena grown by inserts is advised");

	/* a purge of over a third but under half the names drops the arena's front: the
	 * survivors move to a fresh block */
	uint8_t *before = ix->names->arena;
	is_int(nindex_purge(ix, 1700000000 + N * 2 / 5), N * 2 / 5 + 1, "purge of two fifths");
	ok(ix->names->arena != before && ix->names->base > 0,
	   "the purge copied the survivors to a fresh arena");
	is_int(arena_advised(ix->names), 1, "the fresh arena after a purge is advised");
	nindex_free(ix);

	ix = nindex_new();
	nindex_bulk_begin(ix);
	fill(ix, N);
	ok(nindex_bulk_end(ix) == 0, "bulk load ends");
	is_int(arena_advised(ix->names), 1, "the arena trimmed at a bulk load's end is advised");
	nindex_free(ix);
	return tap_done();
}
