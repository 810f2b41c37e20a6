/*
 * emurecs.c - the device model's records of a save (backend.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

int
emu_recs_add(struct emu_recs *r, uint32_t type, uint32_t emulator,
    uint32_t index, const void *data, size_t len)
{
	struct emu_rec *e;

	if (r->n >= EMU_RECS_MAX)
		return -ENOSPC;
	e = &r->rec[r->n];
	if ((e->data = malloc(len > 0 ? len : 1)) == NULL)
		return -ENOMEM;
	if (len > 0)
		memcpy(e->data, data, len);
	e->type = type;
	e->emulator = emulator;
	e->index = index;
	e->len = len;
	r->n++;
	return 0;
}

const struct emu_rec *
emu_recs_find(const struct emu_recs *r, uint32_t type)
{
	unsigned i;

	for (i = 0; i < r->n; i++)
		if (r->rec[i].type == type)
			return &r->rec[i];
	return NULL;
}

void
emu_recs_clear(struct emu_recs *r)
{
	unsigned i;

	for (i = 0; i < r->n; i++)
		free(r->rec[i].data);
	memset(r, 0, sizeof(*r));
}
