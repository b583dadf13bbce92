/* Lookups in the tables the executor shares with the planner
 * (tables.generated.c, generated from schemas/). */
#include "planc.h"
#include <string.h>

const struct name_value *by_name(const struct name_value *t, size_t n, const char *name)
{
	for (size_t k = 0; name && k < n; k++)
		if (!strcmp(name, t[k].name))
			return &t[k];
	return NULL;
}

const char *name_of(const struct name_value *t, size_t n, unsigned long value)
{
	for (size_t k = 0; k < n; k++)
		if (t[k].value == value)
			return t[k].name;
	return NULL;
}

const struct op_entry *op_by_name(const char *name)
{
	for (size_t k = 0; name && k < N_OPS; k++)
		if (!strcmp(name, op_table[k].name))
			return &op_table[k];
	return NULL;
}

const struct ns_entry *ns_by_type(const char *type)
{
	for (size_t k = 0; type && k < N_NAMESPACES; k++)
		if (!strcmp(type, ns_table[k].type))
			return &ns_table[k];
	return NULL;
}
