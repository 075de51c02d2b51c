/*
 * pic8259.h - the PC's cascaded pair of 8259A interrupt controllers.
 *
 * Master at 0x20/0x21 (IRQ 0-7), slave at 0xA0/0xA1 (IRQ 8-15) with its INT
 * output wired to master input 2, and the ELCR pair at 0x4D0/0x4D1 choosing
 * edge or level sensing per line. Modelled: the ICW1-4 initialisation
 * sequence (LTIM, single/cascade, AEOI, SFNM, 8086 mode), OCW1 masks,
 * OCW2 EOI and rotation commands, OCW3 IRR/ISR reads, poll mode and special
 * mask mode, fully nested priorities with rotation, and spurious IRQ 7/15.
 *
 * The vector is always ICW2's T7-T3 | IR, as in 8086 mode (ICW4 bit 0);
 * the 8080 CALL sequence and buffered mode are not modelled.
 *
 * Only backends without an in-kernel controller use it; every call comes
 * from the CPU thread, so there is no lock. A chip that was never sent ICW1
 * presents no interrupts (its mask register still reads back what was
 * written, which is how Linux probes for the chip).
 */
#ifndef RAX_PIC8259_H
#define RAX_PIC8259_H

#include <stdbool.h>
#include <stdint.h>

/* ICW1 / OCW2 / OCW3 bits (command port) */
#define PIC_ICW1 0x10      /* with A0 = 0: start of initialisation */
#define PIC_ICW1_IC4 0x01  /* ICW4 follows */
#define PIC_ICW1_SNGL 0x02 /* single chip, no ICW3 */
#define PIC_ICW1_LTIM 0x08 /* level-triggered inputs */
#define PIC_OCW3 0x08      /* with bit 4 clear: OCW3, else OCW2 */
#define PIC_OCW3_RIS 0x01  /* read ISR (with RR) instead of IRR */
#define PIC_OCW3_RR 0x02
#define PIC_OCW3_POLL 0x04
#define PIC_OCW3_SMM 0x20 /* special mask mode value (with ESMM) */
#define PIC_OCW3_ESMM 0x40
#define PIC_ICW4_8086 0x01
#define PIC_ICW4_AEOI 0x02
#define PIC_ICW4_SFNM 0x10
/* ELCR bits that can be set: IRQ 0, 1, 2, 8 and 13 are always edge. */
#define PIC_ELCR_MASK_MASTER 0xf8
#define PIC_ELCR_MASK_SLAVE 0xde

struct pic8259_chip {
	uint8_t irr_edge; /* requests latched by rising edges (edge-sensed lines) */
	uint8_t lines;    /* current input levels */
	uint8_t isr, imr;
	uint8_t elcr;      /* level-sensed lines (ELCR) */
	uint8_t vector;    /* ICW2, T7-T3 */
	uint8_t icw3;      /* master: inputs with a slave; slave: its ID */
	uint8_t lowest;    /* input with the lowest priority (7 after ICW1) */
	uint8_t init_step; /* 0: operational; 2, 3, 4: the ICW expected next */
	bool initialised;  /* ICW1 was seen at least once */
	bool ltim, single, need_icw4, x86, aeoi, sfnm;
	bool rotate_aeoi; /* OCW2 "rotate in automatic EOI mode" */
	bool smm;         /* special mask mode */
	bool read_isr;    /* OCW3: the command port reads ISR, else IRR */
	bool poll;        /* OCW3 poll command: next read is a poll */
};

struct pic8259 {
	struct pic8259_chip chip[2]; /* [0] master, [1] slave */
	bool ext2;                   /* an external source driving master input 2 */
};

void pic_init(struct pic8259 *p);

/* Port access: chip 0/1, offset 0 (command) or 1 (data). */
uint8_t pic_read(struct pic8259 *p, unsigned chip, unsigned offset);
void pic_write(struct pic8259 *p, unsigned chip, unsigned offset, uint8_t v);
uint8_t pic_elcr_read(struct pic8259 *p, unsigned chip);
void pic_elcr_write(struct pic8259 *p, unsigned chip, uint8_t v);

/* Drive ISA line irq (0-15; others are ignored). */
void pic_set_irq(struct pic8259 *p, unsigned irq, int level);
/* INTR: the master would interrupt the CPU now. */
bool pic_pending(struct pic8259 *p);
/* Interrupt acknowledge: the vector (IRQ 7 / 15 vector when spurious). */
int pic_ack(struct pic8259 *p);

#endif
