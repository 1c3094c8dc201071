// cgohello is a tiny cgo program whose builds are the inputs of test_gobin.
package main

/*
static int cgohello_add(int a, int b) { return a + b; }
*/
import "C"

import "fmt"

func main() {
	fmt.Println("cgohello", C.cgohello_add(1, 2))
}
