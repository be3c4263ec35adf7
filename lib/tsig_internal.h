/* tsig_internal.h -- what the three parts of TSIG share and nothing outside lib/tsig*.c may
 * include: the algorithm table (lib/tsig_key.c), the TSIG RR as read from and written to
 * a message (lib/tsig_msg.c), and the byte helpers both the message side and the MAC side
 * (lib/tsig.c) need. The public API is lib/tsig.h. */
#ifndef NODD_TSIG_INTERNAL_H
#define NODD_TSIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dname.h"
#include "lib/tsig.h"

/* ---- algorithms (lib/tsig_key.c) ---- */

struct tsig_alg_info {
	enum tsig_alg alg;
	const char *name;      /* presentation, no trailing dot */
	const char *digest;    /* OpenSSL digest name */
	size_t mac_len;
};

#define TSIG_ALG_WIRE_MAX 16  /* the longest algorithm name in wire form, with room */

/* The table entry of alg, NULL for UNKNOWN. */
const struct tsig_alg_info *tsig_alg_info(enum tsig_alg alg);
/* Algorithm from a lowercase wire name: a single label equal to one of the names. */
enum tsig_alg tsig_alg_from_wire(const uint8_t *w, size_t len);
/* alg (not UNKNOWN) as a wire name into w (TSIG_ALG_WIRE_MAX bytes); returns its length. */
size_t tsig_alg_to_wire(enum tsig_alg alg, uint8_t *w);

/* ---- the TSIG RR (lib/tsig_msg.c) ---- */

/* The fields of a TSIG RR that its MAC covers (RFC 8945 4.3.3) and that an appended RR
 * carries besides its MAC and Original ID. Borrows every pointer. */
struct tsig_vars {
	const uint8_t *key_name;     /* lowercase wire, with the root label */
	size_t key_name_len;
	const uint8_t *alg_name;     /* lowercase wire */
	size_t alg_name_len;
	uint64_t time;               /* Time Signed, 48 bits */
	uint16_t fudge;
	uint16_t error;
	const uint8_t *other;        /* Other Data, other_len bytes (NULL when 0) */
	size_t other_len;
};

/* A TSIG RR read from a message: the names copied out (they may have been compressed),
 * the MAC and Other Data pointing into the message. */
struct tsig_rr {
	uint8_t key_name[DNAME_MAX_WIRE];
	size_t key_name_len;
	uint8_t alg_name[DNAME_MAX_WIRE];
	size_t alg_name_len;
	uint64_t time;
	uint16_t fudge, mac_len, orig_id, error, other_len;
	const uint8_t *mac, *other;
};

/* Read the TSIG RR at msg[off] (found by tsig_find), which must end the message exactly.
 * Borrows msg (t points into it). Returns 0, or -1 when malformed. */
int tsig_rr_parse(const uint8_t *msg, size_t len, size_t off, struct tsig_rr *t);
/* The covered fields of t, pointing into t. */
struct tsig_vars tsig_rr_vars(const struct tsig_rr *t);
/* Copy what t says into res (names, MAC, times, error) with the TSIG at off. */
void tsig_result_from_rr(struct tsig_result *res, const struct tsig_rr *t, size_t off);
/* Append a TSIG RR with v's fields, the MAC (mac_len bytes, may be 0) and Original ID at
 * msg[len] (cap bytes), and add one to ARCOUNT. Returns 0 with *out_len, or TSIG_E_INVAL
 * (not a message) / TSIG_E_SPACE (does not fit in cap or in 65535 bytes, or ARCOUNT full). */
int tsig_rr_append(uint8_t *msg, size_t len, size_t cap, const struct tsig_vars *v,
	const uint8_t *mac, size_t mac_len, uint16_t orig_id, size_t *out_len);

/* ---- bytes ---- */

static inline void tsig_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint64_t tsig_get48(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline void tsig_put48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

#endif
