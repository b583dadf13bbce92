/* planc list [-f table|json] [-q]: every container in --root, as runc lists them. */
#include "front.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct row {
	char *id, *json;
	const mp *state;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->id, ((const struct row *)b)->id);
}

/* Width as JavaScript measures a string (UTF-16 units), which the table's padding followed. */
static size_t units(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80 ? ((*p & 0xf8) == 0xf0 ? 2 : 1) : 0;
	return n;
}

static const char *field(const struct row *r, const char *key, char *num)
{
	const mp *v = mp_get(r->state, key);
	if (!v)
		return "undefined"; /* as String(undefined): a creating container has no created/owner */
	if (v->type == MP_INT) {
		sprintf(num, "%lld", (long long)v->i);
		return num;
	}
	return v->s;
}

/* A container's state JSON, or NULL when it was just removed or is a directory planc does not trust: not listed. */
static char *state_or_null(struct root *root, const char *id)
{
	jmp_buf env;
	if (setjmp(env)) {
		g_catch = NULL;
		return NULL;
	}
	g_catch = &env;
	struct cdir d;
	char *json = NULL;
	if (cdir_open(&d, root, id)) {
		struct jbuf b;
		jb_init(&b);
		state_json(&b, &d);
		close(d.fd);
		json = b.p;
	}
	g_catch = NULL;
	return json;
}

int verb_list(struct globals *g, char **args, int nargs)
{
	(void)args, (void)nargs;
	const char *format = g->verb_flags[0] ? g->verb_flags[0] : "table";
	bool quiet = g->verb_flags[1] != NULL;
	struct root root;
	struct row *rows = NULL;
	size_t n = 0, cap = 0;
	if (root_open(&root, g->root)) {
		int fd = dup(root.fd);
		DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
		if (!dir)
			fail(NULL, "list %s: cannot read it", root.path);
		for (struct dirent *e; (e = readdir(dir));) {
			if (!id_shaped(e->d_name))
				continue;
			if (n == cap && !(rows = realloc(rows, (cap = cap ? 2 * cap : 16) * sizeof *rows)))
				fail(NULL, "list: out of memory");
			rows[n++] = (struct row){strdup(e->d_name), NULL, NULL};
		}
		closedir(dir);
	}
	qsort(rows, n, sizeof *rows, by_id);
	size_t kept = 0;
	for (size_t k = 0; k < n; k++) {
		char *json = state_or_null(&root, rows[k].id);
		if (!json)
			continue;
		const char *err;
		rows[kept] = rows[k];
		rows[kept].json = json;
		rows[kept].state = json_parse(json, strlen(json), &err);
		kept++;
	}
	if (quiet) {
		for (size_t k = 0; k < kept; k++)
			printf("%s\n", rows[k].id);
	} else if (!strcmp(format, "json")) {
		/* runc prints null for no containers; clients expect it. */
		if (kept == 0)
			printf("null\n");
		else {
			printf("[");
			for (size_t k = 0; k < kept; k++)
				printf("%s%s", k ? "," : "", rows[k].json);
			printf("]\n");
		}
	} else {
		static const char *const HEAD[] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
		static const char *const KEYS[] = {"id", "pid", "status", "bundle", "created", "owner"};
		char num[6][32];
		size_t width[6];
		for (int c = 0; c < 6; c++)
			width[c] = units(HEAD[c]);
		for (size_t k = 0; k < kept; k++)
			for (int c = 0; c < 6; c++) {
				size_t w = units(field(&rows[k], KEYS[c], num[c]));
				if (w > width[c])
					width[c] = w;
			}
		for (size_t k = 0; k <= kept; k++) {
			struct jbuf line;
			jb_init(&line);
			for (int c = 0; c < 6; c++) {
				const char *cell = k == 0 ? HEAD[c] : field(&rows[k - 1], KEYS[c], num[c]);
				if (c)
					jb_raw(&line, "   ", 3);
				jb_raw(&line, cell, strlen(cell));
				for (size_t w = units(cell); w < width[c]; w++)
					jb_raw(&line, " ", 1);
			}
			while (line.len > 0 && line.p[line.len - 1] == ' ')
				line.p[--line.len] = 0;
			printf("%s\n", line.p);
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
