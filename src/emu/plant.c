/* plant.c - the RAX_EMU_PLANT switch (see plant.h). */
#include "emu/plant.h"

#include <stdlib.h>
#include <string.h>

int emu_plant = EMU_PLANT_NONE;

void emu_plant_init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	const char *v = getenv("RAX_EMU_PLANT");
	if (!v)
		return;
	if (!strcmp(v, "flag"))
		emu_plant = EMU_PLANT_FLAG;
	else if (!strcmp(v, "result"))
		emu_plant = EMU_PLANT_RESULT;
	else if (!strcmp(v, "memory"))
		emu_plant = EMU_PLANT_MEMORY;
	else if (!strcmp(v, "fault"))
		emu_plant = EMU_PLANT_FAULT;
	else if (!strcmp(v, "fastop"))
		emu_plant = EMU_PLANT_FASTOP;
	else if (!strcmp(v, "jit"))
		emu_plant = EMU_PLANT_JIT;
	else if (!strcmp(v, "jit-adc"))
		emu_plant = EMU_PLANT_JIT_ADC;
	else if (!strcmp(v, "jit-inc"))
		emu_plant = EMU_PLANT_JIT_INC;
}
