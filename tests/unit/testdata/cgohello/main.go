// cgohello is a tiny cgo program whose builds are the inputs of test_gobin and test_cnames.
// C.CString links cgo's malloc helper (_cgo_<hash>_Cfunc__Cmalloc).
package main

/*
#include <stdlib.h>

static int cgohello_add(int a, int b) { return a + b; }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func main() {
	s := C.CString("cgohello")
	fmt.Println(C.GoString(s), C.cgohello_add(1, 2))
	C.free(unsafe.Pointer(s))
}
