/* counters.c -- named event counters (see counters.h).
 *
 * One table of 128 slots, each claimed once by compare-and-swap of its name pointer, then
 * only incremented. Names are static strings, compared by pointer first and by text when
 * the pointers differ (the same literal in two files may have two addresses). */
#include "lib/counters.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/prom.h"

#define METRICS_NAMED 128

struct named {
	_Atomic(const char *) name;
	atomic_uint_least64_t value;
};

static struct named named[METRICS_NAMED];
static atomic_uint_least64_t named_overflow; /* increments lost to a full table */

void metrics_inc(const char *name, uint64_t by)
{
	for (size_t i = 0; i < METRICS_NAMED; i++) {
		const char *n = atomic_load_explicit(&named[i].name, memory_order_acquire);
		if (!n) {
			const char *expect = NULL;
			if (atomic_compare_exchange_strong_explicit(&named[i].name, &expect, name,
				memory_order_acq_rel, memory_order_acquire))
				n = name;
			else
				n = expect; /* another thread claimed the slot first */
		}
		if (n == name || strcmp(n, name) == 0) {
			atomic_fetch_add_explicit(&named[i].value, by, memory_order_relaxed);
			return;
		}
	}
	atomic_fetch_add_explicit(&named_overflow, by, memory_order_relaxed);
}

/* A metric name part: [a-zA-Z0-9_] kept, anything else becomes '_'. */
static void sanitize_name(const char *in, char *out, size_t outsz)
{
	size_t i = 0;
	for (; in[i] && i + 1 < outsz; i++) {
		char c = in[i];
		int okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '_';
		out[i] = okc ? c : '_';
	}
	out[i] = '\0';
}

struct named_snap {
	char name[96];
	uint64_t value;
};

static int named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named_snap *)a)->name, ((const struct named_snap *)b)->name);
}

void counters_write(FILE *f)
{
	struct named_snap snap[METRICS_NAMED];
	size_t n = 0;
	for (size_t i = 0; i < METRICS_NAMED; i++) {
		const char *nm = atomic_load_explicit(&named[i].name, memory_order_acquire);
		if (!nm)
			continue;
		sanitize_name(nm, snap[n].name, sizeof snap[n].name);
		snap[n].value = atomic_load_explicit(&named[i].value, memory_order_relaxed);
		n++;
	}
	qsort(snap, n, sizeof snap[0], named_cmp);
	for (size_t i = 0; i < n;) {
		/* Two names that sanitize alike ("a-b", "a_b") are one series. */
		uint64_t v = snap[i].value;
		size_t j = i + 1;
		while (j < n && strcmp(snap[j].name, snap[i].name) == 0)
			v += snap[j++].value;
		char name[128], help[128];
		snprintf(name, sizeof name, "nodd_%s_total", snap[i].name);
		snprintf(help, sizeof help, "Count of %s events.", snap[i].name);
		prom_family(f, name, "counter", help);
		prom_sample(f, name, NULL, NULL, NULL, NULL, v);
		i = j;
	}
	uint64_t lost = atomic_load_explicit(&named_overflow, memory_order_relaxed);
	if (lost) {
		prom_family(f, "nodd_metrics_overflow_total", "counter",
			"Event increments not counted because the table of counter names is full.");
		prom_sample(f, "nodd_metrics_overflow_total", NULL, NULL, NULL, NULL, lost);
	}
}

