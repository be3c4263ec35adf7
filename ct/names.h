/* names.h -- from a certificate to host names and registrable domains: SAN dNSNames and
 * subject CNs (OpenSSL), normalised and checked (libidn2 for xn-- labels), and the name one
 * label below its ICANN public suffix (libpsl). Pure functions: no network, no store, no
 * state beyond the loaded public suffix list. */
#ifndef NODD_CT_NAMES_H
#define NODD_CT_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "ct/leaf.h"
#include "lib/err.h"

/* A normalised name fits in this many bytes with its NUL (253 characters at most). */
#define CT_NAME_MAX 254

/* Receives one normalised host name (NUL-terminated, borrowed for the call). Returns 0 to go
 * on, non-zero to stop the extraction. */
typedef int (*ct_name_cb)(void *ctx, const char *fqdn);

/* Parse leaf->cert (x509: the certificate; precert: the TBSCertificate, wrapped into a
 * certificate for d2i_X509 with the TBS's own signature algorithm and an empty signature)
 * and give cb every SAN dNSName and every subject CN that normalises to a host name (see
 * ct_name_normalise), each distinct name once, SAN names first in certificate order.
 * IP address SANs and names that are addresses are skipped. When dedup_key is not NULL it
 * receives SHA-256(issuer Name DER || serial INTEGER content octets): the same for a
 * precertificate TBS and the final certificate of one issuance, in any log.
 * Returns the number of names given to cb (0 is possible), -1 with e set (NODD_E_INVALID,
 * "certificate: ...") when the bytes are not a certificate, or -1 with e untouched when cb
 * returned non-zero (the callback reports its own reason through ctx). */
int ct_names_extract(const struct ct_leaf *leaf, ct_name_cb cb, void *ctx, uint8_t dedup_key[32],
	struct nodd_err *e);

/* Normalise a name from a certificate (len bytes, not NUL-terminated, borrowed) into out
 * (outsz bytes, CT_NAME_MAX is always enough): surrounding spaces and trailing dots removed,
 * ASCII lowercased, one leading "*." removed. Returns 1 when kept; 0 when dropped: empty, an
 * IPv4 or IPv6 address, a remaining '*', a character outside [a-z0-9-.], an empty label, a
 * label over 63 or a name over 253 characters, a single label, an xn-- label that does not
 * survive the libidn2 round trip (to Unicode and back, IDNA2008 non-transitional), or out
 * too small. */
int ct_name_normalise(const char *in, size_t len, char *out, size_t outsz);

/* The public suffix list, loaded once and read-only after (safe to share between threads). */
struct ct_psl;

/* Load psl_file (a PSL text file or a libpsl DAFSA; borrowed), or with NULL the system list
 * (Debian's publicsuffix package, libpsl's built-in copy when absent). Returns the list or
 * NULL with e set. Caller frees with ct_psl_close (NULL is a no-op). */
struct ct_psl *ct_psl_open(const char *psl_file, struct nodd_err *e);
void ct_psl_close(struct ct_psl *p);

/* The registrable domain of a normalised fqdn (borrowed): the name one label below its
 * longest ICANN public suffix (PRIVATE rules are ignored: user.github.io gives github.io;
 * a TLD the list does not know counts as a public suffix: a.b.unknowntld gives
 * b.unknowntld). Returns 1 with out filled (outsz >= strlen(fqdn)+1 is enough), 0 when fqdn
 * is itself a public suffix (or out is too small). */
int ct_registrable(const struct ct_psl *p, const char *fqdn, char *out, size_t outsz);

#endif
