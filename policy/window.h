/* window.h -- the seven rolling windows and the DNSBL age codes.
 *
 * A name first seen at t is in window W while now - t < W. Windows nest, so a name's
 * DNSBL code is that of the smallest window holding it: 5m -> 127.0.0.2 ... 24h -> .8.
 * A first_seen slightly in the future (clock skew between feeds) counts as age 0.
 * Pure: no clock, no index, no store. */
#ifndef NODD_WINDOW_H
#define NODD_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define WINDOW_COUNT 7
#define WINDOW_MAX_SECS 86400

extern const int64_t window_secs[WINDOW_COUNT];   /* 300 ... 86400 */
extern const char *const window_label[WINDOW_COUNT]; /* "5m" ... "24h" */

/* Index of the smallest window holding a name of this age, or -1 when none (age >= 24h). */
int window_for_age(int64_t age);

/* DNSBL last octet for this age: 2..8, or 0 when not listed (age >= 24h). */
int window_code(int64_t age);

/* Index of a window label ("5m", "1h", ...), or -1. */
int window_by_label(const char *label);

/* The published zones: 0..6 the RPZ zones of the windows, NOD_ZONE_DNSBL the DNSBL,
 * NOD_ZONE_ALLOW the RPZ passthru zone of the allow-list (policy/allow.h). */
#define NOD_ZONE_DNSBL WINDOW_COUNT
#define NOD_ZONE_ALLOW (WINDOW_COUNT + 1)
#define NOD_ZONE_COUNT (WINDOW_COUNT + 2)

/* A short label of published zone z for keys and logs: "5m" ... "24h", "dnsbl",
 * "allow"; "?" out of range. */
const char *published_zone_label(int z);

/* The name of published zone z under suffix (norm text, "" allowed): "5m.rpz.<suffix>"
 * ... "24h.rpz.<suffix>", "v1.bl.<suffix>", "allow.rpz.<suffix>", without a trailing
 * dot. Every place that
 * names a published zone (answers, transfers, files, status, logs) takes it from here.
 * Returns the length written (as snprintf), or -1 for a z out of range. */
int published_zone_name(int z, const char *suffix, char *buf, size_t n);

#endif
