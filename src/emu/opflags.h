/*
 * opflags.h - the short flag names of the opcode table rows (opcodes.def and
 * the .def files it includes), for the files that include the table
 * (src/emu/decode.c, testcases/rax-opcodes.c). Include this right before
 * the table and opflags_end.h right after it. EMU_OPFLAG_NAMES(X) lists
 * every short name once (X(name)), for printing a row's flags by name.
 */
#define M EMU_F_MODRM
#define B EMU_F_BYTE
#define L EMU_F_LOCK
#define I8 EMU_F_IMM8
#define I16 EMU_F_IMM16
#define IZ EMU_F_IMMZ
#define IV EMU_F_IMMV
#define I16_8 EMU_F_IMM16_8
#define MOFFS EMU_F_MOFFS
#define D64 EMU_F_D64
#define REL EMU_F_REL
#define STR EMU_F_STR
#define UNIMPL EMU_F_UNIMPL
#define NP EMU_F_NP
#define P66 EMU_F_P66
#define PF3 EMU_F_PF3
#define PF2 EMU_F_PF2
#define MEMO EMU_F_MEMO
#define REGO EMU_F_REGO
#define RMSEL EMU_F_RMSEL
#define I64 EMU_F_I64
#define PTR EMU_F_PTR
#define V2 EMU_F_V2
#define V3 EMU_F_V3
#define VEX EMU_F_VEX
#define VW0 EMU_F_VW0
#define VW1 EMU_F_VW1
#define VL0 EMU_F_VL0
#define VL1 EMU_F_VL1
#define NV EMU_F_NV
#define LANE EMU_F_LANE
#define VA EMU_F_VA
/* facts for rax-diff (decode.h) */
#define PIN EMU_F_PIN
#define POUT EMU_F_POUT
#define PUSHF EMU_F_PUSHF
#define XCPUID EMU_F_XCPUID
#define XTSC EMU_F_XTSC
#define XTSCP EMU_F_XTSCP
#define XTSCMSR EMU_F_XTSCMSR
#define XADOPT EMU_F_XADOPT
#define SIDT EMU_F_SIDT
#define LIDT EMU_F_LIDT
#define UMIP EMU_F_UMIP
#define UMIPM EMU_F_UMIPM
#define SYSCALL EMU_F_SYSCALL
#define SYSENTER EMU_F_SYSENTER
#define INTN EMU_F_INTN
#define UOF EMU_F_UOF
#define USF EMU_F_USF
#define UZF EMU_F_UZF
#define UAF EMU_F_UAF
#define UPF EMU_F_UPF
#define UCF EMU_F_UCF
#define UALL (UOF | USF | UZF | UAF | UPF | UCF)
#define USHIFT EMU_F_USHIFT
#define USAR EMU_F_USAR
#define UROT EMU_F_UROT
#define URC EMU_F_URC
#define USHD EMU_F_USHD
#define UCL EMU_F_UCL
#define DBTRAP EMU_F_DBTRAP
#define X87ENV EMU_F_X87ENV
#define XRAND EMU_F_XRAND
#define XAUX EMU_F_XAUX

// clang-format off
#define EMU_OPFLAG_NAMES(X)                                                                              \
	X(M) X(B) X(L) X(I8) X(I16) X(IZ) X(IV) X(I16_8) X(MOFFS) X(D64) X(REL) X(STR) X(UNIMPL) X(NP)  \
	X(P66) X(PF3) X(PF2) X(MEMO) X(REGO) X(RMSEL) X(I64) X(PTR) X(V2) X(V3) X(VEX) X(VW0) X(VW1) X(VL0) X(VL1) X(NV) X(LANE) X(VA) X(PIN) X(POUT) X(PUSHF) X(XCPUID)\
	X(XTSC) X(XTSCP) X(XTSCMSR) X(XADOPT) X(SIDT) X(LIDT) X(UMIP) X(UMIPM) X(SYSCALL) X(SYSENTER)     \
	X(INTN) X(UOF) X(USF) X(UZF) X(UAF) X(UPF) X(UCF) X(USHIFT) X(USAR) X(UROT) X(URC) X(USHD) X(UCL) \
	X(DBTRAP) X(X87ENV) X(XRAND) X(XAUX)
// clang-format on
