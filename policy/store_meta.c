/* store_meta.c -- the store's meta table (store_meta_get_* / store_meta_set_*) and the
 * count of names kept in it: the connection's running count with the open transaction's
 * inserts (store_names, store_names_add) and its write into the meta row in the
 * transaction that changed it (store_names_write, called by store_commit). The statements
 * are store.c's, prepared once in store_open. */
#include <stdio.h>

#include "policy/store_int.h"

/* Step the meta lookup for key. On 1 the row is current and the caller reads column 0,
 * then calls store_meta_done; on 0 or -1 the statement is already reset. */
static int store_meta_find(store_t *s, const char *key)
{
	sqlite3_stmt *st = s->st[S_META_GET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		store_fail(s, "read meta", key);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void store_meta_done(store_t *s)
{
	sqlite3_reset(s->st[S_META_GET]);
	sqlite3_clear_bindings(s->st[S_META_GET]);
}

int store_meta_get_int(store_t *s, const char *key, int64_t *val)
{
	int rc = store_meta_find(s, key);
	if (rc == 1) {
		*val = sqlite3_column_int64(s->st[S_META_GET], 0);
		store_meta_done(s);
	}
	return rc;
}

int store_meta_get_text(store_t *s, const char *key, char *buf, size_t buflen)
{
	int rc = store_meta_find(s, key);
	if (rc == 1) {
		const unsigned char *t = sqlite3_column_text(s->st[S_META_GET], 0);
		if (buflen)
			snprintf(buf, buflen, "%s", t ? (const char *)t : "");
		store_meta_done(s);
	}
	return rc;
}

static int store_meta_write(store_t *s, const char *key, int64_t val)
{
	sqlite3_stmt *st = s->st[S_META_SET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, val);
	return store_run(s, st, "write meta", key);
}

int store_meta_set_int(store_t *s, const char *key, int64_t val)
{
	return store_meta_write(s, key, val);
}

int store_meta_set_text(store_t *s, const char *key, const char *val)
{
	sqlite3_stmt *st = s->st[S_META_SET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, val ? val : "", -1, SQLITE_STATIC);
	return store_run(s, st, "write meta", key);
}

int store_names_write(store_t *s)
{
	if (s->names_absolute)
		return store_meta_write(s, STORE_NAMES_KEY, s->names);
	sqlite3_stmt *st = s->st[S_META_ADD];
	sqlite3_bind_text(st, 1, STORE_NAMES_KEY, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->names - s->names_committed);
	return store_run(s, st, "write meta", STORE_NAMES_KEY);
}

void store_names_add(store_t *s, int64_t n)
{
	s->names += n;
	s->names_committed += n;
}

int64_t store_names(const store_t *s)
{
	return s->names;
}
