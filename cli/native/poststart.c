/* What follows the release of a container (`planc start`, and `planc run`
 * through the internal `poststart` verb): its poststart hooks, in the
 * runtime's namespaces, which are planc's own — each a planned action of
 * stage "start" with one record in the container's trail, written before the
 * next hook runs. And what the spec asks when a startContainer or poststart
 * hook (or the exec) fails (runtime.md "Lifecycle"): `start` fails, the
 * container is stopped and destroyed, then its poststop hooks run. */
#include "front.h"
#include "lifecycle.h"
#include "teardown.h"
#include "../../executor/native/hookrun.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const KINDS[][2] = {
	{"hook.prestart", "prestart"},
	{"hook.create-runtime", "createRuntime"},
	{"hook.create-container", "createContainer"},
	{"hook.start-container", "startContainer"},
	{"hook.poststart", "poststart"},
	{"hook.poststop", "poststop"},
};

static const char *kind_of(const char *op)
{
	for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++)
		if (!strcmp(op, KINDS[k][0]))
			return KINDS[k][1];
	return NULL;
}

bool hook_action_run(const mp *a, int i, long pid, struct jbuf *record, char *msg, size_t cap, int *err)
{
	const char *op = mp_str(mp_get(a, "op")), *stage = mp_str(mp_get(a, "stage")), *kind = op ? kind_of(op) : NULL;
	const char *path = mp_str(mp_get(a, "path"));
	const mp *args = mp_get(a, "args"), *env = mp_get(a, "env"), *timeout = mp_get(a, "timeout");
	char **argv = args ? mp_strv(args) : NULL, **envp = env ? mp_strv(env) : NULL;
	int64_t secs = 0;
	/* The planner checked all of this; the plan is read back from disk, so it is checked again. */
	bool planned = kind && stage && path && path[0] == '/' && argv && argv[0] && envp &&
		       (!timeout || (mp_int(timeout, &secs) == 0 && secs >= 1 && secs <= 86400LL * 365));
	char *input = planned ? hook_state_json(mp_get(a, "state"), pid) : NULL;
	bool ok = false;
	if (!input) {
		*err = EINVAL;
		snprintf(msg, cap, "%s hook %s: plan: not a hook planc can run", kind ? kind : "a", path ? path : "?");
	} else {
		struct hook_spec spec = {path, argv, envp, secs, input, -1};
		struct hook_outcome o;
		ok = hook_run(&spec, &o) == 0;
		*err = o.err;
		if (o.call)
			snprintf(msg, cap, "%s hook %s: %s: %s", kind, path, o.call, errno_words(o.err));
		else
			snprintf(msg, cap, "%s hook %s: %s", kind, path, o.what);
	}
	jb_init(record);
	jb_obj_begin(record);
	jb_key(record, "i"), jb_i64(record, i);
	jb_key(record, "op"), jb_str(record, op ? op : "?");
	jb_key(record, "stage"), jb_str(record, stage ? stage : "?");
	jb_key(record, "r"), jb_str(record, ok ? "ok" : "error");
	jb_key(record, "t"), jb_i64(record, now_micros());
	if (!ok) {
		jb_key(record, "errno"), jb_i64(record, *err);
		jb_key(record, "msg"), jb_str(record, msg);
	}
	jb_obj_end(record);
	free(input);
	free(argv);
	free(envp);
	return ok;
}

/* Stop and destroy a container whose start failed, run its poststop hooks, and fail with its error
 * (runtime.md: "generate an error, stop the container, and continue the lifecycle at step 12"). */
static _Noreturn void destroy_and_fail(struct cdir *d, struct record *rec, const mp *plan, const char *where, const char *msg)
{
	export_audit(d, rec); /* the failure's record reaches the --audit-log before the container's own log goes */
	struct jbuf extra;
	jb_init(&extra);
	jb_obj_begin(&extra);
	jb_key(&extra, "reason"), jb_str(&extra, msg);
	jb_obj_end(&extra);
	struct remains r;
	remains_of_record(rec, &r);
	struct td_audit a = {
		.trail = trail_open(d),
		.extra = &extra,
		.poststop = true,
		.plan = plan,
		.audit_log = mp_str(mp_get(rec->doc, "auditLog")),
		.plan_digest = mp_str(mp_get(rec->doc, "planDigest")),
	};
	teardown(d, &r, TD_UNDO, &a);
	if (a.trail)
		trail_release(a.trail);
	fail(where, "%s", msg);
}

/* An action's "why" as a message's where: a config path ("/hooks/poststart/0"), prefixed with the
 * config file when the caller knows it (run: the CLI named it in its own errors). */
static const char *where_of(const mp *plan, int64_t i, const char *config)
{
	const mp *actions = mp_get(plan, "actions");
	const char *why = i >= 0 && i < actions->len ? mp_str(mp_get(&actions->kids[i], "why")) : NULL;
	if (!why || why[0] != '/')
		return NULL;
	if (!config)
		return why;
	size_t n = strlen(config) + strlen(why) + 3;
	char *both = malloc(n);
	snprintf(both, n, "%s: %s", config, why);
	return both;
}

void poststart(struct cdir *d, struct record *rec, const mp *plan, const char *config)
{
	const mp *actions = mp_get(plan, "actions");
	struct trail *t = NULL;
	bool opened = false;
	for (uint32_t k = 0; k < actions->len; k++) {
		const mp *a = &actions->kids[k];
		const char *stage = mp_str(mp_get(a, "stage"));
		if (!stage || strcmp(stage, "start") != 0)
			continue;
		if (!opened)
			t = trail_open(d), opened = true;
		struct jbuf record;
		char msg[HOOK_OUTPUT_KEPT + 4600];
		int err = 0;
		bool ok = hook_action_run(a, (int)k, (long)rec->pid, &record, msg, sizeof msg, &err);
		if (t)
			trail_append(t, &record);
		if (ok)
			continue;
		if (t)
			trail_release(t);
		/* The spec: the container is stopped. Only the init that is still ours is signalled. */
		if (alive(rec->pid, rec->start_time))
			kill((pid_t)rec->pid, SIGKILL);
		destroy_and_fail(d, rec, plan, where_of(plan, k, config), msg);
	}
	if (t)
		trail_release(t);
}

void failed_start(struct cdir *d, struct record *rec, const mp *plan)
{
	/* The first failure the init recorded (the create succeeded: one after the release, a startContainer hook or the exec). */
	struct trailref ref;
	size_t len = 0;
	char *text = trailref_read(d, &ref) ? trail_text(&ref, &len) : NULL;
	const char *msg = "the container init exited before it executed the process", *where = NULL;
	bool header = true;
	for (size_t k = 0; text && k < len;) {
		size_t e = k;
		while (e < len && text[e] != '\n')
			e++;
		const char *perr;
		mp *line = header || e == k ? NULL : json_parse(text + k, e - k, &perr); /* a line being written is no failure record */
		header = false;
		k = e + 1;
		const mp *i = line ? mp_get(line, "i") : NULL, *r = line ? mp_get(line, "r") : NULL, *m = line ? mp_get(line, "msg") : NULL;
		if (!i || i->type != MP_INT || !r || r->type != MP_STR || strcmp(r->s, "error") != 0)
			continue;
		msg = m && m->type == MP_STR ? m->s : "failed";
		where = where_of(plan, i->i, NULL);
		break;
	}
	destroy_and_fail(d, rec, plan, where, msg);
}
