/* regflow.h - follows arguments, g and m through registers and stack slots of Go code. */
#ifndef CGOSCOPE_REGFLOW_H
#define CGOSCOPE_REGFLOW_H

#include <stdbool.h>
#include <linux/types.h>

struct gobin;
struct insn;

/* The values followed. */
enum rf_val {
	RF_NONE = 0,
	RF_ARG0, /* integer arguments of Go's register ABI at entry: RAX, RBX, RCX */
	RF_ARG1,
	RF_ARG2,
	RF_G, /* the current goroutine (R14, always) */
	RF_M, /* g.m, once loaded through a register holding g */
};

#define RF_SLOTS   16
#define RF_PENDING 32

/* What the registers and the 8-byte stack slots hold at one point. */
struct rf_state {
	__s32 drop; /* bytes SP is below its value at entry */
	bool sp_lost; /* SP changed in a way not followed: slots are unknown */
	unsigned char reg[16];
	unsigned char nslot;
	struct {
		__s32 key; /* offset from SP at entry */
		unsigned char val;
	} slot[RF_SLOTS];
};

/*
 * What each general-purpose register and each 8-byte stack slot holds, for
 * a decode of one function from its entry, in address order. Slots are
 * keyed by their offset from SP at entry, so they survive the prologue's SP
 * changes. The state after a forward branch is kept for its target and met
 * (what both paths agree on) with the fall-through path there.
 */
struct regflow {
	const struct gobin *gb; /* names call targets; may be NULL */
	__s64 g_m; /* offset of g.m, 0: do not follow m */
	struct rf_state s; /* before the next instruction */
	bool dead; /* the next instruction is not reached by falling through */
	bool lost; /* too many branches pending: nothing is followed any more */
	unsigned int npend;
	struct {
		__u64 at;
		struct rf_state s;
	} pend[RF_PENDING];
};

/* A store of a followed value through a register holding a followed value. */
struct rf_store {
	enum rf_val val; /* what was stored */
	enum rf_val obj; /* into what */
	__s64 disp; /* at which offset */
};

/* Starts rf at a function's entry: RAX, RBX, RCX hold its arguments, R14 is g. */
void regflow__init(struct regflow *rf, const struct gobin *gb, __s64 g_m);

/*
 * Applies in (the instruction after the previous one) to rf. Returns true
 * and fills st when in stores (8 bytes) a followed value through a register
 * that holds one. A call clobbers every register but R14 (the write
 * barriers, which preserve registers, only R11). An instruction reached
 * neither by falling through nor by a forward branch starts with no
 * register known.
 */
bool regflow__step(struct regflow *rf, const struct insn *in, struct rf_store *st);

/*
 * Brings rf to the state before in: meets the states branches left for its
 * address. regflow__step() does it first; call it to look at rf->s before
 * stepping. Calling it again for the same instruction does nothing.
 */
void regflow__join(struct regflow *rf, const struct insn *in);

/*
 * Finds the stack slot last given val: *key is its offset from SP at entry.
 * Returns 0, or -ENOENT.
 */
int regflow__slot(const struct regflow *rf, enum rf_val val, __s64 *key);

/* True when in is an instruction whose mnemonic is mnem ("mov", "test"). */
bool regflow__is(const struct insn *in, const char *mnem);

#endif /* CGOSCOPE_REGFLOW_H */
