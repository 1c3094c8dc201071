/* fuzz_x86.c - libFuzzer harness: x86__decode() and regflow on arbitrary bytes at an address. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "regflow.h"
#include "x86.h"

struct seen {
	struct regflow rf;
	__u64 next; /* where the next instruction must start */
	size_t n, stop_at;
	__u64 sum;
};

static int visit(const struct insn *in, void *ctx)
{
	struct seen *s = ctx;
	struct rf_store st;

	if (in->addr != s->next || !in->size || in->size > 15 ||
	    !memchr(in->text, '\0', sizeof(in->text)) || in->gpr[0] < -1 || in->gpr[0] > 15 ||
	    in->gpr[1] < -1 || in->gpr[1] > 15)
		__builtin_trap();
	s->next = in->addr + in->size;
	if (regflow__step(&s->rf, in, &st) &&
	    (st.val <= RF_NONE || st.val > RF_M || st.obj <= RF_NONE || st.obj > RF_M))
		__builtin_trap();
	s->sum += in->kind + in->target + in->mem_disp + in->imm + in->dst_reg + in->mem_base +
		  in->mem_size + in->rip_rel + in->emulated + strlen(in->text);
	return ++s->n == s->stop_at;
}

/* Input: 8-byte load address, 1 byte "stop after N instructions" (0: never), then code. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0 };
	__u64 addr;
	int err;

	if (size < 9)
		return 0;
	memcpy(&addr, data, 8);
	regflow__init(&s.rf, NULL, 0x30);
	s.next = addr;
	s.stop_at = data[8];
	err = x86__decode(data + 9, size - 9, addr, visit, &s);
	if (err != 0 && err != 1 && err != -ENOEXEC)
		__builtin_trap();
	if (err == 1 && s.n != s.stop_at)
		__builtin_trap();
	return s.sum == 0x5eed5eed5eed5eedull; /* never: libFuzzer wants 0 */
}
