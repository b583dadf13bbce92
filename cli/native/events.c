/* planc events --stats ID: one stats event, {"type":"stats","id":ID,"data":<stats.c>}, for a container that is not
 * stopped. The stream (`events` without --stats, every --interval, with OOM notifications) is the CLI's
 * (cli/commands/events.ts); it takes each sample from here. */
#include "front.h"
#include <stdio.h>

int verb_events(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	const char *id = args[0];
	struct root root;
	struct cdir d;
	struct record rec;
	container_open(&d, &root, g->root, id, false, &rec);
	/* runc's words. */
	if (status_of(&d, &rec) == ST_STOPPED)
		fail(NULL, "container with id %s is not running", id);
	struct jbuf out;
	jb_init(&out);
	jb_obj_begin(&out);
	jb_key(&out, "type"), jb_str(&out, "stats");
	jb_key(&out, "id"), jb_str(&out, id);
	jb_key(&out, "data");
	stats_json(&out, rec.cgroups, rec.ncgroups);
	jb_obj_end(&out);
	jb_raw(&out, "\n", 1);
	return fwrite(out.p, 1, out.len, stdout) == out.len && fflush(stdout) == 0 ? 0 : 1;
}
