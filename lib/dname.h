/* dname.h -- domain names: text validation, wire conversion, the hot-path wire parser.
 *
 * Two forms are used across nodd:
 *  - "norm text": lowercase, no trailing dot, LDH/underscore labels ("mail.example.se").
 *    This is what the store, the API and the records carry.
 *  - "wire": RFC 1035 labels, lowercase, ending in the root label 0.
 *    A "relative wire name" is the same without the final 0 byte (labels only); the
 *    in-memory index keys names this way, relative to the published zones.
 */
#ifndef NODD_DNAME_H
#define NODD_DNAME_H

#include <stddef.h>
#include <stdint.h>

#define DNAME_MAX_WIRE 255   /* octets, including the root label */
#define DNAME_MAX_TEXT 253   /* characters, without trailing dot */
#define DNAME_MAX_LABELS 127

/* Validate a host name given as text and write its norm form into out (outsz >= 254).
 * Accepts one trailing dot and any case; refuses empty labels, labels over 63 octets,
 * names over 253 characters, and characters outside [A-Za-z0-9_-] or a label that
 * starts or ends with '-'. Returns 0, or -1 with *why set to a static message. */
int dname_text_normalize(const char *in, char *out, size_t outsz, const char **why);

/* Norm text (as produced above, or "" for the root) to lowercase wire with the root
 * label. wire must hold DNAME_MAX_WIRE bytes. Returns the wire length, or -1. */
int dname_text_to_wire(const char *norm, uint8_t *wire);

/* Wire name (with or without the final root label, len bytes) to presentation text
 * without a trailing dot; bytes outside LDH/underscore are written as \DDD.
 * "" for the root. Returns the text length, or -1 when out is too small. */
int dname_wire_to_text(const uint8_t *wire, size_t len, char *out, size_t outsz);

/* Uncompressed wire name (len bytes, with the root label) to the presentation text ldns
 * writes (ldns_rdf2str), lowercased and without the trailing dot: "." ";" "(" ")" "\\"
 * escaped with a backslash, bytes that are not printable ASCII as \DDD; "" for the root.
 * The secondary's zone copy stores owners in this form; this is its fast path (the text
 * is the same as ldns's, which tests/unit/test_dname.c checks on random names). Returns the
 * text length, or -1 when the name is malformed or out (outsz) too small. */
int dname_wire_to_zone_text(const uint8_t *wire, size_t len, char *out, size_t outsz);

/* Parse a possibly compressed name at pkt[off] (RFC 1035 4.1.4). Pointers must point
 * strictly backwards and not into the 12-byte header; at most 255 octets and 127 labels. The name is copied into out
 * (DNAME_MAX_WIRE bytes) lowercased, with the root label; *outlen gets its length.
 * Returns the offset just after the name in the packet, or 0 when malformed. */
size_t dname_wire_parse(const uint8_t *pkt, size_t pktlen, size_t off,
	uint8_t *out, size_t *outlen);

/* Number of labels of a wire name (without counting the root). */
int dname_label_count(const uint8_t *wire, size_t len);

/* When name (wire, with root) ends in suffix (wire, with root) on a label boundary,
 * returns the length of the part before the suffix (0 when equal), else -1. */
int dname_strip_suffix(const uint8_t *name, size_t len, const uint8_t *suffix, size_t slen);

/* Lowercase an ASCII byte. */
static inline uint8_t dname_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* 1 when two uncompressed wire names are equal ignoring ASCII case (RFC 4343), else 0.
 * Length bytes are below 64, so lowering every byte leaves them alone. */
static inline int dname_wire_equal(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	if (al != bl)
		return 0;
	for (size_t i = 0; i < al; i++)
		if (dname_lower(a[i]) != dname_lower(b[i]))
			return 0;
	return 1;
}

#endif
