/* store_fixture.h -- two handles on one new store in a scratch directory, as the daemon
 * has them: the main thread's and an apply worker's (store_set_worker). */
#ifndef NODD_TEST_STORE_FIXTURE_H
#define NODD_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "policy/store.h"

struct store_pair {
	char dir[64], path[128];
	store_t *main, *worker;
	struct nodd_err e;
};

/* 0 with both handles open, else -1 (p->e says why). */
static inline int store_pair_open(struct store_pair *p, const char *name)
{
	snprintf(p->dir, sizeof p->dir, "/tmp/nodd-%s-XXXXXX", name);
	p->main = p->worker = NULL;
	p->e = (struct nodd_err){ 0 };
	if (!mkdtemp(p->dir))
		return -1;
	snprintf(p->path, sizeof p->path, "%s/n.db", p->dir);
	p->main = store_open(p->path, &p->e);
	p->worker = p->main ? store_open(p->path, &p->e) : NULL;
	if (!p->worker)
		return -1;
	store_set_worker(p->worker);
	return 0;
}

/* The scratch directory removed (the handles closed before). 0, or -1. */
static inline int store_pair_remove(const struct store_pair *p)
{
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", p->dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
