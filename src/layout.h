/*
 * layout.h - every fixed guest-physical address and I/O port RAX uses, and
 * the x86 page size.
 *
 * One place for the guest's memory map and the legacy PC port map, so that
 * the loaders, the devices and both CPU backends agree without magic numbers.
 */
#ifndef RAX_LAYOUT_H
#define RAX_LAYOUT_H

/* ---- guest-physical memory map (Linux 64-bit boot) ---- */

/* Minimal GDT used for the long-mode entry (null, code64, data). */
#define LAYOUT_GDT 0x500ULL
/* Top of the small stack given to a 64-bit entry point (grows down). */
#define LAYOUT_BOOT_STACK_TOP 0x6ff0ULL
/* struct boot_params, "the zero page", passed to Linux in RSI. */
#define LAYOUT_ZERO_PAGE 0x7000ULL
/* Boot page tables: identity map of the first 1 GiB with 2 MiB pages. */
#define LAYOUT_PML4 0x9000ULL
#define LAYOUT_PDPT 0xa000ULL
#define LAYOUT_PD 0xb000ULL
#define LAYOUT_IDMAP_SIZE (1ULL << 30)
/* Kernel command line (NUL-terminated). */
#define LAYOUT_CMDLINE 0x20000ULL
#define LAYOUT_CMDLINE_MAX 0x10000ULL
/* Start of the EBDA / legacy hole; the e820 map reserves [EBDA, 1 MiB). */
#define LAYOUT_EBDA 0x9fc00ULL
#define LAYOUT_HIGH_MEM 0x100000ULL
/* Protected-mode kernel load address (bzImage code32 part). */
#define LAYOUT_KERNEL 0x100000ULL
/* Preferred initrd address; lower if it does not fit below initrd_addr_max. */
#define LAYOUT_INITRD 0x4000000ULL
/* Local APIC registers: the base address in IA32_APIC_BASE at reset (each
 * CPU reaches its own there; the interpreter's is src/devices/lapic.c). */
#define LAYOUT_APIC_BASE 0xfee00000ULL
/* I/O APIC registers (IOREGSEL, IOWIN): the address the MADT gives. */
#define LAYOUT_IOAPIC_BASE 0xfec00000ULL
/* ACPI tables of a bzImage guest (src/loader/acpi.c): the BIOS area
 * [0xE0000, 1 MiB), which the e820 map reserves and where Linux scans for
 * the RSDP on 16-byte boundaries; the RSDP comes first. */
#define LAYOUT_ACPI 0xe0000ULL
#define LAYOUT_ACPI_END LAYOUT_HIGH_MEM

/* ---- multiboot (v1) kernels (src/loader/multiboot.c) ----
 * The loader's own structures live below 640 KiB; the kernel image (every
 * segment and its bss) must lie in [LAYOUT_MB_IMAGE_MIN, end of RAM), and
 * the modules follow the image.
 */
/* GDT: null, code32 (0x08), data32 (0x10), 32-bit busy TSS (0x18). */
#define LAYOUT_MB_GDT 0x8000ULL
/* The 32-bit TSS that TR points at (104 bytes, never used by the guest). */
#define LAYOUT_MB_TSS 0x8080ULL
/* Boot information area: the multiboot information structure first, then
 * the memory map, the boot loader name, the command line, the module table
 * and the module strings, packed up to the EBDA. */
#define LAYOUT_MB_INFO 0x9000ULL
#define LAYOUT_MB_INFO_END LAYOUT_EBDA
/* Lowest address a multiboot image may load to (as GRUB, not below 1 MiB). */
#define LAYOUT_MB_IMAGE_MIN LAYOUT_HIGH_MEM

/* ---- test images (rax --test; src/loader/testimg.c, testcases/FORMAT.md) ----
 * The first 2 MiB page holds the loader's system structures (supervisor
 * only); images and their regions live above it, mapped with 2 MiB pages.
 */
/* GDT: null, code64 DPL0 (0x08), data DPL0 (0x10), data DPL3 (0x1b),
 * code64 DPL3 (0x23), 64-bit TSS (0x28, two slots). */
#define LAYOUT_TEST_GDT 0x1000ULL
/* 64-bit TSS (RSP0, IST1). */
#define LAYOUT_TEST_TSS 0x1100ULL
/* Result area the runtime stub fills (struct testimg_result). */
#define LAYOUT_TEST_RESULT 0x1200ULL
/* IDT: 256 gates pointing into the runtime stub. */
#define LAYOUT_TEST_IDT 0x2000ULL
/* CPL0 runtime stub (asm/runtime/stub64.asm), at most 16 KiB. */
#define LAYOUT_TEST_STUB 0x4000ULL
#define LAYOUT_TEST_STUB_MAX 0x4000ULL
/* Page tables: PML4, one PDPT, one PD (2 MiB pages, first 1 GiB). */
#define LAYOUT_TEST_PML4 0x10000ULL
#define LAYOUT_TEST_PDPT 0x11000ULL
#define LAYOUT_TEST_PD 0x12000ULL
/* Kernel stack (TSS.RSP0) and the IST1 stack (#DB, NMI, #DF, #MC). */
#define LAYOUT_TEST_RSP0_TOP 0x80000ULL
#define LAYOUT_TEST_IST1_TOP 0x90000ULL
/* End of the system area; images and regions must lie above it. */
#define LAYOUT_TEST_SYS_END 0x200000ULL
/* Default load address of an image (headerless or load address 0). */
#define LAYOUT_TEST_LOAD 0x400000ULL
/* Default stack: [STACK_TOP - 2 MiB, STACK_TOP), mapped RW, NX. */
#define LAYOUT_TEST_STACK_TOP 0x800000ULL
/* Everything a test maps must lie below this (one PD of 2 MiB pages). */
#define LAYOUT_TEST_MAP_LIMIT (1ULL << 30)

/* ---- rax-diff's KVM oracle (harness/) ----
 * It keeps its IDT, TSS, step handler and IST stack in 64 KiB of guest RAM
 * that the guest does not use, and that RAM is not compared.
 */
#define LAYOUT_HARNESS_SIZE 0x10000ULL
/* Image mode: the top of the test images' system area. */
#define LAYOUT_HARNESS_TEST (LAYOUT_TEST_SYS_END - LAYOUT_HARNESS_SIZE)
/* --kernel mode: inside [EBDA, 1 MiB), which the e820 map reserves and Linux
 * never touches at this address (the VGA window). */
#define LAYOUT_HARNESS_KERNEL 0xa0000ULL

/* ---- x86 paging ----
 * The 4 KiB page: the unit of translation, of the interpreter's TLB, decode
 * cache and write tracking. GUEST_PAGE_OFFSET masks the offset bits of an
 * address inside its page (~GUEST_PAGE_OFFSET: the page). Not named
 * PAGE_SIZE/PAGE_MASK: <sys/user.h> defines those (PAGE_MASK there is ~0xfff).
 */
#define GUEST_PAGE_SHIFT 12
#define GUEST_PAGE_SIZE (1ULL << GUEST_PAGE_SHIFT)
#define GUEST_PAGE_OFFSET (GUEST_PAGE_SIZE - 1)

/* ---- I/O ports ---- */
#define PORT_PIC_MASTER 0x20
#define PORT_PIT 0x40
#define PORT_PIT_CMD 0x43 /* mode/command register of the 8254 */
#define PORT_I8042_DATA 0x60
#define PORT_SYSCTL_B 0x61 /* system control port B: PIT ch2 gate, speaker, OUT2 */
#define PORT_I8042_CMD 0x64
#define PORT_RTC 0x70
#define PORT_POST 0x80
#define PORT_PIC_SLAVE 0xa0
#define PORT_DEBUG_EXIT 0xf4
#define PORT_HARNESS_STEP 0xf5 /* rax-diff's KVM oracle: its handler's write here ends a step (no device) */
#define PORT_COM1 0x3f8
#define PORT_ELCR 0x4d0 /* edge/level control: 0x4d0 IRQ 0-7, 0x4d1 IRQ 8-15 */
/* ACPI fixed hardware (src/devices/acpi_pm.c, described by the FADT):
 * PM1a event block (PM1_STS, PM1_EN: 2+2 bytes) and PM1a control block. */
#define PORT_ACPI_PM1A_EVT 0x600
#define PORT_ACPI_PM1A_CNT 0x604

/* ---- interrupt lines (ISA IRQ numbers) ---- */
#define IRQ_PIT 0
#define IRQ_CASCADE 2 /* master input wired to the slave 8259's INT */
#define IRQ_COM1 4
#define IRQ_RTC 8
#define IRQ_ACPI_SCI 9 /* the FADT's SCI_INT; nothing raises it yet */
/* The I/O APIC input (GSI) of the PIT's IRQ 0: the MADT's interrupt source
 * override; every other ISA IRQ n is GSI n. */
#define GSI_PIT 2

#endif
