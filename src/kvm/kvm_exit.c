/*
 * kvm_exit.c - the decision for one KVM_RUN exit, and the text of the exits
 * that end a run with an error.
 *
 * Port I/O and MMIO go to the shared bus; a system event becomes a stop
 * request; HLT with IF=0, triple fault, a finished single-step and every
 * error become a struct rax_exit. Error texts name the instruction at RIP
 * with our own decoder, because KVM's bare bytes ("f0 48 0f c7 4d 20") tell
 * a user nothing, and say when the host's KVM itself is the limit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emu/decode.h"
#include "kvm/kvm_exit.h"
#include "vm.h"

/* Append to buf (length *len, capacity n), truncating silently. */
__attribute__((format(printf, 4, 5))) static void app(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
	if (*len + 1 >= n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf + *len, n - *len, fmt, ap);
	va_end(ap);
	if (r > 0)
		*len = *len + (size_t)r < n ? *len + (size_t)r : n - 1;
}

void kvm_exit_describe(char *buf, size_t n, const char *what, const struct kvm_exit_where *w)
{
	size_t len = 0;
	if (!n)
		return;
	buf[0] = 0;
	app(buf, n, &len, "%s", what);
	if (!w)
		return;
	app(buf, n, &len, " at rip 0x%llx, cpl %u", (unsigned long long)w->rip, w->cpl);
	if (!w->nbytes) {
		app(buf, n, &len, " (code not readable)");
		return;
	}
	struct emu_insn in;
	memset(&in, 0, sizeof(in));
	unsigned shown = w->nbytes;
	/* a bounded disassembly keeps the rest of the message within rax_exit.detail */
	char dis[96];
	if (emu_decode_mode(w->bytes, w->nbytes, w->mode, &in) == EMU_DEC_OK) {
		emu_disasm_at(&in, w->rip, dis, sizeof(dis));
		shown = in.len;
	} else {
		snprintf(dis, sizeof(dis), "(undecodable)");
	}
	app(buf, n, &len, ": %s (bytes", dis);
	for (unsigned i = 0; i < shown; i++)
		app(buf, n, &len, " %02x", w->bytes[i]);
	app(buf, n, &len, ")");
}

static const char *internal_suberror(uint32_t s)
{
	switch (s) {
	case KVM_INTERNAL_ERROR_EMULATION: return "emulation failure";
	case KVM_INTERNAL_ERROR_SIMUL_EX: return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV: return "cannot deliver event";
	default: return "unknown";
	}
}

void kvm_exit_internal_text(char *buf, size_t n, uint32_t suberror, const struct kvm_exit_where *w, bool cpl0_emulated)
{
	char what[96];
	snprintf(what, sizeof(what), "KVM internal error, suberror %u (%s)", suberror, internal_suberror(suberror));
	kvm_exit_describe(buf, n, what, w);
	if (!w || w->cpl != 0 || !cpl0_emulated)
		return;
	/* kvm_pvm runs guest CPL0 code through the host kernel's instruction
	 * emulator, which lacks many instructions a kernel uses; hardware KVM
	 * or our interpreter run them */
	size_t len = strlen(buf);
	app(buf, n, &len, ": this host's KVM emulates CPL0 code in software (kvm_pvm)%s; use --backend emulator",
	    suberror == KVM_INTERNAL_ERROR_EMULATION ? " and cannot emulate this instruction" : "");
}

static void handle_io(struct rax_vm *vm, struct kvm_run *run)
{
	/* string I/O (rep outsb/insw) arrives as count items back to back */
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size > 8 ? 8 : run->io.size;
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			uint64_t v = 0;
			memcpy(&v, data, size);
			vm_pio_out(vm, run->io.port, size, v);
		} else {
			uint64_t v = vm_pio_in(vm, run->io.port, size);
			memcpy(data, &v, size);
		}
	}
}

static void handle_mmio(struct rax_vm *vm, struct kvm_run *run)
{
	unsigned len = run->mmio.len > 8 ? 8 : run->mmio.len;
	if (run->mmio.is_write) {
		uint64_t v = 0;
		memcpy(&v, run->mmio.data, len);
		vm_mmio_write(vm, run->mmio.phys_addr, len, v);
	} else {
		uint64_t v = vm_mmio_read(vm, run->mmio.phys_addr, len);
		memcpy(run->mmio.data, &v, len);
	}
}

/* Ask the vCPU where it is; NULL when it cannot say. */
static const struct kvm_exit_where *where(const struct kvm_exit_vcpu *vcpu, struct kvm_exit_where *w)
{
	memset(w, 0, sizeof(*w));
	return vcpu->where && vcpu->where(vcpu->opaque, w) == 0 ? w : NULL;
}

/* Fill ex as an INTERNAL exit described at the vCPU's RIP. */
static enum kvm_exit_next internal(const struct kvm_exit_vcpu *vcpu, struct rax_exit *ex, const char *what)
{
	struct kvm_exit_where w;
	const struct kvm_exit_where *wp = where(vcpu, &w);
	if (wp)
		ex->rip = wp->rip;
	kvm_exit_describe(ex->detail, sizeof(ex->detail), what, wp);
	ex->kind = RAX_EXIT_INTERNAL;
	return KVM_EXIT_NEXT_RETURN;
}

static enum kvm_exit_next internal_error(struct kvm_run *run, const struct kvm_exit_vcpu *vcpu, struct rax_exit *ex)
{
	struct kvm_exit_where w;
	const struct kvm_exit_where *wp = where(vcpu, &w);
	uint32_t sub = run->internal.suberror;
	/* code we could not read: KVM may have passed the bytes it fetched */
	if (wp && !w.nbytes && sub == KVM_INTERNAL_ERROR_EMULATION && run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		w.nbytes = run->emulation_failure.insn_size > 15 ? 15 : run->emulation_failure.insn_size;
		memcpy(w.bytes, run->emulation_failure.insn_bytes, w.nbytes);
	}
	if (wp)
		ex->rip = wp->rip;
	bool emulated = wp && w.cpl == 0 && vcpu->cpl0_emulated && vcpu->cpl0_emulated(vcpu->opaque);
	kvm_exit_internal_text(ex->detail, sizeof(ex->detail), sub, wp, emulated);
	ex->kind = RAX_EXIT_INTERNAL;
	return KVM_EXIT_NEXT_RETURN;
}

enum kvm_exit_next kvm_exit_handle(struct rax_vm *vm, struct kvm_run *run, const struct kvm_exit_vcpu *vcpu,
				   struct rax_exit *ex)
{
	char what[96];
	switch (run->exit_reason) {
	case KVM_EXIT_IO: handle_io(vm, run); return KVM_EXIT_NEXT_RUN;
	case KVM_EXIT_MMIO: handle_mmio(vm, run); return KVM_EXIT_NEXT_RUN;
	case KVM_EXIT_INTR: return KVM_EXIT_NEXT_RUN;
	case KVM_EXIT_HLT:
		/* HLT that nothing can wake: the guest's power-off */
		if (!run->if_flag || (vcpu->halted_for_good && vcpu->halted_for_good(vcpu->opaque))) {
			ex->kind = RAX_EXIT_HLT;
			ex->rip = 0;
			struct kvm_exit_where w;
			if (where(vcpu, &w))
				ex->rip = w.rip;
			ex->detail[0] = 0;
			return KVM_EXIT_NEXT_RETURN;
		}
		return KVM_EXIT_NEXT_RUN;
	case KVM_EXIT_SHUTDOWN: {
		/* AMD hosts reset the vCPU on shutdown: RIP is gone by now */
		struct kvm_exit_where w;
		const struct kvm_exit_where *wp = where(vcpu, &w);
		ex->rip = wp ? wp->rip : 0;
		kvm_exit_describe(ex->detail, sizeof(ex->detail), "triple fault", wp);
		ex->kind = RAX_EXIT_SHUTDOWN;
		return KVM_EXIT_NEXT_RETURN;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		/* the run loop sees vm->stop before it enters the guest again */
		vm_request_stop(vm,
				run->system_event.type == KVM_SYSTEM_EVENT_RESET ? RAX_STATUS_RESET : RAX_STATUS_OK);
		return KVM_EXIT_NEXT_RUN;
	case KVM_EXIT_DEBUG:
		if (!vcpu->want_debug)
			return KVM_EXIT_NEXT_RUN;
		ex->kind = RAX_EXIT_STEP;
		ex->rip = run->debug.arch.pc;
		ex->detail[0] = 0;
		return KVM_EXIT_NEXT_RETURN;
	case KVM_EXIT_INTERNAL_ERROR: return internal_error(run, vcpu, ex);
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "KVM entry failed, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return internal(vcpu, ex, what);
	default:
		snprintf(what, sizeof(what), "unexpected KVM exit reason %u", run->exit_reason);
		return internal(vcpu, ex, what);
	}
}
