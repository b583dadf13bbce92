// Prototype (issue 14), for comparison with wasm2c-host.c: the planner run by
// JavaScriptCore through its C API (Debian libjavascriptcoregtk-4.1-dev).
// The C API has no bytecode cache, so every run parses the planner script.
//
//   planc-engine-jsc SCRIPT CONFIG FACTS [OPTIONS-JSON] [--timings]
//
// prints the plan digest, as `planc plan --digest` does. SCRIPT is the planner
// script (build/engine/planner.js, the text of dist/planner.wasm's planc.planner).
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <JavaScriptCore/JavaScript.h>

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "planc-engine-jsc: %s\n", what);
	exit(1);
}

static int timings;

static void mark(const char *phase)
{
	static struct timespec last;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (timings && last.tv_sec)
		fprintf(stderr, "planc-engine-jsc: %-16s %7.3f ms\n", phase, (double)(now.tv_sec - last.tv_sec) * 1e3 + (double)(now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

static char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die("cannot read an input file");
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size)
		die("cannot read an input file");
	buf[got] = 0;
	return buf;
}

static void fail_with(JSContextRef ctx, JSValueRef exc, const char *what)
{
	JSStringRef s = JSValueToStringCopy(ctx, exc, NULL);
	char buf[4096];
	JSStringGetUTF8CString(s, buf, sizeof buf);
	fprintf(stderr, "planc-engine-jsc: %s: %s\n", what, buf);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *pos[4] = { NULL, NULL, NULL, "" };
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timings"))
			timings = 1;
		else if (n < 4)
			pos[n++] = argv[i];
		else
			die("usage: planc-engine-jsc SCRIPT CONFIG FACTS [OPTIONS-JSON] [--timings]");
	}
	if (n < 3)
		die("usage: planc-engine-jsc SCRIPT CONFIG FACTS [OPTIONS-JSON] [--timings]");
	mark("");
	JSGlobalContextRef ctx = JSGlobalContextCreate(NULL);
	mark("context");
	JSStringRef script = JSStringCreateWithUTF8CString(read_file(pos[0]));
	JSStringRef url = JSStringCreateWithUTF8CString("planc.planner");
	JSValueRef exc = NULL;
	JSEvaluateScript(ctx, script, NULL, url, 1, &exc);
	if (exc)
		fail_with(ctx, exc, "the planner did not start");
	mark("evaluate planner");
	JSObjectRef global = JSContextGetGlobalObject(ctx);
	JSStringRef name = JSStringCreateWithUTF8CString("planc");
	JSObjectRef planc = JSValueToObject(ctx, JSObjectGetProperty(ctx, global, name, NULL), NULL);
	JSStringRelease(name);
	name = JSStringCreateWithUTF8CString("planJSON");
	JSObjectRef fn = planc ? JSValueToObject(ctx, JSObjectGetProperty(ctx, planc, name, NULL), NULL) : NULL;
	if (!fn || !JSObjectIsFunction(ctx, fn))
		die("the planner script defines no planc.planJSON");
	JSValueRef args[3];
	for (int i = 0; i < 3; i++) {
		JSStringRef s = JSStringCreateWithUTF8CString(i < 2 ? read_file(pos[i + 1]) : pos[3]);
		args[i] = JSValueMakeString(ctx, s);
		JSStringRelease(s);
	}
	JSValueRef res = JSObjectCallAsFunction(ctx, fn, NULL, 3, args, &exc);
	if (exc)
		fail_with(ctx, exc, "the planner failed");
	mark("planJSON");
	JSStringRef out = JSValueToStringCopy(ctx, res, NULL);
	size_t cap = JSStringGetMaximumUTF8CStringSize(out);
	char *text = malloc(cap);
	JSStringGetUTF8CString(out, text, cap);
	const char *d = strstr(text, "\"digest\":\"");
	if (strncmp(text, "{\"ok\":true,", 11) != 0 || !d) {
		fprintf(stderr, "planc-engine-jsc: %s\n", text);
		return 1;
	}
	d += 10;
	printf("%.*s\n", (int)(strchr(d, '"') - d), d);
	return 0;
}
