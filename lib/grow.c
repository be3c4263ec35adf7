/* grow.c -- arrays that grow by doubling (see grow.h). */
#include "lib/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int grow_array_realloc(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	if (elem == 0 || need > SIZE_MAX / elem)
		return -1;
	size_t c = *cap ? *cap : 16;
	while (c < need)
		c = c > SIZE_MAX / 2 ? need : c * 2;
	if (c > SIZE_MAX / elem)
		c = need; /* the doubling would not fit in size_t: need alone does */
	/* the pointer is read and written as bytes: p may point at any object pointer type */
	void *old, *q;
	memcpy(&old, p, sizeof old);
	q = realloc(old, c * elem);
	if (!q)
		return -1;
	memcpy(p, &q, sizeof q);
	*cap = c;
	return 0;
}
