/* The execution domain of the container process: personality(2) on the init,
 * kept across execve. */
#include "planc.h"
#include <errno.h>
#include <sys/personality.h>

int op_personality_set(const mp *a, struct ctx *c)
{
	(void)c;
	const char *domain = need_str(a, "domain");
	if (!domain)
		return FAILED;
	/* PER_LINUX, PER_LINUX32: tables.generated.c, from schemas/tables.ts. */
	const struct name_value *per = by_name(personality_table, N_PERSONALITIES, domain);
	if (!per)
		return failx(EINVAL, "personality: unknown domain \"%s\"", domain);
	/* personality() returns the previous persona, or -1 with errno set. */
	return personality(per->value) == -1 ? fail(errno, "personality %s", domain) : DONE;
}
