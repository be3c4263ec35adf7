/* config.c -- the configuration's life cycle, derived from the rows of conf/schema.c:
 * defaults, loading a file (YAML document -> rows -> checks across sections), freeing,
 * and the reload diff (which changed settings wait for a restart). Names no key itself
 * except where two sections meet (key references, the hostmaster default); a new key is
 * a row in schema.c, never a line here. */
#include "conf/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/schema.h"
#include "lib/sockaddr.h"

long long opt_get_num(const struct opt_row *r, const void *base)
{
	const void *f = OPT_CFIELD(r, base);
	if (r->size == sizeof(int64_t)) {
		int64_t v;
		memcpy(&v, f, sizeof v);
		return v;
	}
	int32_t v; /* int and uint32_t fields: every bound in the schema is below 2^31 */
	memcpy(&v, f, sizeof v);
	return v;
}

void opt_set_num(const struct opt_row *r, void *base, long long v)
{
	void *f = OPT_FIELD(r, base);
	if (r->size == sizeof(int64_t)) {
		int64_t x = v;
		memcpy(f, &x, sizeof x);
	} else {
		int32_t x = (int32_t)v;
		memcpy(f, &x, sizeof x);
	}
}

static void sub_section(char *buf, size_t n, const struct opt_row *r)
{
	snprintf(buf, n, "%s%s%s", r->section, *r->section ? "." : "", r->key);
}

void conf_defaults(const char *section, void *base)
{
	for (const struct opt_row *r = config_schema; r->key; r++) {
		if (strcmp(r->section, section) != 0)
			continue;
		void *f = OPT_FIELD(r, base);
		const char *why;
		char sub[64];
		switch (r->type) {
		case OPT_SECTION:
			sub_section(sub, sizeof sub, r);
			conf_defaults(sub, base);
			break;
		case OPT_STRING:
		case OPT_NAME:
			if (r->def_text)
				*(char **)f = strdup(r->def_text);
			break;
		case OPT_NAMES:
			if (r->def_text) {
				((char **)f)[0] = strdup(r->def_text);
				*(int *)(void *)((char *)base + r->count_off) = 1;
			}
			break;
		case OPT_ADDR:
		case OPT_ADDRS:
			if (r->def_text) {
				struct config_addr *a = f;
				if (sa_parse(r->def_text, r->defport, &a->ss, &a->len, &why) == 0)
					sa_text((const struct sockaddr *)&a->ss, a->text, sizeof a->text);
				if (r->type == OPT_ADDRS)
					*(int *)(void *)((char *)base + r->count_off) = 1;
			}
			break;
		case OPT_LIST:
			break;
		default:
			if (r->size)
				opt_set_num(r, base, r->def);
			break;
		}
	}
}

void conf_free_section(const char *section, void *base)
{
	for (const struct opt_row *r = config_schema; r->key; r++) {
		if (strcmp(r->section, section) != 0)
			continue;
		void *f = OPT_FIELD(r, base);
		char sub[64];
		if (r->free)
			r->free(r, base);
		switch (r->type) {
		case OPT_SECTION:
			sub_section(sub, sizeof sub, r);
			conf_free_section(sub, base);
			break;
		case OPT_STRING:
		case OPT_NAME:
			free(*(char **)f);
			break;
		case OPT_NAMES:
			for (int i = 0; i < *(int *)(void *)((char *)base + r->count_off); i++)
				free(((char **)f)[i]);
			break;
		case OPT_LIST: {
			const struct opt_list *l = r->list;
			char *arr = *(char **)(void *)((char *)base + l->arr_off);
			int n = *(int *)(void *)((char *)base + l->count_off);
			for (int i = 0; i < n; i++)
				conf_free_section(l->section, arr + (size_t)i * l->elem_size);
			free(arr);
			break;
		}
		default:
			break;
		}
	}
}

void config_free(struct nodd_config *cfg)
{
	if (!cfg)
		return;
	conf_free_section("", cfg);
	free(cfg->path);
	free(cfg);
}

static int str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The value of row r is the same in a and b (each the struct its section fills). */
static int row_same(const struct opt_row *r, const void *a, const void *b)
{
	if (r->same)
		return r->same(r, a, b);
	const void *fa = OPT_CFIELD(r, a), *fb = OPT_CFIELD(r, b);
	switch (r->type) {
	case OPT_STRING:
	case OPT_NAME: return str_same(*(char *const *)fa, *(char *const *)fb);
	case OPT_ADDR:
		return strcmp(((const struct config_addr *)fa)->text,
			((const struct config_addr *)fb)->text) == 0;
	case OPT_NAMES:
	case OPT_ADDRS: {
		int na = *(const int *)(const void *)((const char *)a + r->count_off);
		int nb = *(const int *)(const void *)((const char *)b + r->count_off);
		if (na != nb)
			return 0;
		for (int i = 0; i < na; i++)
			if (r->type == OPT_NAMES ? !str_same(((char *const *)fa)[i], ((char *const *)fb)[i])
			    : strcmp(((const struct config_addr *)fa)[i].text,
				      ((const struct config_addr *)fb)[i].text) != 0)
				return 0;
		return 1;
	}
	case OPT_LIST: {
		const struct opt_list *l = r->list;
		int na = *(const int *)(const void *)((const char *)a + l->count_off);
		int nb = *(const int *)(const void *)((const char *)b + l->count_off);
		const char *xa = *(char *const *)(const void *)((const char *)a + l->arr_off);
		const char *xb = *(char *const *)(const void *)((const char *)b + l->arr_off);
		if (na != nb)
			return 0;
		for (int i = 0; i < na; i++)
			if (!conf_same_section(l->section, xa + (size_t)i * l->elem_size,
				    xb + (size_t)i * l->elem_size))
				return 0;
		return 1;
	}
	case OPT_SECTION:
	case OPT_CUSTOM: return 1; /* sections are compared row by row; custom rows by same() */
	default: return opt_get_num(r, a) == opt_get_num(r, b);
	}
}

int conf_same_section(const char *section, const void *a, const void *b)
{
	for (const struct opt_row *r = config_schema; r->key; r++) {
		char sub[64];
		if (strcmp(r->section, section) != 0)
			continue;
		sub_section(sub, sizeof sub, r);
		if (r->type == OPT_SECTION ? !conf_same_section(sub, a, b) : !row_same(r, a, b))
			return 0;
	}
	return 1;
}

static void name_change(struct config_changes *out, const char *name)
{
	size_t o = strlen(out->names), len = strlen(name);
	const char *last = o >= len ? out->names + o - len : NULL;
	if (last && strcmp(last, name) == 0 && (last == out->names || last[-1] == ' '))
		return; /* a section already named by an earlier row of it */
	snprintf(out->names + o, sizeof out->names - o, "%s%s", out->count ? ", " : "", name);
	out->count++;
}

/* The rows of section that differ between run and n: those a reload applies (applied
 * 1) or those that wait for a restart (applied 0). */
static void diff_section(const char *section, const struct nodd_config *run,
	const struct nodd_config *n, int applied, struct config_changes *out)
{
	for (const struct opt_row *r = config_schema; r->key; r++) {
		char sub[64];
		if (strcmp(r->section, section) != 0 || r->alias)
			continue;
		sub_section(sub, sizeof sub, r);
		if (r->type == OPT_SECTION) {
			diff_section(sub, run, n, applied, out);
		} else if ((r->reload == OPT_RELOADED) == applied && !row_same(r, run, n)) {
			if (r->reload == OPT_RESTART_SECTION)
				snprintf(sub, sizeof sub, "%.*s", (int)strcspn(r->section, "."), r->section);
			name_change(out, sub);
		}
	}
}

int config_restart_changes(const struct nodd_config *run, const struct nodd_config *n,
	struct config_changes *out)
{
	memset(out, 0, sizeof *out);
	diff_section("", run, n, 0, out);
	return out->count;
}

int config_reload_changes(const struct nodd_config *run, const struct nodd_config *n,
	struct config_changes *out)
{
	memset(out, 0, sizeof *out);
	diff_section("", run, n, 1, out);
	return out->count;
}

/* A key name used by another section must be one of keys: (inline names only). */
static int key_ref(struct cctx *c, const char *what, const char *name, int line)
{
	const struct nodd_config *cfg = c->cfg;
	if (!name)
		return 0;
	for (int j = 0; j < cfg->nkeys; j++)
		if (cfg->keys[j].name && strcmp(cfg->keys[j].name, name) == 0)
			return 0;
	c->failed = 1;
	return nodd_fail(c->e, NODD_E_NOTFOUND, "%s:%d: %s: no key named %s under keys", c->file,
		line, what, name);
}

/* The checks across sections, once every key is read. */
static int finish(struct cctx *c, yaml_node_t *root)
{
	struct nodd_config *cfg = c->cfg;
	if (conf_check_required(c, "", cfg, root) < 0)
		return -1;
	int file_keys = 0;
	for (int i = 0; i < cfg->nkeys; i++)
		file_keys += cfg->keys[i].file != NULL;
	/* Names from key files are only known once the files are read (conf/keys.c checks
	 * them again there); inline names are checked here. */
	for (int i = 0; !file_keys && i < cfg->nupstreams; i++)
		if (key_ref(c, "upstreams.key", cfg->upstreams[i].key, cfg->upstreams[i].line) < 0)
			return -1;
	for (int i = 0; !file_keys && i < cfg->nxfr_allow; i++)
		if (key_ref(c, "transfer.allow.key", cfg->xfr_allow[i].key, cfg->xfr_allow[i].line) < 0)
			return -1;
	for (int i = 0; !file_keys && i < cfg->nnotify; i++)
		if (key_ref(c, "transfer.notify.key", cfg->notify[i].key, cfg->notify[i].line) < 0)
			return -1;
	if (conf_ct_finish(c, root) < 0)
		return -1;
	if (!cfg->hostmaster) {
		char buf[512];
		snprintf(buf, sizeof buf, "hostmaster.%s", cfg->suffix);
		cfg->hostmaster = strdup(buf);
		if (!cfg->hostmaster)
			return conf_fail(c, NODD_E_NOMEM, root, NULL, "out of memory");
	}
	return 0;
}

static int load_document(const char *path, yaml_document_t *doc, struct nodd_err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return nodd_fail(e, NODD_E_SYSTEM, "%s:0: cannot read the file: %s", path,
			strerror(errno));
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	int rc = 0;
	if (!yaml_parser_load(&parser, doc))
		rc = nodd_fail(e, NODD_E_INVALID, "%s:%lu: invalid YAML: %s%s%s", path,
			(unsigned long)(parser.problem_mark.line + 1),
			parser.problem ? parser.problem : "syntax error",
			parser.context ? " " : "", parser.context ? parser.context : "");
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

struct nodd_config *config_load(const char *path, struct nodd_err *e)
{
	struct nodd_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg || !(cfg->path = strdup(path))) {
		free(cfg);
		nodd_fail(e, NODD_E_NOMEM, "%s: out of memory", path);
		return NULL;
	}
	conf_defaults("", cfg);
	cfg->has_http = 1;
	yaml_document_t doc;
	if (load_document(path, &doc, e) < 0) {
		config_free(cfg);
		return NULL;
	}
	struct cctx c = { .file = path, .doc = &doc, .cfg = cfg, .e = e };
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	int rc;
	if (!root)
		rc = cerr(&c, NULL, NULL, "the file is empty");
	else
		rc = conf_parse_section(&c, "", cfg, root);
	if (rc == 0)
		rc = finish(&c, root);
	yaml_document_delete(&doc);
	if (rc < 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}
