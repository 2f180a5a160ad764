/*
 * libFuzzer harness for the config loader: any bytes must either load
 * into a config or fail with a located diagnostic, never crash, leak or
 * read out of bounds. Seeds: tests/data/config/{seeds,good,bad}/.
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ipolicy \
 *     tests/fuzz/fuzz_config.c policy/{regex,diag,levels,config,config_read,config_schema,config_yaml}.c \
 *     -lyaml -lpcre2-8 -lm -o fuzz_config
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_config *config = NULL;
	struct pol_diag diag;
	int r = pol_config_load_buffer("fuzz.yaml", (const char *)data, size, &config, &diag);

	if (r == 0) {
		if (!config)
			abort();
		pol_config_free(config);
	} else if (config || (r == -EINVAL && !diag.message[0])) {
		abort();
	}
	return 0;
}
