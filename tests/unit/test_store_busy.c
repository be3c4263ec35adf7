/* test_store_busy.c -- while a worker's connection (store_set_worker) holds a write
 * transaction announced with store_worker_writing, a write on another connection fails at
 * once with store_busy() set and is counted; the worker itself still begins; after the
 * worker ends, the same write succeeds. */
#include <stdio.h>
#include <stdlib.h>

#include "policy/store.h"
#include "tests/unit/store_fixture.h"
#include "tests/unit/tap.h"

int main(void)
{
	struct store_pair sp;
	int opened = store_pair_open(&sp, "storebusy");
	ok(opened == 0, "the main and the worker's handle on one store (%s)", sp.e.msg);
	if (opened < 0)
		return tap_done();
	store_t *mainst = sp.main, *w = sp.worker;
	enum store_outcome out;

	ok(!store_worker_busy(), "no worker writes at first");
	store_worker_writing(1);
	ok(store_worker_busy(), "the worker announces its transaction");
	is_int(store_begin(w), 0, "the worker begins");
	unsigned long long before = store_busy_refusals();
	is_int(store_begin(mainst), -1, "the main connection is refused");
	ok(store_busy(mainst), "store_busy says why");
	is_int((int)(store_busy_refusals() - before), 1, "the refusal is counted: refused by the busy handler, not after its wait");
	is_int(store_observe(mainst, "x.se", 100, "t", 0, STORE_ADDED_UNKNOWN, NULL, &out), -1,
		"a write outside a transaction is refused too");
	ok(store_busy(mainst), "as busy");
	is_int(store_observe(w, "w.se", 100, "t", 0, STORE_ADDED_UNKNOWN, NULL, &out), 0, "the worker writes");
	is_int(store_commit(w), 0, "the worker commits");
	store_worker_writing(0);
	ok(!store_worker_busy(), "the worker is done");

	is_int(store_begin(mainst), 0, "the main connection begins");
	ok(!store_busy(mainst), "not busy");
	is_int(store_observe(mainst, "x.se", 100, "t", 0, STORE_ADDED_UNKNOWN, NULL, &out), 0, "its write is stored");
	is_int(store_commit(mainst), 0, "and committed");
	int64_t fs = 0;
	is_int(store_lookup(mainst, "w.se", &fs, NULL, 0, NULL), 1, "the worker's name is held");

	store_close(mainst);
	store_close(w);
	if (store_pair_remove(&sp) < 0)
		return 1;
	return tap_done();
}
