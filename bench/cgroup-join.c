/* How long does moving a fresh process into its v1 cgroups take, by who
 * writes what? (docs/cgroups.md, "How the init joins its cgroups").
 *
 *   parent-procs  the parent writes the child's pid to each cgroup.procs
 *                 (what runc and crun do)
 *   parent-tasks  the parent writes the child's pid to each tasks file
 *   self-tasks    the child writes "0" to each tasks file, opened by the
 *                 parent before the fork (what planc's init does)
 *
 * Usage: cgroup-join ROUNDS PAUSE_MS HIERARCHY... (as root; each hierarchy a
 * mounted v1 cgroup directory). Each round makes a fresh cgroup in every
 * hierarchy, times the three ways in turn (a pause before each, so the
 * kernel's lock is as idle as it is for a container create), and removes the
 * cgroups. Prints the median, min and max of each way in ms. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { PARENT_PROCS, PARENT_TASKS, SELF_TASKS, WAYS };
static const char *const way_name[WAYS] = {"parent writes pid to cgroup.procs", "parent writes pid to tasks", "child writes 0 to tasks"};
static const char *const way_file[WAYS] = {"cgroup.procs", "tasks", "tasks"};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "cgroup-join: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

/* A new v1 cpuset holds no task until it has cpus and mems: copy the parent's. */
static void fill_cpuset(const char *hier, const char *dir)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (int k = 0; k < 2; k++) {
		char from[4200], to[4200], buf[4096];
		snprintf(from, sizeof from, "%s/%s", hier, files[k]);
		snprintf(to, sizeof to, "%s/%s", dir, files[k]);
		int in = open(from, O_RDONLY);
		if (in < 0)
			return; /* not a cpuset hierarchy */
		ssize_t n = read(in, buf, sizeof buf);
		close(in);
		int out = open(to, O_WRONLY);
		if (n <= 0 || out < 0 || write(out, buf, (size_t)n) != n)
			die("copy", to);
		close(out);
	}
}

/* One timed move of a fresh child into every hierarchy's cgroup, the given way. */
static double one(int way, char **dirs, int n)
{
	int fds[64], go[2], done[2];
	char c = 0;
	for (int k = 0; k < n; k++) {
		char path[4200];
		snprintf(path, sizeof path, "%s/%s", dirs[k], way_file[way]);
		if ((fds[k] = open(path, O_WRONLY | O_CLOEXEC)) < 0)
			die("open", path);
	}
	if (pipe(go) || pipe(done))
		die("pipe", "");
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0)
		die("fork", "");
	if (pid == 0) {
		if (way == SELF_TASKS)
			for (int k = 0; k < n; k++)
				if (write(fds[k], "0", 1) != 1)
					_exit(1);
		if (write(done[1], "x", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	if (way != SELF_TASKS) {
		char id[24];
		int len = snprintf(id, sizeof id, "%d", (int)pid);
		for (int k = 0; k < n; k++)
			if (write(fds[k], id, (size_t)len) != len)
				die("write to", way_file[way]);
	}
	if (read(done[0], &c, 1) != 1)
		die("child", "failed");
	double t = now_ms() - t0;
	if (write(go[1], "x", 1) != 1)
		die("release", "child");
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("child", "failed to move itself");
	for (int k = 0; k < n; k++)
		close(fds[k]);
	close(go[0]), close(go[1]), close(done[0]), close(done[1]);
	return t;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: cgroup-join ROUNDS PAUSE_MS HIERARCHY...\n");
		return 2;
	}
	int rounds = atoi(argv[1]), pause_ms = atoi(argv[2]), n = argc - 3;
	if (rounds < 1 || rounds > 1000 || n > 64)
		return 2;
	char *dirs[64];
	double *t[WAYS];
	for (int w = 0; w < WAYS; w++)
		t[w] = calloc((size_t)rounds, sizeof **t);
	for (int r = 0; r < rounds; r++) {
		for (int w = 0; w < WAYS; w++) {
			for (int k = 0; k < n; k++) {
				if (asprintf(&dirs[k], "%s/planc-join-bench-%d", argv[3 + k], (int)getpid()) < 0)
					die("asprintf", "");
				if (mkdir(dirs[k], 0755))
					die("mkdir", dirs[k]);
				fill_cpuset(argv[3 + k], dirs[k]);
			}
			usleep((useconds_t)pause_ms * 1000);
			t[w][r] = one(w, dirs, n);
			for (int k = 0; k < n; k++) {
				if (rmdir(dirs[k]))
					die("rmdir", dirs[k]);
				free(dirs[k]);
			}
		}
	}
	printf("a fresh process moved into %d v1 cgroups, %d rounds, %d ms pause before each try:\n", n, rounds, pause_ms);
	for (int w = 0; w < WAYS; w++) {
		qsort(t[w], (size_t)rounds, sizeof **t, by_value);
		printf("  %-36s median %6.2f ms   min %6.2f   max %6.2f\n", way_name[w], t[w][rounds / 2], t[w][0], t[w][rounds - 1]);
	}
	return 0;
}
