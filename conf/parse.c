/* parse.c -- reads YAML nodes into option fields by the rows of the schema (schema.h):
 * one reader per type, the walk of a mapping (unknown and duplicate keys are errors,
 * never ignored) and of a list of mappings, and the required-key check. Every error is
 * "FILE:LINE: key: why" with the line of the node at fault. Owns no table and no key
 * names (conf/schema.c does); allocates only the fields it fills. */
#include "conf/schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dname.h"
#include "lib/sockaddr.h"

int conf_fail(struct cctx *c, enum nodd_errkind kind, const yaml_node_t *n, const char *key,
	const char *fmt, ...)
{
	if (c->failed)
		return -1;
	c->failed = 1;
	char why[sizeof c->e->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return nodd_fail(c->e, kind, "%s:%lu: %s%s%s", c->file,
		n ? (unsigned long)n->start_mark.line + 1 : 1UL, key ? key : "", key ? ": " : "", why);
}

const char *conf_scalar(struct cctx *c, yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		cerr(c, n, key, "expected a single value");
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* A whole number, or with duration set "90", "90s", "5m", "2h", "1d" in seconds; in
 * [min, max] (min >= 0). */
static int get_number(struct cctx *c, yaml_node_t *n, const char *key, long long min,
	long long max, int duration, long long *out)
{
	const char *s = conf_scalar(c, n, key);
	if (!s)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	long long mul = 1;
	if (duration && end != s && *end && !end[1]) {
		switch (*end) {
		case 's': mul = 1; end++; break;
		case 'm': mul = 60; end++; break;
		case 'h': mul = 3600; end++; break;
		case 'd': mul = 86400; end++; break;
		default: break;
		}
	}
	if (errno || end == s || *end || v < 0 || v > max / mul || v * mul < min) {
		if (duration)
			return cerr(c, n, key, "expected a duration such as 30s, 5m or 1h (%lld..%lld s), not \"%s\"",
				min, max, s);
		return cerr(c, n, key, "expected a whole number from %lld to %lld, not \"%s\"",
			min, max, s);
	}
	*out = v * mul;
	return 0;
}

int conf_duration(struct cctx *c, yaml_node_t *n, const char *key, int64_t min, int64_t max,
	int64_t *out)
{
	long long v;
	if (get_number(c, n, key, min, max, 1, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

int conf_name(struct cctx *c, yaml_node_t *n, const char *key, char **out)
{
	const char *s = conf_scalar(c, n, key);
	if (!s)
		return -1;
	char norm[DNAME_MAX_TEXT + 1];
	const char *why = NULL;
	if (dname_text_normalize(s, norm, sizeof norm, &why) < 0)
		return cerr(c, n, key, "\"%s\" is not a valid domain name: %s", s, why);
	free(*out);
	*out = strdup(norm);
	return *out ? 0 : conf_fail(c, NODD_E_NOMEM, n, key, "out of memory");
}

int conf_string(struct cctx *c, yaml_node_t *n, const char *key, char **out)
{
	const char *s = conf_scalar(c, n, key);
	if (!s)
		return -1;
	if (!*s)
		return cerr(c, n, key, "must not be empty");
	free(*out);
	*out = strdup(s);
	return *out ? 0 : conf_fail(c, NODD_E_NOMEM, n, key, "out of memory");
}

static int get_addr(struct cctx *c, yaml_node_t *n, const char *key, int defport,
	struct config_addr *out)
{
	const char *s = conf_scalar(c, n, key);
	if (!s)
		return -1;
	const char *why = NULL;
	memset(out, 0, sizeof *out);
	if (sa_parse(s, defport, &out->ss, &out->len, &why) < 0)
		return cerr(c, n, key, "\"%s\": %s", s, why);
	sa_text((const struct sockaddr *)&out->ss, out->text, sizeof out->text);
	return 0;
}

static int get_bool(struct cctx *c, yaml_node_t *n, const char *key, int *out)
{
	const char *s = conf_scalar(c, n, key);
	if (!s)
		return -1;
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off")) {
		*out = 0;
		return 0;
	}
	return cerr(c, n, key, "expected yes or no, not \"%s\"", s);
}

static int get_enum(struct cctx *c, const struct opt_row *r, yaml_node_t *n, const char *key,
	int *out)
{
	const char *s = conf_scalar(c, n, key);
	if (!s)
		return -1;
	char list[128] = "";
	int nw = 0;
	while (r->words[nw])
		nw++;
	for (int i = 0; i < nw; i++) {
		if (strcmp(s, r->words[i]) == 0) {
			*out = i;
			return 0;
		}
		size_t o = strlen(list);
		snprintf(list + o, sizeof list - o, "%s%s", i == 0 ? "" : i == nw - 1 ? " or " : ", ",
			r->words[i]);
	}
	return cerr(c, n, key, "expected %s, not \"%s\"", list, s);
}

/* One value or a list into the fixed array of a NAMES or ADDRS row. */
static int get_many(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *v,
	const char *key)
{
	int addrs = r->type == OPT_ADDRS;
	int *count = (int *)(void *)((char *)base + r->count_off);
	if (!addrs)
		for (int i = 0; i < *count; i++) {
			free(((char **)OPT_FIELD(r, base))[i]);
			((char **)OPT_FIELD(r, base))[i] = NULL;
		}
	*count = 0;
	yaml_node_t *one = v->type == YAML_SCALAR_NODE ? v : NULL;
	yaml_node_item_t *it = one ? NULL : v->data.sequence.items.start;
	if (!one && v->type != YAML_SEQUENCE_NODE)
		return cerr(c, v, key, "expected a list of %s", addrs ? "address@port" : "host names");
	for (; one || it < v->data.sequence.items.top; it++) {
		if (*count == r->max)
			return cerr(c, v, key, "at most %lld %s", r->max, addrs ? "addresses" : "names");
		yaml_node_t *e = one ? one : yaml_document_get_node(c->doc, *it);
		int rc = addrs ? get_addr(c, e, key, r->defport,
				(struct config_addr *)OPT_FIELD(r, base) + *count)
			: conf_name(c, e, key, (char **)OPT_FIELD(r, base) + *count);
		(*count)++;
		if (rc < 0 || one)
			return rc;
	}
	if (*count == 0)
		return cerr(c, v, key, "needs at least one %s", addrs ? "address" : "name");
	return 0;
}

/* A list of mappings: each element grows the array by one, starts from the defaults of
 * its rows, is read, then checked by done(). */
static int get_list(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *seq,
	const char *key)
{
	const struct opt_list *l = r->list;
	void **arr = (void **)(void *)((char *)base + l->arr_off);
	int *n = (int *)(void *)((char *)base + l->count_off);
	if (seq->type != YAML_SEQUENCE_NODE)
		return cerr(c, seq, key, "expected a list");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		void *na = realloc(*arr, (size_t)(*n + 1) * l->elem_size);
		if (!na)
			return conf_fail(c, NODD_E_NOMEM, e, key, "out of memory");
		*arr = na;
		void *item = (char *)na + (size_t)*n * l->elem_size;
		memset(item, 0, l->elem_size);
		conf_defaults(l->section, item);
		(*n)++;
		if (conf_parse_section(c, l->section, item, e) < 0 ||
		    conf_check_required(c, l->section, item, e) < 0 ||
		    (l->done && l->done(c, item, *n - 1, e, key) < 0))
			return -1;
	}
	return 0;
}

static int parse_row(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	if (r->parse)
		return r->parse(c, r, base, k, v, key);
	void *f = OPT_FIELD(r, base);
	long long n = 0;
	int i = 0;
	switch (r->type) {
	case OPT_INT:
	case OPT_DURATION:
		if (get_number(c, v, key, r->min, r->max, r->type == OPT_DURATION, &n) < 0)
			return -1;
		opt_set_num(r, base, n);
		return 0;
	case OPT_BOOL:
	case OPT_ENUM:
		if ((r->type == OPT_BOOL ? get_bool(c, v, key, &i) : get_enum(c, r, v, key, &i)) < 0)
			return -1;
		opt_set_num(r, base, i);
		return 0;
	case OPT_STRING: return conf_string(c, v, key, (char **)f);
	case OPT_NAME: return conf_name(c, v, key, (char **)f);
	case OPT_ADDR: return get_addr(c, v, key, r->defport, f);
	case OPT_NAMES:
	case OPT_ADDRS: return get_many(c, r, base, v, key);
	case OPT_LIST: return get_list(c, r, base, v, key);
	case OPT_SECTION: {
		char sub[64];
		snprintf(sub, sizeof sub, "%s%s%s", r->section, *r->section ? "." : "", r->key);
		return conf_parse_section(c, sub, base, v);
	}
	case OPT_CUSTOM: break;
	}
	return cerr(c, v, key, "no reader for this key");
}

int conf_each_pair(struct cctx *c, yaml_node_t *map, const char *section, conf_pair_fn fn,
	void *arg)
{
	if (map->type != YAML_MAPPING_NODE)
		return cerr(c, map, section, "expected a mapping of keys");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return cerr(c, k ? k : map, section, "keys must be plain names");
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = yaml_document_get_node(c->doc, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    strcmp((char *)k2->data.scalar.value, (char *)k->data.scalar.value) == 0)
				return cerr(c, k, (char *)k->data.scalar.value,
					"duplicate key (first on line %lu)",
					(unsigned long)k2->start_mark.line + 1);
		}
		char full[128];
		snprintf(full, sizeof full, "%s%s%s", section && *section ? section : "",
			section && *section ? "." : "", (const char *)k->data.scalar.value);
		if (fn(c, arg, k, v, full) < 0)
			return -1;
	}
	return 0;
}

static const struct opt_row *find_row(const char *section, const char *key)
{
	for (const struct opt_row *r = config_schema; r->key; r++)
		if (strcmp(r->section, section) == 0 && strcmp(r->key, key) == 0)
			return r;
	return NULL;
}

/* The row whose OPT_SECTION value is section ("kafka.topics"), for its hint. */
static const struct opt_row *section_row(const char *section)
{
	const char *dot = strrchr(section, '.');
	char parent[64] = "";
	if (dot)
		snprintf(parent, sizeof parent, "%.*s", (int)(dot - section), section);
	return find_row(parent, dot ? dot + 1 : section);
}

struct walk {
	const char *section;
	void *base;
};

static int section_pair(struct cctx *c, void *arg, yaml_node_t *k, yaml_node_t *v,
	const char *key)
{
	const struct walk *w = arg;
	const struct opt_row *r = find_row(w->section, (const char *)k->data.scalar.value);
	if (!r) {
		const struct opt_row *s = *w->section ? section_row(w->section) : NULL;
		return cerr(c, k, key, "unknown key%s", s && s->hint ? s->hint : "");
	}
	return parse_row(c, r, w->base, k, v, key);
}

int conf_parse_section(struct cctx *c, const char *section, void *base, yaml_node_t *map)
{
	struct walk w = { section, base };
	return conf_each_pair(c, map, *section ? section : NULL, section_pair, &w);
}

static int is_given(const struct opt_row *r, const void *base)
{
	const void *f = OPT_CFIELD(r, base);
	switch (r->type) {
	case OPT_STRING:
	case OPT_NAME: return *(char *const *)f != NULL;
	case OPT_ADDR: return ((const struct config_addr *)f)->len != 0;
	case OPT_NAMES:
	case OPT_ADDRS: return *(const int *)(const void *)((const char *)base + r->count_off) > 0;
	default: return 1;
	}
}

int conf_check_required(struct cctx *c, const char *section, const void *base,
	yaml_node_t *at)
{
	for (const struct opt_row *r = config_schema; r->key; r++) {
		if (strcmp(r->section, section) != 0)
			continue;
		if (r->type == OPT_SECTION) {
			char sub[64];
			snprintf(sub, sizeof sub, "%s%s%s", section, *section ? "." : "", r->key);
			if (conf_check_required(c, sub, base, at) < 0)
				return -1;
		} else if (r->required && !is_given(r, base)) {
			if (!*r->required) /* an element of a list: the list names it */
				return cerr(c, at, section, "missing required key %s", r->key);
			char full[64];
			snprintf(full, sizeof full, "%s.%s", section, r->key);
			return cerr(c, at, full, "missing required key (e.g. %s)", r->required);
		}
	}
	return 0;
}
