/* x86.h - x86-64 instruction decoding (Capstone): the only architecture-specific part of the agent. */
#ifndef CGOSCOPE_X86_H
#define CGOSCOPE_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum insn_kind {
	INSN_OTHER = 0,
	INSN_CALL,  /* direct call: target is set */
	INSN_CALL_INDIRECT,
	INSN_RET,
	INSN_JUMP,  /* jmp/jcc */
	INSN_LOAD,  /* mov reg, [mem] */
	INSN_LEA,   /* lea reg, [mem] */
	INSN_INC,   /* inc [mem] / add [mem], imm */
	INSN_CMP,   /* cmp */
	INSN_STORE_IMM, /* mov [mem], imm: imm is set */
	INSN_STORE,     /* mov [mem], reg: gpr[1] is the source */
	INSN_XADD,      /* (lock) xadd [mem], reg: gpr[1] is the source */
};

/* One decoded instruction, reduced to what probe placement and naming need. */
struct insn {
	__u64 addr;
	unsigned int size;
	enum insn_kind kind;
	__u64 target;     /* INSN_CALL/INSN_JUMP: destination; LOAD/LEA with RIP base: the address */
	bool rip_rel;     /* memory operand is RIP-relative (target holds its address) */
	int mem_base;     /* ARCH_REG_* of the memory operand's base, or -1 */
	int mem_gpr;      /* the base as a general-purpose register number 0-15, or -1 */
	__s64 mem_disp;   /* memory operand displacement */
	__s64 imm;        /* INSN_STORE_IMM: the value stored */
	int dst_reg;      /* ARCH_REG_* written by LOAD/LEA, or -1 */
	unsigned int mem_size; /* bytes of the memory operand, 0 without one */
	int gpr[2];       /* operands 0 and 1 as general-purpose register numbers 0-15, or -1 */
	bool emulated;    /* the kernel emulates a uprobe here instead of single-stepping */
	__s64 sp_drop;    /* bytes a PUSH or a SUB RSP, imm lowers SP by */
	bool sp_other;    /* writes SP otherwise (POP, ADD, MOV, RET...); a CALL's round trip does not count */
	char text[192];   /* "call 0x479620", for messages */
};

/* Registers the rest of the agent names, independent of Capstone's numbering. */
enum arch_reg {
	ARCH_REG_OTHER = 0,
	ARCH_REG_ARG0,  /* first integer argument of Go's register ABI (RAX) */
	ARCH_REG_G,     /* the current goroutine (R14) */
	ARCH_REG_SP,
	ARCH_REG_PC,
};

/*
 * Decodes code (len bytes that live at address addr) instruction by
 * instruction and calls cb for each; stops early when cb returns non-zero and
 * returns that value. Returns 0 at the end, -EINVAL when Capstone fails to
 * start, -ENOEXEC when it meets bytes it cannot decode before the end (after
 * calling cb for all instructions before them).
 */
int x86__decode(const void *code, size_t len, __u64 addr,
		int (*cb)(const struct insn *insn, void *ctx), void *ctx);

#endif /* CGOSCOPE_X86_H */
