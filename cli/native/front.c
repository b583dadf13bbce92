/* planc's entry. It serves the hot verbs itself when the command line has a
 * shape it fully understands, and hands everything else — help, unknown or
 * repeated flags, flags with values it does not know, every planning verb —
 * to the oclif CLI (node bin/planc.cjs) with the arguments unchanged, so oclif
 * stays the authority for help and parse errors. test/unit/native-front.test.ts
 * runs every hot-verb shape through both parsers and compares what they do. */
#include "front.h"
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PLANC_NODE
#define PLANC_NODE "node"
#endif
#ifndef PLANC_VERSION
#define PLANC_VERSION ""
#define PLANC_SPEC_VERSION ""
#endif

struct verb {
	const char *name;
	int (*run)(struct globals *g, char **args, int nargs);
	/* The verb's own flags: "name" for a switch, "name=" for one with a value ("name=a|b": one of those values);
	 * "c/" prefix: its one-letter form. */
	const char *const *flags;
	int min_args, max_args;
	bool internal; /* only for the CLI's own calls (PLANC_FRONT_ONLY=1); otherwise not a verb here */
	/* A switch of the verb's that must be given for the front to serve it (events: only --stats; the stream is the CLI's). */
	const char *needs;
	/* With --debug the CLI serves it (create and run: the plan's digest and warnings are said as the CLI says them). */
	bool no_debug;
	/* Its first positional argument ends the flags and what follows is a command, passed on as it is (exec ID cmd…,
	 * as with runc; cli/fast.ts separateCommand). */
	bool variadic;
};

static const char *const NO_FLAGS[] = {NULL};
/* "=*": a flag that may be given many times (runc's slice flags), its values kept in order. */
static const char *const LIST_FLAGS[] = {"f/format=table|json", "q/quiet", NULL};
static const char *const DELETE_FLAGS[] = {"f/force", NULL};
/* Hidden, for the CLI only: apply.c, the plan of a create, run or exec applied (cli/container.ts and cli/exec.ts hand
 * over to it). dir-fd, paused, config and argv-fd are exec's. */
static const char *const APPLY_FLAGS[] = {"mode=create|run|run-detached|exec", "plan-fd=", "extras-fd=", "pid-file=", "preserve-fds=",
					  "audit-log=", "extras=", "dir-fd=", "paused", "config=", "argv-fd=", NULL};
static const char *const KILL_FLAGS[] = {"a/all", NULL};
static const char *const PS_FLAGS[] = {"f/format=table|json", NULL};
/* --interval is left out: with it the CLI checks the duration (and streams without --stats). */
static const char *const EVENTS_FLAGS[] = {"stats", NULL};
/* create.c (the order of its F_ names). "=#": a plain decimal of at most 4 digits, else the CLI parses it.
 * --dry-run is left out: it prints the plan's explanation, the CLI's. */
#define CREATE_FLAG_LIST "b/bundle=", "pid-file=", "preserve-fds=#", "console-socket=", "no-pivot", "no-new-keyring", "audit-log="
static const char *const CREATE_FLAGS[] = {CREATE_FLAG_LIST, NULL};
static const char *const RUN_FLAGS[] = {CREATE_FLAG_LIST, "d/detach", NULL};
/* exec.c (the order of its E_ names). --dry-run is the CLI's (it prints the plan's explanation); --apparmor and
 * --process-label are refused on this host, in the CLI's words. */
static const char *const EXEC_FLAGS[] = {"p/process=", "d/detach", "pid-file=", "t/tty", "console-socket=", "cwd=", "e/env=*", "u/user=",
					 "g/additional-gids=*", "c/cap=*", "no-new-privs", "preserve-fds=#", "cgroup=*", "ignore-paused", NULL};

static const struct verb VERBS[] = {
	{"state", verb_state, NO_FLAGS, 1, 1, false, NULL, false, false},
	{"list", verb_list, LIST_FLAGS, 0, 0, false, NULL, false, false},
	{"delete", verb_delete, DELETE_FLAGS, 1, 1, false, NULL, false, false},
	{"kill", verb_kill, KILL_FLAGS, 1, 2, false, NULL, false, false},
	{"pause", verb_pause, NO_FLAGS, 1, 1, false, NULL, false, false},
	{"resume", verb_resume, NO_FLAGS, 1, 1, false, NULL, false, false},
	{"ps", verb_ps, PS_FLAGS, 1, 1, false, NULL, false, false},
	{"events", verb_events, EVENTS_FLAGS, 1, 1, false, "stats", false, false},
	{"start", verb_start, NO_FLAGS, 1, 1, false, NULL, false, false},
	{"apply", verb_apply, APPLY_FLAGS, 1, 1, true, NULL, false, false},
	{"create", verb_create, CREATE_FLAGS, 1, 1, false, NULL, true, false},
	{"run", verb_run, RUN_FLAGS, 1, 1, false, NULL, true, false},
	{"exec", verb_exec, EXEC_FLAGS, 1, 1, false, NULL, true, true},
};

/* runc's global flags (cli/verb.ts GLOBAL_FLAGS) the front understands; any may come before or after the verb. */
static const char *const GLOBAL_FLAGS[] = {"root=", "log=", "log-format=text|json", "criu=", "audit-dir=", "audit-sign-key=", "debug",
					   "systemd-cgroup", NULL};

char **g_argv; /* the command line as given: hand_off passes it on, trail.c records it */

static bool front_only(void)
{
	const char *v = getenv("PLANC_FRONT_ONLY");
	return v && !strcmp(v, "1");
}

/* Not a shape the front serves: the CLI gets the command line as it came. */
_Noreturn void hand_off(void)
{
#ifdef PLANC_PARSE_DUMP
	printf("{\"handOff\":true}\n");
	exit(0);
#endif
	if (getenv("PLANC_FRONT_ONLY"))
		fail(NULL, "internal: the native front was given a command line it does not serve");
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		fail(NULL, "find planc's install directory: %s", errno_words(errno));
	self[n] = 0;
	/* <install>/build/planc → <install>/bin/planc.cjs */
	char cli[PATH_MAX + 32];
	snprintf(cli, sizeof cli, "%s/bin/planc.cjs", dirname(dirname(self)));
	int argc = 0;
	while (g_argv[argc])
		argc++;
	char **args = calloc((size_t)argc + 3, sizeof *args);
	const char *node = getenv("PLANC_NODE");
	if (!node || !*node)
		node = PLANC_NODE;
	args[0] = (char *)node;
	args[1] = cli;
	for (int k = 1; k < argc; k++)
		args[k + 1] = g_argv[k];
	execvp(node, args);
	int e = errno;
	/* The node planc was built with is gone (an install copied to another machine): the one on PATH. */
	if (e == ENOENT && strcmp(node, "node") != 0) {
		args[0] = "node";
		execvp("node", args);
	}
	fail(NULL, "start the planc CLI with %s: %s", node, errno_words(e));
}

#define MAX_MANY 256
struct parsed {
	const char *values[32]; /* by flag index: globals, then the verb's (a repeatable flag's: its last) */
	bool seen[32];
	char *args[8];
	int nargs;
	/* Every value of the repeatable flags, in order, with the index of its flag. */
	const char *many[MAX_MANY];
	int many_of[MAX_MANY];
	int nmany;
	/* A variadic verb's command: what follows its first positional argument. */
	char **rest;
	int nrest;
};

/* The spec of flag `name` (long or one-letter) among `specs`; its index or -1. */
static int find(const char *const *specs, const char *name, bool letter, bool *takes)
{
	for (int k = 0; specs[k]; k++) {
		const char *s = specs[k];
		char c = 0;
		if (s[1] == '/')
			c = s[0], s += 2;
		size_t n = strcspn(s, "=");
		if (letter ? (c && name[0] == c && !name[1]) : (strlen(name) == n && strncmp(s, name, n) == 0)) {
			*takes = s[n] == '=';
			return k;
		}
	}
	return -1;
}

/* Flags and arguments after the verb (and the globals before it); false for anything the front is unsure of. */
static bool parse_range(const struct verb *v, char **argv, int from, int to, struct parsed *p)
{
	int nglobal = 0;
	while (GLOBAL_FLAGS[nglobal])
		nglobal++;
	bool only_args = false;
	for (int i = from; i < to; i++) {
		char *a = argv[i];
		if (only_args || a[0] != '-' || !a[1]) {
			if (p->nargs >= 8)
				return false;
			p->args[p->nargs++] = a;
			if (v->variadic) {
				/* The rest is the command, dashes and all; one "--" right after the id separates it (runc's man
				 * page form), unless a "--" came before the id already. */
				int k = i + 1;
				if (!only_args && k < to && !strcmp(argv[k], "--"))
					k++;
				p->rest = &argv[k];
				p->nrest = to - k;
				return true;
			}
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = true;
			continue;
		}
		char name[64];
		const char *value = NULL;
		bool letter = a[1] != '-';
		if (letter) {
			if (a[2])
				return false; /* -abc, -fjson: oclif's forms */
			name[0] = a[1], name[1] = 0;
		} else {
			const char *eq = strchr(a + 2, '=');
			size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			if (n == 0 || n >= sizeof name)
				return false;
			memcpy(name, a + 2, n);
			name[n] = 0;
			if (eq)
				value = eq + 1;
		}
		bool takes = false;
		int k = letter ? -1 : find(GLOBAL_FLAGS, name, false, &takes);
		if (k < 0) {
			k = find(v->flags, name, letter, &takes);
			if (k < 0)
				return false;
			k += nglobal;
		}
		const char *spec = k < nglobal ? GLOBAL_FLAGS[k] : v->flags[k - nglobal];
		const char *options = strchr(spec, '=');
		bool many = options && !strcmp(options, "=*");
		if (p->seen[k] && !many)
			return false; /* repeated: oclif decides */
		p->seen[k] = true;
		if (!takes) {
			if (value)
				return false; /* --debug=false and the like: oclif's normalisation */
			p->values[k] = "true";
			continue;
		}
		if (!value) {
			if (i + 1 >= to || (argv[i + 1][0] == '-' && argv[i + 1][1]))
				return false;
			value = argv[++i];
		}
		/* A value outside the flag's options: the CLI says which it takes. */
		options++;
		if (many) {
			if (p->nmany >= MAX_MANY)
				return false;
			p->many_of[p->nmany] = k;
			p->many[p->nmany++] = value;
		} else if (!strcmp(options, "#")) {
			size_t n = strspn(value, "0123456789");
			if (value[n] || n == 0 || n > 4 || (value[0] == '0' && n > 1))
				return false;
		} else if (*options) {
			bool listed = false;
			for (const char *o = options; *o; o += strcspn(o, "|"), o += *o == '|') {
				size_t n = strcspn(o, "|");
				listed |= strlen(value) == n && strncmp(o, value, n) == 0;
			}
			if (!listed)
				return false;
		}
		p->values[k] = value;
	}
	return true;
}

#ifdef PLANC_PARSE_DUMP
static void dump(const struct verb *v, const struct parsed *p, int nglobal)
{
	struct jbuf b;
	jb_init(&b);
	jb_obj_begin(&b);
	jb_key(&b, "verb"), jb_str(&b, v->name);
	jb_key(&b, "args"), jb_arr_begin(&b);
	for (int k = 0; k < p->nargs; k++)
		jb_str(&b, p->args[k]);
	jb_arr_end(&b);
	if (v->variadic) {
		jb_key(&b, "rest"), jb_arr_begin(&b);
		for (int k = 0; k < p->nrest; k++)
			jb_str(&b, p->rest[k]);
		jb_arr_end(&b);
	}
	jb_key(&b, "flags"), jb_obj_begin(&b);
	for (int k = 0; k < 32; k++) {
		if (!p->values[k])
			continue;
		const char *spec = k < nglobal ? GLOBAL_FLAGS[k] : v->flags[k - nglobal];
		if (spec[1] == '/')
			spec += 2;
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(spec, "="), spec);
		jb_key(&b, name);
		if (strstr(spec, "=*")) {
			jb_arr_begin(&b);
			for (int m = 0; m < p->nmany; m++)
				if (p->many_of[m] == k)
					jb_str(&b, p->many[m]);
			jb_arr_end(&b);
		} else if (strchr(spec, '='))
			jb_str(&b, p->values[k]);
		else
			jb_bool(&b, true);
	}
	jb_obj_end(&b);
	jb_obj_end(&b);
	printf("%s\n", b.p);
}
#endif

int main(int argc, char **argv)
{
	g_argv = argv;
	/* runc's first lines, which podman parses (cli/main.ts printVersion): the build put them here from the
	 * same sources, package.json and the planner's newest runtime-spec version. */
	if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v")) && PLANC_VERSION[0] && PLANC_SPEC_VERSION[0]) {
#ifdef PLANC_PARSE_DUMP
		printf("{\"verb\":\"--version\",\"args\":[],\"flags\":{}}\n");
		return 0;
#endif
		printf("planc version %s\nspec: %s\n", PLANC_VERSION, PLANC_SPEC_VERSION);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	/* Globals before the verb, as runc takes them. */
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		bool takes = false;
		char name[64];
		const char *eq = strchr(argv[i], '=');
		size_t n = eq ? (size_t)(eq - argv[i] - 2) : strlen(argv[i]) - 2;
		if (strncmp(argv[i], "--", 2) != 0 || n == 0 || n >= sizeof name)
			hand_off();
		memcpy(name, argv[i] + 2, n);
		name[n] = 0;
		if (find(GLOBAL_FLAGS, name, false, &takes) < 0)
			hand_off();
		if (takes && !eq)
			i++;
	}
	if (i >= argc)
		hand_off();
	const struct verb *v = NULL;
	for (size_t k = 0; k < sizeof VERBS / sizeof VERBS[0]; k++)
		if (!strcmp(argv[i], VERBS[k].name) && (!VERBS[k].internal || front_only()))
			v = &VERBS[k];
	if (!v)
		hand_off();
	struct parsed p = {0};
	/* The globals before the verb count as if they followed it (main.ts rewriteArgv). */
	if (!parse_range(v, argv, 1, i, &p) || p.nargs != 0 || !parse_range(v, argv, i + 1, argc, &p) || p.nargs < v->min_args ||
	    p.nargs > v->max_args)
		hand_off();
	int nglobal = 0;
	while (GLOBAL_FLAGS[nglobal])
		nglobal++;
	bool takes;
	if (v->needs && !p.values[nglobal + find(v->flags, v->needs, false, &takes)])
		hand_off();
	if (v->no_debug && p.values[6])
		hand_off();
	/* Not root and no --root: the CLI works out where a rootless planc keeps state (cli/rootless.ts). */
	if (geteuid() != 0 && !p.values[0])
		hand_off();
	const char *log_format = p.values[2];
	g_log.file = p.values[1] && *p.values[1] ? p.values[1] : NULL;
	g_log.format = log_format;
	struct globals g = {.root = p.values[0] ? p.values[0] : DEFAULT_ROOT, .debug = p.values[6] != NULL};
	g.verb_flags = &p.values[nglobal];
	g.audit_sign_key = p.values[5];
	g.audit_dir = p.values[4];
	g.systemd_cgroup = p.values[7] != NULL;
#ifdef PLANC_PARSE_DUMP
	/* build/test/planc-front-parse: what the front would do, for test/unit/native-front.test.ts to compare with the CLI's parser. */
	dump(v, &p, nglobal);
	return 0;
#endif
	/* The verb's repeatable flags, by the index of the flag in its table. */
	for (int m = 0; m < p.nmany; m++)
		p.many_of[m] -= nglobal;
	g.many = p.many, g.many_of = p.many_of, g.nmany = p.nmany;
	g.rest = p.rest, g.nrest = p.nrest;
	return v->run(&g, p.args, p.nargs);
}
