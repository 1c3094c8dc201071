// Command kafka is a Kafka producer built on
// github.com/confluentinc/confluent-kafka-go/v2, whose bundled static
// librdkafka is a large C library with threads of its own, nobody here wrote.
// No broker runs: bootstrap.servers is a loopback address where nothing
// listens (127.0.0.1:1 by default), so every connection attempt is refused at
// once and no traffic leaves the host. The program reports how many times it
// called the C functions whose counts follow exactly from the Go calls it
// made, so that cgoscope's counts can be compared with what it did.
//
// It speaks the workload protocol of cgoscope.test/internal/proto (READY,
// SIGUSR1, TRUTH). The scenario: create a producer; produce -messages
// messages to one topic (they only queue in librdkafka: with no broker they
// fail with a timed-out delivery report after -message-timeout-ms, read from
// the Events channel); ask for the cluster metadata once with a
// -metadata-timeout-ms timeout (no broker ever becomes usable, so the one
// C call blocks for the whole timeout); Flush(-flush-timeout-ms) -flushes
// times (the messages are still queued: each waits its timeout); wait for
// every delivery report; close the producer. The binding's own goroutines
// (the poller calling into C all the time, Flush's helper) make more calls.
//
// The TRUTH counts are derived from the Go calls the program made and from
// what confluent-kafka-go v2.11.1, pinned in go.mod, does in C for each
// (producer.go, config.go, handle.go, metadata.go):
//
//	Go call                C calls made through cgo (only the asserted ones)
//	NewProducer(conf)      rd_kafka_conf_new; rd_kafka_conf_set once for each
//	                         conf key not starting with "go." and twice more
//	                         (client.software.name, .version); rd_kafka_new
//	Produce(msg, nil)      do_produce (the binding's C wrapper of
//	                         rd_kafka_producev); rd_kafka_topic_new the first
//	                         time a topic is used (the handle caches it)
//	GetMetadata(nil, ...)  rd_kafka_metadata (rd_kafka_metadata_destroy only
//	                         on success, which needs a broker)
//	Close()                rd_kafka_topic_destroy per cached topic, rd_kafka_destroy
//	a delivery report      rd_kafka_message_leader_epoch (the poller converting
//	  read from Events       it, before it sends it to Events)
//
// cgo_calls is how far runtime.NumCgoCall() moved from the scenario's start
// to the end of Close, when no goroutine of the binding is left to call C:
// every cgo call the scenario made (not the one the runtime makes at start,
// before a tracer can attach). Timing holds
// rd_kafka_metadata measured in Go around GetMetadata (librdkafka does not
// time itself: its C bounds are 0). c_threads_created is the number of
// distinct librdkafka threads (comm "rdk:...") seen in /proc/self/task while
// the producer lived: librdkafka's main thread, its internal broker thread and
// one thread per bootstrap server. Ops counts what has no exact C count:
// produce, flush, flush_pending (Flush calls that returned with messages still
// queued; each made at least one rd_kafka_flush call of at most its timeout),
// delivery_reports, delivery_errors, error_events. Any error exits 1.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"cgoscope.test/internal/proto"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// config are the scenario's parameters (the flags).
type config struct {
	bootstrap        string
	topic            string
	messages         int
	messageTimeoutMs int
	metadataTimeout  int
	flushes          int
	flushTimeout     int
}

// ops counts the Go calls the scenario made and what came back.
type ops struct {
	confKeys     uint64 // librdkafka keys in the ConfigMap (not "go.*")
	producers    uint64 // NewProducer
	topics       uint64 // distinct topics produced to
	produces     uint64 // Produce
	metadata     uint64 // GetMetadata
	closes       uint64 // Close
	flushes      uint64 // Flush
	flushPending uint64 // Flush calls that returned > 0
	reports      uint64 // delivery reports read from Events
	reportErrs   uint64 // of those, failed ones
	errEvents    uint64 // kafka.Error events read from Events
}

// cCalls maps the operations to the C calls confluent-kafka-go v2.11.1 makes for them.
func (o ops) cCalls() map[string]uint64 {
	return map[string]uint64{
		"rd_kafka_conf_new":             o.producers,
		"rd_kafka_conf_set":             o.producers * (o.confKeys + 2),
		"rd_kafka_new":                  o.producers,
		"rd_kafka_topic_new":            o.topics,
		"do_produce":                    o.produces,
		"rd_kafka_metadata":             o.metadata,
		"rd_kafka_topic_destroy":        o.closes * o.topics,
		"rd_kafka_destroy":              o.closes,
		"rd_kafka_message_leader_epoch": o.reports,
	}
}

func (o ops) counts() map[string]uint64 {
	return map[string]uint64{
		"produce":          o.produces,
		"flush":            o.flushes,
		"flush_pending":    o.flushPending,
		"delivery_reports": o.reports,
		"delivery_errors":  o.reportErrs,
		"error_events":     o.errEvents,
	}
}

func main() {
	var c config
	flag.StringVar(&c.bootstrap, "bootstrap", "127.0.0.1:1", "bootstrap.servers: a loopback `host:port` where no broker listens")
	flag.StringVar(&c.topic, "topic", "cgoscope", "produce to `topic`")
	flag.IntVar(&c.messages, "messages", 2000, "produce `N` messages")
	flag.IntVar(&c.messageTimeoutMs, "message-timeout-ms", 4000, "message.timeout.ms: a message's delivery fails after `ms` (longer than the metadata call and the flushes, so they find it queued)")
	flag.IntVar(&c.metadataTimeout, "metadata-timeout-ms", 2500, "GetMetadata's timeout: the one long C call, in `ms`")
	flag.IntVar(&c.flushes, "flushes", 3, "call Flush `N` times")
	flag.IntVar(&c.flushTimeout, "flush-timeout-ms", 100, "each Flush's timeout in `ms`")
	opts := proto.AddFlags(flag.CommandLine)
	flag.Parse()
	if c.messages < 1 || c.messageTimeoutMs < 1 || c.metadataTimeout < 1 || c.flushes < 0 || c.flushTimeout < 1 {
		fmt.Fprintln(os.Stderr, "kafka: -messages and the timeouts must be at least 1, -flushes not negative")
		os.Exit(2)
	}

	sess := proto.Begin(opts)
	t0 := time.Now()
	truth := scenario(c)
	truth.ElapsedNs = time.Since(t0).Nanoseconds()
	truth.Pid = os.Getpid()
	sess.Finish(truth)
}

func scenario(c config) proto.Truth {
	var o ops
	cgo0 := runtime.NumCgoCall()
	conf := kafka.ConfigMap{
		"bootstrap.servers":     c.bootstrap,
		"broker.address.family": "v4",
		"client.id":             "cgoscope-kafka",
		"message.timeout.ms":    c.messageTimeoutMs,
		"log_level":             2, // not the refused connections' log lines (3), only worse
	}
	for k := range conf {
		if !strings.HasPrefix(k, "go.") {
			o.confKeys++
		}
	}
	o.producers++
	p, err := kafka.NewProducer(&conf)
	check(err)
	rdk := map[int]bool{} // librdkafka threads seen
	rdkThreads(rdk)

	// Read the Events channel until Close closes it, then hand the counts
	// over; done is closed once every message has its delivery report.
	done := make(chan struct{})
	read := make(chan ops)
	go func() {
		var e ops
		for ev := range p.Events() {
			switch ev := ev.(type) {
			case *kafka.Message:
				e.reports++
				if ev.TopicPartition.Error != nil {
					e.reportErrs++
				}
				if e.reports == uint64(c.messages) {
					close(done)
				}
			case kafka.Error:
				e.errEvents++
			}
		}
		read <- e
	}()

	topic := c.topic
	o.topics++
	for i := 0; i < c.messages; i++ {
		o.produces++
		check(p.Produce(&kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
			Value:          []byte("message-" + strconv.Itoa(i)),
		}, nil))
	}
	rdkThreads(rdk)

	var md proto.Timing
	o.metadata++
	t := time.Now()
	_, err = p.GetMetadata(nil, false, c.metadataTimeout)
	d := time.Since(t).Nanoseconds()
	md.Add(0, d)
	if err == nil {
		proto.Fatalf("GetMetadata succeeded: a broker listens on %s", c.bootstrap)
	}
	rdkThreads(rdk)

	for i := 0; i < c.flushes; i++ {
		o.flushes++
		if p.Flush(c.flushTimeout) > 0 {
			o.flushPending++
		}
	}
	rdkThreads(rdk)

	wait := time.Duration(c.messageTimeoutMs)*time.Millisecond + 10*time.Second
	select {
	case <-done:
	case <-time.After(wait):
		proto.Fatalf("not all %d delivery reports arrived within %v", c.messages, wait)
	}
	rdkThreads(rdk)
	o.closes++
	p.Close()
	e := <-read
	o.reports, o.reportErrs, o.errEvents = e.reports, e.reportErrs, e.errEvents

	return proto.Truth{
		Calls:           o.cCalls(),
		CThreadsCreated: len(rdk),
		Timing:          map[string]proto.Timing{"rd_kafka_metadata": md},
		CgoCalls:        uint64(runtime.NumCgoCall() - cgo0),
		Ops:             o.counts(),
	}
}

// rdkThreads adds the threads of this process named by librdkafka ("rdk:main",
// "rdk:broker1", ...) to seen.
func rdkThreads(seen map[int]bool) {
	comms, err := filepath.Glob("/proc/self/task/*/comm")
	check(err)
	for _, f := range comms {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		if strings.HasPrefix(string(b), "rdk:") {
			tid, err := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			check(err)
			seen[tid] = true
		}
	}
}

func check(err error) {
	if err != nil {
		proto.Fatalf("%v", err)
	}
}
