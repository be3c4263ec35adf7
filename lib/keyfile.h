/* keyfile.h -- read TSIG keys from BIND key files, the form operators receive them in.
 * Reads files only when asked; never logs and never keeps a file open. */
#ifndef NODD_KEYFILE_H
#define NODD_KEYFILE_H

#include <stddef.h>

#include "lib/err.h"
#include "lib/tsig.h"

/* Grammar (named.conf subset, as written by tsig-keygen and published by registries):
 *
 *     key "name" { algorithm hmac-sha512; secret "base64..."; };   # any number of clauses
 *
 * The name may be quoted or bare; comments are //, # and C-style; whitespace is free.
 * Other top-level named.conf statements (server, zone, options, acl, primaries, masters,
 * controls, logging, view) are skipped with their braces, so a whole named.conf fragment can
 * be given; any other word is an error, so a typo is not silently ignored.
 *
 * All or nothing: the keys are added to kr only when the whole text parses and no key name
 * is already present (in the text or in kr). */

/* Parse text (len bytes, need not be NUL-terminated; borrowed). fname (borrowed) is used in
 * messages only. Borrows kr and adds copies of the keys to it. Returns the number of keys
 * added, or -1 with e set to "FILE:LINE: message": NODD_E_INVALID for the text's faults,
 * NODD_E_NOMEM when memory ran out. */
int keyfile_parse(const char *text, size_t len, const char *fname, struct tsig_keyring *kr,
	struct nodd_err *e);

/* Read the file at path (borrowed) and parse it as above. A file that cannot be read gives
 * "PATH: why" (NODD_E_NOTFOUND when it does not exist, NODD_E_SYSTEM, or NODD_E_LIMIT
 * over 16 MiB). Returns the number of keys added, or -1 with e set. */
int keyfile_load(const char *path, struct tsig_keyring *kr, struct nodd_err *e);

#endif
