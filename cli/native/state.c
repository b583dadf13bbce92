/* planc state ID: the OCI state JSON (runtime.md), pretty-printed as before. */
#include "front.h"
#include <stdio.h>

int verb_state(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	struct root root;
	struct cdir d;
	cdir_open_existing(&d, &root, g->root, args[0]);
	struct jbuf b;
	jb_init(&b);
	state_json(&b, &d);
	printf("%s\n", json_indent(b.p));
	return fflush(stdout) == 0 ? 0 : 1;
}
