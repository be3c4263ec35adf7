/* test_store_count.c -- the stored name count with two connections writing names to one
 * database (the main thread's store and the apply worker's): each commit moves the count
 * by its own change, store_names_add tells the other handle; store_insert_new_many
 * inserts, in blocks and one by one, only the names not held. */
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

/* One name through store_insert_new_many: 1 inserted, 0 held, -1 error. */
static int one(store_t *st, const char *name, int64_t fs, int baseline, int64_t added)
{
	unsigned char held = 9;
	int n = store_insert_new_many(st, &name, 1, fs, "t", baseline, added, &held);
	return n < 0 ? -1 : n == 1 && held == 0 ? 1 : n == 0 && held == 1 ? 0 : -2;
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
	is_int(one(a, "one.se", 100, 1, STORE_ADDED_UNKNOWN), 1, "a new name inserted");
	is_int(one(a, "two.se", 100, 1, STORE_ADDED_UNKNOWN), 1, "another");
	is_int(one(a, "one.se", 50, 0, 60), 0, "a held name: nothing written");
	is_int(store_commit(a), 0, "a commits");
	is_int(store_begin(b), 0, "b begins");
	const char *more[] = { "three.se", "four.se", "five.se", "one.se" };
	unsigned char held[200];
	is_int(store_insert_new_many(b, more, 4, 100, "t", 1, STORE_ADDED_UNKNOWN, held), 3,
		"b inserts the three names a does not hold");
	ok(!held[0] && !held[1] && !held[2] && held[3], "the held one marked");
	is_int(store_commit(b), 0, "b commits");
	is_int((int)meta_count(a), 5, "the stored count has both commits");
	int64_t fs = 0;
	int bl = -1;
	is_int(store_lookup(a, "one.se", &fs, NULL, 0, &bl), 1, "one.se held");
	ok(fs == 100 && bl == 1, "its row untouched by the later inserts");

	/* blocks: 150 names, some held, in an own transaction */
	static char names[150][32];
	const char *ptr[150];
	for (int i = 0; i < 150; i++) {
		snprintf(names[i], sizeof names[i], "%s", i == 7 ? "two.se" : i == 100 ? "four.se" : "");
		if (!names[i][0])
			snprintf(names[i], sizeof names[i], "m%03d.se", i);
		ptr[i] = names[i];
	}
	is_int(store_insert_new_many(b, ptr, 150, 200, "many", 0, 300, held), 148,
		"150 names in blocks and a tail: the 148 not held inserted");
	int marks = 0;
	for (int i = 0; i < 150; i++)
		marks += held[i] == (i == 7 || i == 100);
	is_int(marks, 150, "each name marked held or inserted");
	int64_t added_fs = 0;
	char src[16] = "";
	is_int(store_lookup(b, "m149.se", &added_fs, src, sizeof src, &bl), 1, "the tail's last");
	ok(added_fs == 200 && strcmp(src, "many") == 0 && bl == 0, "stored with its fields");
	is_int((int)meta_count(b), 153, "committed on its own with the count");

	/* a's own count learns b's commits; a rolled-back insert counts nothing */
	is_int((int)store_names(a), 2, "a counts only its own rows until told");
	store_names_add(a, 151);
	is_int((int)store_names(a), 153, "told of b's rows");
	is_int(store_begin(a), 0, "a begins again");
	is_int(one(a, "six.se", 100, 1, STORE_ADDED_UNKNOWN), 1, "six.se");
	store_rollback(a);
	is_int((int)store_names(a), 153, "a rolled-back insert is not counted");
	is_int(one(a, "seven.se", 100, 1, STORE_ADDED_UNKNOWN), 1,
		"outside a transaction: committed on its own");
	is_int((int)meta_count(b), 154, "the stored count after it");
	store_close(a);
	store_close(b);

	a = store_open(path, &e);
	ok(a != NULL, "reopened");
	if (a) {
		is_int((int)store_names(a), 154, "the count read back");
		is_int((int)store_count(a), 154, "equal to the rows");
		store_close(a);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
