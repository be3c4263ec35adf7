/* err.h -- the one error model of nodd: a function that can fail returns 0 on success
 * and -1 on failure, and fills a struct nodd_err with a kind (what a caller may branch
 * on) and a message (what an operator reads: "FILE:LINE: key: why", "primary
 * 192.0.2.1@53: ..."). Outcomes that are not failures (a name already known, a transfer
 * that was up to date) are returned as values of their own enums, never as errors.
 * A NULL struct nodd_err * is allowed: the failure is still returned, the text dropped. */
#ifndef NODD_ERR_H
#define NODD_ERR_H

#include <stddef.h>

enum nodd_errkind {
	NODD_OK = 0,
	NODD_E_INVALID,   /* input that breaks its grammar: config, wire, JSON, key file */
	NODD_E_NOTFOUND,  /* a named thing is not there: key, zone, file */
	NODD_E_REFUSED,   /* not allowed: ACL, TSIG, token */
	NODD_E_LIMIT,     /* a bound was reached: size, count, time */
	NODD_E_PEER,      /* a peer broke its protocol or went away */
	NODD_E_SYSTEM,    /* a system call failed (errno is in the message) */
	NODD_E_STORE,     /* sqlite failed */
	NODD_E_NOMEM,
};

struct nodd_err {
	enum nodd_errkind kind;
	char msg[512];
};

/* Set e (when not NULL) and return -1, so a failure is one statement:
 *     return nodd_fail(e, NODD_E_INVALID, "%s:%d: %s: expected a number", ...); */
int nodd_fail(struct nodd_err *e, enum nodd_errkind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix e's message with "what: " (context added on the way up); returns -1. */
int nodd_wrap(struct nodd_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* calloc(n, size), or NULL with e set to NODD_E_NOMEM "out of memory": the first step of a
 * constructor, whose fields then come in one designated-initializer assignment. */
void *nodd_calloc(size_t n, size_t size, struct nodd_err *e);

/* "invalid", "not found", ... for logs and status JSON. */
const char *nodd_errkind_name(enum nodd_errkind kind);

#endif
