/* pic8259.c - the 8259A pair: initialisation, priorities, EOI, cascade (see pic8259.h). */
#include "pic8259.h"

#include <string.h>

#define PIC_MASTER 0
#define PIC_SLAVE 1
#define PIC_CASCADE_IR 2 /* master input the slave's INT drives */

void pic_init(struct pic8259 *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 2; i++)
		p->chip[i].lowest = 7;
}

static uint8_t level_mask(const struct pic8259_chip *c) { return c->ltim ? 0xff : c->elcr; }

/* IRR as the guest sees it: latched edges, and the lines of level-sensed inputs. */
static uint8_t chip_irr(const struct pic8259_chip *c)
{
	uint8_t lvl = level_mask(c);
	return (uint8_t)((c->irr_edge & ~lvl) | (c->lines & lvl));
}

/* Priority rank of input ir: 0 is the highest. */
static unsigned rank(const struct pic8259_chip *c, unsigned ir) { return (ir - c->lowest - 1) & 7; }

/* The highest-priority input set in mask, or -1. */
static int highest(const struct pic8259_chip *c, uint8_t mask)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned ir = (c->lowest + 1 + i) & 7;
		if (mask & (1u << ir))
			return (int)ir;
	}
	return -1;
}

/*
 * The input whose request the chip presents on INT, or -1. Fully nested:
 * a request needs a higher priority than every input in service. Special
 * mask mode ignores in-service inputs that are masked; special fully
 * nested mode lets a slave's input interrupt while it is in service itself.
 */
static int chip_request(const struct pic8259_chip *c, bool master)
{
	if (!c->initialised || c->init_step)
		return -1;
	int r = highest(c, chip_irr(c) & ~c->imr);
	if (r < 0)
		return -1;
	uint8_t isr = c->smm ? (uint8_t)(c->isr & ~c->imr) : c->isr;
	int s = highest(c, isr);
	if (s < 0 || rank(c, (unsigned)r) < rank(c, (unsigned)s))
		return r;
	if (r == s && master && c->sfnm && !c->single && (c->icw3 & (1u << r)))
		return r;
	return -1;
}

static void chip_set_line(struct pic8259_chip *c, unsigned ir, bool level)
{
	uint8_t bit = (uint8_t)(1u << ir);
	if (level) {
		if (!(c->lines & bit) && !(level_mask(c) & bit))
			c->irr_edge |= bit;
		c->lines |= bit;
	} else {
		/* an edge stays latched: pulses must not be lost */
		c->lines &= (uint8_t)~bit;
	}
}

/* Master input 2 follows the slave's INT output (and any external source). */
static void update_cascade(struct pic8259 *p)
{
	bool level = p->ext2 || chip_request(&p->chip[PIC_SLAVE], false) >= 0;
	chip_set_line(&p->chip[PIC_MASTER], PIC_CASCADE_IR, level);
}

/* INTA on one chip for input ir: IRR to ISR (or AEOI). */
static void chip_accept(struct pic8259_chip *c, unsigned ir)
{
	uint8_t bit = (uint8_t)(1u << ir);
	c->irr_edge &= (uint8_t)~bit;
	if (!c->aeoi)
		c->isr |= bit;
	else if (c->rotate_aeoi)
		c->lowest = (uint8_t)ir;
}

static bool has_slave(const struct pic8259_chip *m, unsigned ir) { return !m->single && (m->icw3 & (1u << ir)); }

int pic_ack(struct pic8259 *p)
{
	struct pic8259_chip *m = &p->chip[PIC_MASTER], *s = &p->chip[PIC_SLAVE];
	int r = chip_request(m, true);
	if (r < 0)
		return m->vector | 7; /* spurious: the request went away */
	chip_accept(m, (unsigned)r);
	int vec;
	if (has_slave(m, (unsigned)r) && r == PIC_CASCADE_IR) {
		int sr = chip_request(s, false);
		if (sr < 0) {
			vec = s->vector | 7; /* spurious IRQ 15; master input 2 stays in service */
		} else {
			chip_accept(s, (unsigned)sr);
			vec = s->vector | sr;
		}
		/* the slave's INT drops during INTA; a request still there is a new edge */
		chip_set_line(m, PIC_CASCADE_IR, false);
	} else {
		vec = m->vector | r;
	}
	update_cascade(p);
	return vec;
}

bool pic_pending(struct pic8259 *p) { return chip_request(&p->chip[PIC_MASTER], true) >= 0; }

void pic_set_irq(struct pic8259 *p, unsigned irq, int level)
{
	if (irq >= 16)
		return;
	if (irq == PIC_CASCADE_IR)
		p->ext2 = level != 0;
	else
		chip_set_line(&p->chip[irq >> 3], irq & 7, level != 0);
	update_cascade(p);
}

static void icw1(struct pic8259_chip *c, uint8_t v)
{
	c->ltim = v & PIC_ICW1_LTIM;
	c->single = v & PIC_ICW1_SNGL;
	c->need_icw4 = v & PIC_ICW1_IC4;
	/* edge sense reset: a line already high must go low and high again */
	c->irr_edge = 0;
	c->isr = 0;
	c->imr = 0;
	c->icw3 = 0;
	c->lowest = 7;
	c->x86 = c->aeoi = c->sfnm = false;
	c->rotate_aeoi = false;
	c->smm = false;
	c->read_isr = false;
	c->poll = false;
	c->initialised = true;
	c->init_step = 2;
}

static void icw_data(struct pic8259_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:
		c->vector = v & 0xf8;
		c->init_step = !c->single ? 3 : c->need_icw4 ? 4 : 0;
		break;
	case 3:
		c->icw3 = v;
		c->init_step = c->need_icw4 ? 4 : 0;
		break;
	default:
		c->x86 = v & PIC_ICW4_8086;
		c->aeoi = v & PIC_ICW4_AEOI;
		c->sfnm = v & PIC_ICW4_SFNM;
		c->init_step = 0;
		break;
	}
}

static void ocw2(struct pic8259_chip *c, uint8_t v)
{
	unsigned level = v & 7;
	int s;
	switch (v >> 5) {
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		s = highest(c, c->isr);
		if (s >= 0) {
			c->isr &= (uint8_t) ~(1u << s);
			if (v >> 5 == 5)
				c->lowest = (uint8_t)s;
		}
		break;
	case 3: /* specific EOI */ c->isr &= (uint8_t) ~(1u << level); break;
	case 7: /* rotate on specific EOI */
		c->isr &= (uint8_t) ~(1u << level);
		c->lowest = (uint8_t)level;
		break;
	case 6: /* set priority */ c->lowest = (uint8_t)level; break;
	case 4: c->rotate_aeoi = true; break;
	case 0: c->rotate_aeoi = false; break;
	default: break; /* 2: no operation */
	}
}

static void ocw3(struct pic8259_chip *c, uint8_t v)
{
	if (v & PIC_OCW3_ESMM)
		c->smm = v & PIC_OCW3_SMM;
	if (v & PIC_OCW3_RR)
		c->read_isr = v & PIC_OCW3_RIS;
	c->poll = v & PIC_OCW3_POLL;
}

/* Poll read: an acknowledge done by reading the chip; bit 7 = request, bits 2-0 = input. */
static uint8_t poll_read(struct pic8259 *p, unsigned chip)
{
	struct pic8259_chip *c = &p->chip[chip];
	c->poll = false;
	int r = chip_request(c, chip == PIC_MASTER);
	if (r < 0)
		return 0;
	chip_accept(c, (unsigned)r);
	if (chip == PIC_MASTER && r == PIC_CASCADE_IR)
		chip_set_line(c, PIC_CASCADE_IR, false);
	update_cascade(p);
	return (uint8_t)(0x80 | r);
}

uint8_t pic_read(struct pic8259 *p, unsigned chip, unsigned offset)
{
	if (chip > 1)
		return 0xff;
	struct pic8259_chip *c = &p->chip[chip];
	if (c->poll)
		return poll_read(p, chip);
	if (offset & 1)
		return c->imr;
	return c->read_isr ? c->isr : chip_irr(c);
}

void pic_write(struct pic8259 *p, unsigned chip, unsigned offset, uint8_t v)
{
	if (chip > 1)
		return;
	struct pic8259_chip *c = &p->chip[chip];
	if (offset & 1) {
		if (c->init_step)
			icw_data(c, v);
		else
			c->imr = v; /* OCW1 */
	} else if (v & PIC_ICW1) {
		icw1(c, v);
	} else if (v & PIC_OCW3) {
		ocw3(c, v);
	} else {
		ocw2(c, v);
	}
	update_cascade(p);
}

uint8_t pic_elcr_read(struct pic8259 *p, unsigned chip) { return chip > 1 ? 0xff : p->chip[chip].elcr; }

void pic_elcr_write(struct pic8259 *p, unsigned chip, uint8_t v)
{
	if (chip > 1)
		return;
	struct pic8259_chip *c = &p->chip[chip];
	c->elcr = v & (chip == PIC_MASTER ? PIC_ELCR_MASK_MASTER : PIC_ELCR_MASK_SLAVE);
	update_cascade(p);
}
