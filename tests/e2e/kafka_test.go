package e2e

import (
	"strings"
	"testing"
	"time"
)

// The kafka workload's scenario, passed explicitly (they are its defaults).
const (
	kafkaMessages  = 2000
	kafkaMetadata  = 2500 * time.Millisecond // GetMetadata's timeout: rd_kafka_metadata blocks it all
	kafkaFlushes   = 3
	kafkaFlushTime = 100 * time.Millisecond // each Flush's timeout, the longest rd_kafka_flush can wait
	// kafkaSlack is what a C call's span may lack of the time Go measured
	// around it (the binding's Go code, the cgo transitions, getting a P
	// back), or exceed a timeout by (a wakeup on a busy machine).
	kafkaSlack = 50 * time.Millisecond
)

// TestKafka traces a Kafka producer on github.com/confluentinc/confluent-kafka-go/v2
// and its bundled static librdkafka (tests/realworld/kafka), with no broker:
// 2000 messages queued and timed out, one GetMetadata blocking 2.5 s in C,
// three 100 ms Flushes, while the binding's poller goroutine calls C all the
// time and librdkafka runs three threads of its own. Every call is traced
// (--overhead-budget 0): the counts of the C functions that follow from the
// program's Go calls must be exact, the runtime's total must equal the calls
// the program saw made, and the long call must be there with its length.
// Built by scripts/build_realworld.sh; when the module could not be fetched,
// the subtests skip and say why.
func TestKafka(t *testing.T) {
	args := []string{"-messages", itoa(kafkaMessages), "-metadata-timeout-ms", itoa(int(kafkaMetadata.Milliseconds())),
		"-flushes", itoa(kafkaFlushes), "-flush-timeout-ms", itoa(int(kafkaFlushTime.Milliseconds()))}
	for _, name := range []string{"kafka", "kafka-stripped"} {
		name := name
		t.Run(name, func(t *testing.T) {
			requireRealworld(t, name)
			run := traceWorkload(t, name, args, "--overhead-budget=0", "--json")
			// No drops, every count in TRUTH exact, rd_kafka_metadata within
			// Go's measurement, librdkafka's threads the ones created by C.
			_, proc := run.stopJSON(t)
			if proc.Calls != run.truth.CgoCalls {
				t.Errorf("%d calls traced, the workload made %d: with no overhead budget every call is traced", proc.Calls, run.truth.CgoCalls)
			}
			checkKafka(t, proc, run, name)
		})
	}
	// As users run it, the governor on: the same names, the same long call,
	// an ok verdict all along; the counts estimated (exact unless sampled).
	t.Run("defaults", func(t *testing.T) {
		requireRealworld(t, "kafka")
		run := traceDefaults(t, "kafka", args, "--json")
		prof, proc := run.stopSampled(t)
		assertNoDrops(t, prof)
		assertThreadsFromC(t, proc, run.truth)
		for _, fn := range sortedKeys(run.truth.Calls) {
			want, f := float64(run.truth.Calls[fn]), proc.Func(fn)
			if f == nil || (!f.Estimated && float64(f.Calls) != want) ||
				float64(f.Calls) < want*(1-hotTolerance) || float64(f.Calls) > want*(1+hotTolerance) {
				t.Errorf("%s: %v calls reported, the workload made %.0f", fn, callsOf(f), want)
			}
		}
		if proc.WorstVerdict != "ok" {
			t.Errorf("worst verdict %q (%s): a producer at work is ok", proc.WorstVerdict, proc.WorstReason)
		}
		checkKafka(t, proc, run, "kafka")
		t.Logf("sampled %v, ratio %.3f; %s", proc.Sampled, proc.SamplingRatio, funcSummary(proc, run))
	})
}

// checkKafka asserts what every run of the producer shows: its exact
// total, an ok verdict, the one long call with its length, the flushes
// within their timeout, and (with .symtab) every function named.
func checkKafka(t *testing.T, proc *Process, run *traceRun, name string) {
	t.Helper()
	checkIdentity(t, proc, name)
	truth := run.truth
	if proc.ExactCalls == nil || *proc.ExactCalls != int64(truth.CgoCalls) || proc.ExactCallsPartial {
		t.Errorf("exact_calls %v (partial %v), the workload made %d cgo calls", proc.ExactCalls, proc.ExactCallsPartial, truth.CgoCalls)
	}
	if proc.Verdict != "ok" {
		t.Errorf("verdict %q (%v), want ok", proc.Verdict, proc.Reasons)
	}

	// The one long call: as long as Go measured it, less a little.
	md := truth.Timing["rd_kafka_metadata"]
	if md.Calls != 1 || md.GoMaxNs < (kafkaMetadata-kafkaSlack).Nanoseconds() {
		t.Errorf("TRUTH: rd_kafka_metadata %+v, want one call lasting its %v timeout", md, kafkaMetadata)
	}
	if f := proc.Func("rd_kafka_metadata"); f == nil || int64(f.MaxNs) < md.GoMaxNs-kafkaSlack.Nanoseconds() {
		t.Errorf("rd_kafka_metadata: %+v, want a call of at least %d ns less %v (Go measured it around GetMetadata)",
			f, md.GoMaxNs, kafkaSlack)
	}
	if proc.LongCalls != 1 {
		t.Errorf("long_calls %d, want 1 (rd_kafka_metadata; every other call lasts at most %v)", proc.LongCalls, kafkaFlushTime)
	}

	// Each Flush that found messages queued called rd_kafka_flush at
	// least once, none waiting longer than its timeout.
	if n := truth.Ops["flush_pending"]; n > 0 {
		f := proc.Func("rd_kafka_flush")
		switch {
		case f == nil:
			t.Errorf("rd_kafka_flush: not reported; %d Flush calls found messages queued", n)
		case f.Calls < n:
			t.Errorf("rd_kafka_flush: %d calls, want at least %d", f.Calls, n)
		case f.MaxNs > uint64((kafkaFlushTime + kafkaSlack).Nanoseconds()):
			t.Errorf("rd_kafka_flush: max_ns %d, want at most %v + %v", f.MaxNs, kafkaFlushTime, kafkaSlack)
		}
	}

	// With .symtab every function the binding calls has its name.
	if name == "kafka" {
		for _, f := range proc.Functions {
			if strings.HasPrefix(f.Name, "0x") || strings.HasPrefix(f.Name, "(") || strings.Contains(f.Name, "(.") {
				t.Errorf("%s at %s (%d calls): not named; reported: %s", f.Name, f.Addr, f.Calls, strings.Join(proc.FuncNames(), " "))
			}
		}
	}
}
