/* grow.h -- arrays that grow by doubling: the one place with the size checks a growing
 * array needs (the doubling and the byte count must not overflow), so each room says only
 * how much it needs. No state; frees nothing. */
#ifndef NODD_GROW_H
#define NODD_GROW_H

#include <stddef.h>

/* Make an array hold at least need elements of elem bytes (elem > 0). p is the address of
 * the array's pointer (any object pointer type; the array malloc'd, or NULL), *cap the
 * elements it holds. Nothing changes when *cap >= need; else the array is reallocated to
 * the first of *cap doubled (16 when *cap is 0) that holds need, and *p and *cap are
 * updated. Returns 0, or -1 when the size overflows or memory runs out (*p and *cap are
 * then unchanged, the array still valid). */
static inline int grow_array(void *p, size_t *cap, size_t need, size_t elem);

/* The reallocation itself, when need > *cap (grow_array checks that inline, so a call per
 * element added costs a comparison). */
int grow_array_realloc(void *p, size_t *cap, size_t need, size_t elem);

static inline int grow_array(void *p, size_t *cap, size_t need, size_t elem)
{
	return need <= *cap ? 0 : grow_array_realloc(p, cap, need, elem);
}

#endif
