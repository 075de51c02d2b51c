/* report.c - divergence reports, text and JSON (see report.h). */
#include "report.h"

#include <string.h>

#include "flagmask.h"
#include "kernel.h"

static bool differs(const struct diff_divergence *d, const char *name)
{
	for (unsigned i = 0; i < d->nfields; i++)
		if (strcmp(d->fields[i].name, name) == 0)
			return true;
	return false;
}

/* Fields shown in the side-by-side table (RIP, GPRs, RFLAGS). */
static bool is_gpr_row(const char *name)
{
	if (!strcmp(name, "rip") || !strcmp(name, "rflags"))
		return true;
	for (int i = 0; i < RAX_NGPR; i++)
		if (!strcmp(name, rax_gpr_names[i]))
			return true;
	return false;
}

/* One side (emulator or oracle) of a differing memory run. */
static void byte_row(FILE *f, const char *label, const uint8_t *bytes, unsigned n)
{
	fprintf(f, "    %-6s", label);
	for (unsigned j = 0; j < n; j++)
		fprintf(f, " %02x", bytes[j]);
	fprintf(f, "\n");
}

static void row(FILE *f, const struct diff_divergence *d, const char *name, uint64_t e, uint64_t o)
{
	bool x = differs(d, name);
	fprintf(f, "  %s %-8s 0x%016llx  0x%016llx%s\n", x ? "*" : " ", name, (unsigned long long)e,
		(unsigned long long)o, x ? "  <--" : "");
}

void report_divergence(FILE *f, const struct diff_result *r, const struct diff_divergence *d)
{
	fprintf(f, "--- divergence in %s (oracle %s)\n", r->name, r->oracle);
	fprintf(f, "step %llu, rip 0x%llx:", (unsigned long long)d->step, (unsigned long long)d->rip);
	for (unsigned i = 0; i < d->nbytes && i < 15; i++)
		fprintf(f, " %02x", d->bytes[i]);
	fprintf(f, "  %s\n", d->disasm);
	fprintf(f, "%s\n", d->what);
	char nb[64];
	fprintf(f, "undefined flags masked: %s\n", flagmask_names(d->undefined, nb, sizeof(nb)));
	fprintf(f, "    %-8s %-18s  %-18s\n", "field", "emulator", "oracle");
	row(f, d, "rip", d->emu.rip, d->oracle.rip);
	for (int i = 0; i < RAX_NGPR; i++)
		row(f, d, rax_gpr_names[i], d->emu.gpr[i], d->oracle.gpr[i]);
	row(f, d, "rflags", d->emu.rflags, d->oracle.rflags);
	for (unsigned i = 0; i < d->nfields; i++)
		if (strcmp(d->fields[i].name, "rflags") == 0) {
			char a[64], b[64], x[64];
			const struct diff_field *fl = &d->fields[i];
			fprintf(f, "    flags: emu %s, oracle %s, differ %s (compared 0x%llx)\n",
				flagmask_names(fl->emu & RFLAGS_STATUS, a, sizeof(a)),
				flagmask_names(fl->oracle & RFLAGS_STATUS, b, sizeof(b)),
				flagmask_names((fl->emu ^ fl->oracle) & fl->mask, x, sizeof(x)),
				(unsigned long long)fl->mask);
		}
	/* every other differing field: segments, control and system registers, x87/SSE */
	for (unsigned i = 0; i < d->nfields; i++) {
		const struct diff_field *fd = &d->fields[i];
		if (is_gpr_row(fd->name))
			continue;
		char a[48], b[48];
		fprintf(f, "  * %-8s %-18s  %-18s  <--\n", fd->name, diff_field_value(fd, 0, a, sizeof(a)),
			diff_field_value(fd, 1, b, sizeof(b)));
	}
	if (!(d->compared & (CMP_SEG | CMP_CTRL)))
		fprintf(f,
			"    (segments and control registers not compared: the %s oracle runs at CPL3 in a host process)\n",
			r->oracle);
	if (!(d->compared & CMP_FPU))
		fprintf(f, "    (x87/SSE state not compared with this oracle)\n");
	for (unsigned i = 0; i < d->nmem; i++) {
		const struct diff_memrun *m = &d->mem[i];
		unsigned k = m->len < DIFF_RUN_BYTES ? m->len : DIFF_RUN_BYTES;
		fprintf(f, "  memory 0x%llx, %u bytes\n", (unsigned long long)m->addr, m->len);
		byte_row(f, "emu", m->emu, k);
		byte_row(f, "oracle", m->oracle, k);
	}
	if (d->mem_total > d->nmem)
		fprintf(f, "  (%u more differing byte runs)\n", d->mem_total - d->nmem);
	if (d->nhist) {
		fprintf(f, "last instructions:\n");
		for (unsigned i = 0; i < d->nhist; i++)
			fprintf(f, "  %s 0x%llx  %s\n", i + 1 == d->nhist ? ">" : " ",
				(unsigned long long)d->hist[i].rip, d->hist[i].dis);
	}
}

void report_kernel(FILE *f, const struct diff_result *r)
{
	const struct diff_kernel_stats *k = r->kernel;
	if (!k)
		return;
	fprintf(f, "  strategy: %s\n", k->strategy);
	fprintf(f, "  command line: %s\n", k->cmdline);
	fprintf(f, "  compared: %llu instructions, %llu exits (state and port access at each)\n",
		(unsigned long long)k->instructions, (unsigned long long)k->exits);
	if (k->ram_checks)
		fprintf(f,
			"  RAM: compared whole (memcmp) at %llu exits, %.3fs with the checkpoint copies (budget ~10%%)\n",
			(unsigned long long)k->ram_checks, k->ram_seconds);
	if (k->localisations)
		fprintf(f, "  localisations: %llu (%llu KVM probe runs, %.3fs)\n", (unsigned long long)k->localisations,
			(unsigned long long)k->probes, k->localise_seconds);
	const char *sep = ": ";
	fprintf(f, "  nondeterminism and model differences (KVM's result adopted)");
#define X(m, key, text)                                               \
	fprintf(f, "%s%s %llu", sep, text, (unsigned long long)k->m); \
	sep = ", ";
	DIFF_KERNEL_NONDET_FIELDS(X)
#undef X
	fprintf(f, "\n");
	for (unsigned i = 0; i < k->nnotes; i++)
		fprintf(f, "    - %s\n", k->notes[i]);
	fprintf(f, "  window end: %s\n", k->window_end[0] ? k->window_end : "(none)");
	fprintf(f, "  guest console: %llu bytes, last line: \"%s\"\n", (unsigned long long)k->console_bytes,
		k->console);
}

/* One side of a differing field: formatted when it is wider than 64 bits. */
static void json_field_side(struct json *w, const struct diff_field *fd, int oracle)
{
	char buf[48];
	json_key(w, oracle ? "oracle" : "emu");
	if (fd->width)
		json_str(w, diff_field_value(fd, oracle, buf, sizeof(buf)));
	else
		json_hex(w, oracle ? fd->oracle : fd->emu);
}

static void json_state(struct json *w, const struct rax_cpu_state *s, unsigned compared)
{
	json_begin_object(w);
	json_key(w, "rip");
	json_hex(w, s->rip);
	for (int i = 0; i < RAX_NGPR; i++) {
		json_key(w, rax_gpr_names[i]);
		json_hex(w, s->gpr[i]);
	}
	json_key(w, "rflags");
	json_hex(w, s->rflags);
	if (compared & (CMP_SEG | CMP_CTRL)) {
		json_key(w, "cr0");
		json_hex(w, s->cr0);
		json_key(w, "cr2");
		json_hex(w, s->cr2);
		json_key(w, "cr3");
		json_hex(w, s->cr3);
		json_key(w, "cr4");
		json_hex(w, s->cr4);
		json_key(w, "efer");
		json_hex(w, s->efer);
	}
	json_end_object(w);
}

/*
 * The JSON key and value of one DIFF_RESULT_FIELDS (lockstep.h) or
 * DIFF_KERNEL_STATS_FIELDS (kernel.h) row, member m of the struct at p.
 */
#define JSON_FIELD_STR(p, m, key) \
	json_key(w, key);         \
	json_str(w, (p)->m);
#define JSON_FIELD_STATUS(p, m, key) \
	json_key(w, key);            \
	json_str(w, diff_status_name((p)->m));
#define JSON_FIELD_U64(p, m, key) \
	json_key(w, key);         \
	json_u64(w, (p)->m);
#define JSON_FIELD_UINT(p, m, key) JSON_FIELD_U64(p, m, key)
#define JSON_FIELD_F64(p, m, key) \
	json_key(w, key);         \
	json_double(w, (p)->m);
#define JSON_FIELD_U64_NOJSON(p, m, key)
#define JSON_FIELD_F64_NOJSON(p, m, key)
#define JSON_FIELD_NOTES(p, m, key)                \
	json_key(w, key);                          \
	json_begin_array(w);                       \
	for (unsigned i = 0; i < (p)->nnotes; i++) \
		json_str(w, (p)->m[i]);            \
	json_end_array(w);
#define JSON_FIELD_NESTED(p, list, key) \
	json_key(w, key);               \
	json_begin_object(w);           \
	list(JSON_COUNTER) json_end_object(w);
#define JSON_FIELD_INJECTED(p, m, key) JSON_FIELD_NESTED(p, DIFF_INJECTED_FIELDS, key)
#define JSON_FIELD_NONDET(p, m, key) JSON_FIELD_NESTED(p, DIFF_KERNEL_NONDET_FIELDS, key)
#define JSON_FIELD_KERNEL(p, m, key)    \
	if ((p)->m) {                   \
		json_key(w, key);       \
		json_kernel(w, (p)->m); \
	}

static void json_kernel(struct json *w, const struct diff_kernel_stats *k)
{
#define JSON_COUNTER(m, key, text) JSON_FIELD_U64(k, m, key)
#define JSON_KSTAT(kind, m, key, n) JSON_FIELD_##kind(k, m, key)
	json_begin_object(w);
	DIFF_KERNEL_STATS_FIELDS(JSON_KSTAT)
	json_end_object(w);
#undef JSON_KSTAT
#undef JSON_COUNTER
}

void report_json_test(struct json *w, const struct diff_result *r)
{
#define JSON_COUNTER(m, key, text) JSON_FIELD_U64(r, m, key)
#define JSON_RESULT(kind, m, key, n) JSON_FIELD_##kind(r, m, key)
	json_begin_object(w);
	DIFF_RESULT_FIELDS(JSON_RESULT)
#undef JSON_RESULT
#undef JSON_COUNTER
	json_key(w, "divergences");
	json_begin_array(w);
	for (unsigned i = 0; i < r->ndiv; i++) {
		const struct diff_divergence *d = &r->div[i];
		json_begin_object(w);
		json_key(w, "step");
		json_u64(w, d->step);
		json_key(w, "rip");
		json_hex(w, d->rip);
		json_key(w, "bytes");
		json_bytes(w, d->bytes, d->nbytes);
		json_key(w, "disasm");
		json_str(w, d->disasm);
		json_key(w, "what");
		json_str(w, d->what);
		json_key(w, "undefined_flags");
		json_hex(w, d->undefined);
		json_key(w, "fields");
		json_begin_array(w);
		for (unsigned j = 0; j < d->nfields; j++) {
			json_begin_object(w);
			json_key(w, "name");
			json_str(w, d->fields[j].name);
			json_field_side(w, &d->fields[j], 0);
			json_field_side(w, &d->fields[j], 1);
			json_key(w, "mask");
			json_hex(w, d->fields[j].mask);
			json_end_object(w);
		}
		json_end_array(w);
		json_key(w, "memory");
		json_begin_array(w);
		for (unsigned j = 0; j < d->nmem; j++) {
			unsigned k = d->mem[j].len < DIFF_RUN_BYTES ? d->mem[j].len : DIFF_RUN_BYTES;
			json_begin_object(w);
			json_key(w, "addr");
			json_hex(w, d->mem[j].addr);
			json_key(w, "len");
			json_u64(w, d->mem[j].len);
			json_key(w, "emu");
			json_bytes(w, d->mem[j].emu, k);
			json_key(w, "oracle");
			json_bytes(w, d->mem[j].oracle, k);
			json_end_object(w);
		}
		json_end_array(w);
		json_key(w, "emu_state");
		json_state(w, &d->emu, d->compared);
		json_key(w, "oracle_state");
		json_state(w, &d->oracle, d->compared);
		json_key(w, "history");
		json_begin_array(w);
		for (unsigned j = 0; j < d->nhist; j++) {
			json_begin_object(w);
			json_key(w, "rip");
			json_hex(w, d->hist[j].rip);
			json_key(w, "disasm");
			json_str(w, d->hist[j].dis);
			json_end_object(w);
		}
		json_end_array(w);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
}
