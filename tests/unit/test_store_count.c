/* test_store_count.c -- the stored name count with two connections writing names to one
 * database (the main thread's store and the apply worker's): each commit moves the count
 * by its own change, store_names_add tells the other handle, store_insert_new inserts
 * only a name not held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/store.h"
#include "tests/unit/tap.h"

static int64_t meta_count(store_t *st)
{
	int64_t v = -1;
	store_meta_get_int(st, "names.count", &v);
	return v;
}

int main(void)
{
	char dir[] = "/tmp/nodd-storecount-XXXXXX", path[128], cmd[160];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/n.db", dir);
	struct nodd_err e = { 0 };
	store_t *a = store_open(path, &e), *b = store_open(path, &e);
	ok(a && b, "two handles on one store (%s)", e.msg);
	if (!a || !b)
		return tap_done();

	/* a commits two names; b, opened before, commits three more and one a holds */
	is_int(store_begin(a), 0, "a begins");
	is_int(store_insert_new(a, "one.se", 100, "t", 1, STORE_ADDED_UNKNOWN), 1, "a new name inserted");
	is_int(store_insert_new(a, "two.se", 100, "t", 1, STORE_ADDED_UNKNOWN), 1, "another");
	is_int(store_insert_new(a, "one.se", 50, "t", 0, 60), 0, "a held name: nothing written");
	is_int(store_commit(a), 0, "a commits");
	is_int(store_begin(b), 0, "b begins");
	const char *more[] = { "three.se", "four.se", "five.se", "one.se" };
	int ins = 0;
	for (int i = 0; i < 4; i++)
		ins += store_insert_new(b, more[i], 100, "t", 1, STORE_ADDED_UNKNOWN);
	is_int(ins, 3, "b inserts the three names a does not hold");
	is_int(store_commit(b), 0, "b commits");
	is_int((int)meta_count(a), 5, "the stored count has both commits");
	int64_t fs = 0;
	is_int(store_lookup(a, "one.se", &fs, NULL, 0, NULL), 1, "one.se held");
	is_int((int)fs, 100, "its first_seen untouched by the second insert");

	/* a's own count learns b's commit; a rolled-back insert counts nothing */
	is_int((int)store_names(a), 2, "a counts only its own rows until told");
	store_names_add(a, 3);
	is_int((int)store_names(a), 5, "told of b's three");
	is_int(store_begin(a), 0, "a begins again");
	is_int(store_insert_new(a, "six.se", 100, "t", 1, STORE_ADDED_UNKNOWN), 1, "six.se");
	store_rollback(a);
	is_int((int)store_names(a), 5, "a rolled-back insert is not counted");
	is_int(store_insert_new(a, "seven.se", 100, "t", 1, STORE_ADDED_UNKNOWN), 1,
		"outside a transaction: committed on its own");
	is_int((int)meta_count(b), 6, "the stored count after it");
	store_close(a);
	store_close(b);

	a = store_open(path, &e);
	ok(a != NULL, "reopened");
	if (a) {
		is_int((int)store_names(a), 6, "the count read back");
		is_int((int)store_count(a), 6, "equal to the rows");
		store_close(a);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
