/* planc kill [-a|--all] ID [SIGNAL]: the signal (default TERM) to the init; with --all to every process in the
 * cgroups the container made, frozen meanwhile so nothing forks past the signal, as runc does. Planned and
 * recorded in the container's trail under its lock (docs/audit.md). */
#include "lifecycle.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGKILL_ 9

static void action_head(struct jbuf *p, const char *op, const char *why)
{
	jb_obj_begin(p);
	jb_key(p, "op"), jb_str(p, op);
	jb_key(p, "why"), jb_str(p, why);
}

int verb_kill(struct globals *g, char **args, int nargs)
{
	const char *id = args[0];
	const char *sigword = nargs > 1 ? args[1] : "TERM";
	bool all = g->verb_flags[0] != NULL;
	check_id(id);
	int sig = signal_number(sigword);
	if (sig < 0) {
		struct jbuf q;
		jb_init(&q);
		jb_quoted(&q, sigword);
		fail(NULL, "unknown signal %s", q.p);
	}
	struct root root;
	struct cdir d;
	struct record rec;
	/* Under the lock: --all freezes and thaws with no pause or resume in between, and the trail has one writer. */
	container_open(&d, &root, g->root, id, true, &rec);
	/* As runc: --all still signals what is left in the cgroups of a stopped container. */
	if (status_of(&d, &rec) == ST_STOPPED && !all)
		fail(id, "container not running");
	struct trail *trail = trail_open(&d);
	struct facts f;
	facts_of(&f, &rec);

	char namebuf[32];
	const char *name = signal_name(sig, namebuf, sizeof namebuf);
	const char *why = all ? "runtime:kill --all" : "runtime:kill";
	bool freeze = all && !f.paused && f.nlive > 0;
	bool thaw = freeze || (f.paused && sig == SIGKILL_);
	/* The plan (schemas/lifecycle.schema.json), whole, before its first action. */
	struct jbuf p;
	jb_init(&p);
	jb_obj_begin(&p);
	jb_key(&p, "planVersion"), jb_i64(&p, 1);
	jb_key(&p, "kind"), jb_str(&p, "kill");
	jb_key(&p, "containerId"), jb_str(&p, id);
	jb_key(&p, "actions"), jb_arr_begin(&p);
	if (freeze) {
		action_head(&p, "freezer", why);
		jb_key(&p, "state"), jb_str(&p, "FROZEN");
		jb_obj_end(&p);
	}
	if (f.init_ours) {
		action_head(&p, "signal", why);
		jb_key(&p, "pid"), jb_i64(&p, rec.pid);
		jb_key(&p, "startTime"), jb_str(&p, rec.start_time);
		jb_key(&p, "signal"), jb_i64(&p, sig);
		jb_key(&p, "name"), jb_str(&p, name);
		jb_obj_end(&p);
	}
	if (all)
		for (int k = 0; k < f.nlive; k++) {
			if (!f.live[k].made)
				continue;
			action_head(&p, "cgroup.signal", why);
			jb_key(&p, "path"), jb_str(&p, f.live[k].path);
			jb_key(&p, "ino"), jb_u64(&p, f.live[k].ino);
			jb_key(&p, "signal"), jb_i64(&p, sig);
			jb_key(&p, "name"), jb_str(&p, name);
			jb_obj_end(&p);
		}
	if (thaw) {
		action_head(&p, "freezer", why);
		jb_key(&p, "state"), jb_str(&p, "THAWED");
		jb_obj_end(&p);
	}
	jb_arr_end(&p);
	jb_obj_end(&p);

	struct applying a;
	plan_begin(&a, trail, p.p, NULL);
	int i = 0;
	bool froze = false;
	char err[512];
	if (freeze) {
		froze = set_freezer(&f, true, err, sizeof err);
		/* no freezer, or it did not freeze in time (and was thawed): signal without it, as runc does */
		plan_record(&a, i++, "freezer", froze ? "ok" : "skipped", froze ? NULL : err, NULL);
	}
	if (f.init_ours) {
		bool sent = alive(rec.pid, rec.start_time) && send_signal(rec.pid, sig);
		plan_record(&a, i++, "signal", sent ? "ok" : "skipped", sent ? NULL : "the init is gone", NULL);
	}
	if (all)
		for (int k = 0; k < f.nlive; k++) {
			if (!f.live[k].made)
				continue;
			long n = signal_cgroup(f.live[k].path, f.live[k].ino, sig);
			if (n < 0) {
				plan_record(&a, i++, "cgroup.signal", "skipped", "no longer the cgroup planc made", NULL);
				continue;
			}
			struct jbuf x;
			jb_init(&x);
			jb_obj_begin(&x);
			jb_key(&x, "signalled"), jb_i64(&x, n);
			jb_obj_end(&x);
			plan_record(&a, i++, "cgroup.signal", "ok", NULL, &x);
		}
	if (thaw) {
		/* The thaw after a freeze that did not happen has nothing to thaw. */
		if (freeze && !froze)
			plan_record(&a, i++, "freezer", "skipped", "not frozen", NULL);
		else if (set_freezer(&f, false, err, sizeof err))
			plan_record(&a, i++, "freezer", "ok", NULL, NULL);
		else {
			plan_record(&a, i++, "freezer", "error", err, NULL);
			fail(NULL, "%s", err);
		}
	}
	if (trail)
		trail_flush(trail);
	return 0;
}
