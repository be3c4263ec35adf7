/* files.h -- the published zones as files for rsync and rbldnsd: the seven RPZ zones and
 * the allow zone as master files (loadable by BIND and named-checkzone), and the DNSBL as
 * an rbldnsd dnset file, at the paths of the layout below; names the allow-list matches
 * are left out. Each file is written to a temporary
 * name in the same directory, flushed and renamed, so a reader (rsync, rbldnsd's reload on
 * mtime change) never sees a half-written file. The temporary file is made by mkstemp
 * (O_EXCL: nothing planted at a temp name is followed or overwritten) and every file is
 * given mode FILES_MODE (0644, whatever the umask: the files are published). Contents are those of the index at now.
 * Reads the index only; decides nothing about when files are written (the caller does). */
#ifndef NODD_FILES_H
#define NODD_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "policy/allow.h"
#include "policy/index.h"
#include "policy/window.h"

#define FILES_MODE 0644

struct files_params {
	const char *dir;             /* borrowed; created (with rpz/) when missing */
	const char *suffix;          /* norm text, e.g. "nod.example" */
	uint32_t ttl;
	const char *mname, *rname;   /* SOA names, norm text */
	uint32_t refresh, retry, expire, minimum;
	const char *const *ns;       /* apex NS names, norm text */
	int nns;
	int rpz_nodata;              /* "CNAME *." instead of "CNAME ." */
	uint32_t serial[NOD_ZONE_COUNT]; /* 7 RPZ, DNSBL, allow (policy/window.h order) */
	const allow_t *allow;        /* borrowed; NULL: no allow-list */
	int layout;                  /* FILES_LAYOUT_* */
	const char *const *tests;    /* publish.test-names, norm text: listed in the dnset; */
	int ntests;                  /* "invalid.<rest>" of a "test.<rest>" excluded */
};

/* Where the files go under dir (<zone>: the seven windows and allow.rpz.<suffix>):
 *   FILES_LAYOUT_NODD  rpz/<zone>.zone      nod.rbldnsd
 *   FILES_LAYOUT_NOD   nod/rpz/<zone>.zone  v1/nod.rbldnsd  (the commercial feed's rsync
 *                      tree, so mirrors of it keep their paths) */
enum { FILES_LAYOUT_NODD = 0, FILES_LAYOUT_NOD = 1 };

/* Write all nine files. The caller holds no lock (main thread, the index writer).
 * Returns 0, or -1 with e filled (NODD_E_SYSTEM, naming the file). */
int files_write(const struct files_params *p, nindex_t *ix, int64_t now, struct nodd_err *e);

#endif
