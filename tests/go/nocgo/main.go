// Command nocgo is a pure Go program: it makes no cgo calls and does not link
// runtime/cgo (it imports nothing that would pull it in: no net, no os/user).
// A tracer must recognise it as a Go program without cgo and leave it alone.
//
// It speaks the workload protocol of cgoscope.test/internal/proto; its
// scenario is to do nothing, so TRUTH has no calls.
package main

import (
	"flag"
	"os"

	"cgoscope.test/internal/proto"
)

func main() {
	opts := proto.AddFlags(flag.CommandLine)
	flag.Parse()
	sess := proto.Begin(opts)
	sess.Finish(proto.Truth{Pid: os.Getpid()})
}
