/* The planner without Node: `planc create`/`run`/`exec` planned by the same TypeScript
 * as the Node CLI (cli/native/engine/entry.ts), run by QuickJS compiled to C
 * (wasm2c of the npm package's emscripten-module.wasm), host facts gathered
 * inside it through C reads. Built by cli/native/engine/build.sh into
 * build/engine/libplanc-engine.a (+ build/engine/planner.snapshot). */
#ifndef PLANC_ENGINE_H
#define PLANC_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { ENGINE_CREATE, ENGINE_RUN /* foreground */, ENGINE_RUN_DETACHED };

struct engine_request {
	const char *bundle; /* --bundle as given, or NULL for "." (resolved against the cwd, like path.resolve) */
	const char *id; /* already checked by the front's gate */
	const char *root; /* --root as the CLI would see it: as given, else its default (/run/planc as root);
			   state dir = resolve(root)/id, as planning.ts does */
	bool no_pivot, systemd_cgroup;
	int mode; /* ENGINE_CREATE, ENGINE_RUN, ENGINE_RUN_DETACHED */
	const char *console_socket; /* NULL: none */
};

struct engine_result {
	uint8_t *plan; /* the msgpack plan bytes, identical to planBundle()'s (malloc'd) */
	size_t plan_len;
	char *extras; /* JSON: {"annotations":{..}?,"resources":{..}?,"terminal":bool,"relay":bool,"actions":N,"warnings":[...]} (malloc'd) */
};

/* 0: planned (free the result with engine_result_free). -1: anything else (invalid config,
 * missing bundle or rootfs, terminal checks, rootless, an engine problem): hand the command
 * line to the Node CLI, which reports it as it always did. Never prints, never exits, writes
 * nothing; signal dispositions for SIGSEGV/SIGBUS and the alternate signal stack are the
 * caller's again on return. Rootless is decided as `--rootless auto` does (euid != 0 → -1):
 * a caller given --rootless true must not call it. Not thread-safe (one engine per process
 * at a time). */
int engine_plan_create(const struct engine_request *rq, struct engine_result *rs);
/* `planc exec`: request is the JSON text cli/native/engine/entry.ts reads as an ExecRequest ({"verb":"exec",…},
 * made by cli/native/exec.c from what it read through its gate); stored: the container's plan.msgpack bytes (NULL:
 * it has none). rs->extras is {"configPath":"…"}. Returns as engine_plan_create does: any error, any difference
 * from the CLI's answer, is -1 and the CLI's to report. */
int engine_plan_exec(const char *request, const uint8_t *stored, size_t stored_len, struct engine_result *rs);
void engine_result_free(struct engine_result *rs);

/* The snapshot to start from. Default: engine/planner.snapshot beside the running binary
 * (build/planc → build/engine/planner.snapshot). NULL: always start QuickJS cold. */
void engine_set_snapshot(const char *path);
/* Whether the last engine_plan_create started from the snapshot. */
bool engine_used_snapshot(void);
/* Why the last engine_plan_create returned -1 (tests, --debug); "" after a plan. */
const char *engine_last_error(void);
/* Build step: start QuickJS, evaluate the planner and write the engine's state to path
 * (mode 0644, replaced atomically). 0 or -1 (engine_last_error says why). */
int engine_save_snapshot(const char *path);

#endif
