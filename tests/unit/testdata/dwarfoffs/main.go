// dwarfoffs prints, from an unstripped Go binary's DWARF, the offsets of the
// runtime struct fields that cgoscope decodes from code (the ground truth of
// test_census). Usage: dwarfoffs BINARY. Output, one per line: "NAME 0xOFF",
// with -1 for a field the binary's runtime does not have.
package main

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
)

var fields = []struct{ typ, field, name string }{
	{"runtime.m", "curg", "m.curg"},
	{"runtime.m", "incgo", "m.incgo"},
	{"runtime.m", "ncgocall", "m.ncgocall"},
	{"runtime.g", "stack", "g.stack"},
	{"runtime.g", "syscallsp", "g.syscallsp"},
	{"runtime.g", "syscallpc", "g.syscallpc"},
	{"runtime.g", "syscallbp", "g.syscallbp"},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dwarfoffs BINARY")
		os.Exit(2)
	}
	f, err := elf.Open(os.Args[1])
	if err != nil {
		fail(err)
	}
	d, err := f.DWARF()
	if err != nil {
		fail(err)
	}
	structs, err := findStructs(d, "runtime.m", "runtime.g")
	if err != nil {
		fail(err)
	}
	for _, fl := range fields {
		st := structs[fl.typ]
		if st == nil {
			fail(fmt.Errorf("%s: no DWARF type %s", os.Args[1], fl.typ))
		}
		fmt.Printf("%s %s\n", fl.name, offsetOf(st, fl.field))
	}
}

// findStructs returns the struct types named in names.
func findStructs(d *dwarf.Data, names ...string) (map[string]*dwarf.StructType, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]*dwarf.StructType{}
	r := d.Reader()
	for len(out) < len(names) {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if e.Tag != dwarf.TagStructType || !want[name] || out[name] != nil {
			continue
		}
		t, err := d.Type(e.Offset)
		if err != nil {
			return nil, err
		}
		if st, ok := t.(*dwarf.StructType); ok {
			out[name] = st
		}
	}
	return out, nil
}

func offsetOf(st *dwarf.StructType, field string) string {
	for _, f := range st.Field {
		if f.Name == field {
			return fmt.Sprintf("%#x", f.ByteOffset)
		}
	}
	return "-1"
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "dwarfoffs:", err)
	os.Exit(1)
}
