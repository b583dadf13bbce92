/* Test-only: prints the sha256 of stdin as hex, computed by the executor's
 * own sha256.c, in chunks of the size given (argv[1], default 4096) so the
 * block-boundary handling is exercised (test/unit/sha256.test.ts). */
#include "../sha256.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t chunk = argc > 1 ? strtoul(argv[1], NULL, 10) : 4096;
	static uint8_t buf[1 << 16];
	struct sha256 s;
	uint8_t d[32];
	char hex[65];
	ssize_t n;
	if (chunk < 1 || chunk > sizeof buf)
		return 2;
	sha256_init(&s);
	while ((n = read(0, buf, chunk)) > 0)
		sha256_update(&s, buf, n);
	if (n < 0)
		return 1;
	sha256_final(&s, d);
	sha256_hex(d, hex);
	printf("%s\n", hex);
	return 0;
}
