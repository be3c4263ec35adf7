/* tap.h -- a tiny TAP producer for the unit tests (one program per module). */
#ifndef NODD_TAP_H
#define NODD_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

/* cond is evaluated once: it may have side effects. */
#define ok(cond, ...) do { \
	int c_ = !!(cond); \
	tap_n++; \
	if (c_) { printf("ok %d - ", tap_n); } \
	else { tap_fail++; printf("not ok %d - ", tap_n); } \
	printf(__VA_ARGS__); printf("\n"); \
	if (!c_) printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
} while (0)

#define is_int(got, want, ...) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	ok(g_ == w_, __VA_ARGS__); \
	if (g_ != w_) printf("#   got %lld, want %lld\n", g_, w_); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_; \
	ok(same_, __VA_ARGS__); \
	if (!same_) printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}

#endif
