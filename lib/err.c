/* err.c -- the error model (see err.h).
 * Logs nothing: the caller decides where a message goes. */
#include "lib/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nodd_fail(struct nodd_err *e, enum nodd_errkind kind, const char *fmt, ...)
{
	if (!e)
		return -1;
	e->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int nodd_wrap(struct nodd_err *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	char pre[sizeof e->msg], old[sizeof e->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	size_t n = strlen(pre);
	if (n > sizeof e->msg - 3)
		n = sizeof e->msg - 3;
	memcpy(e->msg, pre, n);
	memcpy(e->msg + n, ": ", 2);
	size_t room = sizeof e->msg - n - 2;
	size_t ol = strnlen(old, room - 1);
	memcpy(e->msg + n + 2, old, ol);
	e->msg[n + 2 + ol] = '\0';
	return -1;
}

void *nodd_calloc(size_t n, size_t size, struct nodd_err *e)
{
	void *p = calloc(n, size);
	if (!p)
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
	return p;
}

const char *nodd_errkind_name(enum nodd_errkind kind)
{
	static const char *const names[] = {
		[NODD_OK] = "ok", [NODD_E_INVALID] = "invalid", [NODD_E_NOTFOUND] = "not found",
		[NODD_E_REFUSED] = "refused", [NODD_E_LIMIT] = "limit", [NODD_E_PEER] = "peer",
		[NODD_E_SYSTEM] = "system", [NODD_E_STORE] = "store", [NODD_E_NOMEM] = "out of memory",
	};
	return (unsigned)kind < sizeof names / sizeof names[0] && names[kind] ? names[kind] : "?";
}
