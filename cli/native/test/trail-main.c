/* Test-only driver of cli/native/trail.c (test/unit/native-trail.test.ts,
 * test/integration/native-trail.test.ts), built with trail.c's test hooks:
 *
 *   planc-trail ROOT ID COMMAND...
 *
 * opens the trail of container ID in the state root ROOT as the front's verbs
 * do (the state directory opened through the gate and locked, trail_open),
 * then runs the commands in order, each printing one line on stdout:
 *   t MICROS               every later "t" is MICROS (0: the clock again)
 *   plan PLAN BY EXTRA     trail_begin_plan; BY a JSON value, or "caller" for the caller of
 *                          the command line "planc kill ID"; prints "of N"
 *   record OF I OP R EXTRA trail_record; prints "ok"
 *   append FIELDS          trail_append; prints "line N"
 *   fsize BYTES            RLIMIT_FSIZE (SIGXFSZ ignored): later writes fail EFBIG
 *   close KEY              trail_load_key(KEY) ("-": no key), trail_close; prints "closed"
 * PLAN is compact JSON; EXTRA and FIELDS compact JSON objects ("{}": none).
 * A container without a trail: "no trail", exit 0. An error: fail()'s one line, exit 1.
 *
 *   planc-trail - - caller ARG...   the caller of the command line "planc ARG...", and stops
 *   planc-trail - - json STRING     a JSON document of every kind of value jb_* writes, and stops */
#include "../trail.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

char **g_argv; /* what trail.c records as the command line */

static struct jbuf object(const char *json)
{
	struct jbuf b;
	jb_init(&b);
	jb_raw(&b, json, strlen(json));
	return b;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: planc-trail ROOT ID COMMAND...\n");
		return 2;
	}
	if (!strcmp(argv[3], "caller")) {
		argv[3] = "planc-trail"; /* g_argv[0], not recorded: "planc" stands for it */
		g_argv = argv + 3;
		struct jbuf b;
		jb_init(&b);
		trail_caller(&b);
		printf("%s\n", b.p);
		return 0;
	}
	if (!strcmp(argv[3], "json") && argc > 4) {
		struct jbuf b;
		jb_init(&b);
		jb_obj_begin(&b);
		jb_key(&b, "s"), jb_str(&b, argv[4]);
		jb_key(&b, "a"), jb_arr_begin(&b);
		jb_i64(&b, -9007199254740991LL);
		jb_u64(&b, 9007199254740991ULL);
		jb_bool(&b, true);
		jb_bool(&b, false);
		jb_null(&b);
		jb_arr_begin(&b), jb_arr_end(&b);
		jb_obj_begin(&b), jb_obj_end(&b);
		jb_arr_begin(&b), jb_str(&b, ""), jb_i64(&b, 0), jb_arr_end(&b);
		jb_arr_end(&b);
		jb_key(&b, "k\"\n"), jb_obj_begin(&b);
		jb_key(&b, "x"), jb_i64(&b, 0);
		jb_key(&b, "y"), jb_obj_begin(&b), jb_obj_end(&b);
		jb_obj_end(&b);
		jb_obj_end(&b);
		printf("%s\n", b.p);
		return 0;
	}
	char *kill_argv[] = {"planc-trail", "kill", argv[2], NULL};
	g_argv = kill_argv;
	struct root root;
	struct cdir d;
	if (!root_open(&root, argv[1]) || !cdir_open(&d, &root, argv[2]))
		fail(argv[2], "container does not exist");
	cdir_lock(&d); /* as the verbs hold it: the trail has one writer */
	struct trail *t = trail_open(&d);
	if (!t) {
		printf("no trail\n");
		return 0;
	}
	for (int a = 3; a < argc;) {
		const char *cmd = argv[a++];
		int need = !strcmp(cmd, "plan") ? 3 : !strcmp(cmd, "record") ? 5 : 1;
		if (argc - a < need) {
			fprintf(stderr, "planc-trail: %s needs %d arguments\n", cmd, need);
			return 2;
		}
		if (!strcmp(cmd, "t")) {
			trail_test_t = strtoll(argv[a], NULL, 10);
		} else if (!strcmp(cmd, "plan")) {
			trail_test_by = strcmp(argv[a + 1], "caller") ? argv[a + 1] : NULL;
			struct jbuf extra = object(argv[a + 2]);
			printf("of %ld\n", trail_begin_plan(t, argv[a], &extra));
			free(extra.p);
		} else if (!strcmp(cmd, "record")) {
			struct jbuf extra = object(argv[a + 4]);
			trail_record(t, strtol(argv[a], NULL, 10), atoi(argv[a + 1]), argv[a + 2], argv[a + 3], &extra);
			free(extra.p);
			printf("ok\n");
		} else if (!strcmp(cmd, "append")) {
			struct jbuf fields = object(argv[a]);
			printf("line %ld\n", trail_append(t, &fields));
			free(fields.p);
		} else if (!strcmp(cmd, "fsize")) {
			rlim_t n = strtoull(argv[a], NULL, 10);
			struct rlimit rl = {n, n};
			signal(SIGXFSZ, SIG_IGN);
			if (setrlimit(RLIMIT_FSIZE, &rl) < 0) {
				perror("setrlimit");
				return 2;
			}
		} else if (!strcmp(cmd, "close")) {
			void *key = strcmp(argv[a], "-") ? trail_load_key(argv[a]) : NULL;
			trail_close(t, key);
			printf("closed\n");
		} else {
			fprintf(stderr, "planc-trail: unknown command %s\n", cmd);
			return 2;
		}
		fflush(stdout);
		a += need;
	}
	trail_release(t);
	return 0;
}
