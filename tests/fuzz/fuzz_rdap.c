/* fuzz_rdap.c -- libFuzzer target: arbitrary bytes as an RDAP server's answer for a domain
 * (ct/rdap.h) and as an RDAP bootstrap file (ct/bootstrap.h). The parser answers a
 * registration date, no event, or a refusal; the bootstrap lookup a URL ending in '/' or
 * none; never a crash, a leak or a read past the input. */
#include <stdlib.h>
#include <string.h>

#include "ct/bootstrap.h"
#include "ct/rdap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ct_rdap_answer a = CT_RDAP_NO_EVENT;
	int64_t created = 0;
	struct nodd_err e = { 0 };
	if (ct_rdap_parse((const char *)data, size, "shop.example", &a, &created, &e) == 0 &&
	    a != CT_RDAP_REGISTRATION && a != CT_RDAP_NO_EVENT)
		abort();
	struct ct_bootstrap *b = ct_bootstrap_parse((const char *)data, size, &e);
	if (b) {
		const char *u = ct_bootstrap_lookup(b, "shop.example");
		if (u && (!*u || u[strlen(u) - 1] != '/'))
			abort();
		ct_bootstrap_free(b);
	}
	return 0;
}
