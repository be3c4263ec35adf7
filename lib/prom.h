/* prom.h -- the one writer of Prometheus text exposition (format 0.0.4) for every module
 * that has metrics: a family header, then samples, label values escaped as the format
 * requires (backslash, double quote, newline). Writes to a stdio stream (open_memstream
 * for /metrics); owns no state and checks no names: callers pass valid metric names. */
#ifndef NODD_PROM_H
#define NODD_PROM_H

#include <stdint.h>
#include <stdio.h>

/* "# HELP name help\n# TYPE name type\n"; type is "counter" or "gauge". */
void prom_family(FILE *f, const char *name, const char *type, const char *help);

/* "name{l1="v1",l2="v2"} value\n"; a NULL label name ends the label list. */
void prom_sample(FILE *f, const char *name, const char *l1, const char *v1, const char *l2,
	const char *v2, uint64_t value);
/* The same with a signed or fractional value. */
void prom_sample_i(FILE *f, const char *name, const char *l1, const char *v1, int64_t value);
void prom_sample_f(FILE *f, const char *name, const char *l1, const char *v1, double value);
/* A sample with any number of labels: kv is name, value, name, value, ..., NULL. */
void prom_sample_kv(FILE *f, const char *name, const char *const *kv, uint64_t value);

#endif
