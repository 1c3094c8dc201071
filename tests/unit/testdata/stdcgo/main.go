// stdcgo's only cgo users are the standard library: net's cgo resolver (build with
// -tags netcgo) and os/user. Its builds are inputs of test_cnames and test_gobin.
// With a duration argument ("5s") it looks up "localhost" until that much time has
// passed, a workload to profile.
package main

import (
	"fmt"
	"net"
	"os"
	"os/user"
	"time"
)

func lookups() error {
	if _, err := net.LookupHost("localhost"); err != nil {
		return err
	}
	if _, err := net.LookupAddr("127.0.0.1"); err != nil {
		return err
	}
	if _, err := user.Current(); err != nil {
		return err
	}
	_, err := user.Lookup("root")
	return err
}

func main() {
	d := time.Duration(0)
	if len(os.Args) > 1 {
		var err error
		if d, err = time.ParseDuration(os.Args[1]); err != nil {
			fmt.Fprintln(os.Stderr, "usage: stdcgo [DURATION]")
			os.Exit(2)
		}
	}
	n := 0
	for end := time.Now().Add(d); n == 0 || time.Now().Before(end); n++ {
		if err := lookups(); err != nil {
			fmt.Fprintln(os.Stderr, "stdcgo:", err)
			os.Exit(1)
		}
	}
	fmt.Println("stdcgo", n, "rounds")
}
