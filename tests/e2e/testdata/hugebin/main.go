// Command hugebin is a cgo program with a large embedded blob, for
// TestHostileHugeBinary, which writes blob.bin next to a copy of this file
// and builds it in a directory of its own. It speaks the workload protocol
// of tests/go in short (it is built outside the cgoscope.test module):
// READY <pid>; on SIGUSR1, -calls calls of cgs_big_noop, then TRUTH; exit 0
// on SIGTERM or EOF on stdin.
package main

/*
static void cgs_big_noop(void) {}
*/
import "C"

import (
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

//go:embed blob.bin
var blob []byte

func main() {
	calls := flag.Int("calls", 1000, "`N` calls of cgs_big_noop")
	flag.Parse()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Printf("READY %d\n", os.Getpid())
	if <-sigs != syscall.SIGUSR1 {
		return
	}
	for i := 0; i < *calls; i++ {
		C.cgs_big_noop()
	}
	// The blob is used, so the linker keeps it.
	fmt.Printf("TRUTH {\"pid\":%d,\"calls\":{\"cgs_big_noop\":%d},\"blob_bytes\":%d,\"blob_mid\":%d}\n",
		os.Getpid(), *calls, len(blob), blob[len(blob)/2])
	<-sigs
}
