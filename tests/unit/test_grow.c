/* test_grow.c -- lib/grow.c: the first allocation, doubling, a need past the double, the
 * contents kept, and sizes that overflow refused with the array untouched. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/grow.h"
#include "tap.h"

struct item {
	int a;
	char name[12];
};

int main(void)
{
	struct item *v = NULL;
	size_t cap = 0;
	is_int(grow_array(&v, &cap, 0, sizeof *v), 0, "nothing needed: nothing done");
	ok(v == NULL && cap == 0, "... the array stays empty");
	is_int(grow_array(&v, &cap, 1, sizeof *v), 0, "one element");
	ok(v != NULL && cap == 16, "... 16 allocated (cap %zu)", cap);
	for (int i = 0; i < 16; i++)
		v[i].a = i;
	struct item *was = v;
	is_int(grow_array(&v, &cap, 16, sizeof *v), 0, "as many as it holds");
	ok(v == was && cap == 16, "... nothing moves");
	is_int(grow_array(&v, &cap, 17, sizeof *v), 0, "one more");
	is_int(cap, 32, "... doubles");
	is_int(grow_array(&v, &cap, 200, sizeof *v), 0, "far more");
	is_int(cap, 256, "... doubles until it holds them");
	int same = 1;
	for (int i = 0; i < 16; i++)
		same &= v[i].a == i;
	ok(same, "the elements are kept");
	was = v;
	is_int(grow_array(&v, &cap, SIZE_MAX / sizeof *v + 1, sizeof *v), -1,
		"a byte count past SIZE_MAX is refused");
	ok(v == was && cap == 256, "... the array untouched");
	is_int(grow_array(&v, &cap, SIZE_MAX / 2, sizeof *v), -1, "half of SIZE_MAX elements of 16 "
		"bytes are refused");
	ok(v == was && cap == 256 && v[3].a == 3, "... the array untouched");
	is_int(grow_array(&v, &cap, 300, 0), -1, "elements of no size are refused");
	free(v);
	char *buf = NULL;
	size_t bcap = 0;
	is_int(grow_array(&buf, &bcap, 5000, 1), 0, "bytes");
	is_int(bcap, 8192, "... from 16 doubling");
	free(buf);
	return tap_done();
}
