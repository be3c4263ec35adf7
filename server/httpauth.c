/* httpauth.c -- who may use the HTTP listener: the checks every request passes before it
 * is routed (the Host it names, and for a write, any POST, its Origin, bearer token and,
 * for the observations, Content-Type), and the token file generated next to the
 * database when no server.http-token is configured. Reads headers only; never reads or answers a body
 * (server/http.c answers, server/httpconn.c applies the same checks before the body is read).
 *
 * DESIGN
 * The checks take a header list, not a request, so the connection gate can run them on
 * the headers it parsed itself as soon as the header block is complete, and the router
 * runs them again on evhttp's parse of the same headers: both reach the same answer.
 * A browser is kept out of the write endpoints three ways: it cannot send the token (a
 * foreign page does not know it), a cross-site form cannot send application/json without
 * a CORS preflight nodd never answers, and a foreign Origin is refused. DNS rebinding is
 * refused by the Host check: a page served under an attacker's name carries that name. */
#define LOG_CATEGORY LOG_CAT_API
#include "server/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "lib/log.h"

/* ---- the token file ------------------------------------------------------------------ */

#define TOKEN_BYTES 32
#define TOKEN_FILE_MAX 512

static int token_read(const char *path, int fd, char **out, struct nodd_err *e)
{
	char buf[TOKEN_FILE_MAX + 1];
	ssize_t n = read(fd, buf, TOKEN_FILE_MAX);
	struct stat st;
	if (n >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 077))
		log_warn("http: %s can be read by other users (mode %03o): chmod 600 it",
			path, (unsigned)(st.st_mode & 0777));
	close(fd);
	if (n < 0)
		return nodd_fail(e, NODD_E_SYSTEM, "http: cannot read %s: %s", path, strerror(errno));
	buf[n] = '\0';
	size_t len = strcspn(buf, "\r\n");
	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	if (!len)
		return nodd_fail(e, NODD_E_INVALID, "http: %s holds no token (delete it to have a "
			"new one made)", path);
	*out = strdup(buf);
	return *out ? 0 : nodd_fail(e, NODD_E_NOMEM, "http: out of memory");
}

static int token_create(const char *path, char **out, struct nodd_err *e)
{
	unsigned char raw[TOKEN_BYTES];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return nodd_fail(e, NODD_E_SYSTEM, "http: no random bytes for a token: %s",
			strerror(errno));
	char hex[2 * TOKEN_BYTES + 2];
	for (int i = 0; i < TOKEN_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return nodd_fail(e, NODD_E_SYSTEM, "http: cannot create %s: %s", path, strerror(errno));
	hex[2 * TOKEN_BYTES] = '\n';
	size_t len = 2 * TOKEN_BYTES + 1;
	int ok = write(fd, hex, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		int err = errno;
		unlink(path);
		return nodd_fail(e, NODD_E_SYSTEM, "http: cannot write %s: %s", path, strerror(err));
	}
	hex[2 * TOKEN_BYTES] = '\0';
	*out = strdup(hex);
	if (!*out)
		return nodd_fail(e, NODD_E_NOMEM, "http: out of memory");
	log_info("http: made a bearer token for writes in %s (server.http-token is not set)", path);
	return 0;
}

int http_token_file(const char *database, char **out, struct nodd_err *e)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s.token", database) >= (int)sizeof path)
		return nodd_fail(e, NODD_E_INVALID, "http: database path too long for a token file");
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return token_read(path, fd, out, e);
	if (errno != ENOENT)
		return nodd_fail(e, NODD_E_SYSTEM, "http: cannot open %s: %s", path, strerror(errno));
	return token_create(path, out, e);
}

/* The token writes must carry: server.http-token, else the token file's (made on first
 * need). NULL when neither can be had: then every write is refused. */
static const char *token_wanted(struct http_server *h)
{
	const char *cfg = h->env.cfg ? h->env.cfg->http_token : NULL;
	if (cfg && *cfg)
		return cfg;
	if (!h->file_token && h->env.cfg && h->env.cfg->database) {
		struct nodd_err e;
		if (http_token_file(h->env.cfg->database, &h->file_token, &e) < 0)
			log_err("%s", e.msg);
	}
	return h->file_token;
}

/* ---- the checks ---------------------------------------------------------------------- */

/* Compare in time that depends on the lengths only, never on where the bytes differ. */
static int token_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char diff = (unsigned char)(alen != blen);
	size_t n = alen > blen ? alen : blen;
	for (size_t i = 0; i < n; i++) {
		unsigned char x = i < alen ? (unsigned char)a[i] : 0;
		unsigned char y = i < blen ? (unsigned char)b[i] : 0;
		diff |= (unsigned char)(x ^ y);
	}
	return diff == 0;
}

static int bearer_ok(const char *got, const char *want)
{
	if (!want || !got)
		return 0;
	while (*got == ' ' || *got == '\t')
		got++;
	if (strncasecmp(got, "Bearer", 6) != 0 || (got[6] != ' ' && got[6] != '\t'))
		return 0;
	got += 6;
	while (*got == ' ' || *got == '\t')
		got++;
	size_t glen = strlen(got);
	while (glen && (got[glen - 1] == ' ' || got[glen - 1] == '\t'))
		glen--;
	return token_equal(got, glen, want, strlen(want));
}

/* Host: an address literal (any: a browser sends one only when its user typed it),
 * localhost, or a name of server.http-hosts; a port is not looked at. */
static int host_allowed(const struct http_server *h, const char *host)
{
	char name[256];
	size_t n = strlen(host);
	if (n >= sizeof name)
		return 0;
	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return 0;
		memcpy(name, host + 1, (size_t)(end - host - 1));
		name[end - host - 1] = '\0';
		struct in6_addr a6;
		return inet_pton(AF_INET6, name, &a6) == 1;
	}
	memcpy(name, host, n + 1);
	char *colon = strchr(name, ':');
	if (colon)
		*colon = '\0';
	n = strlen(name);
	if (n && name[n - 1] == '.')
		name[--n] = '\0';
	struct in_addr a4;
	if (inet_pton(AF_INET, name, &a4) == 1 || strcasecmp(name, "localhost") == 0)
		return 1;
	for (int i = 0; h->env.cfg && i < h->env.cfg->nhttp_hosts; i++)
		if (strcasecmp(name, h->env.cfg->http_hosts[i]) == 0)
			return 1;
	return 0;
}

/* Origin "http://<Host>" or "https://<Host>": the page is served by this listener. */
static int origin_same(const char *origin, const char *host)
{
	if (!host)
		return 0;
	if (strncasecmp(origin, "http://", 7) == 0)
		origin += 7;
	else if (strncasecmp(origin, "https://", 8) == 0)
		origin += 8;
	else
		return 0;
	return strcasecmp(origin, host) == 0;
}

/* application/json, with parameters or not ("application/json; charset=utf-8"). */
static int json_media_type(const char *ct)
{
	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	static const char want[] = "application/json";
	if (strncasecmp(ct, want, sizeof want - 1) != 0)
		return 0;
	ct += sizeof want - 1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

int http_check_request(struct http_server *h, enum evhttp_cmd_type cmd, const char *path,
	const struct evkeyvalq *hdrs, const char **msg)
{
	const char *host = evhttp_find_header(hdrs, "Host");
	if (host && !host_allowed(h, host)) {
		*msg = "Host names neither an address of this listener nor a name of "
			"server.http-hosts";
		return 421;
	}
	/* every POST is a write (observations, the allow-list, the control), and so is the
	 * allow-list's DELETE */
	if (cmd != EVHTTP_REQ_POST && !(cmd == EVHTTP_REQ_DELETE && api_allow_path(path)))
		return 0;
	const char *origin = evhttp_find_header(hdrs, "Origin");
	if (origin && !origin_same(origin, host)) {
		*msg = "cross-origin writes are refused";
		return 403;
	}
	if (!bearer_ok(evhttp_find_header(hdrs, "Authorization"), token_wanted(h))) {
		*msg = "missing or wrong bearer token";
		return 401;
	}
	/* The control endpoints take no body (one sent is never read: server/httpconn.c), so
	 * `curl -X POST` with the token is enough for them. */
	if (cmd == EVHTTP_REQ_POST && (strcmp(path, HTTP_OBSERVATIONS_PATH) == 0 ||
		api_allow_path(path)) && !json_media_type(evhttp_find_header(hdrs, "Content-Type"))) {
		*msg = "writes must be sent as Content-Type: application/json";
		return 415;
	}
	return 0;
}
