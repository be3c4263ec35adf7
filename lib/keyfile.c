/* keyfile.c -- BIND key-file reader (key "n" { algorithm a; secret "s"; };) for TSIG keys:
 * a tokenizer, the key clause, the skipping of other named.conf statements, and the
 * all-or-nothing hand-over to the keyring. Reads text and files; never logs. Errors are
 * struct nodd_err with "FILE:LINE: message". */
#include "lib/keyfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "lib/grow.h"

#define KF_TOKEN_MAX 2048

enum kf_tok { KF_EOF, KF_WORD, KF_STRING, KF_LBRACE, KF_RBRACE, KF_SEMI, KF_ERROR };

struct kf {
	const char *p, *end;
	const char *fname;
	int line;
	int tok_line;              /* line where the last token started */
	char tok[KF_TOKEN_MAX];
	struct nodd_err *e;
	int failed;
};

static void kf_error(struct kf *k, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A NODD_E_INVALID failure "FILE:LINE: message"; only the first one of a parse is kept
 * (later ones are its consequences). */
static void kf_error(struct kf *k, int line, const char *fmt, ...)
{
	if (k->failed)
		return;
	k->failed = 1;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	nodd_fail(k->e, NODD_E_INVALID, "%s:%d: %s", k->fname, line, msg);
}

/* Skip whitespace and the three comment styles. Returns -1 on an unterminated comment. */
static int kf_skip(struct kf *k)
{
	while (k->p < k->end) {
		char c = *k->p;
		if (c == '\n') {
			k->line++;
			k->p++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			k->p++;
		} else if (c == '#' || (c == '/' && k->p + 1 < k->end && k->p[1] == '/')) {
			while (k->p < k->end && *k->p != '\n')
				k->p++;
		} else if (c == '/' && k->p + 1 < k->end && k->p[1] == '*') {
			int start = k->line;
			k->p += 2;
			for (;;) {
				if (k->p + 1 >= k->end) {
					kf_error(k, start, "unterminated /* comment");
					return -1;
				}
				if (*k->p == '*' && k->p[1] == '/') {
					k->p += 2;
					break;
				}
				if (*k->p == '\n')
					k->line++;
				k->p++;
			}
		} else {
			break;
		}
	}
	return 0;
}

static enum kf_tok kf_next(struct kf *k)
{
	if (kf_skip(k) < 0)
		return KF_ERROR;
	k->tok_line = k->line;
	k->tok[0] = '\0';
	if (k->p >= k->end)
		return KF_EOF;
	char c = *k->p;
	if (c == '{' || c == '}' || c == ';') {
		k->p++;
		k->tok[0] = c;
		k->tok[1] = '\0';
		return c == '{' ? KF_LBRACE : c == '}' ? KF_RBRACE : KF_SEMI;
	}
	size_t n = 0;
	if (c == '"') {
		k->p++;
		for (;;) {
			if (k->p >= k->end) {
				kf_error(k, k->tok_line, "unterminated string");
				return KF_ERROR;
			}
			c = *k->p++;
			if (c == '"')
				break;
			if (c == '\\' && k->p < k->end)
				c = *k->p++;
			if (c == '\n')
				k->line++;
			if (n + 1 >= sizeof k->tok) {
				kf_error(k, k->tok_line, "string longer than %d characters", KF_TOKEN_MAX - 1);
				return KF_ERROR;
			}
			k->tok[n++] = c;
		}
		k->tok[n] = '\0';
		return KF_STRING;
	}
	while (k->p < k->end) {
		c = *k->p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' ||
			c == '{' || c == '}' || c == ';' || c == '"' || c == '#' ||
			(c == '/' && k->p + 1 < k->end && (k->p[1] == '/' || k->p[1] == '*')))
			break;
		if (n + 1 >= sizeof k->tok) {
			kf_error(k, k->tok_line, "word longer than %d characters", KF_TOKEN_MAX - 1);
			return KF_ERROR;
		}
		k->tok[n++] = c;
		k->p++;
	}
	k->tok[n] = '\0';
	return KF_WORD;
}

static const char *tok_desc(enum kf_tok t, const char *text)
{
	switch (t) {
	case KF_EOF: return "end of file";
	case KF_ERROR: return "error";
	default: return text;
	}
}

static int kf_expect(struct kf *k, enum kf_tok want, const char *what)
{
	enum kf_tok t = kf_next(k);
	if (t == want)
		return 0;
	if (t != KF_ERROR)
		kf_error(k, k->tok_line, "expected %s, found '%s'", what, tok_desc(t, k->tok));
	return -1;
}

/* named.conf statements that may sit next to key clauses; skipped whole. */
static const char *const skipped[] = {
	"server", "zone", "options", "acl", "primaries", "masters", "controls", "logging",
	"view", NULL
};

static int kf_skip_statement(struct kf *k, int line, const char *word)
{
	int depth = 0;
	for (;;) {
		enum kf_tok t = kf_next(k);
		switch (t) {
		case KF_ERROR:
			return -1;
		case KF_EOF:
			kf_error(k, line, "'%s' statement not terminated by ';'", word);
			return -1;
		case KF_LBRACE:
			depth++;
			break;
		case KF_RBRACE:
			if (--depth < 0) {
				kf_error(k, k->tok_line, "unbalanced '}'");
				return -1;
			}
			break;
		case KF_SEMI:
			if (depth == 0)
				return 0;
			break;
		default:
			break;
		}
	}
}

struct pending {
	struct tsig_key key;
	int line;
};

/* key NAME { algorithm A; secret "S"; }; -- the word "key" is consumed. */
static int kf_key(struct kf *k, struct pending *out)
{
	char name[KF_TOKEN_MAX], alg[KF_TOKEN_MAX], secret[KF_TOKEN_MAX];
	int key_line = k->tok_line, name_line, alg_line = 0, secret_line = 0;
	int rc = -1;
	enum kf_tok t = kf_next(k);
	if (t != KF_WORD && t != KF_STRING) {
		if (t != KF_ERROR)
			kf_error(k, k->tok_line, "expected key name after 'key', found '%s'",
				tok_desc(t, k->tok));
		goto out;
	}
	memcpy(name, k->tok, sizeof name);
	name_line = k->tok_line;
	if (kf_expect(k, KF_LBRACE, "'{' after the key name") < 0)
		goto out;
	for (;;) {
		t = kf_next(k);
		if (t == KF_RBRACE)
			break;
		if (t != KF_WORD) {
			if (t != KF_ERROR)
				kf_error(k, k->tok_line, "key \"%s\": expected algorithm or secret, found '%s'",
					name, tok_desc(t, k->tok));
			goto out;
		}
		int is_alg = strcasecmp(k->tok, "algorithm") == 0;
		if (!is_alg && strcasecmp(k->tok, "secret") != 0) {
			kf_error(k, k->tok_line, "key \"%s\": unknown option '%s' (expected algorithm or secret)",
				name, k->tok);
			goto out;
		}
		int opt_line = k->tok_line;
		if ((is_alg && alg_line) || (!is_alg && secret_line)) {
			kf_error(k, opt_line, "key \"%s\": %s given twice", name,
				is_alg ? "algorithm" : "secret");
			goto out;
		}
		t = kf_next(k);
		if (t != KF_WORD && t != KF_STRING) {
			if (t != KF_ERROR)
				kf_error(k, k->tok_line, "key \"%s\": missing value for %s", name,
					is_alg ? "algorithm" : "secret");
			goto out;
		}
		if (is_alg) {
			memcpy(alg, k->tok, sizeof alg);
			alg_line = k->tok_line;
		} else {
			memcpy(secret, k->tok, sizeof secret);
			secret_line = k->tok_line;
		}
		if (kf_expect(k, KF_SEMI, "';'") < 0)
			goto out;
	}
	if (kf_expect(k, KF_SEMI, "';' after '}'") < 0)
		goto out;
	if (!alg_line) {
		kf_error(k, key_line, "key \"%s\": missing algorithm", name);
		goto out;
	}
	if (!secret_line) {
		kf_error(k, key_line, "key \"%s\": missing secret", name);
		goto out;
	}
	/* Check each part separately so the message names the line of the culprit. */
	if (tsig_alg_from_name(alg) == TSIG_ALG_UNKNOWN) {
		kf_error(k, alg_line, "key \"%s\": unsupported algorithm '%s' (use hmac-sha256 or "
			"hmac-sha512; hmac-sha1, -sha224, -sha384 also work)", name, alg);
		goto out;
	}
	const char *why = NULL;
	size_t slen;
	if (tsig_base64_decode(secret, out->key.secret, sizeof out->key.secret, &slen, &why) < 0) {
		kf_error(k, secret_line, "key \"%s\": bad secret: %s", name, why);
		goto out;
	}
	if (tsig_key_init(&out->key, name, alg, secret, &why) < 0) {
		kf_error(k, name_line, "key \"%s\": %s", name, why);
		goto out;
	}
	out->line = key_line;
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof secret);
	return rc;
}

/* A failure that is not the text's fault, "FILE:LINE: out of memory" or similar. */
static void kf_fail(struct kf *k, enum nodd_errkind kind, int line, const char *what)
{
	if (k->failed)
		return;
	k->failed = 1;
	nodd_fail(k->e, kind, "%s:%d: %s", k->fname, line, what);
}

struct pending_list {
	struct pending *keys;
	size_t n, cap;
};

/* After the word "key": read the clause into the list, refusing a name given twice in the
 * text or already in kr. */
static int kf_key_statement(struct kf *k, const struct tsig_keyring *kr, struct pending_list *l)
{
	if (grow_array(&l->keys, &l->cap, l->n + 1, sizeof *l->keys) < 0) {
		kf_fail(k, NODD_E_NOMEM, k->tok_line, "out of memory");
		return -1;
	}
	struct pending *p = &l->keys[l->n];
	if (kf_key(k, p) < 0)
		return -1;
	l->n++;
	for (size_t i = 0; i + 1 < l->n; i++)
		if (l->keys[i].key.name_len == p->key.name_len &&
			memcmp(l->keys[i].key.name, p->key.name, p->key.name_len) == 0) {
			kf_error(k, p->line, "key \"%s\" defined twice (first at line %d)",
				p->key.name_text, l->keys[i].line);
			return -1;
		}
	if (tsig_keyring_find(kr, p->key.name, p->key.name_len)) {
		kf_error(k, p->line, "key \"%s\" is already defined", p->key.name_text);
		return -1;
	}
	return 0;
}

/* One top-level statement: a key clause, or one of the skipped named.conf statements. */
static int kf_statement(struct kf *k, const struct tsig_keyring *kr, struct pending_list *l)
{
	if (strcasecmp(k->tok, "key") == 0)
		return kf_key_statement(k, kr, l);
	for (int i = 0; skipped[i]; i++)
		if (strcasecmp(k->tok, skipped[i]) == 0)
			return kf_skip_statement(k, k->tok_line, skipped[i]);
	kf_error(k, k->tok_line, "unknown statement '%s' (expected key)", k->tok);
	return -1;
}

int keyfile_parse(const char *text, size_t len, const char *fname, struct tsig_keyring *kr,
	struct nodd_err *e)
{
	struct kf k = { .p = text, .end = text + len, .fname = fname ? fname : "(keys)", .line = 1,
		.e = e };
	struct pending_list l = { NULL, 0, 0 };
	int rc = -1;
	for (;;) {
		enum kf_tok t = kf_next(&k);
		if (t == KF_EOF)
			break;
		if (t == KF_ERROR)
			goto out;
		if (t != KF_WORD) {
			kf_error(&k, k.tok_line, "expected a statement, found '%s'", k.tok);
			goto out;
		}
		if (kf_statement(&k, kr, &l) < 0)
			goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		/* Only memory can fail here (the names were checked above); the keys added
		 * before the failure stay in kr. */
		int r = tsig_keyring_add(kr, &l.keys[i].key);
		if (r < 0) {
			char what[400];
			snprintf(what, sizeof what, "key \"%s\": %s", l.keys[i].key.name_text,
				tsig_strerror(r));
			kf_fail(&k, r == TSIG_E_NOMEM ? NODD_E_NOMEM : NODD_E_INVALID, l.keys[i].line,
				what);
			goto out;
		}
	}
	rc = (int)l.n;
out:
	if (l.keys) {
		OPENSSL_cleanse(l.keys, l.cap * sizeof *l.keys);
		free(l.keys);
	}
	return rc;
}

/* The whole file at path into *buf (caller cleanses and frees), at most 16 MiB. */
static int read_file(const char *path, char **buf, size_t *len, size_t *cap,
	struct nodd_err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return nodd_fail(e, errno == ENOENT ? NODD_E_NOTFOUND : NODD_E_SYSTEM, "%s: %s", path,
			strerror(errno));
	*buf = NULL;
	*len = *cap = 0;
	for (;;) {
		/* 4 KiB at first: a key file fits, and no copy of its secrets is left behind by a
		 * reallocation */
		if (*len == *cap && (*cap >= (16u << 20) ||
			    grow_array(buf, cap, *len < 4096 ? 4096 : *len + 1, 1) < 0)) {
			fclose(f);
			return nodd_fail(e, NODD_E_LIMIT, "%s: file too large or out of memory", path);
		}
		size_t r = fread(*buf + *len, 1, *cap - *len, f);
		*len += r;
		if (r == 0)
			break;
	}
	int rd_err = ferror(f);
	fclose(f);
	if (rd_err)
		return nodd_fail(e, NODD_E_SYSTEM, "%s: read error", path);
	return 0;
}

int keyfile_load(const char *path, struct tsig_keyring *kr, struct nodd_err *e)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = read_file(path, &buf, &len, &cap, e);
	if (rc == 0)
		rc = keyfile_parse(buf, len, path, kr, e);
	if (buf) {
		OPENSSL_cleanse(buf, cap);
		free(buf);
	}
	return rc;
}
