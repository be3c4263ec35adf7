/* prom.c -- Prometheus text writer (see prom.h).
 * Holds no state; never decides which metrics exist. */
#include "lib/prom.h"

#include <inttypes.h>

static void label(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s=\"", name);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f), fputc(*p, f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* name{k1="v1",...}; kv ends at its first NULL label name. */
static void head_kv(FILE *f, const char *name, const char *const *kv)
{
	fputs(name, f);
	if (!kv[0])
		return;
	fputc('{', f);
	for (size_t i = 0; kv[i]; i += 2) {
		if (i)
			fputc(',', f);
		label(f, kv[i], kv[i + 1]);
	}
	fputc('}', f);
}

static void head(FILE *f, const char *name, const char *l1, const char *v1, const char *l2,
	const char *v2)
{
	const char *kv[] = { l1, v1, l1 ? l2 : NULL, v2, NULL };
	head_kv(f, name, kv);
}

void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void prom_sample(FILE *f, const char *name, const char *l1, const char *v1, const char *l2,
	const char *v2, uint64_t value)
{
	head(f, name, l1, v1, l2, v2);
	fprintf(f, " %" PRIu64 "\n", value);
}

void prom_sample_kv(FILE *f, const char *name, const char *const *kv, uint64_t value)
{
	head_kv(f, name, kv);
	fprintf(f, " %" PRIu64 "\n", value);
}

void prom_sample_i(FILE *f, const char *name, const char *l1, const char *v1, int64_t value)
{
	head(f, name, l1, v1, NULL, NULL);
	fprintf(f, " %" PRId64 "\n", value);
}

void prom_sample_f(FILE *f, const char *name, const char *l1, const char *v1, double value)
{
	head(f, name, l1, v1, NULL, NULL);
	fprintf(f, " %.17g\n", value);
}
