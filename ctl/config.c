/* config.c -- noddctl's reading of nodd's configuration file and of token files (see
 * ctl/config.h). Looks at three keys of the server section only; validates nothing else
 * (nodd -C checks a configuration). */
#include "ctl/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

int ctl_token_file(const char *path, char **token, struct nodd_err *e)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return nodd_fail(e, NODD_E_SYSTEM, "cannot read the token file %s: %s", path,
			strerror(errno));
	char buf[512];
	int got = fgets(buf, sizeof buf, f) != NULL;
	fclose(f);
	size_t n = got ? strcspn(buf, "\r\n") : 0;
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (!n)
		return nodd_fail(e, NODD_E_INVALID, "the token file %s holds no token", path);
	*token = strdup(buf);
	return *token ? 0 : nodd_fail(e, NODD_E_NOMEM, "out of memory");
}

static const char *scalar(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		yaml_node_t *v = yaml_document_get_node(d, p->value);
		if (k && v && k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return (const char *)v->data.scalar.value;
	}
	return NULL;
}

static yaml_node_t *section(yaml_document_t *d, const char *name)
{
	yaml_node_t *root = yaml_document_get_root_node(d);
	if (!root || root->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, name) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* "127.0.0.1@8053" -> http://127.0.0.1:8053; "::1@8053" -> http://[::1]:8053; a wildcard
 * address is reached on the loopback address of its family. */
static char *listener_url(const char *text)
{
	char host[128];
	const char *at = strrchr(text, '@');
	size_t hl = at ? (size_t)(at - text) : strlen(text);
	if (hl >= sizeof host)
		return NULL;
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (strcmp(host, "0.0.0.0") == 0)
		strcpy(host, "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		strcpy(host, "::1");
	char *url = malloc(hl + 48);
	if (url)
		sprintf(url, strchr(host, ':') ? "http://[%s]:%s" : "http://%s:%s", host,
			at ? at + 1 : "8053");
	return url;
}

int ctl_config_read(const char *path, char **url, char **token, struct nodd_err *e)
{
	*url = *token = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return nodd_fail(e, NODD_E_SYSTEM, "cannot read %s: %s", path, strerror(errno));
	yaml_parser_t p;
	yaml_document_t d;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	int ok = yaml_parser_load(&p, &d);
	yaml_parser_delete(&p);
	fclose(f);
	if (!ok)
		return nodd_fail(e, NODD_E_INVALID, "%s: not a YAML file", path);
	yaml_node_t *server = section(&d, "server");
	const char *http = scalar(&d, server, "http");
	const char *tok = scalar(&d, server, "http-token");
	const char *db = scalar(&d, server, "database");
	int rc = 0;
	if (http && !(*url = listener_url(http)))
		rc = nodd_fail(e, NODD_E_INVALID, "%s: server.http: cannot read \"%s\"", path, http);
	if (rc == 0 && tok && *tok && !(*token = strdup(tok)))
		rc = nodd_fail(e, NODD_E_NOMEM, "out of memory");
	if (rc == 0 && !*token && db) {
		char tf[4096];
		snprintf(tf, sizeof tf, "%s.token", db);
		rc = ctl_token_file(tf, token, e);
	}
	yaml_document_delete(&d);
	if (rc < 0) {
		free(*url);
		*url = NULL;
	}
	return rc;
}
