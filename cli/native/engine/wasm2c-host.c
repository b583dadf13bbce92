// Prototype (issue 14): plan a bundle without Node. The JavaScript engine is
// QuickJS as shipped in the npm package @jitl/quickjs-wasmfile-release-sync
// (emscripten-module.wasm, the engine dist/planner.wasm carries), translated
// to C by Debian's wabt `wasm2c` and linked with wasm2c's runtime. This file
// is the host: the 20 emscripten imports that module asks for, and the calls
// quickjs-emscripten's FFI makes (QTS_NewRuntime ... QTS_Call), by the
// module's minified export names.
//
//   planc-engine CONFIG FACTS [OPTIONS-JSON] [--plan-out FILE] [--json] [--timings]
//
// prints the plan digest, exactly as `planc plan --digest` does; --plan-out
// also writes the plan's msgpack bytes (so that `sha256sum` can check the
// digest); --json prints planc.planJSON's result text instead (docs/wasm.md);
// --timings prints where the time went on stderr. The planner script
// (planner/wasm-entry.ts bundled, the same text as dist/planner.wasm's
// planc.planner section) is linked into the binary.
//
// With PLANC_ENGINE_SNAPSHOT=FILE set at run time:
//   --save-snapshot [CONFIG FACTS]
//                    evaluates the planner (and plans CONFIG once, if given)
//                    and writes the engine's whole state (linear memory, the
//                    stack pointer and the handles it needs) to FILE;
//   otherwise        restores that state instead of starting QuickJS and
//                    evaluating the planner (every pointer in the state is an
//                    offset into linear memory, so a byte copy is complete);
//                    if FILE does not exist, it starts QuickJS as without it.
// The snapshot is trusted like the binary: it is the engine's whole state.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "quickjs.h"

// The planner script, linked in by planner-script.S.
extern const char planc_planner_script[];
extern const char planc_planner_script_end[];

struct Z_a_instance_t {
	wasm_rt_memory_t mem;
};

static struct Z_a_instance_t env;
static Z_quickjs_instance_t qjs;

#define USAGE "usage: planc-engine CONFIG FACTS [OPTIONS-JSON] [--plan-out FILE] [--json] [--timings] | --save-snapshot [CONFIG FACTS [OPTIONS-JSON]]"

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "planc-engine: %s\n", what);
	exit(1);
}

// Checked access to the module's linear memory at a wasm address.
static uint8_t *at(uint32_t addr, uint32_t len)
{
	if ((uint64_t)addr + len > env.mem.size)
		die("the engine passed an address outside its memory");
	return env.mem.data + addr;
}

static uint32_t get32(uint32_t addr)
{
	uint32_t v;
	memcpy(&v, at(addr, 4), 4);
	return v;
}

static void put32(uint32_t addr, uint32_t v)
{
	memcpy(at(addr, 4), &v, 4);
}

wasm_rt_memory_t *Z_aZ_a(struct Z_a_instance_t *e)
{
	return &e->mem;
}

// __assert_fail
void Z_aZ_b(struct Z_a_instance_t *e, u32 cond, u32 file, u32 line, u32 fn)
{
	(void)e, (void)cond, (void)file, (void)fn;
	fprintf(stderr, "planc-engine: assertion failed in the engine (line %u)\n", line);
	abort();
}

// fd_write(fd, iovs, iovcnt, *nwritten): QuickJS's own printing, stdout/stderr only.
u32 Z_aZ_c(struct Z_a_instance_t *e, u32 fd, u32 iovs, u32 iovcnt, u32 pnum)
{
	(void)e;
	if (fd != 1 && fd != 2)
		return 8; // EBADF in WASI numbering
	u32 total = 0;
	for (u32 i = 0; i < iovcnt; i++) {
		u32 base = get32(iovs + 8 * i), len = get32(iovs + 8 * i + 4);
		if (len && write((int)fd, at(base, len), len) < 0)
			return 29; // EIO
		total += len;
	}
	put32(pnum, total);
	return 0;
}

// fd_close: the engine opens no files.
u32 Z_aZ_d(struct Z_a_instance_t *e, u32 fd)
{
	(void)e, (void)fd;
	return 52; // ENOSYS
}

// environ_get / environ_sizes_get: an empty environment, so that nothing of
// the caller's environment can reach the planner.
u32 Z_aZ_e(struct Z_a_instance_t *e, u32 environ, u32 buf)
{
	(void)e, (void)environ, (void)buf;
	return 0;
}

u32 Z_aZ_f(struct Z_a_instance_t *e, u32 pcount, u32 psize)
{
	(void)e;
	put32(pcount, 0);
	put32(psize, 0);
	return 0;
}

// Module loading and host functions: the planner script uses neither, and the
// runtime never enables them (QTS_RuntimeEnableModuleLoader is not called).
u32 Z_aZ_g(struct Z_a_instance_t *e, u32 rt, u32 ctx, u32 base, u32 name)
{
	(void)e, (void)rt, (void)ctx, (void)base, (void)name;
	die("the planner asked to normalize a module name");
}

u32 Z_aZ_h(struct Z_a_instance_t *e, u32 rt, u32 ctx, u32 name)
{
	(void)e, (void)rt, (void)ctx, (void)name;
	die("the planner asked to load a module");
}

// shouldInterrupt: never (the handler is not enabled either).
u32 Z_aZ_i(struct Z_a_instance_t *e, u32 rt)
{
	(void)e, (void)rt;
	return 0;
}

// _setitimer_js: no timers in a planning process.
u32 Z_aZ_j(struct Z_a_instance_t *e, u32 which, f64 ms)
{
	(void)e, (void)which, (void)ms;
	return 0;
}

// emscripten_resize_heap(requested bytes): grow linear memory the way
// emscripten's JS does (a little ahead of the request), up to its maximum.
u32 Z_aZ_k(struct Z_a_instance_t *e, u32 requested)
{
	uint64_t want = requested, cur = e->mem.size;
	for (int step = 1; step <= 4; step *= 2) {
		uint64_t target = cur + cur / (5 * (uint64_t)step);
		if (target > want + 96u * 1024 * 1024)
			target = want + 96u * 1024 * 1024;
		if (target < want)
			target = want;
		uint64_t pages = (target + 65535) / 65536;
		if (pages > e->mem.max_pages)
			pages = e->mem.max_pages;
		if (pages * 65536 < want)
			return 0;
		if (pages <= e->mem.pages || wasm_rt_grow_memory(&e->mem, (uint32_t)(pages - e->mem.pages)) != (uint32_t)-1)
			return 1;
	}
	return 0;
}

// _emscripten_runtime_keepalive_clear
void Z_aZ_l(struct Z_a_instance_t *e)
{
	(void)e;
}

// _localtime_js(time, struct tm *): the layout emscripten's musl uses.
void Z_aZ_m(struct Z_a_instance_t *e, u64 t, u32 ptm)
{
	(void)e;
	time_t tt = (time_t)(int64_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm))
		memset(&tm, 0, sizeof tm);
	int v[] = { tm.tm_sec, tm.tm_min, tm.tm_hour, tm.tm_mday, tm.tm_mon, tm.tm_year, tm.tm_wday, tm.tm_yday, tm.tm_isdst > 0, (int)tm.tm_gmtoff };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		put32(ptm + 4 * (u32)i, (u32)v[i]);
}

// _tzset_js(*timezone, *daylight, std_name[17], dst_name[17]): UTC. Only
// Date's local-time methods read it; the planner does not use them.
void Z_aZ_n(struct Z_a_instance_t *e, u32 ptz, u32 pdaylight, u32 stdname, u32 dstname)
{
	(void)e;
	put32(ptz, 0);
	put32(pdaylight, 0);
	memcpy(at(stdname, 4), "UTC", 4);
	memcpy(at(dstname, 4), "UTC", 4);
}

// fd_seek
u32 Z_aZ_o(struct Z_a_instance_t *e, u32 fd, u64 off, u32 whence, u32 pnew)
{
	(void)e, (void)fd, (void)off, (void)whence, (void)pnew;
	return 70; // ESPIPE
}

// emscripten_date_now: milliseconds since the epoch.
f64 Z_aZ_p(struct Z_a_instance_t *e)
{
	(void)e;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (f64)ts.tv_sec * 1000.0 + (f64)ts.tv_nsec / 1e6;
}

// abort
void Z_aZ_q(struct Z_a_instance_t *e)
{
	(void)e;
	die("the engine aborted");
}

// proc_exit
void Z_aZ_r(struct Z_a_instance_t *e, u32 code)
{
	(void)e;
	exit((int)code);
}

// callFunction: a host function called from JS; the planner is given none.
u32 Z_aZ_s(struct Z_a_instance_t *e, u32 ctx, u32 this_ptr, u32 argc, u32 argv, u32 fn)
{
	(void)e, (void)ctx, (void)this_ptr, (void)argc, (void)argv, (void)fn;
	die("the planner called a host function");
}

// freeHostRef
void Z_aZ_t(struct Z_a_instance_t *e, u32 rt, u32 ref)
{
	(void)e, (void)rt, (void)ref;
}

// The quickjs-emscripten FFI calls used here, by their export names in
// emscripten-module.cjs of the same package version (0.32.0).
#define qts_malloc(n) Z_quickjsZ_v(&qjs, (n))
#define qts_free(p) Z_quickjsZ_M(&qjs, (p))
#define QTS_FreeValuePointer(ctx, v) Z_quickjsZ_P(&qjs, (ctx), (v))
#define QTS_FreeCString(ctx, s) Z_quickjsZ_S(&qjs, (ctx), (s))
#define QTS_NewRuntime() Z_quickjsZ_K(&qjs)
#define QTS_RuntimeSetMemoryLimit(rt, n) Z_quickjsZ_y(&qjs, (rt), (n))
#define QTS_RuntimeSetMaxStackSize(rt, n) Z_quickjsZ_D(&qjs, (rt), (n))
#define QTS_NewContext(rt, intrinsics) Z_quickjsZ_N(&qjs, (rt), (intrinsics))
#define QTS_GetUndefined() Z_quickjsZ_E(&qjs)
#define QTS_NewString(ctx, s) Z_quickjsZ__(&qjs, (ctx), (s))
#define QTS_GetString(ctx, v) Z_quickjsZ_Z24(&qjs, (ctx), (v))
#define QTS_GetProp(ctx, obj, key) Z_quickjsZ_ha(&qjs, (ctx), (obj), (key))
#define QTS_Call(ctx, fn, this_, argc, argv) Z_quickjsZ_ma(&qjs, (ctx), (fn), (this_), (argc), (argv))
#define QTS_ResolveException(ctx, v) Z_quickjsZ_na(&qjs, (ctx), (v))
#define QTS_Dump(ctx, v) Z_quickjsZ_oa(&qjs, (ctx), (v))
#define QTS_Eval(ctx, code, len, file, detect, flags) Z_quickjsZ_pa(&qjs, (ctx), (code), (len), (file), (detect), (flags))
#define QTS_GetGlobalObject(ctx) Z_quickjsZ_ua(&qjs, (ctx))

enum { JS_EVAL_TYPE_GLOBAL = 0, JS_EVAL_FLAG_STRICT = 8 };

// A NUL-terminated copy of host bytes in the engine's heap.
static u32 wasm_strdup(const char *s, size_t len)
{
	u32 p = qts_malloc((u32)len + 1);
	if (!p)
		die("the engine is out of memory");
	memcpy(at(p, (u32)len + 1), s, len);
	at(p, 1)[len] = 0;
	return p;
}

// A JS string of host bytes (QTS_NewString copies them out of the buffer).
static u32 new_string(u32 ctx, const char *s, size_t len)
{
	u32 buf = wasm_strdup(s, len);
	u32 v = QTS_NewString(ctx, buf);
	qts_free(buf);
	return v;
}

static void fail_with_exception(u32 ctx, u32 err, const char *what)
{
	u32 s = QTS_Dump(ctx, err);
	const char *text = s ? (const char *)at(s, 1) : "?";
	fprintf(stderr, "planc-engine: %s: %.*s\n", what, (int)strnlen(text, env.mem.size - s), text);
	exit(1);
}

// --timings: where a run's time goes, on stderr.
static int timings;

static void mark(const char *phase)
{
	static struct timespec last;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (timings && last.tv_sec)
		fprintf(stderr, "planc-engine: %-22s %7.3f ms\n", phase, (double)(now.tv_sec - last.tv_sec) * 1e3 + (double)(now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

static char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size) {
		free(buf);
		return NULL;
	}
	buf[got] = 0;
	*len = got;
	return buf;
}

// What a snapshot holds besides linear memory.
struct snapshot_header {
	char magic[8];
	u32 pages, stack_pointer, ctx, planjson;
	u64 script_hash;
	char engine[72]; // ENGINE_SHA256: the module the snapshot's memory came from
};

// build.sh passes the sha256 of the emscripten-module.wasm it translated.
#ifndef ENGINE_SHA256
#error "build with -DENGINE_SHA256=\"<sha256 of emscripten-module.wasm>\""
#endif

enum { SNAPSHOT_DATA = 4096 };

static u64 script_hash(void)
{
	// FNV-1a: a snapshot is tied to the exact planner script it evaluated.
	u64 h = 1469598103934665603ull;
	for (const char *p = planc_planner_script; p < planc_planner_script_end; p++)
		h = (h ^ (u8)*p) * 1099511628211ull;
	return h;
}

static void start_engine(u32 *ctx, u32 *planjson)
{
	size_t len = (size_t)(planc_planner_script_end - planc_planner_script);
	u32 rt = QTS_NewRuntime();
	// The limits cli/wasm-engine.ts sets, for the same behaviour at the edges.
	QTS_RuntimeSetMemoryLimit(rt, 256u << 20);
	QTS_RuntimeSetMaxStackSize(rt, 256u << 10);
	*ctx = QTS_NewContext(rt, 0); // 0: every intrinsic, as newContext() with no options
	u32 code = wasm_strdup(planc_planner_script, len);
	u32 file = wasm_strdup("planc.planner", strlen("planc.planner"));
	u32 res = QTS_Eval(*ctx, code, (u32)len, file, 0, JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_STRICT);
	u32 err = QTS_ResolveException(*ctx, res);
	if (err)
		fail_with_exception(*ctx, err, "the planner did not start");
	QTS_FreeValuePointer(*ctx, res);
	qts_free(code);
	qts_free(file);
	u32 global = QTS_GetGlobalObject(*ctx);
	u32 key = new_string(*ctx, "planc", 5);
	u32 planc = QTS_GetProp(*ctx, global, key);
	QTS_FreeValuePointer(*ctx, key);
	key = new_string(*ctx, "planJSON", 8);
	*planjson = QTS_GetProp(*ctx, planc, key);
	QTS_FreeValuePointer(*ctx, key);
	QTS_FreeValuePointer(*ctx, planc);
	QTS_FreeValuePointer(*ctx, global);
}

static void save_snapshot(const char *path, u32 ctx, u32 planjson)
{
	struct snapshot_header h = { "plancQJ1", env.mem.pages, qjs.w2c_g0, ctx, planjson, script_hash(), ENGINE_SHA256 };
	// The memory starts at a page boundary of the file, so that it can be mapped.
	static char page[SNAPSHOT_DATA];
	memcpy(page, &h, sizeof h);
	// Pages of zeros are left as holes: most of the 16 MiB is never written.
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, page, sizeof page) != (ssize_t)sizeof page)
		die("cannot write the snapshot");
	static const char zero[4096];
	for (u32 off = 0; off < env.mem.size; off += 4096) {
		const u8 *p = env.mem.data + off;
		if (!memcmp(p, zero, 4096))
			continue;
		if (pwrite(fd, p, 4096, (off_t)SNAPSHOT_DATA + off) != 4096)
			die("cannot write the snapshot");
	}
	if (ftruncate(fd, (off_t)SNAPSHOT_DATA + env.mem.size) < 0 || close(fd) < 0)
		die("cannot write the snapshot");
}

static int load_snapshot(const char *path, u32 *ctx, u32 *planjson)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct snapshot_header h;
	if (read(fd, &h, sizeof h) != (ssize_t)sizeof h || memcmp(h.magic, "plancQJ1", 8) != 0 || h.script_hash != script_hash() || strncmp(h.engine, ENGINE_SHA256, sizeof h.engine) != 0)
		die("the snapshot is not one of this planner");
	if (h.pages > env.mem.pages && wasm_rt_grow_memory(&env.mem, h.pages - env.mem.pages) == (uint32_t)-1)
		die("cannot grow memory to the snapshot's size");
	// Mapping the file privately over the reserved memory: pages are read in
	// only when the planner touches them, and writes stay in this process.
	size_t bytes = (size_t)h.pages * 65536;
	// wasm2c's runtime without guard pages (-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0)
	// callocs the memory, which need not be page-aligned: read it in instead.
	if ((uintptr_t)env.mem.data % (uintptr_t)sysconf(_SC_PAGESIZE) != 0) {
		for (size_t got = 0; got < bytes;) {
			ssize_t n = pread(fd, env.mem.data + got, bytes - got, (off_t)(SNAPSHOT_DATA + got));
			if (n <= 0)
				die("cannot read the snapshot");
			got += (size_t)n;
		}
	} else if (mmap(env.mem.data, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, SNAPSHOT_DATA) == MAP_FAILED)
		die("cannot map the snapshot");
	close(fd);
	qjs.w2c_g0 = h.stack_pointer;
	*ctx = h.ctx;
	*planjson = h.planjson;
	return 1;
}

int main(int argc, char **argv)
{
	const char *config_path = NULL, *facts_path = NULL, *options = "", *plan_out = NULL;
	int save = 0, json = 0, positional = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--plan-out") && i + 1 < argc)
			plan_out = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--timings"))
			timings = 1;
		else if (!strcmp(argv[i], "--save-snapshot"))
			save = 1;
		else if (positional == 0)
			config_path = argv[i], positional++;
		else if (positional == 1)
			facts_path = argv[i], positional++;
		else if (positional == 2)
			options = argv[i], positional++;
		else
			die(USAGE);
	}
	const char *snapshot = getenv("PLANC_ENGINE_SNAPSHOT");
	if (save && !snapshot)
		die("--save-snapshot needs PLANC_ENGINE_SNAPSHOT=FILE");

	mark("");
	wasm_rt_init();
	Z_quickjs_init_module();
	// emscripten-module.cjs's memory: 16 MiB initial, 2 GiB maximum.
	wasm_rt_allocate_memory(&env.mem, 256, 32768);
	Z_quickjs_instantiate(&qjs, &env);

	mark("instantiate");
	u32 ctx, planjson;
	if (save || !snapshot || !load_snapshot(snapshot, &ctx, &planjson)) {
		Z_quickjsZ_u(&qjs); // __wasm_call_ctors, as emscripten's run() does
		start_engine(&ctx, &planjson);
		mark("start QuickJS + planner");
	} else
		mark("restore snapshot");
	if (save && !config_path) {
		save_snapshot(snapshot, ctx, planjson);
		return 0;
	}
	if (!config_path || !facts_path)
		die(USAGE);
	// --save-snapshot with a config: plan it once first, so that the snapshot
	// holds an engine that has run the planner (its one-time work done).
	u32 sp = qjs.w2c_g0;

	size_t clen, flen;
	char *config = read_file(config_path, &clen), *facts = read_file(facts_path, &flen);
	if (!config || !facts)
		die("cannot read the config or the facts");
	u32 args = qts_malloc(12);
	put32(args, new_string(ctx, config, clen));
	put32(args + 4, new_string(ctx, facts, flen));
	put32(args + 8, new_string(ctx, options, strlen(options)));
	u32 res = QTS_Call(ctx, planjson, QTS_GetUndefined(), 3, args);
	u32 err = QTS_ResolveException(ctx, res);
	if (err)
		fail_with_exception(ctx, err, "the planner failed");
	mark("planJSON");
	u32 s = QTS_GetString(ctx, res);
	const char *out = (const char *)at(s, 1);
	size_t olen = strnlen(out, env.mem.size - s);

	// planJSON returns JSON.stringify({ok, digest, plan}) or {ok:false, errors}.
	if (save) {
		QTS_FreeCString(ctx, s);
		QTS_FreeValuePointer(ctx, res);
		for (int i = 0; i < 3; i++)
			QTS_FreeValuePointer(ctx, get32(args + 4 * (u32)i));
		qts_free(args);
		qjs.w2c_g0 = sp;
		save_snapshot(snapshot, ctx, planjson);
		return 0;
	}
	if (json) {
		// The interface's own result text, for comparing engines (parity.ts).
		printf("%.*s\n", (int)olen, out);
		return 0;
	}
	const char *d = strstr(out, "\"digest\":\"");
	if (strncmp(out, "{\"ok\":true,", 11) != 0 || !d) {
		fprintf(stderr, "planc-engine: %.*s\n", (int)olen, out);
		return 1;
	}
	d += 10;
	const char *dend = strchr(d, '"');
	printf("%.*s\n", (int)(dend - d), d);
	if (plan_out) {
		const char *p = strstr(out, "\"plan\":\"");
		if (!p)
			die("the planner's result has no plan");
		p += 8;
		FILE *f = fopen(plan_out, "wb");
		if (!f)
			die("cannot open --plan-out");
		// base64 decode
		unsigned acc = 0;
		int bits = 0;
		for (; *p && *p != '"'; p++) {
			int c = *p;
			int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
			if (v < 0)
				continue; // '=' padding
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				fputc((int)((acc >> bits) & 0xff), f);
			}
		}
		if (fclose(f) != 0)
			die("cannot write --plan-out");
	}
	return 0;
}
