/* planc state ID: the OCI state JSON (runtime.md), pretty-printed as before. */
#include "front.h"
#include <stdio.h>

int verb_state(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	check_id(args[0]);
	struct root root;
	struct cdir d;
	if (!root_open(&root, g->root) || !cdir_open(&d, &root, args[0]))
		fail(args[0], "container does not exist");
	struct jbuf b;
	jb_init(&b);
	state_json(&b, &d);
	printf("%s\n", json_indent(b.p));
	return fflush(stdout) == 0 ? 0 : 1;
}
