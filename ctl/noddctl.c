/* noddctl.c -- command-line client of the nodd HTTP API (docs/noddctl.md): the commands,
 * their arguments, what they print and how they exit. Speaks HTTP only through
 * ctl/http.h: requests go one after the other on one kept-alive connection (an import
 * sends its batches back to back and waits for each answer before sending the next, so a
 * refused batch stops the import before anything after it is sent).
 *
 * Exit codes: 0 done; 1 the server refused or did not find something, or the input is
 * malformed; 2 the daemon cannot be reached or answered something that is not HTTP;
 * 64 usage error. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl/config.h"
#include "ctl/control.h"
#include "ctl/http.h"
#include "lib/dname.h"
#include "lib/err.h"
#include "lib/grow.h"

#ifndef NODD_VERSION
#define NODD_VERSION "unknown"
#endif

#define DEFAULT_URL "http://127.0.0.1:8053"
/* Names per batch: each batch is one transaction holding the daemon's event loop while
 * it is applied, about 4 us a new name plus the commit (bench_import.sh: up to about
 * 0.3 s for 50,000 new names). Each commit writes again the pages of the names table its
 * names land in, most of them at these sizes, so fewer, larger batches cost less a name:
 * 50,000 imported new names about 270,000 a second there, 20,000 about 210,000. */
#define IMPORT_BATCH 50000
/* --batch: must fit the 32 MiB body cap */
#define IMPORT_BATCH_MAX 200000

static const char *prog = "noddctl";

static void die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

/* ---- requests ---------------------------------------------------------------------- */

/* One request and its response. body may be NULL. Exits (2) when the daemon cannot be
 * reached or does not answer HTTP. */
static void request(struct http_client *c, const char *method, const char *path, const char *body,
	size_t blen, struct http_reply *r)
{
	struct nodd_err e;
	if (http_request(c, method, path, body, blen, r, &e) < 0)
		die(EXIT_UNREACHABLE, "%s", e.msg);
}

void ctl_request(struct http_client *c, const char *method, const char *path,
	const char *body, size_t blen, struct http_reply *r)
{
	request(c, method, path, body, blen, r);
}

/* ---- output ---------------------------------------------------------------------- */

/* Print a JSON body pretty on stdout; the raw text when it is not JSON. */
static void print_json(const struct http_reply *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->body, r->len, JSON_DECODE_ANY, &e);
	if (!j) {
		fwrite(r->body, 1, r->len, stdout);
		if (r->len && r->body[r->len - 1] != '\n')
			fputc('\n', stdout);
		return;
	}
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

/* The server's "error" (and "field"), or the status line and text. */
static void print_error(const struct http_reply *r, const char *what)
{
	json_error_t e;
	json_t *j = json_loadb(r->body, r->len, 0, &e);
	const char *msg = j ? json_string_value(json_object_get(j, "error")) : NULL;
	const char *field = j ? json_string_value(json_object_get(j, "field")) : NULL;
	if (msg)
		fprintf(stderr, "%s: %s%s%s%s%s%s\n", prog, what ? what : "", what ? ": " : "", msg,
			field ? " (field " : "", field ? field : "", field ? ")" : "");
	else
		fprintf(stderr, "%s: %s%sHTTP %d%s%.*s\n", prog, what ? what : "", what ? ": " : "",
			r->status, r->len ? ": " : "", (int)strcspn(r->body, "\r\n"), r->body);
	if (r->status == 401)
		fprintf(stderr, "%s: the daemon wants a bearer token: give it with -t, --token-file "
			"or -c (the daemon's configuration)\n", prog);
	json_decref(j);
}

void ctl_print_error(const struct http_reply *r, const char *what)
{
	print_error(r, what);
}

/* ---- commands --------------------------------------------------------------------- */

static int cmd_status(struct http_client *c)
{
	struct http_reply r;
	request(c, "GET", "/api/v1/status", NULL, 0, &r);
	int rc = 0;
	if (r.status == 200) {
		print_json(&r);
	} else {
		print_error(&r, "status");
		rc = EXIT_REFUSED;
	}
	free(r.body);
	return rc;
}

/* prefix then name percent-encoded (RFC 3986 unreserved characters kept) into path. */
static void path_with_name(const char *prefix, const char *name, char *path, size_t size)
{
	size_t n = (size_t)snprintf(path, size, "%s", prefix);
	for (const unsigned char *p = (const unsigned char *)name; *p && n + 4 < size; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~')
			path[n++] = (char)*p;
		else
			n += (size_t)snprintf(path + n, size - n, "%%%02X", *p);
	}
	path[n] = '\0';
}

static int cmd_lookup(struct http_client *c, const char *name)
{
	char path[1024];
	path_with_name("/api/v1/domains/", name, path, sizeof path);
	struct http_reply r;
	request(c, "GET", path, NULL, 0, &r);
	int rc = 0;
	if (r.status == 200) {
		print_json(&r);
	} else if (r.status == 404) {
		fprintf(stderr, "%s: %s: not found (never observed)\n", prog, name);
		rc = EXIT_REFUSED;
	} else {
		print_error(&r, name);
		rc = EXIT_REFUSED;
	}
	free(r.body);
	return rc;
}

static int cmd_observe(struct http_client *c, const char *name, long long at, const char *source)
{
	json_t *o = json_object();
	json_object_set_new(o, "domain", json_string(name));
	if (at >= 0)
		json_object_set_new(o, "first_seen", json_integer(at));
	json_object_set_new(o, "source", json_string(source));
	if (!json_object_get(o, "domain") || !json_object_get(o, "source"))
		die(EXIT_USAGE, "NAME and --source must be UTF-8 text");
	char *body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!body)
		die(EXIT_UNREACHABLE, "out of memory");
	struct http_reply r;
	request(c, "POST", "/api/v1/observations", body, strlen(body), &r);
	free(body);
	int rc = 0;
	if (r.status == 200) {
		print_json(&r);
	} else {
		print_error(&r, name);
		rc = EXIT_REFUSED;
	}
	free(r.body);
	return rc;
}

/* allow: list the entries (name NULL) or add one; unallow (on 0): remove one. */
static int cmd_allow(struct http_client *c, const char *name, int on)
{
	struct http_reply r;
	char *body = NULL;
	char path[1024];
	if (!name) {
		request(c, "GET", "/api/v1/allow", NULL, 0, &r);
	} else if (on) {
		json_t *o = json_pack("{s:s}", "name", name);
		body = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!body)
			die(EXIT_USAGE, "NAME must be UTF-8 text");
		request(c, "POST", "/api/v1/allow", body, strlen(body), &r);
	} else {
		path_with_name("/api/v1/allow/", name, path, sizeof path);
		request(c, "DELETE", path, NULL, 0, &r);
	}
	free(body);
	int rc = 0;
	if (r.status == 200) {
		print_json(&r);
	} else {
		print_error(&r, name ? name : "allow");
		rc = EXIT_REFUSED;
	}
	free(r.body);
	return rc;
}

#define IMPORT_BUSY_TRIES 120 /* 503 answers to one batch before the import gives up */

struct import {
	struct http_client *c;
	const char *file;         /* for messages */
	char *src_json;           /* the source as a JSON string, quotes included */
	char *body;               /* the batch being built: "[{...},{...}" */
	size_t blen, bcap;
	long *lines;              /* line number of each item of the batch */
	int n, batch;             /* items in the batch, and per batch */
	unsigned long long total, fresh;
	int baseline;             /* names recorded as known: never new, listed or streamed */
	int tty;
	struct timespec t0;
};

static double elapsed(const struct import *im)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - im->t0.tv_sec) + (double)(t.tv_nsec - im->t0.tv_nsec) / 1e9;
}

static void body_add(struct import *im, const char *s, size_t n)
{
	if (im->blen + n + 1 > im->bcap &&
	    grow_array(&im->body, &im->bcap, im->blen + n + 1, 1) < 0)
		die(EXIT_UNREACHABLE, "out of memory");
	memcpy(im->body + im->blen, s, n);
	im->blen += n;
}

static void import_open(struct import *im);

/* Send the batch; exits on a refusal, naming the line of the refused item. */
static void import_flush(struct import *im)
{
	if (im->n == 0)
		return;
	if (im->baseline)
		body_add(im, "]}", 2);
	else
		body_add(im, "]", 1);
	struct http_reply r;
	request(im->c, "POST", "/api/v1/observations", im->body, im->blen, &r);
	/* 503: the store is busy for a while (a zone's first transfer being written) and the
	 * batch was not stored: sent again after a second, a bounded number of times */
	for (int tries = 0; r.status == 503 && tries < IMPORT_BUSY_TRIES; tries++) {
		if (im->tty)
			fputs("\r\033[K", stderr);
		if (tries == 0)
			fprintf(stderr, "%s: the server is busy (503); sending the batch again every "
				"second, up to %d times\n", prog, IMPORT_BUSY_TRIES);
		free(r.body);
		sleep(1);
		request(im->c, "POST", "/api/v1/observations", im->body, im->blen, &r);
	}
	if (r.status != 200) {
		if (im->tty)
			fputs("\r\033[K", stderr);
		json_error_t e;
		json_t *j = json_loadb(r.body, r.len, 0, &e);
		const char *field = j ? json_string_value(json_object_get(j, "field")) : NULL;
		const char *msg = j ? json_string_value(json_object_get(j, "error")) : NULL;
		long idx = -1;
		if (field && field[0] == '[')
			idx = strtol(field + 1, NULL, 10);
		if (msg && idx >= 0 && idx < im->n)
			fprintf(stderr, "%s:%ld: %s\n", im->file, im->lines[idx], msg);
		else
			print_error(&r, "import");
		fprintf(stderr, "%s: import stopped: that batch of %d names was refused as a whole; "
			"%llu names before it were imported (%llu new)\n", prog, im->n, im->total, im->fresh);
		json_decref(j);
		free(r.body);
		exit(EXIT_REFUSED);
	}
	json_error_t e;
	json_t *j = json_loadb(r.body, r.len, 0, &e);
	json_t *acc = j ? json_object_get(j, "accepted") : NULL;
	json_t *nw = j ? json_object_get(j, "new") : NULL;
	if (im->baseline) /* the names the store did not hold; none of them is new */
		nw = j ? json_object_get(j, "baseline") : NULL;
	if (!json_is_integer(acc) || !json_is_integer(nw))
		die(EXIT_UNREACHABLE, "unexpected answer to a batch: %.200s", r.body);
	im->total += (unsigned long long)json_integer_value(acc);
	im->fresh += (unsigned long long)json_integer_value(nw);
	json_decref(j);
	free(r.body);
	im->n = 0;
	im->blen = 0;
	import_open(im);
	if (im->tty) {
		double s = elapsed(im);
		fprintf(stderr, "\r%llu names (%llu new), %.0f names/s", im->total, im->fresh,
			s > 0 ? (double)im->total / s : 0.0);
		fflush(stderr);
	}
}

static void import_fail(const struct import *im, long line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

/* The start of a batch: an array, or the object whose baseline flag an older server
 * refuses (docs/api.md) instead of taking the names as new. */
static void import_open(struct import *im)
{
	static const char head[] = "{\"baseline\":true,\"observations\":[";
	if (im->baseline)
		body_add(im, head, sizeof head - 1);
	else
		body_add(im, "[", 1);
}
static void import_fail(const struct import *im, long line, const char *fmt, ...)
{
	if (im->tty)
		fputs("\r\033[K", stderr);
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s:%ld: ", im->file, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fprintf(stderr, "%s: import stopped before sending the batch holding that line; "
		"%llu names before it were imported (%llu new)\n", prog, im->total, im->fresh);
	exit(EXIT_REFUSED);
}

static int cmd_import(struct http_client *c, const char *path, const char *source, int baseline,
	int batch)
{
	struct import *im = calloc(1, sizeof *im);
	if (im)
		im->lines = malloc((size_t)batch * sizeof *im->lines);
	if (!im || !im->lines)
		die(EXIT_UNREACHABLE, "out of memory");
	im->batch = batch;
	im->c = c;
	im->baseline = baseline;
	FILE *f = stdin;
	im->file = "<stdin>";
	if (strcmp(path, "-") != 0) {
		f = fopen(path, "r");
		if (!f)
			die(EXIT_REFUSED, "%s: %s", path, strerror(errno));
		im->file = path;
	}
	json_t *js = json_string(source);
	im->src_json = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
	json_decref(js);
	if (!im->src_json)
		die(EXIT_USAGE, "--source must be UTF-8 text");
	im->tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &im->t0);
	import_open(im);

	char *line = NULL;
	size_t lcap = 0;
	ssize_t ll;
	long lineno = 0;
	char item[DNAME_MAX_TEXT + 600];
	while ((ll = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		if ((size_t)ll != strlen(line))
			import_fail(im, lineno, "NUL byte in the line");
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *save = NULL;
		char *name = strtok_r(line, " \t\r\n\v\f", &save);
		if (!name)
			continue;
		char *fs = strtok_r(NULL, " \t\r\n\v\f", &save);
		if (strtok_r(NULL, " \t\r\n\v\f", &save))
			import_fail(im, lineno, "too many fields (expected: name [first_seen])");
		char norm[DNAME_MAX_TEXT + 1];
		const char *why = NULL;
		if (dname_text_normalize(name, norm, sizeof norm, &why) < 0)
			import_fail(im, lineno, "invalid domain name: %s", why);
		long long at = -1;
		if (fs) {
			char *end = NULL;
			errno = 0;
			at = strtoll(fs, &end, 10);
			if (errno || *end || at < 0 || fs[0] == '-' || fs[0] == '+')
				import_fail(im, lineno, "first_seen must be a non-negative integer (unix seconds): %s",
					fs);
		}
		/* Norm text is [a-z0-9_.-] only, so it goes into JSON unescaped. */
		int n = at >= 0
			? snprintf(item, sizeof item, "%s{\"domain\":\"%s\",\"first_seen\":%lld,\"source\":%s}",
				im->n ? "," : "", norm, at, im->src_json)
			: snprintf(item, sizeof item, "%s{\"domain\":\"%s\",\"source\":%s}",
				im->n ? "," : "", norm, im->src_json);
		if (n < 0 || (size_t)n >= sizeof item)
			import_fail(im, lineno, "line too long");
		body_add(im, item, (size_t)n);
		im->lines[im->n++] = lineno;
		if (im->n == im->batch)
			import_flush(im);
	}
	if (ferror(f))
		die(EXIT_REFUSED, "%s: read error: %s", im->file, strerror(errno));
	import_flush(im);
	if (f != stdin)
		fclose(f);
	free(line);
	if (im->tty)
		fputs("\r\033[K", stderr);
	if (baseline)
		printf("imported %llu names as baseline (%llu not known before) in %.1f s\n",
			im->total, im->fresh, elapsed(im));
	else
		printf("imported %llu names (%llu new) in %.1f s\n", im->total, im->fresh,
			elapsed(im));
	free(im->body);
	free(im->src_json);
	free(im->lines);
	free(im);
	return 0;
}

/* ---- main -------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: noddctl [-c CONFIG] [-s URL] [-t TOKEN | --token-file FILE] COMMAND [ARGS]\n"
		"commands:\n"
		"  observe NAME [--at UNIX] [--source S]  record an observation (default source \"noddctl\")\n"
		"  lookup NAME                            what nodd knows of a name\n"
		"  status                                 daemon status\n"
		"  allow [NAME]                           never list NAME (or *.NAME: every name\n"
		"                                         below it); without NAME: the allow-list\n"
		"  unallow NAME                           take NAME off the allow-list\n"
		"  import FILE|-                          lines \"name [first_seen]\", # comments;\n"
		"         [--source S]                    sent in batches of %d (default source \"import\")\n"
		"         [--baseline]                    record them as known: never new, listed or streamed\n"
		"         [--batch N]                     names per batch (one transaction each), 1..%d\n"
		"  zone-status [ZONE]                     upstream and published zones: serials, transfers,\n"
		"                                         next refresh, errors, consumers, NOTIFY\n"
		"  retransfer ZONE                        full AXFR of an upstream zone now\n"
		"  refresh ZONE                           SOA query of an upstream zone now\n"
		"  notify [ZONE]                          NOTIFY the published zones (or one) again\n"
		"  reload                                 as SIGHUP: what was applied, what waits for a restart\n"
		"options:\n"
		"  -s, --server URL   daemon HTTP API (env NODD_URL; default %s)\n"
		"  -c, --config FILE  nodd's configuration: URL from server.http, token from\n"
		"                     server.http-token or <server.database>.token (env NODD_CONFIG)\n"
		"  -t, --token TOKEN  bearer token for the writes (env NODD_TOKEN)\n"
		"  --token-file FILE  read the bearer token from FILE (env NODD_TOKEN_FILE)\n"
		"  --json             (after the command) print the server's JSON\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this text\n"
		"exit: 0 ok; 1 refused, not found or bad input; 2 daemon unreachable; 64 usage\n",
		IMPORT_BATCH, IMPORT_BATCH_MAX, DEFAULT_URL);
}

/* Options after the command: --at N, --source S (also --at=N). */
static const char *sub_opt(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		die(EXIT_USAGE, "%s needs a value", name);
	return argv[++*i];
}

/* Fill what the command line and environment left open: the token from a token file,
 * then URL and token from the daemon's configuration. An empty value counts as unset. */
static void find_credentials(const char **url, const char **token, const char *token_file,
	const char *config, char **url_buf, char **token_buf)
{
	struct nodd_err e;
	if (*url && !**url)
		*url = NULL;
	if (*token && !**token)
		*token = NULL;
	if (!*token && token_file && *token_file) {
		if (ctl_token_file(token_file, token_buf, &e) < 0)
			die(EXIT_USAGE, "%s", e.msg);
		*token = *token_buf;
	}
	if (!config || !*config || (*url && *token))
		return;
	char *cu = NULL, *ct = NULL;
	if (ctl_config_read(config, &cu, &ct, &e) < 0)
		die(EXIT_USAGE, "%s", e.msg);
	if (!*url && cu) {
		*url = cu;
		*url_buf = cu;
	} else {
		free(cu);
	}
	if (!*token && ct) {
		*token = ct;
		free(*token_buf);
		*token_buf = ct;
	} else {
		free(ct);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "config", required_argument, NULL, 'c' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = getenv("NODD_URL");
	const char *token = getenv("NODD_TOKEN");
	const char *token_file = getenv("NODD_TOKEN_FILE");
	const char *config = getenv("NODD_CONFIG");
	int ch;
	while ((ch = getopt_long(argc, argv, "+c:s:t:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 's': url = optarg; break;
		case 't': token = optarg; break;
		case 'T': token_file = optarg; break;
		case 'V': printf("noddctl %s\n", NODD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	char *url_buf = NULL, *token_buf = NULL;
	find_credentials(&url, &token, token_file, config, &url_buf, &token_buf);
	if (token && strpbrk(token, "\r\n"))
		die(EXIT_USAGE, "the token must be one line");
	const char *cmd = argv[optind++];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}

	/* Arguments of the command: one positional, then its options. */
	const char *arg = NULL, *source = NULL;
	long long at = -1;
	int json = 0, baseline = 0, batch = IMPORT_BATCH;
	for (int i = optind; i < argc; i++) {
		const char *v;
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--baseline") == 0) {
			if (strcmp(cmd, "import") != 0)
				die(EXIT_USAGE, "--baseline is an option of import");
			baseline = 1;
		} else if ((v = sub_opt(argc, argv, &i, "--at")) != NULL) {
			if (strcmp(cmd, "observe") != 0)
				die(EXIT_USAGE, "--at is an option of observe");
			char *end = NULL;
			errno = 0;
			at = strtoll(v, &end, 10);
			if (errno || !*v || *end || at < 0)
				die(EXIT_USAGE, "--at: not a unix time: %s", v);
		} else if ((v = sub_opt(argc, argv, &i, "--batch")) != NULL) {
			if (strcmp(cmd, "import") != 0)
				die(EXIT_USAGE, "--batch is an option of import");
			char *end = NULL;
			errno = 0;
			long b = strtol(v, &end, 10);
			if (errno || !*v || *end || b < 1 || b > IMPORT_BATCH_MAX)
				die(EXIT_USAGE, "--batch: a number of names from 1 to %d: %s",
					IMPORT_BATCH_MAX, v);
			batch = (int)b;
		} else if ((v = sub_opt(argc, argv, &i, "--source")) != NULL) {
			if (strcmp(cmd, "observe") != 0 && strcmp(cmd, "import") != 0)
				die(EXIT_USAGE, "--source is an option of observe and import");
			if (strlen(v) > 255)
				die(EXIT_USAGE, "--source: at most 255 bytes");
			source = v;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0' && strcmp(argv[i], "--") != 0) {
			die(EXIT_USAGE, "%s: unknown option for %s (see noddctl --help)", argv[i], cmd);
		} else if (!arg) {
			if (strcmp(argv[i], "--") == 0 && i + 1 < argc)
				i++;
			arg = argv[i];
		} else {
			die(EXIT_USAGE, "%s: unexpected argument (see noddctl --help)", argv[i]);
		}
	}

	struct nodd_err e;
	struct http_client *c = http_client_new(url ? url : DEFAULT_URL, token, &e);
	if (!c)
		die(e.kind == NODD_E_INVALID ? EXIT_USAGE : EXIT_UNREACHABLE, "%s", e.msg);
	int rc;
	if (strcmp(cmd, "status") == 0) {
		if (arg)
			die(EXIT_USAGE, "status takes no argument");
		rc = cmd_status(c);
	} else if (strcmp(cmd, "lookup") == 0) {
		if (!arg)
			die(EXIT_USAGE, "usage: noddctl lookup NAME");
		rc = cmd_lookup(c, arg);
	} else if (strcmp(cmd, "observe") == 0) {
		if (!arg)
			die(EXIT_USAGE, "usage: noddctl observe NAME [--at UNIX] [--source S]");
		rc = cmd_observe(c, arg, at, source ? source : "noddctl");
	} else if (strcmp(cmd, "import") == 0) {
		if (!arg)
			die(EXIT_USAGE, "usage: noddctl import FILE|-");
		rc = cmd_import(c, arg, source ? source : "import", baseline, batch);
	} else if (strcmp(cmd, "allow") == 0 || strcmp(cmd, "unallow") == 0) {
		if (!arg && cmd[0] == 'u')
			die(EXIT_USAGE, "usage: noddctl unallow NAME");
		rc = cmd_allow(c, arg, cmd[0] == 'a');
	} else if ((rc = ctl_control(c, cmd, arg, json)) >= 0) {
		/* zone-status, retransfer, refresh, notify, reload (ctl/control.c) */
	} else {
		die(EXIT_USAGE, "%s: unknown command (see noddctl --help)", cmd);
	}
	http_client_free(c);
	free(url_buf);
	free(token_buf);
	return rc;
}
