/* schema.h -- inside conf/ only: the one table of configuration keys (conf/schema.c) and
 * the YAML readers it is walked with (conf/parse.c). A row names a key once: its section,
 * type, field (offsetof), default, bounds, whether a reload applies it, and, for a key
 * whose shape a type does not cover, the function that reads it. Parsing, defaults,
 * freeing and the reload diff (config.c) are all derived from the rows. Nothing outside
 * conf/ includes this file; nothing here knows the network, the store or the daemon. */
#ifndef NODD_CONF_SCHEMA_H
#define NODD_CONF_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "conf/config.h"
#include "lib/err.h"

/* One load: the file, its YAML document, the config being filled, the first error. */
struct cctx {
	const char *file;
	yaml_document_t *doc;
	struct nodd_config *cfg;
	struct nodd_err *e;
	int failed;
	/* line of the publish.min-interval and transfer.min-interval values (0: not given):
	 * the two spell one setting, so the second must agree with the first */
	int min_interval_line[2];
	/* line of the server.log-level and log.level values (0: not given): one setting too */
	int log_level_line[2];
};

enum opt_type {
	OPT_INT,      /* whole number in [min, max]: int, uint32_t or int64_t by size */
	OPT_DURATION, /* "90", "90s", "5m", "2h", "1d" -> seconds in [min, max], stored as OPT_INT */
	OPT_BOOL,     /* yes/true/on, no/false/off -> int 1/0 */
	OPT_ENUM,     /* one of words[] exactly -> int index */
	OPT_STRING,   /* non-empty text -> char * (freed with the config) */
	OPT_NAME,     /* a domain name, normalised -> char * */
	OPT_ADDR,     /* address@port (defport) -> struct config_addr */
	OPT_NAMES,    /* one name or a list -> char *[max], count at count_off */
	OPT_ADDRS,    /* one address or a list -> struct config_addr[max], count at count_off */
	OPT_SECTION,  /* a mapping read with the rows of section "<section>.<key>" */
	OPT_LIST,     /* a list of mappings, each an element read with the rows of list->section */
	OPT_CUSTOM,   /* read by parse(); same() compares it (none: never compared) */
};

/* What a reload (SIGHUP) does with a changed value; the reload diff names the others. */
enum opt_reload {
	OPT_RELOADED = 0,     /* applied by the reload (daemon/main.c swaps it in) */
	OPT_RESTART,          /* waits for a restart; named by its key ("server.listen") */
	OPT_RESTART_SECTION,  /* waits for a restart; named by its top section ("files") */
};

struct opt_row;
typedef int (*opt_parse_fn)(struct cctx *c, const struct opt_row *r, void *base,
	yaml_node_t *k, yaml_node_t *v, const char *key);
typedef int (*opt_same_fn)(const struct opt_row *r, const void *a, const void *b);
typedef void (*opt_free_fn)(const struct opt_row *r, void *base);
/* After an element of a list is read: check it, fill what depends on other keys. */
typedef int (*opt_done_fn)(struct cctx *c, void *item, int index, yaml_node_t *e,
	const char *key);

struct opt_list {
	const char *section;        /* rows of each element: "upstreams", "transfer.allow" */
	size_t arr_off, count_off;  /* the array pointer and its int count in the parent */
	size_t elem_size;
	opt_done_fn done;
};

struct opt_row {
	const char *section;        /* "" for the top level, "server", "kafka.topics", ... */
	const char *key;
	enum opt_type type;
	size_t off, size;           /* the field in the struct the section fills */
	size_t count_off;           /* OPT_NAMES, OPT_ADDRS */
	long long def, min, max;    /* numbers; max is also the capacity of NAMES and ADDRS */
	const char *def_text;       /* STRING, NAME, ADDR(S), NAMES */
	int defport;                /* ADDR, ADDRS */
	const char *const *words;   /* ENUM */
	enum opt_reload reload;
	const char *required;       /* the key must be given; "" or an example for the message */
	const char *hint;           /* OPT_SECTION: added to its "unknown key" errors */
	const struct opt_list *list;
	opt_parse_fn parse;         /* replaces the type's reader; the type still frees */
	opt_same_fn same;           /* replaces the type's comparison in the reload diff */
	opt_free_fn free;           /* OPT_CUSTOM memory */
	int alias;                  /* another spelling of a setting another row names: left
	                             * out of the reload report, which names that row */
};

/* The table (conf/schema.c), ended by a row with key NULL. */
extern const struct opt_row config_schema[];

/* ---- conf/parse.c: readers; each failure is "FILE:LINE: key: why" in c->e ---- */

__attribute__((format(printf, 5, 6)))
int conf_fail(struct cctx *c, enum nodd_errkind kind, const yaml_node_t *n, const char *key,
	const char *fmt, ...);
#define cerr(c, n, key, ...) conf_fail((c), NODD_E_INVALID, (n), (key), __VA_ARGS__)

const char *conf_scalar(struct cctx *c, yaml_node_t *n, const char *key);
int conf_duration(struct cctx *c, yaml_node_t *n, const char *key, int64_t min, int64_t max,
	int64_t *out);
int conf_name(struct cctx *c, yaml_node_t *n, const char *key, char **out);
int conf_string(struct cctx *c, yaml_node_t *n, const char *key, char **out);

/* Call fn(c, arg, k, v, "section.key") for each pair of map; duplicate keys are an error. */
typedef int (*conf_pair_fn)(struct cctx *c, void *arg, yaml_node_t *k, yaml_node_t *v,
	const char *key);
int conf_each_pair(struct cctx *c, yaml_node_t *map, const char *section, conf_pair_fn fn,
	void *arg);

/* Read the mapping map into base with the rows of section. */
int conf_parse_section(struct cctx *c, const char *section, void *base, yaml_node_t *map);
/* Every required key of section (and of the sections under it, not lists) is given. */
int conf_check_required(struct cctx *c, const char *section, const void *base,
	yaml_node_t *at);

/* ct: the checks across its keys once all are read (user-agent when logs are given). */
int conf_ct_finish(struct cctx *c, yaml_node_t *root);

/* ---- conf/config.c: the other derivations, also used for list elements ---- */
void conf_defaults(const char *section, void *base);
void conf_free_section(const char *section, void *base);
int conf_same_section(const char *section, const void *a, const void *b);

/* The field of row r in base. */
#define OPT_FIELD(r, base) ((void *)((char *)(base) + (r)->off))
#define OPT_CFIELD(r, base) ((const void *)((const char *)(base) + (r)->off))
long long opt_get_num(const struct opt_row *r, const void *base);
void opt_set_num(const struct opt_row *r, void *base, long long v);

#endif
