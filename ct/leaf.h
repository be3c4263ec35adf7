/* leaf.h -- Certificate Transparency log entries as bytes: the RFC 6962 MerkleTreeLeaf of
 * get-entries and the TileLeaf records of a static-ct-api data tile. Pure functions over
 * hostile input: every length is checked against what is left, nothing is allocated, the
 * certificate bytes are only located (ct/names.h reads them). No network, no store. */
#ifndef NODD_CT_LEAF_H
#define NODD_CT_LEAF_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

enum { CT_ENTRY_X509 = 0, CT_ENTRY_PRECERT = 1 };

/* One log entry. Every pointer borrows from the buffer that was parsed. */
struct ct_leaf {
	uint64_t timestamp_ms;          /* the SCT timestamp, ms since the epoch */
	int entry_type;                 /* CT_ENTRY_X509 or CT_ENTRY_PRECERT */
	const uint8_t *cert;            /* x509: DER certificate; precert: DER TBSCertificate */
	size_t cert_len;
	const uint8_t *issuer_key_hash; /* precert: 32 bytes (SHA-256 of the issuer SPKI); else NULL */
	int64_t leaf_index;             /* the static-ct-api leaf_index extension, -1 when absent */
	uint8_t leaf_hash[32];          /* SHA-256(0x00 || leaf_input), the Merkle leaf hash */
};

/* Parse an RFC 6962 MerkleTreeLeaf (the decoded leaf_input of get-entries; borrowed):
 * version 0, leaf type 0, u64 timestamp, u16 entry type, the certificate or issuer key hash
 * and TBS, u16-length extensions; the whole input must be consumed. Fills *out (its
 * pointers borrow leaf_input) and the leaf hash. Returns 0, or -1 with e set to
 * NODD_E_INVALID and what was wrong ("leaf: precert TBS length 70000 beyond the 120 bytes
 * left"). The extensions are read for leaf_index as in a TileLeaf. */
int ct_leaf_parse(const uint8_t *leaf_input, size_t len, struct ct_leaf *out, struct nodd_err *e);

/* Read one TileLeaf of a static-ct-api data tile at *p (*left bytes; borrowed) and advance
 * both past it: timestamp, entry type, certificate or issuer key hash and TBS, extensions,
 * the precertificate (precert only), the chain fingerprints. leaf_hash is computed over the
 * reconstructed leaf_input (00 00 || timestamp .. extensions). Returns 1 with *out filled, 0
 * when *left is 0 (the tile is done), -1 with e set (NODD_E_INVALID) on a truncated or
 * malformed record; *p and *left are then unchanged. */
int ct_tileleaf_next(const uint8_t **p, size_t *left, struct ct_leaf *out, struct nodd_err *e);

#endif
