/* keys.c -- TSIG keyring from the configuration and BIND key files. */
#include "server/keys.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Next token of a BIND key file: a quoted string, a word, or one of { } ;.
 * Comments (#, //, C-style) are skipped. Returns the token length, 0 at the end, -1 on an
 * unterminated string or a token longer than the buffer. */
static int next_token(const char **p, char *tok, size_t toksz, int *quoted)
{
	const char *s = *p;
	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (*s == '#' || (s[0] == '/' && s[1] == '/')) {
			while (*s && *s != '\n')
				s++;
			continue;
		}
		if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e ? e + 2 : s + strlen(s);
			continue;
		}
		break;
	}
	*quoted = 0;
	size_t n = 0;
	if (!*s) {
		*p = s;
		return 0;
	}
	if (*s == '{' || *s == '}' || *s == ';') {
		tok[n++] = *s++;
	} else if (*s == '"') {
		*quoted = 1;
		s++;
		while (*s && *s != '"') {
			if (n + 1 >= toksz)
				return -1;
			tok[n++] = *s++;
		}
		if (*s != '"')
			return -1;
		s++;
	} else {
		while (*s && !isspace((unsigned char)*s) && !strchr("{};\"", *s)) {
			if (n + 1 >= toksz)
				return -1;
			tok[n++] = *s++;
		}
	}
	tok[n] = '\0';
	*p = s;
	return (int)(n ? n : 1);
}

int keys_parse_bind(struct tsig_keyring *kr, const char *text, const char *what, char *err,
	size_t errlen)
{
	const char *p = text;
	char tok[1024], name[1024] = "", alg[1024] = "", secret[1024] = "";
	int q, n, added = 0;
	enum { TOP, NAME, OPEN, BODY, ALG, SECRET, SEMI, CLOSE_SEMI } st = TOP;
	int after_value = BODY;
	while ((n = next_token(&p, tok, sizeof tok, &q)) > 0) {
		switch (st) {
		case TOP:
			if (strcmp(tok, "key") != 0)
				goto bad;
			st = NAME;
			break;
		case NAME:
			snprintf(name, sizeof name, "%s", tok);
			alg[0] = secret[0] = '\0';
			st = OPEN;
			break;
		case OPEN:
			if (strcmp(tok, "{") != 0)
				goto bad;
			st = BODY;
			break;
		case BODY:
			if (strcmp(tok, "algorithm") == 0)
				st = ALG;
			else if (strcmp(tok, "secret") == 0)
				st = SECRET;
			else if (strcmp(tok, "}") == 0)
				st = CLOSE_SEMI;
			else
				goto bad;
			break;
		case ALG:
			snprintf(alg, sizeof alg, "%s", tok);
			st = SEMI;
			after_value = BODY;
			break;
		case SECRET:
			snprintf(secret, sizeof secret, "%s", tok);
			st = SEMI;
			after_value = BODY;
			break;
		case SEMI:
			if (strcmp(tok, ";") != 0)
				goto bad;
			st = after_value;
			break;
		case CLOSE_SEMI: {
			if (strcmp(tok, ";") != 0)
				goto bad;
			struct tsig_key k;
			const char *why = NULL;
			if (tsig_key_init(&k, name, alg[0] ? alg : "hmac-sha256", secret, &why) < 0) {
				snprintf(err, errlen, "%s: key \"%s\": %s", what, name, why ? why : "invalid");
				return -1;
			}
			if (tsig_keyring_add(kr, &k) < 0) {
				snprintf(err, errlen, "%s: key \"%.255s\" is defined twice", what, name);
				return -1;
			}
			added++;
			st = TOP;
			break;
		}
		}
	}
	if (n < 0 || st != TOP)
		goto bad;
	return added;
bad:
	snprintf(err, errlen, "%s: not a BIND key file (key \"name\" { algorithm ...; secret \"...\"; };)",
		what);
	return -1;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
		if (len + 1 == cap) {
			char *nb = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

struct tsig_keyring *keys_load(const struct nodd_config *cfg, char *err, size_t errlen)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	if (!kr) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < cfg->nkeys; i++) {
		const struct config_key *ck = &cfg->keys[i];
		if (ck->file) {
			char *text = read_file(ck->file);
			if (!text) {
				snprintf(err, errlen, "%s:%d: keys: cannot read %s", cfg->path, ck->line, ck->file);
				goto fail;
			}
			char what[600];
			snprintf(what, sizeof what, "%s:%d: keys: %s", cfg->path, ck->line, ck->file);
			int n = keys_parse_bind(kr, text, what, err, errlen);
			free(text);
			if (n < 0)
				goto fail;
			continue;
		}
		struct tsig_key k;
		const char *why = NULL;
		if (tsig_key_init(&k, ck->name, ck->algorithm ? ck->algorithm : "hmac-sha256",
			    ck->secret ? ck->secret : "", &why) < 0) {
			snprintf(err, errlen, "%s:%d: keys: %s: %s", cfg->path, ck->line, ck->name,
				why ? why : "invalid key");
			goto fail;
		}
		if (tsig_keyring_add(kr, &k) < 0) {
			snprintf(err, errlen, "%s:%d: keys: %s is defined twice", cfg->path, ck->line, ck->name);
			goto fail;
		}
	}
	return kr;
fail:
	tsig_keyring_free(kr);
	return NULL;
}
