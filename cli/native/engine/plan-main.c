// Test and bench driver of the embedded planner (engine.h): plans a bundle as
// the front's create/run would, and writes what engine_plan_create returned.
//   planc-engine-plan [--bundle B] [--id ID] [--root R] [--mode create|run|run-detached]
//                     [--no-pivot] [--systemd-cgroup] [--console-socket S]
//                     [--snapshot FILE | --no-snapshot] [--plan-out FILE] [--extras]
//                     [--repeat N] [--timings]
//   planc-engine-plan --save-snapshot FILE     (the build's step)
// Prints the plan's sha256 digest ("sha256:…", as `planc plan --digest`), the
// extras JSON with --extras; exits 2 with "not planned: <why>" when the engine
// returned -1. --timings: the time spent inside engine_plan_create, on stderr.
// It also checks that each call left SIGSEGV, SIGBUS and the alternate signal
// stack as they were (the front's own, once the engine is linked into it).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "sha256.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct engine_request rq = { .root = "/run/planc", .id = "planc-plan", .mode = ENGINE_CREATE };
	const char *plan_out = NULL;
	int extras = 0, timings = 0, repeat = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--no-pivot"))
			rq.no_pivot = true;
		else if (!strcmp(a, "--systemd-cgroup"))
			rq.systemd_cgroup = true;
		else if (!strcmp(a, "--no-snapshot"))
			engine_set_snapshot(NULL);
		else if (!strcmp(a, "--extras"))
			extras = 1;
		else if (!strcmp(a, "--timings"))
			timings = 1;
		else if (!v)
			goto usage;
		else if (i++, !strcmp(a, "--bundle"))
			rq.bundle = v;
		else if (!strcmp(a, "--id"))
			rq.id = v;
		else if (!strcmp(a, "--root"))
			rq.root = v;
		else if (!strcmp(a, "--console-socket"))
			rq.console_socket = v;
		else if (!strcmp(a, "--snapshot"))
			engine_set_snapshot(v);
		else if (!strcmp(a, "--plan-out"))
			plan_out = v;
		else if (!strcmp(a, "--repeat"))
			repeat = atoi(v);
		else if (!strcmp(a, "--mode")) {
			if (!strcmp(v, "create"))
				rq.mode = ENGINE_CREATE;
			else if (!strcmp(v, "run"))
				rq.mode = ENGINE_RUN;
			else if (!strcmp(v, "run-detached"))
				rq.mode = ENGINE_RUN_DETACHED;
			else
				goto usage;
		} else if (!strcmp(a, "--save-snapshot")) {
			if (engine_save_snapshot(v) != 0) {
				fprintf(stderr, "planc-engine-plan: %s\n", engine_last_error());
				return 1;
			}
			return 0;
		} else
			goto usage;
	}
	struct engine_result rs;
	int r = -1;
	for (int k = 0; k < (repeat > 0 ? repeat : 1); k++) {
		if (k)
			engine_result_free(&rs);
		struct sigaction segv[2], bus[2];
		stack_t alt[2];
		sigaction(SIGSEGV, NULL, &segv[0]);
		sigaction(SIGBUS, NULL, &bus[0]);
		sigaltstack(NULL, &alt[0]);
		double t0 = now_ms();
		r = engine_plan_create(&rq, &rs);
		if (timings)
			fprintf(stderr, "planc-engine-plan: engine_plan_create %.3f ms (%s)\n", now_ms() - t0, engine_used_snapshot() ? "snapshot" : "cold");
		sigaction(SIGSEGV, NULL, &segv[1]);
		sigaction(SIGBUS, NULL, &bus[1]);
		sigaltstack(NULL, &alt[1]);
		if (segv[0].sa_handler != segv[1].sa_handler || bus[0].sa_handler != bus[1].sa_handler || alt[0].ss_flags != alt[1].ss_flags || alt[0].ss_sp != alt[1].ss_sp) {
			fprintf(stderr, "planc-engine-plan: engine_plan_create left its signal handlers or alternate stack behind\n");
			return 1;
		}
	}
	if (r != 0) {
		printf("not planned: %s\n", engine_last_error());
		return 2;
	}
	uint8_t d[32];
	sha256(rs.plan, rs.plan_len, d);
	printf("sha256:");
	for (int i = 0; i < 32; i++)
		printf("%02x", d[i]);
	printf("\n");
	if (extras)
		printf("%s\n", rs.extras);
	if (plan_out) {
		FILE *f = fopen(plan_out, "wb");
		if (!f || fwrite(rs.plan, 1, rs.plan_len, f) != rs.plan_len || fclose(f) != 0) {
			fprintf(stderr, "planc-engine-plan: cannot write %s\n", plan_out);
			return 1;
		}
	}
	engine_result_free(&rs);
	return 0;
usage:
	fprintf(stderr, "usage: planc-engine-plan [--bundle B] [--id ID] [--root R] [--mode create|run|run-detached] [--no-pivot] [--systemd-cgroup] [--console-socket S] [--snapshot FILE | --no-snapshot] [--plan-out FILE] [--extras] [--repeat N] [--timings] | --save-snapshot FILE\n");
	return 1;
}
