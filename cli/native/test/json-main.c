/* Test-only (build/test/planc-json, test/unit/native-json.test.ts): the front's JSON writer on numbers.
 *   planc-json TEXT ...
 * prints a JSON array of jb_double(strtod(TEXT)) for each, a newline (jb_raw), then the line
 * {"n":COUNT,"big":18446744073709551616,"ok":true} — jb_num for a value wider than 64 bits, between two keys. */
#include "../front.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct jbuf b;
	jb_init(&b);
	jb_arr_begin(&b);
	for (int k = 1; k < argc; k++)
		jb_double(&b, strtod(argv[k], NULL));
	jb_arr_end(&b);
	jb_raw(&b, "\n", 1);
	jb_obj_begin(&b);
	jb_key(&b, "n"), jb_i64(&b, argc - 1);
	jb_key(&b, "big"), jb_num(&b, "18446744073709551616");
	jb_key(&b, "ok"), jb_bool(&b, true);
	jb_obj_end(&b);
	return fwrite(b.p, 1, b.len, stdout) == b.len && fflush(stdout) == 0 ? 0 : 1;
}
