/*
 * libFuzzer harness for the domain profile loader: any bytes must either
 * load into a profile or fail with a located diagnostic, never crash,
 * leak or read out of bounds. Seeds: tests/data/profiles/, examples/profiles/.
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. -Ipolicy \
 *     -I/usr/include/cjson tests/fuzz/fuzz_profile.c build/libattesta-policy.a \
 *     -lyaml -lpcre2-8 -lcjson -lcrypto -lm -lpthread -o fuzz_profile
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_domain_profile *profile = NULL;
	struct pol_diag diag;
	int r = pol_domain_load_buffer("fuzz.yaml", (const char *)data, size, &profile, &diag);

	if (r == 0) {
		if (!profile)
			abort();
		pol_domain_free(profile);
	} else if (profile || (r == -EINVAL && !diag.message[0])) {
		abort();
	}
	return 0;
}
