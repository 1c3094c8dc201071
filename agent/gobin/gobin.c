/* gobin.c - reads Go binaries with libelf: build info, function tables, address translation. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildinfo.h"
#include "gobin.h"
#include "pclntab.h"

#define R_AARCH64_RELATIVE_ 1027

enum { SRC_SYMTAB, SRC_PCLNTAB };

struct func_ent {
	struct gobin_func fn;
	int src;
	bool is_asm; /* pclntab says assembly: an ABI0 body, not its wrapper */
};

struct segment {
	__u64 vaddr, offset, filesz;
	__u32 flags;
};

struct reloc {
	__u64 offset, addend;
};

struct gobin {
	Elf *elf;
	unsigned char *image;
	size_t size;
	bool mapped, pie, stripped, cgo;
	struct segment *segs;
	size_t nsegs;
	struct reloc *relocs;
	size_t nrelocs;
	struct func_ent *funcs; /* by address */
	size_t nfuncs, funcs_cap;
	struct func_ent **by_name;
	struct gobin_func *data; /* data symbols, by name */
	size_t ndata, data_cap;
	__u64 runtime_text; /* the runtime.text symbol, 0 when stripped */
	unsigned char *pcln_copy;
	struct pclntab pt; /* valid when pcln_text is set or pt.magic is older than 1.18 */
	bool have_pt;
	__u64 pcln_vaddr, pcln_text;
	char *version, *module;
};

static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 256;
	void *p;

	if (n < *cap)
		return arr;
	p = realloc(arr, ncap * elem);
	if (p)
		*cap = ncap;
	return p;
}

/*
 * Go's internal linker names each section of a host (C) object after the
 * package that brought it: "net(.text)", "runtime/cgo(.text.unlikely)",
 * "os/user(.bss)". Such a symbol spans a section, not one function or
 * variable, and often starts where a C function does: gobin keeps none.
 */
static bool section_symbol(const char *name)
{
	const char *open = strstr(name, "(.");
	size_t n = strlen(name);

	return open && open > name && name[n - 1] == ')' && !strchr(open + 1, '(');
}

static int add_func(struct gobin *gb, const char *name, __u64 addr, __u64 size, int src,
		    bool is_asm)
{
	struct func_ent *f;

	if (section_symbol(name))
		return 0;
	f = grow(gb->funcs, &gb->funcs_cap, gb->nfuncs, sizeof(*f));
	if (!f)
		return -ENOMEM;
	gb->funcs = f;
	f[gb->nfuncs++] = (struct func_ent){ { name, addr, size }, src, is_asm };
	return 0;
}

static int add_data(struct gobin *gb, const char *name, __u64 addr, __u64 size)
{
	struct gobin_func *d;

	if (section_symbol(name))
		return 0;
	d = grow(gb->data, &gb->data_cap, gb->ndata, sizeof(*d));
	if (!d)
		return -ENOMEM;
	gb->data = d;
	d[gb->ndata++] = (struct gobin_func){ name, addr, size };
	return 0;
}

static const struct segment *seg_of(const struct gobin *gb, __u64 addr, size_t len)
{
	size_t i;

	for (i = 0; i < gb->nsegs; i++) {
		const struct segment *s = &gb->segs[i];

		if (addr >= s->vaddr && addr - s->vaddr < s->filesz &&
		    len <= s->filesz - (addr - s->vaddr))
			return s;
	}
	return NULL;
}

static int load_segments(struct gobin *gb)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(gb->elf, &n))
		return -ENOEXEC;
	gb->segs = calloc(n ? n : 1, sizeof(*gb->segs));
	if (!gb->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(gb->elf, i, &ph))
			return -ENOEXEC;
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > gb->size || ph.p_filesz > gb->size - ph.p_offset ||
		    ph.p_vaddr + ph.p_memsz < ph.p_vaddr || ph.p_filesz > ph.p_memsz)
			return -ENOEXEC;
		gb->segs[gb->nsegs++] =
		    (struct segment){ ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_flags };
	}
	return 0;
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct reloc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Collects R_*_RELATIVE relocations: the link-time value of the word is the addend. */
static int load_relocs(struct gobin *gb, Elf_Scn *scn, __u16 machine)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, n, cap;
	GElf_Rela r;
	__u64 type;
	struct reloc *p;

	if (!d)
		return -ENOEXEC;
	n = d->d_size / sizeof(Elf64_Rela);
	cap = gb->nrelocs + n;
	p = realloc(gb->relocs, (cap ? cap : 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	gb->relocs = p;
	for (i = 0; i < n; i++) {
		if (!gelf_getrela(d, i, &r))
			return -ENOEXEC;
		type = GELF_R_TYPE(r.r_info);
		if ((machine == EM_X86_64 && type == R_X86_64_RELATIVE) ||
		    (machine == EM_AARCH64 && type == R_AARCH64_RELATIVE_))
			p[gb->nrelocs++] = (struct reloc){ r.r_offset, r.r_addend };
	}
	return 0;
}

static int load_symtab(struct gobin *gb, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	const char *name;
	size_t i, n;
	GElf_Sym s;
	int err = 0;

	if (!d)
		return -ENOEXEC;
	n = d->d_size / sizeof(Elf64_Sym);
	for (i = 1; i < n && !err; i++) {
		if (!gelf_getsym(d, i, &s) || s.st_shndx == SHN_UNDEF || !s.st_value)
			continue;
		name = elf_strptr(gb->elf, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		if (!strcmp(name, "runtime.text"))
			gb->runtime_text = s.st_value;
		if (GELF_ST_TYPE(s.st_info) == STT_FUNC)
			err = add_func(gb, name, s.st_value, s.st_size, SRC_SYMTAB, false);
		else if (GELF_ST_TYPE(s.st_info) == STT_OBJECT)
			err = add_data(gb, name, s.st_value, s.st_size);
	}
	gb->stripped = false;
	return err;
}

static __u64 rd64(const void *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v)); /* little-endian host and file */
	return v;
}

/* gobin__read() for buildinfo__parse(). */
static int read_image(const void *ctx, __u64 addr, void *buf, size_t len)
{
	return gobin__read(ctx, addr, buf, len);
}

/* Parses the build info at vaddr into gb's version and module. Returns true on success. */
static bool parse_buildinfo(struct gobin *gb, __u64 vaddr, const unsigned char *blob, size_t len)
{
	struct buildinfo bi;

	if (buildinfo__parse(read_image, gb, vaddr, blob, len, &bi))
		return false;
	gb->version = bi.version;
	gb->module = bi.module;
	return true;
}

/* .go.buildinfo, else the magic at a 16-byte aligned address of a data (W, not X) segment. */
static void load_buildinfo(struct gobin *gb, const GElf_Shdr *sh)
{
	const unsigned char *p, *base, *end;
	size_t i;

	if (sh && parse_buildinfo(gb, sh->sh_addr, gb->image + sh->sh_offset, sh->sh_size))
		return;
	for (i = 0; i < gb->nsegs && !gb->version; i++) {
		const struct segment *s = &gb->segs[i];

		if ((s->flags & (PF_W | PF_X)) != PF_W)
			continue;
		base = gb->image + s->offset;
		end = base + s->filesz;
		for (p = base; (p = memmem(p, end - p, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN));
		     p++) {
			if ((s->vaddr + (p - base)) % 16 == 0 &&
			    parse_buildinfo(gb, s->vaddr + (p - base), p, end - p))
				break;
		}
	}
}

/*
 * The runtime's moduledata, as far as gobin reads it: pcHeader, 6 slices,
 * findfunctab, minpc, maxpc, text, ... and gofunc, word 38 in Go 1.18-1.19,
 * 40 from 1.20 (covctrs, ecovctrs came before it).
 */
#define MD_WORDS     23 /* up to text */
#define MD_MINPC     20
#define MD_TEXT	     22
#define MD_GOFUNC118 38
#define MD_GOFUNC120 40

/* Reads into md the moduledata at addr if it points at the pclntab at pcln. */
static bool moduledata_at(const struct gobin *gb, __u64 addr, __u64 pcln, __u64 names, __u64 *md)
{
	return !gobin__read(gb, addr, md, MD_WORDS * 8) && md[0] == pcln && md[1] == names &&
	       md[MD_TEXT] && md[MD_TEXT] <= md[MD_MINPC];
}

/*
 * Finds the moduledata of the pclntab at pcln by the pointer to it (a PIE
 * relocation's addend, else a word of a writable segment) and reads it into
 * md. Stripped binaries need it: recent Go (1.26 here) writes 0 in the
 * pclntab header's textStart field. Returns its address, 0 when there is none.
 */
static __u64 moduledata_find(const struct gobin *gb, __u64 pcln, const struct pclntab *pt,
			     __u64 *md)
{
	__u64 names = pcln + pt->funcnametab, off;
	size_t i;

	if (pt->ptrsize != 8)
		return 0;
	for (i = 0; i < gb->nrelocs; i++) { /* PIE: the pointer is a relocation addend */
		if (gb->relocs[i].addend == pcln &&
		    moduledata_at(gb, gb->relocs[i].offset, pcln, names, md))
			return gb->relocs[i].offset;
	}
	for (i = 0; i < gb->nsegs; i++) {
		const struct segment *s = &gb->segs[i];

		if (!(s->flags & PF_W))
			continue;
		for (off = (8 - s->vaddr % 8) % 8; off + 8 <= s->filesz; off += 8) {
			if (rd64(gb->image + s->offset + off) == pcln &&
			    moduledata_at(gb, s->vaddr + off, pcln, names, md))
				return s->vaddr + off;
		}
	}
	return 0;
}

static bool in_text(const struct gobin *gb, __u64 addr)
{
	const struct segment *s = seg_of(gb, addr, 1);

	return s && (s->flags & PF_X);
}

static int add_pcln_func(const char *name, __u64 entry, __u64 end, unsigned int flags, void *ctx)
{
	return add_func(ctx, name, entry, end - entry, SRC_PCLNTAB, flags & PCLNTAB_FUNC_ASM);
}

/* .gopclntab, else the first valid header in a segment (non-executable ones first). */
static int load_pclntab(struct gobin *gb, const GElf_Shdr *sh)
{
	const unsigned char *buf = NULL;
	__u64 vaddr = 0, text = 0, md[MD_WORDS];
	size_t len = 0, i;
	struct pclntab pt;
	ssize_t off;
	int pass;

	if (sh) {
		buf = gb->image + sh->sh_offset;
		len = sh->sh_size;
		vaddr = sh->sh_addr;
	}
	for (pass = 0; !buf && pass < 2; pass++) {
		for (i = 0; i < gb->nsegs && !buf; i++) {
			const struct segment *s = &gb->segs[i];

			if (!!(s->flags & PF_X) != pass)
				continue;
			off = pclntab__find(gb->image + s->offset, s->filesz);
			if (off < 0)
				continue;
			buf = gb->image + s->offset + off;
			len = s->filesz - off;
			vaddr = s->vaddr + off;
		}
	}
	if (!buf)
		return 0;
	if (gb->nrelocs) { /* PIE: pre-1.18 entries and the 1.18 textStart are relocated */
		gb->pcln_copy = malloc(len);
		if (!gb->pcln_copy)
			return -ENOMEM;
		if (!gobin__read(gb, vaddr, gb->pcln_copy, len))
			buf = gb->pcln_copy;
	}
	if (pclntab__init(&pt, buf, len))
		return 0;
	if (pt.magic == PCLNTAB_MAGIC_118 || pt.magic == PCLNTAB_MAGIC_120) {
		text = pt.text_start ? pt.text_start : gb->runtime_text;
		if (!text && moduledata_find(gb, vaddr, &pt, md))
			text = md[MD_TEXT];
		if (!in_text(gb, text + pclntab__first_entry_off(&pt)))
			return 0;
	}
	gb->pt = pt;
	gb->have_pt = true;
	gb->pcln_vaddr = vaddr;
	gb->pcln_text = text;
	return pclntab__for_each_func(&pt, text, add_pcln_func, gb);
}

/* Section checks; remembers the sections gobin reads. Out-of-file sections are -ENOEXEC. */
static int load_sections(struct gobin *gb, __u16 machine)
{
	GElf_Shdr sh, symtab = { 0 }, pcln = { 0 }, binfo = { 0 };
	Elf_Scn *scn = NULL, *symscn = NULL;
	bool have_pcln = false, have_binfo = false;
	const char *name;
	size_t shstrndx;
	int err = 0;

	if (elf_getshdrstrndx(gb->elf, &shstrndx))
		return -ENOEXEC;
	while ((scn = elf_nextscn(gb->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -ENOEXEC;
		if (sh.sh_type == SHT_NOBITS || !sh.sh_size)
			continue;
		if (sh.sh_offset > gb->size || sh.sh_size > gb->size - sh.sh_offset)
			return -ENOEXEC;
		name = elf_strptr(gb->elf, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_SYMTAB && !symscn) {
			symscn = scn;
			symtab = sh;
		} else if (sh.sh_type == SHT_RELA && gb->pie) {
			err = load_relocs(gb, scn, machine);
		} else if (name && !strcmp(name, ".gopclntab")) {
			have_pcln = true;
			pcln = sh;
		} else if (name && !strcmp(name, ".go.buildinfo")) {
			have_binfo = true;
			binfo = sh;
		}
		if (err)
			return err;
	}
	if (gb->nrelocs)
		qsort(gb->relocs, gb->nrelocs, sizeof(*gb->relocs), cmp_reloc);
	if (symscn && (err = load_symtab(gb, symscn, &symtab)))
		return err;
	load_buildinfo(gb, have_binfo ? &binfo : NULL);
	return load_pclntab(gb, have_pcln ? &pcln : NULL);
}

static int cmp_addr(const void *a, const void *b)
{
	const struct func_ent *x = a, *y = b;
	int c;

	if (x->fn.addr != y->fn.addr)
		return x->fn.addr < y->fn.addr ? -1 : 1;
	c = strcmp(x->fn.name, y->fn.name);
	return c ? c : x->src - y->src;
}

static int cmp_name(const void *a, const void *b)
{
	const struct func_ent *x = *(struct func_ent *const *)a, *y = *(struct func_ent *const *)b;
	int c = strcmp(x->fn.name, y->fn.name);

	/*
	 * In .gopclntab an assembly function and its ABI wrapper share a name
	 * (symtab calls the body X.abi0): the body comes first, then the lowest
	 * address, so stripped and unstripped binaries agree.
	 */
	if (c || x->is_asm != y->is_asm)
		return c ? c : y->is_asm - x->is_asm;
	if (x->fn.addr != y->fn.addr)
		return x->fn.addr < y->fn.addr ? -1 : 1;
	return x->src - y->src;
}

static int cmp_data(const void *a, const void *b)
{
	return strcmp(((const struct gobin_func *)a)->name, ((const struct gobin_func *)b)->name);
}

/*
 * cgo evidence, valid for stripped binaries too: functions that only cgo
 * builds link in (runtime/cgo's x_cgo_init and crosscall2, package
 * runtime/cgo, cgo's generated *._Cfunc_* wrappers), or runtime.iscgo
 * initialised to true. The mere presence of runtime.iscgo, _cgo_init or
 * runtime.cgocall proves nothing: every Go binary has them.
 */
static bool detect_cgo(const struct gobin *gb)
{
	const char *n;
	__u64 addr;
	__u8 iscgo;
	size_t i;

	for (i = 0; i < gb->nfuncs; i++) {
		n = gb->funcs[i].fn.name;
		if (!strcmp(n, "x_cgo_init") || !strcmp(n, "crosscall2") ||
		    !strncmp(n, "runtime/cgo.", 12) || strstr(n, "._Cfunc_"))
			return true;
	}
	return !gobin__find_data(gb, "runtime.iscgo", &addr) && !gobin__read(gb, addr, &iscgo, 1) &&
	       iscgo == 1;
}

/* Sorts and deduplicates functions (symtab wins over pclntab), builds the name index. */
static int finish(struct gobin *gb)
{
	size_t i, n = 0;

	if (gb->nfuncs)
		qsort(gb->funcs, gb->nfuncs, sizeof(*gb->funcs), cmp_addr);
	for (i = 0; i < gb->nfuncs; i++) {
		if (n && gb->funcs[n - 1].fn.addr == gb->funcs[i].fn.addr &&
		    !strcmp(gb->funcs[n - 1].fn.name, gb->funcs[i].fn.name)) {
			gb->funcs[n - 1].is_asm |= gb->funcs[i].is_asm;
			continue;
		}
		gb->funcs[n++] = gb->funcs[i];
	}
	gb->nfuncs = n;
	gb->by_name = calloc(n ? n : 1, sizeof(*gb->by_name));
	if (!gb->by_name)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		gb->by_name[i] = &gb->funcs[i];
	if (n)
		qsort(gb->by_name, n, sizeof(*gb->by_name), cmp_name);
	if (gb->ndata)
		qsort(gb->data, gb->ndata, sizeof(*gb->data), cmp_data);
	gb->cgo = detect_cgo(gb);
	return 0;
}

/* The program and section header tables must lie inside the file. */
static int check_tables(const struct gobin *gb, const GElf_Ehdr *eh)
{
	size_t phnum, shnum;

	/* libelf quietly drops tables that do not fit; the raw counts catch that. */
	if (elf_getphdrnum(gb->elf, &phnum) || elf_getshdrnum(gb->elf, &shnum))
		return -ENOEXEC;
	if (phnum < eh->e_phnum)
		phnum = eh->e_phnum;
	if (shnum < eh->e_shnum || (!shnum && eh->e_shoff))
		shnum = eh->e_shnum ? eh->e_shnum : 1;
	if (phnum &&
	    (eh->e_phoff > gb->size || (gb->size - eh->e_phoff) / sizeof(Elf64_Phdr) < phnum))
		return -ENOEXEC;
	if (shnum &&
	    (eh->e_shoff > gb->size || (gb->size - eh->e_shoff) / sizeof(Elf64_Shdr) < shnum))
		return -ENOEXEC;
	return 0;
}

static struct gobin *load(unsigned char *image, size_t size, bool mapped)
{
	struct gobin *gb = calloc(1, sizeof(*gb));
	GElf_Ehdr eh;
	int err = -ENOEXEC;

	if (!gb) {
		mapped ? munmap(image, size) : (free(image), 0);
		errno = ENOMEM;
		return NULL;
	}
	gb->image = image;
	gb->size = size;
	gb->mapped = mapped;
	gb->stripped = true;
	elf_version(EV_CURRENT);
	gb->elf = elf_memory((char *)image, size);
	if (!gb->elf || elf_kind(gb->elf) != ELF_K_ELF || gelf_getclass(gb->elf) != ELFCLASS64 ||
	    !gelf_getehdr(gb->elf, &eh) || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		goto fail;
	gb->pie = eh.e_type == ET_DYN;
	err = check_tables(gb, &eh);
	if (!err)
		err = load_segments(gb);
	if (!err)
		err = load_sections(gb, eh.e_machine);
	if (!err)
		err = finish(gb);
	if (!err)
		return gb;
fail:
	gobin__close(gb);
	errno = -err;
	return NULL;
}

struct gobin *gobin__open(const char *path)
{
	struct stat st;
	void *image;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		errno = ENOEXEC;
		return NULL;
	}
	/* Private writable mapping: libelf may convert data in place. */
	image = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (image == MAP_FAILED)
		return NULL;
	return load(image, st.st_size, true);
}

struct gobin *gobin__open_mem(const void *buf, size_t len)
{
	unsigned char *image;

	if (!buf || !len) {
		errno = ENOEXEC;
		return NULL;
	}
	image = malloc(len);
	if (!image) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(image, buf, len);
	return load(image, len, false);
}

void gobin__close(struct gobin *gb)
{
	if (!gb)
		return;
	if (gb->elf)
		elf_end(gb->elf);
	if (gb->mapped)
		munmap(gb->image, gb->size);
	else
		free(gb->image);
	free(gb->segs);
	free(gb->relocs);
	free(gb->funcs);
	free(gb->by_name);
	free(gb->data);
	free(gb->pcln_copy);
	free(gb->version);
	free(gb->module);
	free(gb);
}

const char *gobin__go_version(const struct gobin *gb)
{
	return gb ? gb->version : NULL;
}

const char *gobin__go_module(const struct gobin *gb)
{
	return gb ? gb->module : NULL;
}

static int parse_num(const char **s)
{
	int n = 0;

	for (; isdigit((unsigned char)**s); (*s)++)
		n = n < 100000 ? n * 10 + (**s - '0') : n;
	return n;
}

int gobin__parse_release(const char *version, int *major, int *minor)
{
	const char *s = version;

	if (!s)
		return -ENOENT;
	if (!strncmp(s, "devel ", 6))
		s += 6;
	if (strncmp(s, "go", 2) || !isdigit((unsigned char)s[2]))
		return -ENOENT;
	s += 2;
	*major = parse_num(&s);
	*minor = 0;
	if (*s == '.' && isdigit((unsigned char)s[1])) {
		s++;
		*minor = parse_num(&s);
	}
	return 0;
}

int gobin__go_release(const struct gobin *gb, int *major, int *minor)
{
	return gobin__parse_release(gobin__go_version(gb), major, minor);
}

bool gobin__has_cgo(const struct gobin *gb)
{
	return gb && gb->cgo;
}

bool gobin__stripped(const struct gobin *gb)
{
	return gb && gb->stripped;
}

bool gobin__is_pie(const struct gobin *gb)
{
	return gb && gb->pie;
}

int gobin__find_func(const struct gobin *gb, const char *name, struct gobin_func *fn)
{
	size_t lo = 0, hi = gb->nfuncs, mid;

	while (lo < hi) { /* first entry with name >= wanted */
		mid = lo + (hi - lo) / 2;
		if (strcmp(gb->by_name[mid]->fn.name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == gb->nfuncs || strcmp(gb->by_name[lo]->fn.name, name))
		return -ENOENT;
	*fn = gb->by_name[lo]->fn;
	return 0;
}

/* Of the functions at the address of funcs[i], the largest (symtab first); *first is its start. */
static const struct func_ent *best_at(const struct gobin *gb, size_t i, size_t *first)
{
	const struct func_ent *f = gb->funcs, *best;
	size_t j = i;

	while (j > 0 && f[j - 1].fn.addr == f[i].fn.addr)
		j--;
	*first = j;
	for (best = &f[j]; j < gb->nfuncs && f[j].fn.addr == f[i].fn.addr; j++)
		if (f[j].fn.size > best->fn.size ||
		    (f[j].fn.size == best->fn.size && f[j].src < best->src))
			best = &f[j];
	return best;
}

/* Index of the first function that starts above addr (nfuncs when none does). */
static size_t first_above(const struct gobin *gb, __u64 addr)
{
	size_t lo = 0, hi = gb->nfuncs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (gb->funcs[mid].fn.addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int gobin__func_at(const struct gobin *gb, __u64 addr, struct gobin_func *fn)
{
	const struct func_ent *f, *prev;
	size_t lo = first_above(gb, addr), first;

	if (!lo)
		return -ENOENT;
	f = best_at(gb, lo - 1, &first);
	if (!f->fn.size && first > 0) { /* a size-less label may sit inside a function */
		prev = best_at(gb, first - 1, &first);
		if (addr - prev->fn.addr < prev->fn.size)
			f = prev;
	}
	if (f->fn.size && addr - f->fn.addr >= f->fn.size)
		return -ENOENT;
	*fn = f->fn;
	return 0;
}

int gobin__for_each_func(const struct gobin *gb, int (*cb)(const struct gobin_func *fn, void *ctx),
			 void *ctx)
{
	size_t i;
	int err;

	for (i = 0; i < gb->nfuncs; i++) {
		err = cb(&gb->funcs[i].fn, ctx);
		if (err)
			return err;
	}
	return 0;
}

int gobin__for_each_func_at(const struct gobin *gb, __u64 addr,
			    int (*cb)(const struct gobin_func *fn, void *ctx), void *ctx)
{
	size_t i = first_above(gb, addr);
	int err;

	while (i > 0 && gb->funcs[i - 1].fn.addr == addr) /* back to the first one at addr */
		i--;
	for (; i < gb->nfuncs && gb->funcs[i].fn.addr == addr; i++) {
		err = cb(&gb->funcs[i].fn, ctx);
		if (err)
			return err;
	}
	return 0;
}

int gobin__addr_to_offset(const struct gobin *gb, __u64 addr, __u64 *offset)
{
	const struct segment *s = seg_of(gb, addr, 1);

	if (!s)
		return -ENOENT;
	*offset = s->offset + (addr - s->vaddr);
	return 0;
}

int gobin__read(const struct gobin *gb, __u64 addr, void *buf, size_t len)
{
	const struct segment *s = seg_of(gb, addr, len);
	unsigned char *out = buf;
	size_t lo = 0, hi = gb->nrelocs, mid;
	__u64 from = addr > 7 ? addr - 7 : 0, pos;
	unsigned int k;

	if (!s)
		return -ENOENT;
	memcpy(buf, gb->image + s->offset + (addr - s->vaddr), len);
	while (lo < hi) { /* first relocation that can overlap [addr, addr + len) */
		mid = lo + (hi - lo) / 2;
		if (gb->relocs[mid].offset < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < gb->nrelocs && gb->relocs[lo].offset < addr + len; lo++) {
		for (k = 0; k < 8; k++) {
			pos = gb->relocs[lo].offset + k;
			if (pos >= addr && pos < addr + len)
				out[pos - addr] = gb->relocs[lo].addend >> (8 * k);
		}
	}
	return 0;
}

int gobin__find_data(const struct gobin *gb, const char *name, __u64 *addr)
{
	struct gobin_func key = { .name = name }, *d;

	if (!gb->ndata)
		return -ENOENT;
	d = bsearch(&key, gb->data, gb->ndata, sizeof(*d), cmp_data);
	if (!d)
		return -ENOENT;
	*addr = d->addr;
	return 0;
}

size_t gobin__read_code(const struct gobin *gb, const struct gobin_func *fn, void *buf, size_t max)
{
	size_t len = fn->size && fn->size < max ? fn->size : max;

	while (len > 0 && gobin__read(gb, fn->addr, buf, len))
		len /= 2; /* near the end of the text segment */
	return len;
}

/* moduledata.gofunc of a Go 1.18+ table: runtime.firstmoduledata, else found by its pointer. */
static __u64 gofunc(const struct gobin *gb)
{
	__u64 md[MD_WORDS], addr, g, names = gb->pcln_vaddr + gb->pt.funcnametab;
	unsigned int word = gb->pt.magic == PCLNTAB_MAGIC_118 ? MD_GOFUNC118 : MD_GOFUNC120;

	if (gb->pt.magic != PCLNTAB_MAGIC_118 && gb->pt.magic != PCLNTAB_MAGIC_120)
		return 0;
	if (gobin__find_data(gb, "runtime.firstmoduledata", &addr) ||
	    !moduledata_at(gb, addr, gb->pcln_vaddr, names, md))
		addr = moduledata_find(gb, gb->pcln_vaddr, &gb->pt, md);
	if (!addr || gobin__read(gb, addr + 8 * word, &g, sizeof(g)))
		return 0;
	return seg_of(gb, g, 1) ? g : 0;
}

int gobin__pcln(const struct gobin *gb, struct gobin_pcln *out)
{
	memset(out, 0, sizeof(*out));
	if (!gb->have_pt)
		return -ENOENT;
	out->pt = &gb->pt;
	out->text = gb->pcln_text;
	out->gofunc = gofunc(gb);
	return 0;
}
