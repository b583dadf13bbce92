/* The execution domain of the container process: personality(2) on the init,
 * kept across execve. */
#include "planc.h"
#include <errno.h>
#include <string.h>
#include <sys/personality.h>

int op_personality_set(const mp *a, struct ctx *c)
{
	(void)c;
	const char *domain = need_str(a, "domain");
	unsigned long per;
	if (!domain)
		return FAILED;
	if (!strcmp(domain, "LINUX"))
		per = PER_LINUX;
	else if (!strcmp(domain, "LINUX32"))
		per = PER_LINUX32;
	else
		return failx(EINVAL, "personality: unknown domain \"%s\"", domain);
	/* personality() returns the previous persona, or -1 with errno set. */
	return personality(per) == -1 ? fail(errno, "personality %s", domain) : DONE;
}
