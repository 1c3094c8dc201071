/* x86.c - x86-64 instruction decoding with Capstone, reduced to struct insn. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <capstone/capstone.h>
#include "x86.h"

static int arch_reg(x86_reg reg)
{
	switch (reg) {
	case X86_REG_RAX:
		return ARCH_REG_ARG0;
	case X86_REG_R14:
		return ARCH_REG_G;
	case X86_REG_RSP:
		return ARCH_REG_SP;
	case X86_REG_RIP:
		return ARCH_REG_PC;
	case X86_REG_INVALID:
		return -1;
	default:
		return ARCH_REG_OTHER;
	}
}

/* Number 0-15 of the general-purpose register reg belongs to (RAX, EAX, AX, AL: 0), or -1. */
static int gpr_of(x86_reg reg)
{
	static const x86_reg fam[][4] = {
		{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL },
		{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL },
		{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL },
		{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL },
		{ X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL },
		{ X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL },
		{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL },
		{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL },
		{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B },
		{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B },
		{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B },
		{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B },
		{ X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B },
		{ X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B },
		{ X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B },
		{ X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B },
	};

	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 4; j++)
			if (fam[i][j] == reg)
				return i;
	return -1;
}

/* Like cs_insn_group(), without needing the handle. */
static bool in_group(const cs_insn *ci, unsigned int group)
{
	for (unsigned int i = 0; i < ci->detail->groups_count; i++)
		if (ci->detail->groups[i] == group)
			return true;
	return false;
}

/* Instructions whose uprobes the kernel emulates (arch/x86/kernel/uprobes.c). */
static bool is_emulated(const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;

	switch (ci->id) {
	case X86_INS_CALL:
	case X86_INS_JMP:
		return x->op_count == 1 && x->operands[0].type == X86_OP_IMM;
	case X86_INS_NOP:
		return true;
	case X86_INS_PUSH:
		return x->op_count == 1 && x->operands[0].type == X86_OP_REG;
	default:
		/* jcc rel8/rel32 */
		return in_group(ci, X86_GRP_JUMP) && x->op_count == 1 &&
		       x->operands[0].type == X86_OP_IMM;
	}
}

/* Whether ci writes RSP, explicitly or not. */
static bool writes_sp(const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;

	for (unsigned int i = 0; i < ci->detail->regs_write_count; i++)
		if (ci->detail->regs_write[i] == X86_REG_RSP)
			return true;
	for (unsigned int i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_REG && x->operands[i].reg == X86_REG_RSP &&
		    (x->operands[i].access & CS_AC_WRITE))
			return true;
	return false;
}

/* Fills in->sp_drop and in->sp_other. */
static void set_sp(struct insn *in, const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;

	if (ci->id == X86_INS_PUSH)
		in->sp_drop = 8;
	else if (ci->id == X86_INS_SUB && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		 x->operands[0].reg == X86_REG_RSP && x->operands[1].type == X86_OP_IMM &&
		 x->operands[1].imm >= 0)
		in->sp_drop = x->operands[1].imm;
	else if (ci->id != X86_INS_CALL)
		in->sp_other = writes_sp(ci);
}

static void set_mem(struct insn *in, const cs_insn *ci, const cs_x86_op *op)
{
	in->mem_size = op->size;
	in->mem_base = arch_reg(op->mem.base);
	in->mem_gpr = op->mem.index == X86_REG_INVALID ? gpr_of(op->mem.base) : -1;
	in->mem_disp = op->mem.disp;
	in->rip_rel = op->mem.base == X86_REG_RIP && op->mem.index == X86_REG_INVALID;
	if (in->rip_rel)
		in->target = ci->address + ci->size + op->mem.disp;
}

static void reduce(const cs_insn *ci, struct insn *in)
{
	const cs_x86 *x = &ci->detail->x86;
	const cs_x86_op *op0 = x->op_count > 0 ? &x->operands[0] : NULL;
	const cs_x86_op *op1 = x->op_count > 1 ? &x->operands[1] : NULL;

	memset(in, 0, sizeof(*in));
	in->addr = ci->address;
	in->size = ci->size;
	in->mem_base = -1;
	in->mem_gpr = -1;
	in->dst_reg = -1;
	in->emulated = is_emulated(ci);
	set_sp(in, ci);
	snprintf(in->text, sizeof(in->text), "%s %s", ci->mnemonic, ci->op_str);
	in->gpr[0] = op0 && op0->type == X86_OP_REG ? gpr_of(op0->reg) : -1;
	in->gpr[1] = op1 && op1->type == X86_OP_REG ? gpr_of(op1->reg) : -1;

	if (ci->id == X86_INS_CALL) {
		in->kind = op0 && op0->type == X86_OP_IMM ? INSN_CALL : INSN_CALL_INDIRECT;
		if (in->kind == INSN_CALL)
			in->target = op0->imm;
	} else if (ci->id == X86_INS_RET) {
		in->kind = INSN_RET;
	} else if (in_group(ci, X86_GRP_JUMP)) {
		in->kind = INSN_JUMP;
		if (op0 && op0->type == X86_OP_IMM)
			in->target = op0->imm;
	} else if (ci->id == X86_INS_MOV && op0 && op1 && op0->type == X86_OP_MEM &&
		   op1->type == X86_OP_IMM) {
		in->kind = INSN_STORE_IMM;
		in->imm = op1->imm;
		set_mem(in, ci, op0);
	} else if (ci->id == X86_INS_MOV && op0 && op1 && op0->type == X86_OP_MEM &&
		   op1->type == X86_OP_REG) {
		in->kind = INSN_STORE;
		set_mem(in, ci, op0);
	} else if (ci->id == X86_INS_CMP) {
		in->kind = INSN_CMP;
	} else if ((ci->id == X86_INS_MOV || ci->id == X86_INS_MOVSXD || ci->id == X86_INS_LEA) &&
		   op0 && op1 && op0->type == X86_OP_REG && op1->type == X86_OP_MEM) {
		in->kind = ci->id == X86_INS_LEA ? INSN_LEA : INSN_LOAD;
		in->dst_reg = arch_reg(op0->reg);
		set_mem(in, ci, op1);
	} else if ((ci->id == X86_INS_INC || ci->id == X86_INS_ADD) && op0 &&
		   op0->type == X86_OP_MEM) {
		in->kind = INSN_INC;
		set_mem(in, ci, op0);
	} else if (ci->id == X86_INS_XADD && op0 && op0->type == X86_OP_MEM) {
		in->kind = INSN_XADD;
		set_mem(in, ci, op0);
	}
}

int x86__decode(const void *code, size_t len, __u64 addr,
		int (*cb)(const struct insn *insn, void *ctx), void *ctx)
{
	const uint8_t *p = code;
	uint64_t pc = addr;
	struct insn in;
	csh h;
	cs_insn *ci;
	int err = 0;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -EINVAL;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	ci = cs_malloc(h);
	if (!ci) {
		cs_close(&h);
		return -ENOMEM;
	}
	while (len > 0) {
		if (!cs_disasm_iter(h, &p, &len, &pc, ci)) {
			err = -ENOEXEC;
			break;
		}
		reduce(ci, &in);
		err = cb(&in, ctx);
		if (err)
			break;
	}
	cs_free(ci, 1);
	cs_close(&h);
	return err;
}
