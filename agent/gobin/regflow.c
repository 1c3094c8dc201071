/* regflow.c - follows arguments, g and m through registers and stack slots of Go code. */
#include <errno.h>
#include <string.h>
#include "gobin.h"
#include "regflow.h"
#include "x86.h"

#define GPR_AX	0
#define GPR_CX	1
#define GPR_BX	3
#define GPR_SP	4
#define GPR_R11 11
#define GPR_G	14

void regflow__init(struct regflow *rf, const struct gobin *gb, __s64 g_m)
{
	memset(rf, 0, sizeof(*rf));
	rf->gb = gb;
	rf->g_m = g_m;
	rf->s.reg[GPR_AX] = RF_ARG0;
	rf->s.reg[GPR_BX] = RF_ARG1;
	rf->s.reg[GPR_CX] = RF_ARG2;
	rf->s.reg[GPR_G] = RF_G;
}

bool regflow__is(const struct insn *in, const char *mnem)
{
	size_t n = strlen(mnem);

	return !strncmp(in->text, mnem, n) && (in->text[n] == ' ' || in->text[n] == '\0');
}

/* Forgets the slots that [key, key+size) overlaps. */
static void slot_clobber(struct rf_state *s, __s64 key, unsigned int size)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->nslot; i++)
		if (s->slot[i].key + 8 <= key || s->slot[i].key >= key + (__s64)size)
			s->slot[n++] = s->slot[i];
	s->nslot = n;
}

static void slot_set(struct rf_state *s, __s64 key, unsigned int size, unsigned char val)
{
	slot_clobber(s, key, size ? size : 8);
	if (size != 8 || val == RF_NONE || s->nslot == RF_SLOTS || key != (__s32)key)
		return;
	s->slot[s->nslot].key = (__s32)key;
	s->slot[s->nslot++].val = val;
}

static unsigned char slot_get(const struct rf_state *s, __s64 key)
{
	for (unsigned int i = 0; i < s->nslot; i++)
		if (s->slot[i].key == key)
			return s->slot[i].val;
	return RF_NONE;
}

int regflow__slot(const struct regflow *rf, enum rf_val val, __s64 *key)
{
	if (rf->s.sp_lost || rf->lost)
		return -ENOENT;
	for (unsigned int i = rf->s.nslot; i-- > 0;) {
		if (rf->s.slot[i].val == val) {
			*key = rf->s.slot[i].key;
			return 0;
		}
	}
	return -ENOENT;
}

static void forget_regs(struct rf_state *s)
{
	memset(s->reg, RF_NONE, sizeof(s->reg));
	s->reg[GPR_G] = RF_G;
}

/* Keeps in a what a and b agree on. */
static void meet(struct rf_state *a, const struct rf_state *b)
{
	unsigned int i, n = 0;

	for (i = 0; i < 16; i++)
		if (a->reg[i] != b->reg[i])
			a->reg[i] = RF_NONE;
	for (i = 0; i < a->nslot; i++)
		if (slot_get(b, a->slot[i].key) == a->slot[i].val)
			a->slot[n++] = a->slot[i];
	a->nslot = n;
	if (a->drop != b->drop || b->sp_lost)
		a->sp_lost = true;
}

void regflow__join(struct regflow *rf, const struct insn *in)
{
	unsigned int i = 0;
	bool found = false;

	while (i < rf->npend) {
		if (rf->pend[i].at != in->addr) {
			i++;
			continue;
		}
		if (rf->dead && !found)
			rf->s = rf->pend[i].s;
		else
			meet(&rf->s, &rf->pend[i].s);
		found = true;
		rf->pend[i] = rf->pend[--rf->npend];
	}
	if (rf->dead && !found)
		forget_regs(&rf->s); /* reached from a backward branch, or from outside */
	rf->dead = false;
}

/* Leaves the state after a forward branch for its target. */
static void branch(struct regflow *rf, const struct insn *in)
{
	unsigned int i;

	if (!in->target || in->target <= in->addr)
		return;
	for (i = 0; i < rf->npend; i++) {
		if (rf->pend[i].at == in->target) {
			meet(&rf->pend[i].s, &rf->s);
			return;
		}
	}
	if (rf->npend == RF_PENDING) {
		rf->lost = true;
		return;
	}
	rf->pend[rf->npend].at = in->target;
	rf->pend[rf->npend++].s = rf->s;
}

/* What a load of in's memory operand gives. */
static unsigned char loaded(const struct regflow *rf, const struct insn *in)
{
	const struct rf_state *s = &rf->s;

	if (in->mem_size != 8 || in->mem_gpr < 0)
		return RF_NONE;
	if (in->mem_gpr == GPR_SP)
		return s->sp_lost ? RF_NONE : slot_get(s, in->mem_disp - s->drop);
	if (rf->g_m && s->reg[in->mem_gpr] == RF_G && in->mem_disp == rf->g_m)
		return RF_M;
	return RF_NONE;
}

static bool store(struct rf_state *s, const struct insn *in, struct rf_store *st)
{
	unsigned char val =
	    in->kind == INSN_STORE && in->gpr[1] >= 0 ? s->reg[in->gpr[1]] : RF_NONE;

	if (in->mem_gpr < 0)
		return false;
	if (in->mem_gpr == GPR_SP) {
		if (!s->sp_lost)
			slot_set(s, in->mem_disp - s->drop, in->mem_size, val);
		return false;
	}
	if (val == RF_NONE || s->reg[in->mem_gpr] == RF_NONE || in->mem_size != 8)
		return false;
	st->val = val;
	st->obj = s->reg[in->mem_gpr];
	st->disp = in->mem_disp;
	return true;
}

/* Write barriers (runtime.gcWriteBarrier*) save and restore every register but R11. */
static bool preserves_regs(const struct regflow *rf, const struct insn *in)
{
	struct gobin_func fn;

	return in->kind == INSN_CALL && rf->gb && !gobin__func_at(rf->gb, in->target, &fn) &&
	       fn.addr == in->target && !strncmp(fn.name, "runtime.gcWriteBarrier", 22);
}

/* Instructions with a first register operand that they only read. */
static bool reads_only(const struct insn *in)
{
	static const char *const mnems[] = { "test", "push", "bt", "nop", "ucomiss", "ucomisd" };

	for (size_t i = 0; i < sizeof(mnems) / sizeof(mnems[0]); i++)
		if (regflow__is(in, mnems[i]))
			return true;
	return false;
}

/* Registers in writes, other than loads and calls. */
static void write_regs(struct rf_state *s, const struct insn *in)
{
	int dst = in->gpr[0], src = in->gpr[1];

	if (in->kind == INSN_XADD) {
		if (src >= 0)
			s->reg[src] = RF_NONE;
		if (in->mem_gpr == GPR_SP && !s->sp_lost)
			slot_clobber(s, in->mem_disp - s->drop, in->mem_size);
		return;
	}
	if (in->kind != INSN_OTHER || dst < 0 || reads_only(in))
		return;
	if (regflow__is(in, "mov") && src >= 0) {
		s->reg[dst] = s->reg[src];
		return;
	}
	if (regflow__is(in, "xchg") && src >= 0)
		s->reg[src] = RF_NONE;
	s->reg[dst] = RF_NONE;
}

/* Applies in to rf->s; returns whether it stored a followed value into one. */
static bool apply(struct regflow *rf, const struct insn *in, struct rf_store *st)
{
	struct rf_state *s = &rf->s;
	bool stored = false;

	switch (in->kind) {
	case INSN_LOAD:
	case INSN_LEA:
		if (in->gpr[0] >= 0)
			s->reg[in->gpr[0]] = in->kind == INSN_LOAD ? loaded(rf, in) : RF_NONE;
		break;
	case INSN_STORE:
	case INSN_STORE_IMM:
	case INSN_INC:
		stored = store(s, in, st);
		break;
	case INSN_CALL:
	case INSN_CALL_INDIRECT:
		if (preserves_regs(rf, in))
			s->reg[GPR_R11] = RF_NONE;
		else
			forget_regs(s);
		break;
	case INSN_JUMP:
		branch(rf, in);
		rf->dead = regflow__is(in, "jmp");
		break;
	case INSN_RET:
		rf->dead = true;
		break;
	default:
		write_regs(s, in);
		break;
	}
	s->drop += in->sp_drop;
	if (in->sp_other)
		s->sp_lost = true;
	s->reg[GPR_G] = RF_G;
	return stored;
}

bool regflow__step(struct regflow *rf, const struct insn *in, struct rf_store *st)
{
	regflow__join(rf, in);
	return apply(rf, in, st) && !rf->lost;
}
