/* prom.c -- Prometheus text writer (see prom.h). */
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

static void head(FILE *f, const char *name, const char *l1, const char *v1, const char *l2,
	const char *v2)
{
	fputs(name, f);
	if (!l1)
		return;
	fputc('{', f);
	label(f, l1, v1);
	if (l2) {
		fputc(',', f);
		label(f, l2, v2);
	}
	fputc('}', f);
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
