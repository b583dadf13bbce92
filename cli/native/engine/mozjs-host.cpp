// Prototype (issue 14), for comparison with wasm2c-host.c: the planner run by
// SpiderMonkey 102 (Debian libmozjs-102-dev), optionally from its bytecode
// cache (an encoded stencil) instead of the script's source.
//
//   planc-engine-mozjs SCRIPT CONFIG FACTS [OPTIONS-JSON] [--timings]
//   planc-engine-mozjs SCRIPT --save-stencil FILE [--eager]
//
// With PLANC_ENGINE_STENCIL=FILE the planner is decoded from FILE (written by
// --save-stencil from the same SCRIPT) instead of compiled. --eager compiles
// every function up front, so that none is compiled again on first call.
// Prints the plan digest, as `planc plan --digest` does.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jsapi.h>
#include <js/BuildId.h>
#include <js/CompilationAndEvaluation.h>
#include <js/Conversions.h>
#include <js/Initialization.h>
#include <js/SourceText.h>
#include <js/Transcoding.h>
#include <js/experimental/JSStencil.h>

[[noreturn]] static void die(const char *what)
{
	fprintf(stderr, "planc-engine-mozjs: %s\n", what);
	exit(1);
}

static bool timings;

static void mark(const char *phase)
{
	static struct timespec last;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (timings && last.tv_sec)
		fprintf(stderr, "planc-engine-mozjs: %-16s %7.3f ms\n", phase, double(now.tv_sec - last.tv_sec) * 1e3 + double(now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

static char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die("cannot read an input file");
	char *buf = static_cast<char *>(malloc(size_t(st.st_size) + 1));
	size_t got = 0;
	while (buf && got < size_t(st.st_size)) {
		ssize_t n = read(fd, buf + got, size_t(st.st_size) - got);
		if (n <= 0)
			break;
		got += size_t(n);
	}
	close(fd);
	if (!buf || got != size_t(st.st_size))
		die("cannot read an input file");
	buf[got] = 0;
	*len = got;
	return buf;
}

static void fail_pending(JSContext *cx, const char *what)
{
	JS::RootedValue exc(cx);
	const char *msg = "?";
	JS::UniqueChars chars;
	if (JS_GetPendingException(cx, &exc)) {
		JS_ClearPendingException(cx);
		JSString *s = JS::ToString(cx, exc);
		if (s && (chars = JS_EncodeStringToUTF8(cx, JS::RootedString(cx, s))))
			msg = chars.get();
	}
	fprintf(stderr, "planc-engine-mozjs: %s: %s\n", what, msg);
	exit(1);
}

// The stencil format is tied to the engine's build: this id is written into a
// stencil and checked when one is decoded (libmozjs-102's Debian version).
static bool build_id(JS::BuildIdCharVector *id)
{
	static const char text[] = "planc-mozjs-102.15.1-1~deb12u1";
	return id->append(text, sizeof text - 1);
}

static const JSClass global_class = { "global", JSCLASS_GLOBAL_FLAGS, &JS::DefaultGlobalClassOps, nullptr, nullptr, nullptr };

int main(int argc, char **argv)
{
	const char *pos[4] = { nullptr, nullptr, nullptr, "" };
	const char *save = nullptr;
	bool eager = false;
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timings"))
			timings = true;
		else if (!strcmp(argv[i], "--eager"))
			eager = true;
		else if (!strcmp(argv[i], "--save-stencil") && i + 1 < argc)
			save = argv[++i];
		else if (n < 4)
			pos[n++] = argv[i];
		else
			die("usage: planc-engine-mozjs SCRIPT CONFIG FACTS [OPTIONS-JSON] [--timings]");
	}
	if (n < (save ? 1 : 3))
		die("usage: planc-engine-mozjs SCRIPT CONFIG FACTS [OPTIONS-JSON] [--timings]");
	mark("");
	JS::SetProcessBuildIdOp(build_id);
	if (!JS_Init())
		die("JS_Init failed");
	JSContext *cx = JS_NewContext(JS::DefaultHeapMaxBytes);
	if (!cx || !JS::InitSelfHostedCode(cx))
		die("cannot create a context");
	{
		JS::RealmOptions realm;
		JS::RootedObject global(cx, JS_NewGlobalObject(cx, &global_class, nullptr, JS::FireOnNewGlobalHook, realm));
		if (!global)
			die("cannot create a global");
		JSAutoRealm ar(cx, global);
		mark("context");

		JS::CompileOptions opts(cx);
		opts.setFileAndLine("planc.planner", 1);
		if (eager)
			opts.setEagerDelazificationStrategy(JS::DelazificationOption::ParseEverythingEagerly);
		size_t slen;
		char *source = read_file(pos[0], &slen);
		RefPtr<JS::Stencil> stencil;
		const char *cache = getenv("PLANC_ENGINE_STENCIL");
		if (cache && !save) {
			size_t blen;
			char *bytes = read_file(cache, &blen);
			JS::TranscodeRange range(reinterpret_cast<const uint8_t *>(bytes), blen);
			JS::DecodeOptions dopts(opts);
			JS::Stencil *out = nullptr;
			if (JS::DecodeStencil(cx, dopts, range, &out) != JS::TranscodeResult::Ok)
				die("cannot decode the stencil");
			stencil = already_AddRefed<JS::Stencil>(out); // DecodeStencil hands over its reference
			mark("decode stencil");
		} else {
			JS::SourceText<mozilla::Utf8Unit> src;
			if (!src.init(cx, source, slen, JS::SourceOwnership::Borrowed))
				fail_pending(cx, "source");
			stencil = JS::CompileGlobalScriptToStencil(cx, opts, src);
			if (!stencil)
				fail_pending(cx, "the planner does not compile");
			mark("compile");
		}
		if (save) {
			JS::TranscodeBuffer buf;
			if (JS::EncodeStencil(cx, stencil, buf) != JS::TranscodeResult::Ok)
				die("cannot encode the stencil");
			FILE *f = fopen(save, "wb");
			if (!f || fwrite(buf.begin(), 1, buf.length(), f) != buf.length() || fclose(f) != 0)
				die("cannot write the stencil");
			_exit(0);
		}
		JS::InstantiateOptions iopts(opts);
		JS::RootedScript script(cx, JS::InstantiateGlobalStencil(cx, iopts, stencil));
		JS::RootedValue rval(cx);
		if (!script || !JS_ExecuteScript(cx, script, &rval))
			fail_pending(cx, "the planner did not start");
		mark("evaluate planner");

		JS::RootedValue planc(cx), fn(cx);
		if (!JS_GetProperty(cx, global, "planc", &planc) || !planc.isObject())
			die("the planner script defines no planc");
		JS::RootedObject plancObj(cx, &planc.toObject());
		if (!JS_GetProperty(cx, plancObj, "planJSON", &fn))
			die("the planner script defines no planc.planJSON");
		JS::RootedValueArray<3> args(cx);
		for (int i = 0; i < 3; i++) {
			size_t len;
			const char *text = i < 2 ? read_file(pos[i + 1], &len) : pos[3];
			if (i == 2)
				len = strlen(text);
			JSString *s = JS_NewStringCopyUTF8N(cx, JS::UTF8Chars(text, len));
			if (!s)
				fail_pending(cx, "argument");
			args[i].setString(s);
		}
		JS::RootedValue res(cx);
		if (!JS_CallFunctionValue(cx, nullptr, fn, args, &res))
			fail_pending(cx, "the planner failed");
		mark("planJSON");
		JS::RootedString rs(cx, res.toString());
		JS::UniqueChars text = JS_EncodeStringToUTF8(cx, rs);
		const char *d = strstr(text.get(), "\"digest\":\"");
		if (strncmp(text.get(), "{\"ok\":true,", 11) != 0 || !d) {
			fprintf(stderr, "planc-engine-mozjs: %s\n", text.get());
			return 1;
		}
		d += 10;
		printf("%.*s\n", int(strchr(d, '"') - d), d);
		fflush(stdout);
	}
	// Exit without tearing the engine down: the process ends here anyway.
	_exit(0);
}
