/*
 * emu.h - what the interpreter offers beyond struct rax_backend_ops: the
 * hooks the lockstep harness (rax-diff) needs to keep the emulator in step
 * with the real CPU.
 *
 * All functions take a VM whose backend is rax_emu_backend (after create).
 */
#ifndef RAX_EMU_EMU_H
#define RAX_EMU_EMU_H

#include <stdbool.h>
#include <stdint.h>

struct rax_vm;
struct rax_exit;

/* At most this many distinct guest-physical pages are reported per step. */
#define EMU_MAX_WRITTEN_PAGES 16

/* Instructions retired since create (faulting instructions do not count). */
uint64_t emu_instruction_count(struct rax_vm *vm);

/*
 * Guest-physical page addresses (4 KiB aligned) written by the last step()
 * (exception frames included). Returns the count; more than max (or more than
 * EMU_MAX_WRITTEN_PAGES, then -1 is returned: "too many, compare all") are
 * not stored. Tracking is on during step() only; run() does not track.
 */
int emu_written_pages(struct rax_vm *vm, uint64_t *pages, unsigned max);

/* The next RDTSC (or RDMSR TSC) returns value instead of the virtual counter. */
void emu_override_rdtsc(struct rax_vm *vm, uint64_t value);

/* The next RDRAND or RDSEED returns value with CF=ok (ok false: value 0,
 * CF=0, as a CPU whose generator ran dry) instead of the seeded generator's. */
void emu_override_rand(struct rax_vm *vm, uint64_t value, bool ok);

/* The next RDTSCP or RDPID reads value as IA32_TSC_AUX. */
void emu_override_tsc_aux(struct rax_vm *vm, uint32_t value);

/* The next CPUID returns eax, ebx, ecx, edx instead of the model's answer. */
void emu_override_cpuid(struct rax_vm *vm, const uint32_t regs[4]);

/* External interrupts and NMIs delivered since create. A harness that
 * compares against another CPU ends its comparison window when this moves. */
uint64_t emu_interrupt_count(struct rax_vm *vm);

/*
 * The CPU level (enum rax_cpu_level in cpuid_model.h: RAX_CPU_V1, RAX_CPU_V2)
 * the interpreter models: instructions of a higher level raise #UD and CPUID
 * reports the level's features. At create it is the VM's cfg.cpu_level
 * (`rax --cpu`), else RAX_CPU_LEVEL_DEFAULT. Returns -1 (and changes nothing) for a level that is not
 * implemented. Call it before running; it drops decoded code.
 */
int emu_set_cpu_level(struct rax_vm *vm, unsigned level);
unsigned emu_cpu_level(struct rax_vm *vm);

/*
 * rax-diff --jit: run the BSP, to the end of one block when one_block, else
 * until it has retired stop_icount instructions in all (or an exit comes
 * first). With track the pages it writes are tracked (see
 * emu_written_pages; the fast write paths are off then); without, nothing
 * is tracked and every fast path runs. ex->kind is EMU_DIFF_STOPPED where
 * it stopped as asked.
 */
#define EMU_DIFF_STOPPED 0x81
void emu_diff_run(struct rax_vm *vm, bool one_block, uint64_t stop_icount, bool track, struct rax_exit *ex);

/*
 * rax-diff --jit-step: on, step() runs its instruction as a one-instruction
 * block through the translator (a VM made with cfg.jit), with the write
 * tracking off for it so that the translated code's inline stores run;
 * an instruction the translator leaves to the interpreter (or one not in
 * a cached block) is interpreted. emu_jit_vm_stats counts both.
 */
void emu_jit_step(struct rax_vm *vm, bool on);

struct emu_jit_stats;
/* The block translators' figures (--jit on), summed over the CPUs. */
void emu_jit_vm_stats(struct rax_vm *vm, struct emu_jit_stats *s);

/* Disassemble the instruction at guest-virtual rip (for reports); returns
 * its length, or 0 when it cannot be fetched or decoded (buf says why). */
unsigned emu_disasm_guest(struct rax_vm *vm, uint64_t rip, char *buf, unsigned n);

#endif
