/* fuzz_dname.c -- the wire name parser against ldns on the same bytes: whenever ours
 * accepts a name, ldns must accept it and read the same (lowercased) name. (ldns also
 * accepts forward pointers, which we refuse, so agreement is one-way.) */
#include <ldns/ldns.h>
#include <string.h>

#include "lib/dname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t off = data[0] % 32;
	if (off >= size)
		return 0;
	uint8_t out[DNAME_MAX_WIRE];
	size_t ol;
	size_t end = dname_wire_parse(data, size, off, out, &ol);
	if (!end)
		return 0;
	if (end > size || ol > DNAME_MAX_WIRE || out[ol - 1] != 0)
		__builtin_trap();
	ldns_rdf *r = NULL;
	size_t pos = off;
	if (ldns_wire2dname(&r, data, size, &pos) != LDNS_STATUS_OK)
		__builtin_trap();
	ldns_dname2canonical(r);
	if (ldns_rdf_size(r) != ol || memcmp(ldns_rdf_data(r), out, ol) != 0 || pos != end)
		__builtin_trap();
	ldns_rdf_deep_free(r);
	return 0;
}
