/* The audit trail: one JSON line per record, appended to PLANC_AUDIT_FD and
 * chained: each line ends with "prev", the sha256 of the line before it (of
 * the plan bytes, for the header), and starts with "n", its line number. A
 * record is written whole or not at all (a short write is continued, a
 * failed one cut back off the file) before the next action starts; a record
 * that cannot be written stops the run (fail closed). See executor/PROTOCOL.md
 * and docs/audit.md. */
#include "planc.h"
#include "sha256.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int audit_fd = -1;
static struct chain head; /* hash of the last line written (or the plan), and the next line's number */

void chain_get(struct chain *out)
{
	*out = head;
}

void chain_set(const struct chain *in)
{
	head = *in;
}

/* The line (without its newline) written whole, then the chain advanced.
 * writev with the newline as a second piece: no copy of the line, and a
 * system call of its own, so tests can aim strace at the executor's records
 * alone (test/integration/audit-faults.test.ts). */
int audit_write(const char *line, size_t len)
{
	struct iovec iov[2] = {{(void *)line, len}, {"\n", 1}};
	size_t left = len + 1;
	int k = 0;
	while (left > 0) {
		ssize_t w = writev(audit_fd, iov + k, 2 - k);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			/* Whole or not at all: a cut line would break the chain for every later record.
			 * The size before it is found only here, on the failure path: nobody else
			 * appends while this record is written (P and C write in turn, planc's own
			 * records wait for them), so it is the size now less what went out of this
			 * record. One fstat per failed record instead of one per record. */
			struct stat st;
			if (fstat(audit_fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size >= len + 1 - left &&
			    ftruncate(audit_fd, st.st_size - (off_t)(len + 1 - left))) {
				/* nothing more to do: the verifier names the cut line */
			}
			errno = e;
			return -1;
		}
		left -= w;
		while (k < 2 && (size_t)w >= iov[k].iov_len)
			w -= iov[k++].iov_len;
		if (k < 2) {
			iov[k].iov_base = (char *)iov[k].iov_base + w;
			iov[k].iov_len -= w;
		}
	}
	sha256(line, len, head.h);
	head.n++;
	return 0;
}

/* `,"prev":"<hex>"}` closing a record, and its `{"n":N,` opening. */
void chain_open(char *buf, size_t cap)
{
	snprintf(buf, cap, "{\"n\":%u,", head.n);
}

void chain_close(char out[80])
{
	char hex[65];
	sha256_hex(head.h, hex);
	snprintf(out, 80, ",\"prev\":\"%s\"}", hex);
}

/* The first line: which plan (its digest, computed here from the bytes this
 * executor received), which container, how many actions. It anchors the
 * chain in the plan: its "prev" is the plan's sha256. */
int audit_header(const uint8_t *plan, size_t len, const char *id, uint32_t actions)
{
	char hex[65], line[PIPE_BUF_LINE];
	struct timespec ts;
	int n;
	clock_gettime(CLOCK_REALTIME, &ts);
	long long t = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	sha256(plan, len, head.h);
	head.n = 0;
	sha256_hex(head.h, hex);
	n = snprintf(line, sizeof line, "{\"n\":0,\"trail\":\"planc-audit/1\",\"planDigest\":\"sha256:%s\",\"containerId\":", hex);
	n += json_string(line + n, sizeof line - n - 96, id ? id : "");
	n += snprintf(line + n, sizeof line - n, ",\"actions\":%u,\"t\":%lld,\"prev\":\"%s\"}", actions, t, hex);
	if (n <= 0 || (size_t)n >= sizeof line)
		return errno = E2BIG, -1;
	return audit_write(line, n);
}

/* The head of the trail as it is on disk: after the wait for `start`, other
 * planc verbs (kill) may have appended records since this process last
 * wrote. `start` holds the container's lock while the init writes its last
 * records, so nobody appends meanwhile. Needs the fd open for reading too. */
int chain_resync(void)
{
	struct stat st;
	if (fstat(audit_fd, &st))
		return -1;
	if (st.st_size <= 0 || st.st_size > (64 << 20))
		return errno = EBADMSG, -1;
	char *buf = malloc(st.st_size);
	if (!buf)
		return errno = ENOMEM, -1;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(audit_fd, buf + got, st.st_size - got, got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return errno = r < 0 ? errno : EIO, -1;
		}
		got += r;
	}
	/* Every line ends with a newline (records are written whole). */
	if (buf[got - 1] != '\n') {
		free(buf);
		return errno = EBADMSG, -1;
	}
	uint32_t lines = 0;
	size_t last = 0;
	for (size_t k = 0; k < got; k++)
		if (buf[k] == '\n') {
			lines++;
			if (k + 1 < got)
				last = k + 1;
		}
	sha256(buf + last, got - 1 - last, head.h);
	head.n = lines;
	free(buf);
	return 0;
}

/* Flush the trail to stable storage (at the points planc reports success). */
int audit_sync(void)
{
	while (fdatasync(audit_fd)) {
		/* EINVAL: a pipe or device, nothing to sync. EPERM: only a seccomp filter gives it
		 * to fdatasync — the container's own, loaded as late as runc loads it, which need
		 * not allow fdatasync; the record is written whole all the same, only its flush to
		 * disk is left to the kernel. */
		if (errno != EINTR)
			return errno == EINVAL || errno == EPERM ? 0 : -1;
	}
	return 0;
}
