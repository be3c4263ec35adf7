/* histbench.c -- memory of the IXFR history and CPU of one purge of the name index, for
 * `make bench` (run_bench.sh prints its line). In process, no server: N names first seen
 * over the last 24 h in the index, N more over the day before in its history (a day of
 * changes), loaded as nod_open() does; then ten purges a minute apart, each after a
 * minute's worth of new names (N a day), timed by the process CPU clock.
 *
 * usage: histbench [N]   (default 1000000). Prints one line of figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/index.h"

#define DAY 86400
#define INDEX_SECS (DAY + 120) /* policy/nod_int.h NOD_INDEX_SECS */

static uint64_t rs = 88172645463325252ull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* <6-14 letters>.<tld> as a relative wire name, as tests/bench/gen_names.py makes them. */
static size_t mkname(uint8_t *w)
{
	static const char *const tld[] = { "se", "ch", "li", "nu", "com", "net", "org" };
	int n = 6 + (int)(rnd() % 9);
	w[0] = (uint8_t)n;
	for (int i = 0; i < n; i++)
		w[1 + i] = (uint8_t)('a' + rnd() % 26);
	const char *t = tld[rnd() % 7];
	size_t tl = strlen(t);
	w[1 + n] = (uint8_t)tl;
	memcpy(w + 2 + n, t, tl);
	return 2 + (size_t)n + tl;
}

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	if (n < 1000)
		n = 1000;
	int64_t now = 1760000000;
	nindex_t *ix = nindex_new();
	if (!ix || nindex_keep_history(ix, DAY) < 0)
		return 1;
	/* 2n names in first_seen order over 48 h, as the store walk at start-up gives them */
	nindex_bulk_begin(ix);
	nindex_bulk_history(ix, now - INDEX_SECS);
	uint8_t w[64];
	size_t hist_name_bytes = 0;
	for (long i = 0; i < 2 * n; i++) {
		int64_t fs = now - 2 * DAY + 1 + (int64_t)((double)i * 2 * DAY / (double)(2 * n));
		size_t l = mkname(w);
		if (fs <= now - INDEX_SECS)
			hist_name_bytes += l;
		nindex_set_clock(ix, fs);
		if (nindex_put(ix, w, l, fs, NULL) < 0)
			return 1;
	}
	if (nindex_bulk_end(ix) < 0)
		return 1;
	size_t hn = nindex_history_count(ix), hm = nindex_history_memory(ix);
	size_t live = nindex_count(ix), im = nindex_memory(ix) - hm;
	/* the first_seen array sorted once (a duplicate name in the load leaves it to sort) */
	(void)nindex_count_since(ix, 0);
	double t[10];
	long removed = 0;
	for (int k = 0; k < 10; k++) {
		now += 60;
		nindex_set_clock(ix, now);
		for (long j = 0; j < n * 60 / DAY; j++) {
			size_t l = mkname(w);
			nindex_put(ix, w, l, now, NULL);
		}
		double c0 = cpu_ms();
		long r = nindex_purge(ix, now - INDEX_SECS);
		t[k] = cpu_ms() - c0;
		removed += r > 0 ? r : 0;
	}
	qsort(t, 10, sizeof *t, cmp_d);
	printf("history: %zu names, %.1f bytes/name (%.1f of it the name); index: %zu names, "
	       "%.1f bytes/name; purge of ~%ld names at %zu held: CPU median %.2f ms, max %.2f ms\n",
		hn, hn ? (double)hm / (double)hn : 0.0,
		hn ? (double)hist_name_bytes / (double)hn : 0.0, live,
		live ? (double)im / (double)live : 0.0, removed / 10, nindex_count(ix), t[5], t[9]);
	nindex_free(ix);
	return 0;
}
