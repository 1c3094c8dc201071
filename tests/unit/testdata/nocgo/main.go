// nocgo is a pure Go program (built with CGO_ENABLED=0) for test_gobin.
package main

import "fmt"

func main() {
	fmt.Println("nocgo")
}
