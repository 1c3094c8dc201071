#!/usr/bin/env python3
"""mkseeds.py - writes the fuzzers' seed corpora: small synthetic Go ELFs, code and strings.

Usage: tests/fuzz/mkseeds.py OUTDIR [TESTBIN_DIR]

Writes OUTDIR/fuzz_gobin, fuzz_gosym, fuzz_probes, fuzz_x86, fuzz_demangle and fuzz_census.
The ELF seeds are built here, a few KB each, so that libFuzzer mutates headers and tables
instead of megabytes of code: each has the parts gobin, gosym, probes and cnames read (.text
with a runtime.cgocall that calls asmcgocall and exitsyscall, cgo wrappers main._Cfunc_*,
.gopclntab in the Go 1.2 / 1.16 / 1.18 / 1.20 layouts, from 1.16 with file and line tables
and an inline tree, .go.buildinfo in the pre-1.18 and 1.18+ layouts, a moduledata, .symtab
or not, PIE relocations or not, and one without section headers). With TESTBIN_DIR
(make_testbins.sh's output), real code is added to the x86 seeds, and the stripped real
binaries (megabytes: too slow to mutate) go to OUTDIR/real/fuzz_gobin, real/fuzz_gosym and
real/fuzz_probes, which run.sh runs once per harness.
The census seeds are small memory images: an M list with Ms in C and not, goroutines
with 3-frame stacks, in fuzz_census.c's layout.
"""
import os
import struct
import sys

# --- x86-64 code: functions are lists of bytes and ('call'|'lea'|'load', symbol) ---
CALL, LEA, LOAD = 'call', 'lea', 'load'
CFOO, CBAR, CGAI = ('_cgo_0a1b2c3d4e5f_Cfunc_foo', '_cgo_0a1b2c3d4e5f_Cfunc_bar',
                    '_cgo_0a1b2c3d4e5f_C2func_getaddrinfo')

# (name, body, in pclntab, pclntab asm flag)
FUNCS = [
    ('main._Cfunc_foo', [(LEA, CFOO), (CALL, 'runtime.cgocall'), b'\xc3'], True, False),
    ('main._Cfunc_bar', [(LOAD, 'main._cgo_0a1b2c3d4e5f_Cfunc_bar'),
                         (CALL, 'runtime.cgocall'), b'\xc3'], True, False),
    ('net._C2func_getaddrinfo.abi0', [(LOAD, 'net._cgo_0a1b2c3d4e5f_C2func_getaddrinfo'),
                                      (CALL, 'runtime.cgocall'), b'\xc3'], True, False),
    ('runtime.cgocall', [b'\x49\x8b\x4e\x30',                  # mov rcx, [r14+0x30]  (g.m)
                         b'\xc6\x81\x18\x01\x00\x00\x01',      # mov byte [rcx+0x118], 1 (incgo)
                         (CALL, 'runtime.asmcgocall.abi0'),
                         (CALL, 'runtime.exitsyscall'),
                         b'\x48\x85\xc0\x74\x01\xc3\xc3'], True, False),  # test; je; ret; ret
    ('runtime.asmcgocall.abi0', [b'\x48\x89\xe2\xc3'], True, True),
    ('runtime.exitsyscall', [b'\x90\xc3'], True, False),
    ('runtime.checkmcount', [b'\x8b\x05\x10\x00\x00\x00\x3d\x10\x27\x00\x00\xc3'], True, False),
    ('main.main', [(CALL, 'main._Cfunc_foo'), b'\xc3'], True, False),
    # C code: symtab only
    (CFOO, [b'\x31\xc0\xc3'], False, False),
    (CBAR, [b'\x31\xc0\xc3'], False, False),
    (CGAI, [b'\x31\xc0\xc3'], False, False),
    ('x_cgo_init', [b'\xc3'], False, False),
    ('crosscall2', [b'\xc3'], False, False),
]


def item_len(it):
    return len(it) if isinstance(it, bytes) else (5 if it[0] == CALL else 7)


def align(n, a):
    return (n + a - 1) // a * a


def uvarint(n):
    out = b''
    while n >= 0x80:
        out += bytes([n & 0x7f | 0x80])
        n >>= 7
    return out + bytes([n])


class Layout:
    """Offsets of functions in .text (addresses are added once the base is known)."""

    def __init__(self):
        self.off, self.size, pos = {}, {}, 0
        for name, body, _, _ in FUNCS:
            self.off[name] = pos
            self.size[name] = sum(item_len(i) for i in body)
            pos = align(pos + self.size[name], 16)
        self.len = pos


def assemble(lay, text_addr, syms):
    out = bytearray()
    for name, body, _, _ in FUNCS:
        out += b'\xcc' * (lay.off[name] - len(out))
        for it in body:
            pc = text_addr + len(out)
            if isinstance(it, bytes):
                out += it
            elif it[0] == CALL:
                out += b'\xe8' + struct.pack('<i', syms[it[1]] - (pc + 5))
            else:
                op = b'\x48\x8d\x05' if it[0] == LEA else b'\x48\x8b\x05'
                out += op + struct.pack('<i', syms[it[1]] - (pc + 7))
    return bytes(out + b'\xcc' * (lay.len - len(out)))


INLINED = 'main.inl'  # inlined into main.main at its call, in the 1.16+ tables
INL_AT = 5  # main.main: [0, 5) is main.inl's body (the call), 5 (the ret) its call site


def zigzag(v):
    return (v << 1) ^ (v >> 31) if v >= 0 else ((-v) << 1) - 1


def pcvalues(pairs):
    """A pc-value table of (value, pc length) pairs: deltas from -1, zig-zag varints."""
    out, prev = b'', -1
    for v, n in pairs:
        out += uvarint(zigzag(v - prev)) + uvarint(n)
        prev = v
    return out + b'\0'


def func_tables(fmt, n, i, size, pctab):
    """Appends n's pcfile, pcln and (main.main) inline index tables; returns their offsets."""
    def put(t):
        at = len(pctab)
        pctab.extend(t)
        return at
    asm = n.endswith('.abi0')
    pcfile = put(pcvalues([(1 if asm else 0, size)]))
    if n == 'main.main':
        pcln = put(pcvalues([(100, INL_AT), (20, size - INL_AT)]))
        return pcfile, pcln, [0, 0, put(pcvalues([(0, INL_AT), (-1, size - INL_AT)]))]
    return pcfile, put(pcvalues([(10 + i, size)])), []


def inl_tree(fmt, nameoff):
    """main.main's inline tree: one inlinedCall, main.inl called at INL_AT."""
    if fmt == '120':  # funcID, pad[3], nameOff, parentPc, startLine
        return struct.pack('<B3xiii', 0, nameoff, INL_AT, 99)
    # parent, funcID, pad, file, line, func_ (name offset), parentPc
    return struct.pack('<hBBiiii', -1, 0, 0, 0, 20, nameoff, INL_AT)


def pclntab(fmt, lay, text_addr, text_start_field, pcln_addr):
    """A .gopclntab of the Go functions in fmt '12', '116', '118' or '120', and its gofunc.

    From 1.16 the functions have file and line tables, and main.main an inline tree
    (after the table: gofunc, the base of 1.18+ funcdata offsets, is its address)."""
    gofuncs = [(n, a) for n, _, inpc, a in FUNCS if inpc]
    names = b''
    nameoff = {}
    for n in [n for n, _ in gofuncs] + [INLINED]:
        nameoff[n] = len(names)
        names += n.encode() + b'\0'
    if fmt == '12':
        # header 8 + nfunc word; functab at 16; funcoffs and nameoffs from the table start
        hdr_len, names_off = 16, None
    else:
        nwords = 7 if fmt == '116' else 8
        hdr_len = 8 + 8 * nwords
        names_off = hdr_len
    cu_off = hdr_len + (len(names) if names_off else 0)
    files = b'main.go\0runtime/asm_amd64.s\0'
    cutab = struct.pack('<II', 0, len('main.go') + 1)
    file_off = cu_off + len(cutab)
    pctab_off = file_off + len(files)
    pctab = bytearray(b'\0')  # offset 0: no table
    tabs = {n: func_tables(fmt, n, i, lay.size[n], pctab) for i, (n, _) in enumerate(gofuncs)}
    body_off = align(pctab_off + len(pctab), 8) if fmt != '12' else 16
    offs = fmt in ('118', '120')
    fs = 4 if offs else 8
    nf = len(gofuncs)
    functab_len = align((2 * nf + 1) * fs, 8)
    funcsz = 96
    end = max(lay.off[n] + lay.size[n] for n, _ in gofuncs)

    functab_off = body_off
    funcs_off = functab_off + functab_len
    if fmt == '12':
        names_at = funcs_off + nf * funcsz  # names after the _func structs
    tree_off = align(funcs_off + nf * funcsz, 8)
    gofunc = pcln_addr + tree_off if offs else 0
    ft = bytearray()
    fdata = bytearray()
    for i, (n, asm) in enumerate(gofuncs):
        entry = lay.off[n] if offs else text_addr + lay.off[n]
        funcoff = (funcs_off - functab_off) + i * funcsz if fmt != '12' else funcs_off + i * funcsz
        ft += struct.pack('<II' if offs else '<QQ', entry, funcoff)
        f = bytearray(funcsz)
        if fmt == '12':
            struct.pack_into('<Qi', f, 0, entry, names_at + nameoff[n])
            fdata += f
            continue
        struct.pack_into('<Ii' if offs else '<Qi', f, 0, entry, nameoff[n])
        pcfile, pcln, pcdata = tabs[n]
        struct.pack_into('<IIII', f, fs + 16, pcfile, pcln, len(pcdata), 0)
        size = 40 if fmt == '118' else 44
        if offs:
            f[size - 3] = 0x4 if asm else 0  # flag
        nfd = 4 if pcdata else 0  # funcdata[FUNCDATA_InlTree = 3]
        f[size - 1] = nfd
        struct.pack_into('<%dI' % len(pcdata), f, size, *pcdata)
        fd = size + 4 * len(pcdata)
        if nfd and offs:
            struct.pack_into('<4I', f, fd, 0xffffffff, 0xffffffff, 0xffffffff, 0)
        elif nfd:
            struct.pack_into('<4Q', f, align(fd, 8), 0, 0, 0, pcln_addr + tree_off)
        fdata += f
    ft += struct.pack('<I' if offs else '<Q', end if offs else text_addr + end)
    ft += b'\0' * (functab_len - len(ft))

    magic = {'12': 0xfffffffb, '116': 0xfffffffa, '118': 0xfffffff0, '120': 0xfffffff1}[fmt]
    hdr = struct.pack('<IBBBB', magic, 0, 0, 1, 8)
    if fmt == '12':
        out = hdr + struct.pack('<Q', nf) + bytes(ft) + bytes(fdata) + names
        return out, 0, None, 0
    words = [nf, 2]
    if offs:
        words.append(text_start_field)
    words += [names_off, cu_off, file_off, pctab_off, functab_off]
    out = bytearray(hdr + b''.join(struct.pack('<Q', w) for w in words))
    out += names + cutab + files + pctab
    out += b'\0' * (functab_off - len(out))
    out += ft + fdata
    out += b'\0' * (tree_off - len(out)) + inl_tree(fmt, nameoff[INLINED])
    text_start_pos = 8 + 2 * 8 if offs else None
    return bytes(out), names_off, text_start_pos, gofunc


def buildinfo_new(version, module):
    mod = ('path\t%s\nmod\t%s\t(devel)\t\n' % (module, module)).encode()
    sentinel = b'0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6'
    mi = sentinel + mod + b'\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2'
    hdr = b'\xff Go buildinf:' + bytes([8, 2]) + b'\0' * 16
    return hdr + uvarint(len(version)) + version.encode() + uvarint(len(mi)) + mi


def elf(fmt='120', version='go1.26.8', symtab=True, pie=False, text_start=True,
        old_buildinfo=False, no_shdrs=False, go=True):
    lay = Layout()
    base = 0 if pie else 0x400000
    phoff, nph = 64, 3
    text_off = 0x100
    text_addr = base + text_off
    syms = {n: text_addr + lay.off[n] for n in lay.off}
    # .gopclntab (its size does not depend on addresses)
    pcln_off = align(text_off + lay.len, 16)
    pcln_addr = base + pcln_off
    ts_field = text_addr if (text_start and not pie) else 0
    pcln, names_off, ts_pos, gofunc = pclntab(fmt, lay, text_addr, ts_field, pcln_addr)
    if not go:
        pcln = b''
    data_off = align(pcln_off + len(pcln), 16)
    data_addr = base + data_off
    relocs = []
    data = bytearray()

    def word(v, reloc=True):
        at = data_addr + len(data)
        if pie and reloc:
            relocs.append((at, v))
            data.extend(b'\0' * 8)
        else:
            data.extend(struct.pack('<Q', v))
        return at

    binfo_addr = data_addr
    if go and not old_buildinfo:
        data.extend(buildinfo_new(version, 'example.com/seed'))
    elif go:
        data.extend(b'\xff Go buildinf:' + bytes([8, 0]))
        ptrs_at = len(data)
        data.extend(b'\0' * 16)
        data.extend(b'\0' * (align(len(data), 16) - len(data)))
        vs_at = data_addr + len(data)
        data.extend(version.encode().ljust(align(len(version), 8), b'\0'))
        ms = b'path\texample.com/old\nmod\texample.com/old\t(devel)\t\n'
        ms_at = data_addr + len(data)
        data.extend(ms.ljust(align(len(ms), 8), b'\0'))
        vh = word(vs_at)
        word(len(version), False)
        mh = word(ms_at)
        word(len(ms), False)
        struct.pack_into('<QQ', data, ptrs_at, vh, mh)
    binfo_len = len(data)
    data.extend(b'\0' * (align(len(data), 16) - len(data)))
    dsyms = {}
    dsyms['main._cgo_0a1b2c3d4e5f_Cfunc_bar'] = word(syms[CBAR])
    dsyms['net._cgo_0a1b2c3d4e5f_C2func_getaddrinfo'] = word(syms[CGAI])
    syms.update(dsyms)
    dsyms['runtime.iscgo'] = data_addr + len(data)
    data.extend(b'\x01' + b'\0' * 7)
    dsyms['runtime.gomaxprocs'] = data_addr + len(data)
    data.extend(struct.pack('<Q', 4))
    dsyms['runtime.firstmoduledata'] = data_addr + len(data)
    md = [0] * 41  # up to gofunc: word 38 (1.18-1.19) or 40 (1.20+)
    gofunc_at = 38 if fmt == '118' else 40
    for i, v in ((0, pcln_addr), (1, pcln_addr + (names_off or 0)), (20, text_addr),
                 (21, text_addr + lay.len), (22, text_addr), (gofunc_at, gofunc)):
        md[i] = v
    for i, v in enumerate(md):
        word(v, reloc=i in (0, 1, 20, 21, 22) or (i == gofunc_at and gofunc))
    if pie and ts_pos is not None and text_start:
        relocs.append((pcln_addr + ts_pos, text_addr))  # textStart, relocated
    text = assemble(lay, text_addr, syms)

    # file tail: .rela.dyn, .symtab, .strtab, .shstrtab, section headers
    rela = b''.join(struct.pack('<QQq', off, 8, add) for off, add in relocs)
    strtab = bytearray(b'\0')
    symtab_b = bytearray(24)

    def sym(name, value, size, stype, shndx):
        nonlocal symtab_b
        symtab_b += struct.pack('<IBBHQQ', len(strtab), 0x10 | stype, 0, shndx, value, size)
        strtab.extend(name.encode() + b'\0')

    sym('runtime.text', text_addr, 0, 2, 1)
    for n, _, _, _ in FUNCS:
        sym(n, syms[n], lay.size[n], 2, 1)
    for n, a in dsyms.items():
        sym(n, a, 8, 1, 4)

    shnames = bytearray(b'\0')

    def shname(n):
        at = len(shnames)
        shnames.extend(n.encode() + b'\0')
        return at

    pos = data_off + len(data)
    secs = [(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]  # name, type, flags, addr, off, size, link, info, align, entsize
    secs.append((shname('.text'), 1, 6, text_addr, text_off, lay.len, 0, 0, 16, 0))
    secs.append((shname('.gopclntab'), 1, 2, pcln_addr, pcln_off, len(pcln), 0, 0, 8, 0))
    secs.append((shname('.go.buildinfo'), 1, 3, binfo_addr, data_off, binfo_len, 0, 0, 16, 0))
    secs.append((shname('.data'), 1, 3, data_addr, data_off, len(data), 0, 0, 16, 0))
    tail = bytearray()
    if pie and rela:
        pos = align(pos, 8)
        secs.append((shname('.rela.dyn'), 4, 2, 0, pos, len(rela), 0, 0, 8, 24))
        tail += b'\0' * (pos - (data_off + len(data) + len(tail))) + rela
        pos += len(rela)
    if symtab:
        pos = align(pos, 8)
        tail += b'\0' * (pos - (data_off + len(data) + len(tail)))
        secs.append((shname('.symtab'), 2, 0, 0, pos, len(symtab_b), len(secs) + 1, 1, 8, 24))
        tail += symtab_b
        pos += len(symtab_b)
        secs.append((shname('.strtab'), 3, 0, 0, pos, len(strtab), 0, 0, 1, 0))
        tail += strtab
        pos += len(strtab)
    shstr_idx = len(secs)
    secs.append((shname('.shstrtab'), 3, 0, 0, pos + 0, 0, 0, 0, 1, 0))
    secs[-1] = secs[-1][:5] + (len(shnames),) + secs[-1][6:]
    tail += shnames
    pos += len(shnames)
    shoff = align(pos, 8)
    tail += b'\0' * (shoff - pos)
    shdrs = b''.join(struct.pack('<IIQQQQIIQQ', *s) for s in secs)

    ehdr = b'\x7fELF\x02\x01\x01' + b'\0' * 9
    ehdr += struct.pack('<HHIQQQIHHHHHH', 3 if pie else 2, 62, 1, syms['main.main'], phoff,
                        0 if no_shdrs else shoff, 0, 64, 56, nph, 64,
                        0 if no_shdrs else len(secs), 0 if no_shdrs else shstr_idx)
    ph = b''
    for off, size, flags in ((text_off, lay.len, 5), (pcln_off, len(pcln), 4),
                             (data_off, len(data), 6)):
        ph += struct.pack('<IIQQQQQQ', 1, flags, off, base + off, base + off, size, size, 16)
    img = bytearray(ehdr + ph)
    img += b'\0' * (text_off - len(img)) + text
    img += b'\0' * (pcln_off - len(img)) + pcln
    img += b'\0' * (data_off - len(img)) + data
    img += tail
    if not no_shdrs:
        img += shdrs
    return bytes(img)


ELF_SEEDS = {
    'go120-symtab': dict(),
    'go120-stripped-moduledata': dict(symtab=False, text_start=False),
    'go120-pie-stripped-moduledata': dict(symtab=False, pie=True, text_start=False),
    'go120-pie-symtab-textstart-reloc': dict(pie=True),
    'go118-stripped': dict(fmt='118', version='go1.19.13', symtab=False),
    'go116-symtab-oldinfo': dict(fmt='116', version='go1.16.15', old_buildinfo=True),
    'go117-stripped-oldinfo': dict(fmt='116', version='go1.17.13', symtab=False,
                                   old_buildinfo=True),
    'go12-stripped': dict(fmt='12', version='go1.15.15', symtab=False, old_buildinfo=True),
    'go120-no-section-headers': dict(symtab=False, no_shdrs=True),
    'go121-devel-symtab': dict(version='devel go1.27-abc Tue Jan 1 00:00:00 2030 +0000'),
    'not-go': dict(go=False),
}

STRINGS = [b'_cgo_0a1b2c3d4e5f_Cfunc_sqlite3_step', b'_cgo_05e0e794c6e4_C2func_getaddrinfo',
           b'_cgo_Cfunc_x', b'_cgo_abc_Cfunc_', b'x_cgo_getstackbound', b'main._Cfunc_foo.abi0',
           b'go1.26.8', b'go1.19', b'go1.21rc2', b'devel go1.27-abc Tue Jan 1 2030',
           b'go1.99999999999999999999.1', b'go', b'']


def elf_vaddr_to_off(img, addr):
    phoff, = struct.unpack_from('<Q', img, 32)
    phentsize, phnum = struct.unpack_from('<HH', img, 54)
    for i in range(phnum):
        ptype, _, off, vaddr, _, filesz, _, _ = struct.unpack_from('<IIQQQQQQ', img,
                                                                    phoff + i * phentsize)
        if ptype == 1 and vaddr <= addr < vaddr + filesz:
            return off + addr - vaddr
    return None


REAL_FUNCS = ('runtime.cgocall', 'runtime.checkmcount', 'runtime.reentersyscall',
              'runtime.execute', 'runtime.save')


def census_image(loop=False):
    """fuzz_census.c's memory at 0x10000: allm, 4 Ms (1 in Go, 3 without g), 2 stacks."""
    base, img = 0x10000, bytearray(0xc00)

    def put(off, v):
        struct.pack_into('<Q', img, off, v)

    put(0, base + 0x40)
    for i in range(4):
        m = 0x40 + i * 0x40
        put(m + 0x08, 100 + i)                                  # procid
        put(m + 0x10, base + 0x200 + i * 0x40 if i != 3 else 0)  # curg
        put(m + 0x18, int(i != 1))                              # incgo
        put(m + 0x20, 7 + i)                                    # ncgocall
        put(m + 0x28, base + m + 0x40 if i < 3 else (base + 0x40 if loop else 0))
    for i in (0, 2):
        g, lo = 0x200 + i * 0x40, 0x400 + i * 0x200
        sp = lo + 0x100
        put(g, base + lo)
        put(g + 0x08, base + lo + 0x200)
        put(g + 0x10, base + sp)
        put(g + 0x18, 0x47e56b)
        put(g + 0x20, base + sp + 0x28)
        put(sp + 0x38, 0x4a0000 + i)                            # fn
        for k in range(3):                                      # frames
            bp = sp + 0x28 + k * 0x30
            put(bp, base + bp + 0x30 if k < 2 else 0)
            put(bp + 8, 0x401000 + k)
    return bytes(img)


def census_seeds():
    hdr = lambda flags, depth=0, off=0, after=0, val=0: struct.pack(
        '<BBHHHQ', flags, depth, off, after, 0, val)
    img = census_image()
    return {'basic': hdr(0) + img, 'derived-bp': hdr(1) + img, 'no-fn-readv': hdr(6) + img,
            'depth2': hdr(0, 2) + img, 'torn': hdr(0, 0, 0x60, 3, 8) + img,
            'loop': hdr(4) + census_image(loop=True)}


def real_code(testbin):
    """runtime.cgocall and the cgo wrappers of the real test binaries, from their .nm."""
    out = {}
    for name in ('go126-cgo', 'go126-cgo-pie', 'go119-cgo'):
        path = os.path.join(testbin, name)
        try:
            img = open(path, 'rb').read()
            nm = open(path + '.nm').read().splitlines()
        except OSError:
            continue
        for line in nm:
            f = line.split()
            if len(f) != 3 or not (f[2] in REAL_FUNCS or '_Cfunc_' in f[2]):
                continue
            addr = int(f[0], 16)
            off = elf_vaddr_to_off(img, addr)
            if off is None:
                continue
            out['%s-%s' % (name, f[2])] = struct.pack('<QB', addr, 0) + img[off:off + 1024]
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    testbin = sys.argv[2] if len(sys.argv) > 2 else None
    seeds = {h: {} for h in ('fuzz_gobin', 'fuzz_gosym', 'fuzz_probes', 'fuzz_x86',
                             'fuzz_demangle', 'fuzz_census', 'real/fuzz_gobin',
                             'real/fuzz_gosym', 'real/fuzz_probes')}
    seeds['fuzz_census'] = census_seeds()
    for name, kw in ELF_SEEDS.items():
        img = elf(**kw)
        seeds['fuzz_gobin'][name] = img
        seeds['fuzz_gosym'][name] = img
        seeds['fuzz_probes'][name] = img
    lay = Layout()
    text = assemble(lay, 0x401000, {n: 0x401000 + o for n, o in lay.off.items()} |
                    {'main._cgo_0a1b2c3d4e5f_Cfunc_bar': 0x402000,
                     'net._cgo_0a1b2c3d4e5f_C2func_getaddrinfo': 0x402008})
    seeds['fuzz_x86']['synthetic-text'] = struct.pack('<QB', 0x401000, 0) + text
    seeds['fuzz_x86']['synthetic-stop3'] = struct.pack('<QB', 0x401000, 3) + text
    for i, s in enumerate(STRINGS):
        seeds['fuzz_demangle']['s%02d' % i] = s
    if testbin:
        seeds['fuzz_x86'].update(real_code(testbin))
        for name in ('go126-cgo-stripped', 'go119-cgo-stripped', 'go126-cgo-pie-stripped'):
            path = os.path.join(testbin, name)
            if os.path.exists(path):
                img = open(path, 'rb').read()
                seeds['real/fuzz_gobin'][name] = img
                seeds['real/fuzz_gosym'][name] = img
                seeds['real/fuzz_probes'][name] = img
    for h, files in seeds.items():
        d = os.path.join(outdir, h)
        os.makedirs(d, exist_ok=True)
        for name, b in files.items():
            with open(os.path.join(d, name), 'wb') as f:
                f.write(b)


if __name__ == '__main__':
    main()
