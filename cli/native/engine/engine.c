// The planner without Node (engine.h). QuickJS as shipped in the npm package
// @jitl/quickjs-wasmfile-release-sync (emscripten-module.wasm, the engine
// dist/planner.wasm carries), translated to C by Debian's wabt `wasm2c` and
// linked with wasm2c's runtime; the planner script (cli/native/engine/entry.ts
// bundled) is linked in by planner-script.S. This file is the host: the
// emscripten imports that module asks for, the quickjs-emscripten FFI calls
// (QTS_NewRuntime ... QTS_Call) by the module's minified export names, and the
// one host function through which the script reads the host (HOST below).
//
// A run maps build/engine/planner.snapshot (the engine with the planner
// evaluated) instead of starting QuickJS, once the file passes its checks
// (load_snapshot); otherwise it starts cold, which is correct, only slower.
//
// Every failure is a return of -1 with a reason (engine_last_error): traps of
// the translated code (out-of-bounds access, stack exhaustion, unreachable)
// come back here through wasm2c's runtime (its SIGSEGV handler and longjmp),
// which is installed for the call only.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "quickjs.h"
#include "wasm-rt-impl.h"

// The planner script, linked in by planner-script.S.
extern const char planc_planner_script[];
extern const char planc_planner_script_end[];

// build.sh passes the sha256 of the emscripten-module.wasm it translated and of the script it linked in.
#if !defined(ENGINE_SHA256) || !defined(SCRIPT_SHA256)
#error "build with -DENGINE_SHA256=\"<sha256 of emscripten-module.wasm>\" -DSCRIPT_SHA256=\"<sha256 of the planner script>\""
#endif

// The memory is wasm2c's guard-page kind: mmap'd, page-aligned (a snapshot is
// mapped over it), out-of-bounds accesses trapped by its signal handler.
#if !WASM_RT_MEMCHECK_SIGNAL_HANDLER
#error "built for wasm2c's guard-page memory (WASM_RT_MEMCHECK_SIGNAL_HANDLER)"
#endif

struct Z_a_instance_t {
	wasm_rt_memory_t mem;
};

static struct Z_a_instance_t env;
static Z_quickjs_instance_t qjs;

static char g_error[512];
static const char *g_snapshot;
static bool g_snapshot_set, g_used_snapshot;
// The plan bytes the script handed over (HOST "plan"), malloc'd here.
static uint8_t *g_plan;
static size_t g_plan_len;
// An exec's: the container's stored plan.msgpack, as the front read it (NULL: it has none).
static const uint8_t *g_stored;
static size_t g_stored_len;

#define LIMIT_TEXT (16u << 20) // a /proc, /sys or cgroup file
#define LIMIT_CONFIG (64u << 20) // config.json: beyond, Node plans it

static void set_error(const char *fmt, const char *arg)
{
	if (!g_error[0])
		snprintf(g_error, sizeof g_error, fmt, arg);
}

// Out of the engine, back to engine_plan_create's wasm_rt_impl_try.
static _Noreturn void bail(const char *why)
{
	set_error("%s", why);
	wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}

// Checked access to the module's linear memory at a wasm address.
static uint8_t *at(uint32_t addr, uint32_t len)
{
	if ((uint64_t)addr + len > env.mem.size)
		bail("the engine passed an address outside its memory");
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
	(void)e, (void)cond, (void)file, (void)line, (void)fn;
	bail("assertion failed in the engine");
}

// fd_write(fd, iovs, iovcnt, *nwritten): QuickJS's own printing. The library
// never prints: it is taken as written and dropped.
u32 Z_aZ_c(struct Z_a_instance_t *e, u32 fd, u32 iovs, u32 iovcnt, u32 pnum)
{
	(void)e, (void)fd;
	u32 total = 0;
	for (u32 i = 0; i < iovcnt; i++)
		total += get32(iovs + 8 * i + 4);
	put32(pnum, total);
	return 0;
}

// fd_close: the engine opens no files.
u32 Z_aZ_d(struct Z_a_instance_t *e, u32 fd)
{
	(void)e, (void)fd;
	return 52; // ENOSYS in WASI numbering
}

// environ_get / environ_sizes_get: an empty environment (the script asks HOST "env").
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

// Module loading: the runtime never enables it (QTS_RuntimeEnableModuleLoader is not called).
u32 Z_aZ_g(struct Z_a_instance_t *e, u32 rt, u32 ctx, u32 base, u32 name)
{
	(void)e, (void)rt, (void)ctx, (void)base, (void)name;
	bail("the planner asked to normalize a module name");
}

u32 Z_aZ_h(struct Z_a_instance_t *e, u32 rt, u32 ctx, u32 name)
{
	(void)e, (void)rt, (void)ctx, (void)name;
	bail("the planner asked to load a module");
}

// shouldInterrupt: never (the handler is not enabled either).
u32 Z_aZ_i(struct Z_a_instance_t *e, u32 rt)
{
	(void)e, (void)rt;
	return 0;
}

// _setitimer_js: no timers in planning.
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

// _localtime_js(time, struct tm *): UTC. Only Date's local-time methods read
// it, which the planner does not use (and reading /etc/localtime is a file
// the planning process has no business with).
void Z_aZ_m(struct Z_a_instance_t *e, u64 t, u32 ptm)
{
	(void)e;
	time_t tt = (time_t)(int64_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof tm);
	int v[] = { tm.tm_sec, tm.tm_min, tm.tm_hour, tm.tm_mday, tm.tm_mon, tm.tm_year, tm.tm_wday, tm.tm_yday, 0, 0 };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		put32(ptm + 4 * (u32)i, (u32)v[i]);
}

// _tzset_js(*timezone, *daylight, std_name[17], dst_name[17]): UTC, as above.
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
	bail("the engine aborted");
}

// proc_exit: the library never exits.
void Z_aZ_r(struct Z_a_instance_t *e, u32 code)
{
	(void)e, (void)code;
	bail("the engine tried to exit");
}

// freeHostRef: HOST holds nothing to free.
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
#define QTS_NewArrayBuffer(ctx, buf, len) Z_quickjsZ_X(&qjs, (ctx), (buf), (len))
#define QTS_NewString(ctx, s) Z_quickjsZ__(&qjs, (ctx), (s))
#define QTS_GetString(ctx, v) Z_quickjsZ_Z24(&qjs, (ctx), (v))
#define QTS_GetArrayBuffer(ctx, v) Z_quickjsZ_aa(&qjs, (ctx), (v))
#define QTS_GetArrayBufferLength(ctx, v) Z_quickjsZ_ba(&qjs, (ctx), (v))
#define QTS_GetProp(ctx, obj, key) Z_quickjsZ_ha(&qjs, (ctx), (obj), (key))
#define QTS_Call(ctx, fn, this_, argc, argv) Z_quickjsZ_ma(&qjs, (ctx), (fn), (this_), (argc), (argv))
#define QTS_ResolveException(ctx, v) Z_quickjsZ_na(&qjs, (ctx), (v))
#define QTS_Dump(ctx, v) Z_quickjsZ_oa(&qjs, (ctx), (v))
#define QTS_Eval(ctx, code, len, file, detect, flags) Z_quickjsZ_pa(&qjs, (ctx), (code), (len), (file), (detect), (flags))
#define QTS_GetGlobalObject(ctx) Z_quickjsZ_ua(&qjs, (ctx))
#define QTS_NewFunction(ctx, name, length, ctor, ref) Z_quickjsZ_Da(&qjs, (ctx), (name), (length), (ctor), (ref))
#define QTS_ArgvGetJSValueConstPointer(argv, i) Z_quickjsZ_Ea(&qjs, (argv), (i))

enum { JS_EVAL_TYPE_GLOBAL = 0, JS_EVAL_FLAG_STRICT = 8 };

// A NUL-terminated copy of host bytes in the engine's heap.
static u32 wasm_strdup(const char *s, size_t len)
{
	u32 p = qts_malloc((u32)len + 1);
	if (!p)
		bail("the engine is out of memory");
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

// A host copy of a JS value's string (QTS_GetString), NUL-terminated.
static char *get_string(u32 ctx, u32 value)
{
	u32 s = QTS_GetString(ctx, value);
	if (!s)
		bail("the engine could not give a string");
	size_t len = strnlen((const char *)at(s, 1), env.mem.size - s);
	char *out = malloc(len + 1);
	if (!out)
		bail("out of memory");
	memcpy(out, at(s, (u32)len), len);
	out[len] = 0;
	QTS_FreeCString(ctx, s);
	return out;
}

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF) and
// no NUL: what QuickJS reads from a C string as Node reads the same bytes.
// Anything else is left to Node.
static bool plain_utf8(const unsigned char *s, size_t len)
{
	for (size_t k = 0; k < len;) {
		unsigned c = s[k];
		size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (c == 0 || n == 0 || k + n > len)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((s[k + i] & 0xc0) != 0x80)
				return false;
		if ((c == 0xe0 && s[k + 1] < 0xa0) || (c == 0xed && s[k + 1] >= 0xa0) || (c == 0xf0 && s[k + 1] < 0x90) || (c == 0xf4 && s[k + 1] >= 0x90))
			return false;
		k += n;
	}
	return true;
}

// A host string for the script, or a refusal when it would read differently there.
static u32 text_value(u32 ctx, const char *s, size_t len)
{
	if (!plain_utf8((const unsigned char *)s, len))
		bail("bytes that are not plain UTF-8 (Node reads them its own way)");
	return new_string(ctx, s, len);
}

// A whole regular file. Paths come from the config and from mountinfo, and
// are read exactly as Node's readFileSync reads them (symlinks followed: these
// are the planner's inputs and nothing is written); O_NONBLOCK and the
// regular-file check keep a FIFO or a device from blocking or being read:
// those the Node CLI handles. NULL with errno set on failure.
static char *read_all(const char *path, size_t limit, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	struct stat st;
	int bad = fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
	if (bad) {
		close(fd);
		errno = bad;
		return NULL;
	}
	// /proc and /sys files say 0 bytes: read to the end, whatever the size says.
	size_t cap = st.st_size > 0 && (size_t)st.st_size < limit ? (size_t)st.st_size + 1 : 4096, got = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf)
			break;
		if (got == cap) {
			if (cap >= limit) {
				free(buf);
				buf = NULL;
				errno = EFBIG;
				break;
			}
			cap = cap * 2 > limit ? limit : cap * 2;
			char *more = realloc(buf, cap + 1);
			if (!more) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = more;
		}
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			buf = NULL;
			errno = e;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	int e = errno;
	close(fd);
	errno = e;
	if (buf) {
		buf[got] = 0;
		*len = got;
	}
	return buf;
}

static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "EIO";
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

// "f<name>/o<name>/…", sorted (Node's readdir sorts too); NULL when unreadable.
static char *list_dir(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char **names = NULL;
	size_t n = 0, cap = 0, total = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		bool file = de->d_type == DT_REG;
		if (de->d_type == DT_UNKNOWN) {
			// No type in the entry: lstat, as Node's Dirent does.
			struct stat st;
			file = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **more = realloc(names, cap * sizeof *names);
			if (!more)
				break;
			names = more;
		}
		size_t l = strlen(de->d_name);
		names[n] = malloc(l + 2);
		if (!names[n])
			break;
		names[n][0] = file ? 'f' : 'o';
		memcpy(names[n] + 1, de->d_name, l + 1);
		total += l + 2;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	char *out = malloc(total + 1), *p = out;
	for (size_t i = 0; i < n; i++) {
		if (out) {
			if (i)
				*p++ = '/';
			size_t l = strlen(names[i]);
			memcpy(p, names[i], l);
			p += l;
		}
		free(names[i]);
	}
	free(names);
	if (out) {
		*p = 0;
		*len = (size_t)(p - out);
	}
	return out;
}

static const char *type_of(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "directory" : S_ISSOCK(m) ? "socket" : S_ISBLK(m) ? "block" : S_ISCHR(m) ? "char" : S_ISFIFO(m) ? "fifo" : "other";
}

// HOST(op, arg): the script's reads (cli/native/engine/entry.ts hostIO).
//   text PATH      the file's text, or undefined
//   bytes PATH     an ArrayBuffer of the file, or the errno name it failed with
//   dir PATH       list_dir's string, or undefined
//   stat PATH      type_of(stat), or the errno name
//   realpath PATH  the resolved path, or undefined
//   env NAME       the variable, or undefined
//   tty            undefined when fds 0-2 hold a terminal or /dev/tty opens, else why not
//   plan BUFFER    the plan's bytes (an ArrayBuffer), kept for the caller
//   stored         an exec's: the container's plan.msgpack as the front read it (an ArrayBuffer), or undefined
// The result is a new JSValue* (freed by the caller, qts_call_function), or 0: undefined.
static u32 host(u32 ctx, const char *op, u32 argv)
{
	u32 argp = QTS_ArgvGetJSValueConstPointer(argv, 1);
	if (!strcmp(op, "plan")) {
		u32 len = QTS_GetArrayBufferLength(ctx, argp);
		u32 buf = QTS_GetArrayBuffer(ctx, argp);
		if (!buf || g_plan)
			bail("the plan is not one ArrayBuffer");
		g_plan = malloc(len ? len : 1);
		if (!g_plan)
			bail("out of memory");
		memcpy(g_plan, at(buf, len), len);
		g_plan_len = len;
		qts_free(buf);
		return 0;
	}
	char *arg = get_string(ctx, argp);
	u32 out = 0;
	size_t len = 0;
	char *buf = NULL;
	struct stat st;
	if (!strcmp(op, "text")) {
		if ((buf = read_all(arg, LIMIT_TEXT, &len)))
			out = text_value(ctx, buf, len);
	} else if (!strcmp(op, "bytes")) {
		if ((buf = read_all(arg, LIMIT_CONFIG, &len))) {
			u32 w = qts_malloc((u32)len + 1);
			if (!w)
				bail("the engine is out of memory");
			memcpy(at(w, (u32)len), buf, len);
			out = QTS_NewArrayBuffer(ctx, w, (u32)len); // takes w
		} else {
			const char *n = errno_name(errno);
			out = new_string(ctx, n, strlen(n));
		}
	} else if (!strcmp(op, "dir")) {
		if ((buf = list_dir(arg, &len)))
			out = text_value(ctx, buf, len);
	} else if (!strcmp(op, "stat")) {
		const char *t = stat(arg, &st) == 0 ? type_of(st.st_mode) : errno_name(errno);
		out = new_string(ctx, t, strlen(t));
	} else if (!strcmp(op, "realpath")) {
		if ((buf = realpath(arg, NULL)))
			out = text_value(ctx, buf, strlen(buf));
	} else if (!strcmp(op, "env")) {
		const char *v = getenv(arg);
		if (v)
			out = text_value(ctx, v, strlen(v));
	} else if (!strcmp(op, "stored")) {
		if (g_stored) {
			u32 w = qts_malloc((u32)g_stored_len + 1);
			if (!w)
				bail("the engine is out of memory");
			memcpy(at(w, (u32)g_stored_len), g_stored, g_stored_len);
			out = QTS_NewArrayBuffer(ctx, w, (u32)g_stored_len); // takes w
		}
	} else if (!strcmp(op, "tty")) {
		int fd = -1;
		if (!isatty(0) && !isatty(1) && !isatty(2) && (fd = open("/dev/tty", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
			char why[128];
			snprintf(why, sizeof why, "open /dev/tty: %s", strerror(errno));
			out = new_string(ctx, why, strlen(why));
		}
		if (fd >= 0)
			close(fd);
	} else
		bail("the planner asked the host for something unknown");
	free(buf);
	free(arg);
	return out;
}

// callFunction: HOST, the only function given to the script.
u32 Z_aZ_s(struct Z_a_instance_t *e, u32 ctx, u32 this_ptr, u32 argc, u32 argv, u32 fn)
{
	(void)e, (void)this_ptr;
	if (fn != 1 || argc != 2)
		bail("the planner called the host wrongly");
	char *op = get_string(ctx, QTS_ArgvGetJSValueConstPointer(argv, 0));
	u32 out = host(ctx, op, argv);
	free(op);
	return out;
}

// What a snapshot holds besides linear memory.
struct snapshot_header {
	char magic[8];
	u32 pages, stack_pointer, ctx, entry;
	char engine[64], script[64]; // ENGINE_SHA256, SCRIPT_SHA256 of the binary that wrote it
};

static const char SNAPSHOT_MAGIC[8] = "plancQJ2";
enum { SNAPSHOT_DATA = 4096 };
_Static_assert(sizeof(struct snapshot_header) <= SNAPSHOT_DATA, "the header fits before the memory");
_Static_assert(sizeof ENGINE_SHA256 == 65 && sizeof SCRIPT_SHA256 == 65, "hashes are sha256 hex");

// Start QuickJS and evaluate the script: *entry is planc.forFront.
static void start_engine(u32 *ctx, u32 *entry)
{
	size_t len = (size_t)(planc_planner_script_end - planc_planner_script);
	Z_quickjsZ_u(&qjs); // __wasm_call_ctors, as emscripten's run() does
	u32 rt = QTS_NewRuntime();
	// The limits cli/wasm-engine.ts sets, for the same behaviour at the edges.
	QTS_RuntimeSetMemoryLimit(rt, 256u << 20);
	QTS_RuntimeSetMaxStackSize(rt, 256u << 10);
	*ctx = QTS_NewContext(rt, 0); // 0: every intrinsic, as newContext() with no options
	u32 code = wasm_strdup(planc_planner_script, len);
	u32 file = wasm_strdup("planc.engine", strlen("planc.engine"));
	u32 res = QTS_Eval(*ctx, code, (u32)len, file, 0, JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_STRICT);
	if (QTS_ResolveException(*ctx, res))
		bail("the planner script did not evaluate");
	QTS_FreeValuePointer(*ctx, res);
	qts_free(code);
	qts_free(file);
	u32 global = QTS_GetGlobalObject(*ctx);
	u32 key = new_string(*ctx, "planc", 5);
	u32 planc = QTS_GetProp(*ctx, global, key);
	QTS_FreeValuePointer(*ctx, key);
	key = new_string(*ctx, "forFront", 8);
	*entry = QTS_GetProp(*ctx, planc, key);
	QTS_FreeValuePointer(*ctx, key);
	QTS_FreeValuePointer(*ctx, planc);
	QTS_FreeValuePointer(*ctx, global);
}

// The snapshot is the engine's whole state: it is used only when nobody but
// root (or this euid) could have written it, and when it was written by a
// binary with this engine and this script. Anything else: a cold start.
static bool load_snapshot(u32 *ctx, u32 *entry)
{
	if (!g_snapshot)
		return false;
	int fd = open(g_snapshot, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat st;
	struct snapshot_header h;
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_uid == 0 || st.st_uid == geteuid()) && !(st.st_mode & (S_IWGRP | S_IWOTH)) &&
		  pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h && !memcmp(h.magic, SNAPSHOT_MAGIC, sizeof h.magic) && !memcmp(h.engine, ENGINE_SHA256, 64) &&
		  !memcmp(h.script, SCRIPT_SHA256, 64) && h.pages >= env.mem.pages && h.pages <= env.mem.max_pages &&
		  (uint64_t)st.st_size == SNAPSHOT_DATA + (uint64_t)h.pages * 65536 && (uint64_t)h.stack_pointer <= (uint64_t)h.pages * 65536 &&
		  (uint64_t)h.ctx < (uint64_t)h.pages * 65536 && (uint64_t)h.entry < (uint64_t)h.pages * 65536;
	if (ok && h.pages > env.mem.pages)
		ok = wasm_rt_grow_memory(&env.mem, h.pages - env.mem.pages) != (uint32_t)-1;
	// Mapped privately over the reserved memory: pages are read in only when the
	// planner touches them, and writes stay in this process.
	if (ok)
		ok = mmap(env.mem.data, (size_t)h.pages * 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, SNAPSHOT_DATA) != MAP_FAILED;
	close(fd);
	if (!ok)
		return false;
	qjs.w2c_g0 = h.stack_pointer;
	*ctx = h.ctx;
	*entry = h.entry;
	return true;
}

// JSON text of a host string (the request); false when it is not plain UTF-8.
static bool json_string(char **p, char *end, const char *s)
{
	if (!s || !plain_utf8((const unsigned char *)s, strlen(s)))
		return false;
	char *o = *p;
	if (o >= end)
		return false;
	*o++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (end - o < 8)
			return false;
		if (c == '"' || c == '\\')
			o += sprintf(o, "\\%c", c);
		else if (c < 0x20)
			o += sprintf(o, "\\u%04x", c);
		else
			*o++ = (char)c;
	}
	if (end - o < 2)
		return false;
	*o++ = '"';
	*o = 0;
	*p = o;
	return true;
}

static bool add(char **p, char *end, const char *s)
{
	size_t l = strlen(s);
	if ((size_t)(end - *p) <= l)
		return false;
	memcpy(*p, s, l + 1);
	*p += l;
	return true;
}

// What entry.ts's HostIO takes from the request: the working directory, the euid and the architecture, as
// members appended at p (the members before them already written).
static bool host_members(char **p, char *end)
{
	char *cwd = getcwd(NULL, 0);
	char num[32];
	snprintf(num, sizeof num, "%u", (unsigned)geteuid());
	bool ok = cwd && add(p, end, ",\"cwd\":") && json_string(p, end, cwd) && add(p, end, ",\"euid\":") && add(p, end, num) &&
#if defined(__x86_64__)
		  add(p, end, ",\"arch\":\"x64\"");
#elif defined(__aarch64__)
		  add(p, end, ",\"arch\":\"arm64\"");
#else
		  add(p, end, ",\"arch\":\"unsupported\"");
#endif
	free(cwd);
	return ok;
}

// Room for host_members.
static size_t host_members_size(void)
{
	return 64 + 8 * PATH_MAX;
}

// The request as entry.ts reads it (Request).
static char *request_json(const struct engine_request *rq)
{
	static const char *const MODES[] = { "create", "run", "run-detached" };
	size_t cap = 256 + host_members_size() +
		     8 * ((rq->bundle ? strlen(rq->bundle) : 0) + strlen(rq->id ? rq->id : "") + strlen(rq->root ? rq->root : "") +
			  (rq->console_socket ? strlen(rq->console_socket) : 0));
	char *out = malloc(cap), *p = out, *end = out + cap;
	bool ok = out && rq->id && rq->root && rq->mode >= ENGINE_CREATE && rq->mode <= ENGINE_RUN_DETACHED && add(&p, end, "{\"id\":") &&
		  json_string(&p, end, rq->id) && add(&p, end, ",\"root\":") && json_string(&p, end, rq->root) && host_members(&p, end) &&
		  add(&p, end, ",\"mode\":\"") && add(&p, end, MODES[rq->mode]) && add(&p, end, "\",\"noPivot\":") &&
		  add(&p, end, rq->no_pivot ? "true" : "false") && add(&p, end, ",\"systemdCgroup\":") && add(&p, end, rq->systemd_cgroup ? "true" : "false") &&
		  (!rq->bundle || (add(&p, end, ",\"bundle\":") && json_string(&p, end, rq->bundle))) &&
		  (!rq->console_socket || (add(&p, end, ",\"consoleSocket\":") && json_string(&p, end, rq->console_socket))) && add(&p, end, "}");
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

// Everything that touches the engine, inside engine_plan_create's wasm_rt_impl_try.
// request NULL: evaluate the planner and write the snapshot to `save` instead.
__attribute__((noinline)) static int run(const char *request, struct engine_result *rs, const char *save)
{
	u32 ctx, entry;
	g_used_snapshot = !save && load_snapshot(&ctx, &entry);
	if (!g_used_snapshot)
		start_engine(&ctx, &entry);
	if (save) {
		struct snapshot_header h = { .pages = env.mem.pages, .stack_pointer = qjs.w2c_g0, .ctx = ctx, .entry = entry };
		memcpy(h.magic, SNAPSHOT_MAGIC, sizeof h.magic);
		memcpy(h.engine, ENGINE_SHA256, 64);
		memcpy(h.script, SCRIPT_SHA256, 64);
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof tmp, "%s.tmp-%d", save, (int)getpid());
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		static char page[SNAPSHOT_DATA];
		memcpy(page, &h, sizeof h);
		bool ok = fd >= 0 && fchmod(fd, 0644) == 0 && write(fd, page, sizeof page) == (ssize_t)sizeof page;
		// Pages of zeros are left as holes: most of the 16 MiB is never written.
		static const char zero[4096];
		for (u32 off = 0; ok && off < env.mem.size; off += 4096)
			ok = !memcmp(env.mem.data + off, zero, 4096) || pwrite(fd, env.mem.data + off, 4096, (off_t)SNAPSHOT_DATA + off) == 4096;
		ok = ok && ftruncate(fd, (off_t)SNAPSHOT_DATA + (off_t)env.mem.size) == 0;
		if (fd >= 0 && close(fd) != 0)
			ok = false;
		if (ok && rename(tmp, save) == 0)
			return 0;
		unlink(tmp);
		set_error("cannot write the snapshot %s", save);
		return -1;
	}
	u32 args = qts_malloc(8);
	if (!args)
		bail("the engine is out of memory");
	put32(args, new_string(ctx, request, strlen(request)));
	put32(args + 4, QTS_NewFunction(ctx, wasm_strdup("host", 4), 2, 0, 1));
	u32 res = QTS_Call(ctx, entry, QTS_GetUndefined(), 2, args);
	if (QTS_ResolveException(ctx, res))
		bail("the planner threw");
	// entry.ts: the extras' JSON text once the plan was handed over, else why not.
	char *text = get_string(ctx, res);
	if (text[0] != '{' || !g_plan) {
		set_error("%s", text[0] == '!' ? text + 1 : text);
		free(text);
		return -1;
	}
	rs->plan = g_plan;
	rs->plan_len = g_plan_len;
	rs->extras = text;
	g_plan = NULL;
	return 0;
}

void engine_set_snapshot(const char *path)
{
	g_snapshot = path;
	g_snapshot_set = true;
}

bool engine_used_snapshot(void)
{
	return g_used_snapshot;
}

const char *engine_last_error(void)
{
	return g_error;
}

// engine/planner.snapshot beside the running binary.
static const char *default_snapshot(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return NULL;
	self[n] = 0;
	if (snprintf(path, sizeof path, "%s/engine/planner.snapshot", dirname(self)) >= (int)sizeof path)
		return NULL;
	return path;
}

// wasm2c's runtime (wabt 1.0.32) reserves 8 GiB of address space for a memory
// with guard pages, and wasm_rt_free_memory unmaps only the used part.
#define RESERVED_MEMORY 0x200000000ul

static int with_engine(const char *request, struct engine_result *rs, const char *save)
{
	// wasm2c's runtime handles SIGSEGV/SIGBUS on its own alternate stack (out-of-bounds
	// and stack-exhaustion traps): installed for the call, the caller's back after.
	// wasm_rt_init installs them once per process (and wasm_rt_free would also free the
	// function types Z_quickjs_init_module registered): later calls put back what the
	// first one installed.
	static bool ready;
	static struct sigaction rt_segv, rt_bus;
	static stack_t rt_alt;
	struct sigaction segv, bus;
	stack_t alt;
	sigaction(SIGSEGV, NULL, &segv);
	sigaction(SIGBUS, NULL, &bus);
	sigaltstack(NULL, &alt);
	if (!ready) {
		wasm_rt_init();
		sigaction(SIGSEGV, NULL, &rt_segv);
		sigaction(SIGBUS, NULL, &rt_bus);
		sigaltstack(NULL, &rt_alt);
		Z_quickjs_init_module();
		ready = true;
	} else {
		sigaltstack(&rt_alt, NULL);
		sigaction(SIGSEGV, &rt_segv, NULL);
		sigaction(SIGBUS, &rt_bus, NULL);
	}
	// emscripten-module.cjs's memory: 16 MiB initial, 2 GiB maximum.
	wasm_rt_allocate_memory(&env.mem, 256, 32768);
	Z_quickjs_instantiate(&qjs, &env);
	int r = -1;
	wasm_rt_trap_t trap = wasm_rt_impl_try();
	if (trap == WASM_RT_TRAP_NONE)
		r = run(request, rs, save);
	else
		set_error("the engine trapped: %s", wasm_rt_strerror(trap));
	Z_quickjs_free(&qjs);
	munmap(env.mem.data, RESERVED_MEMORY);
	sigaction(SIGSEGV, &segv, NULL);
	sigaction(SIGBUS, &bus, NULL);
	if (alt.ss_flags & SS_DISABLE) {
		stack_t off = { .ss_flags = SS_DISABLE };
		sigaltstack(&off, NULL);
	} else
		sigaltstack(&alt, NULL);
	free(g_plan);
	g_plan = NULL;
	return r;
}

// One call of planc.forFront with this request text.
static int plan_request(const char *request, struct engine_result *rs)
{
	memset(rs, 0, sizeof *rs);
	g_error[0] = 0;
	g_used_snapshot = false;
	if (!g_snapshot_set) {
		g_snapshot = default_snapshot();
		g_snapshot_set = true;
	}
	if (!request || !plain_utf8((const unsigned char *)request, strlen(request))) {
		set_error("%s", "the request is not plain UTF-8 text");
		return -1;
	}
	int r = with_engine(request, rs, NULL);
	if (r != 0)
		engine_result_free(rs);
	return r;
}

int engine_plan_create(const struct engine_request *rq, struct engine_result *rs)
{
	char *request = request_json(rq);
	int r = plan_request(request, rs);
	free(request);
	return r;
}

int engine_plan_exec(const char *request, const uint8_t *stored, size_t stored_len, struct engine_result *rs)
{
	// The engine's memory is 32-bit: a stored plan beyond what it can hold is not planned here.
	if (stored && stored_len > (64u << 20)) {
		memset(rs, 0, sizeof *rs);
		set_error("%s", "the stored plan is too large for the engine");
		return -1;
	}
	// The caller's object, with the host's members added before its closing brace.
	size_t len = request ? strlen(request) : 0;
	size_t cap = len + host_members_size();
	char *full = len && request[len - 1] == '}' ? malloc(cap) : NULL, *p = full;
	bool ok = full && (memcpy(full, request, len - 1), p += len - 1, host_members(&p, full + cap)) && add(&p, full + cap, "}");
	if (!ok) {
		free(full);
		full = NULL;
	}
	g_stored = stored;
	g_stored_len = stored_len;
	int r = plan_request(full, rs);
	g_stored = NULL;
	g_stored_len = 0;
	free(full);
	return r;
}

void engine_result_free(struct engine_result *rs)
{
	free(rs->plan);
	free(rs->extras);
	memset(rs, 0, sizeof *rs);
}

int engine_save_snapshot(const char *path)
{
	g_error[0] = 0;
	struct engine_result unused = { 0 };
	return with_engine(NULL, &unused, path);
}
