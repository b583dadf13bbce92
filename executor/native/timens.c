/* A new time namespace with clock offsets (time_namespaces(7)). The offsets
 * of a time namespace can be written only until a process enters it, so the
 * init does not get it from clone3 (that would freeze them at zero): it
 * unshares one, which only its future children would enter, writes the
 * offsets, and then enters it itself with setns. It is single-threaded, as
 * setns into a time namespace requires. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The offsets are written by the init itself, into its own /proc (see proc_open_own). */
static int write_offsets(const char *text)
{
	int fd = proc_open_own("self/timens_offsets", O_WRONLY);
	if (fd < 0)
		return -1;
	int rc = write_all(fd, text, strlen(text)), e = errno;
	close(fd);
	errno = e;
	return rc;
}

int op_timens_create(const mp *a, struct ctx *c)
{
	(void)c;
	const mp *offsets = need_arr(a, "offsets");
	char buf[256];
	size_t n = 0;
	if (!offsets)
		return FAILED;
	for (uint32_t k = 0; k < offsets->len; k++) {
		const mp *o = &offsets->kids[k];
		const char *clock = need_str(o, "clock"), *secs = need_str(o, "secs");
		int64_t ns;
		char *end;
		if (!clock || !secs || need_int(o, "nanosecs", &ns))
			return FAILED;
		errno = 0;
		long long s = strtoll(secs, &end, 10);
		if (errno || !*secs || *end || ns < 0 || ns > 999999999 || (strcmp(clock, "monotonic") && strcmp(clock, "boottime")))
			return failx(EINVAL, "time namespace: bad offset \"%s\" %s s %lld ns", clock, secs, (long long)ns);
		int w = snprintf(buf + n, sizeof buf - n, "%s %lld %lld\n", clock, s, (long long)ns);
		if (w < 0 || (size_t)w >= sizeof buf - n)
			return failx(E2BIG, "time namespace: too many offsets");
		n += w;
	}
	if (unshare(CLONE_NEWTIME))
		return fail(errno, "unshare time namespace");
	/* self/timens_offsets is the namespace our children will be in: the new one. All
	 * offsets in one write: the kernel applies them together or not at all. */
	if (n && write_offsets(buf)) {
		int e = errno;
		buf[strcspn(buf, "\n")] = 0;
		return failx(e, "write time namespace offsets (%s...): %s%s", buf, err_words(e),
			     e == ERANGE ? " (an offset may not take the clock below zero or past half of its range)" : "");
	}
	int fd = proc_link("self/ns", "time_for_children", O_RDONLY);
	if (fd < 0)
		return fail(errno, "open the new time namespace");
	int rc = setns(fd, CLONE_NEWTIME), e = errno;
	close(fd);
	return rc ? fail(e, "enter the new time namespace") : DONE;
}
