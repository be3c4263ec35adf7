/* listread.h -- reading the CT log list: the file or URL of ct.log-list and, with
 * ct.log-list-key, its detached signature (ct.log-list-signature, by default the list's
 * location with ".sig" appended), verified over the exact bytes of the list before the list
 * is handed on. A list whose signature is missing or does not verify is refused: the caller
 * never sees it and keeps the logs it follows. Knows nothing of the logs in the list
 * (ct/loglist.h parses it, ct/source.c follows them). Main thread only. */
#ifndef NODD_CT_LISTREAD_H
#define NODD_CT_LISTREAD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ct/fetch.h"
#include "lib/err.h"

/* The key a log list is signed with: RSA (PKCS#1 v1.5, SHA-256, as Chrome signs its list)
 * or ECDSA (SHA-256). */
struct ct_listkey;

/* From PEM text (len bytes, borrowed): a SubjectPublicKeyInfo ("BEGIN PUBLIC KEY").
 * NULL with e set (NODD_E_INVALID). Caller frees with ct_listkey_free (NULL: no-op). */
struct ct_listkey *ct_listkey_new_pem(const char *pem, size_t len, struct nodd_err *e);
void ct_listkey_free(struct ct_listkey *k);

/* The detached signature sig (siglen bytes, the raw signature: PKCS#1 v1.5 for RSA, DER
 * for ECDSA) over data (len bytes), SHA-256. 0, or -1 with e set (NODD_E_PEER: "does not
 * verify"). */
int ct_listkey_verify(const struct ct_listkey *k, const void *data, size_t len,
	const uint8_t *sig, size_t siglen, struct nodd_err *e);

/* Receives a list read (and authenticated, with a key): 0 when it was taken, -1 with e set
 * when it is not a log list (the list is then counted as refused). json is borrowed. */
typedef int (*ct_list_apply_fn)(void *ctx, const char *json, size_t len, struct nodd_err *e);

struct ct_listread_options {
	const char *location;     /* a file, or an http(s):// URL (copied) */
	const char *key_file;     /* a PEM public key file, or NULL: the list is not checked */
	const char *signature;    /* a file or URL; NULL: location with ".sig" appended */
	size_t max_bytes;         /* of a list file (a URL's body: the fetch client's cap) */
};

struct ct_listread;

/* Read the key file at once (an unreadable or invalid key is an error: NULL with e set,
 * "ct.log-list-key: ..."). Warns when a list fetched over a URL has no key. fetch and the
 * callback's ctx are borrowed. Reads nothing yet. */
struct ct_listread *ct_listread_new(struct ct_fetch *fetch, const struct ct_listread_options *o,
	ct_list_apply_fn apply, void *ctx, struct nodd_err *e);
void ct_listread_free(struct ct_listread *r); /* NULL is a no-op; requests are cancelled */

/* Read the list (and its signature) now: files at once, URLs in the background; apply is
 * called when both are in and the signature verifies. A read already under way goes on
 * instead. Returns -1 with e set when the list file cannot be read (nothing else is read
 * then), else 0: failures after that are logged and shown in the status. */
int ct_listread_start(struct ct_listread *r, struct nodd_err *e);

/* The status object: location, signature (null without a key), authenticated, last_read
 * (unix time of the last list taken, null before), refused, last_error (null when the last
 * read was taken). */
json_t *ct_listread_status(const struct ct_listread *r);
/* nodd_ct_log_list_refused_total{reason="signature"|"invalid"}. */
void ct_listread_metrics(const struct ct_listread *r, FILE *out);

#endif
