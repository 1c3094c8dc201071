package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Profile is the output of `cgoscope profile --json`.
type Profile struct {
	Version         string            `json:"cgoscope_version"`
	Time            float64           `json:"time"`
	DurationS       float64           `json:"duration_s"`
	LongThresholdNs uint64            `json:"long_threshold_ns"`
	Drops           map[string]uint64 `json:"drops"`
	Processes       []Process         `json:"processes"`
	Stacks          []Stack           `json:"stacks"`
}

// Stack is a goroutine's Go stack above runtime.cgocall, innermost first.
type Stack struct {
	Truncated  bool    `json:"truncated"`
	CalledFrom string  `json:"called_from"`
	Frames     []Frame `json:"frames"`
}

// Frame is one symbolized Go frame.
type Frame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Inlined  bool   `json:"inlined"`
}

// CTime is a process's C-time profile (the census).
type CTime struct {
	CensusNs uint64       `json:"census_ns"`
	OtherNs  uint64       `json:"other_ns"`
	Entries  []CTimeEntry `json:"entries"`
}

// CTimeEntry is thread-time in C of one function from one stack.
type CTimeEntry struct {
	Function   string `json:"function"`
	Ns         uint64 `json:"ns"`
	Samples    uint64 `json:"samples"`
	CalledFrom string `json:"called_from"`
	Stack      *int   `json:"stack"`
}

// Process is one traced process in a Profile.
type Process struct {
	Pid               int        `json:"pid"`
	NsPid             int        `json:"nspid"`
	Comm              string     `json:"comm"`
	Exe               string     `json:"exe"`
	GoVersion         string     `json:"go_version"`
	ContainerID       *string    `json:"container_id"`
	Placement         string     `json:"placement"`
	ProbeCostNs       float64    `json:"probe_cost_ns"`
	SpanFloorNs       float64    `json:"span_floor_ns"`
	Exited            bool       `json:"exited"`
	Calls             uint64     `json:"calls"`
	Inflight          int64      `json:"inflight"`
	InflightPeak      int64      `json:"inflight_peak"`
	LongCalls         uint64     `json:"long_calls"`
	LongCallsUnseen   uint64     `json:"long_calls_unseen"`
	Threads           Threads    `json:"threads"`
	Gomaxprocs        *int       `json:"gomaxprocs"`
	MaxThreads        int        `json:"max_threads"`
	MaxThreadsAssumed bool       `json:"max_threads_assumed"`
	Verdict           string     `json:"verdict"`
	WorstVerdict      string     `json:"worst_verdict"`
	WorstReason       string     `json:"worst_reason"`
	Reasons           []string   `json:"reasons"`
	Blocked           []Blocked  `json:"blocked"`
	FunctionsFolded   int        `json:"functions_folded"`
	Functions         []Function `json:"functions"`
	ExactCalls        *int64     `json:"exact_calls"`
	ExactCallsPartial bool       `json:"exact_calls_partial"`
	RuntimeView       bool       `json:"runtime_view"`
	SamplingRatio     float64    `json:"sampling_ratio"`
	ProbeOverhead     float64    `json:"probe_overhead"`
	ProbeHits         uint64     `json:"probe_hits"`
	CTime             CTime      `json:"c_time"`
	Sampled           bool       `json:"sampled"`
	UnattributedCalls uint64     `json:"unattributed_calls"`
}

// Threads is the OS thread accounting of one process.
type Threads struct {
	Current    int64   `json:"current"`
	Peak       int64   `json:"peak"`
	Created    uint64  `json:"created"`
	CreatedByC uint64  `json:"created_by_c"`
	Exited     uint64  `json:"exited"`
	ExitedByC  uint64  `json:"exited_by_c"`
	Go         *int64  `json:"go"` // the runtime's Ms (idle extra Ms for callbacks included)
	GrowthPerS float64 `json:"growth_per_s"`
}

// Blocked is a call that has been in C longer than the long threshold.
type Blocked struct {
	Tid               int    `json:"tid"`
	Function          string `json:"function"`
	ElapsedNs         uint64 `json:"elapsed_ns"`
	ElapsedLowerBound bool   `json:"elapsed_lower_bound"`
	CalledFrom        string `json:"called_from"`
	Stack             *int   `json:"stack"`
}

// Function is the statistics of one C function in one process.
type Function struct {
	Name        string   `json:"name"`
	Addr        string   `json:"addr"`
	Calls       uint64   `json:"calls"` // made: the estimate while the probes sample
	Estimated   bool     `json:"estimated"`
	LowerBound  bool     `json:"calls_lower_bound"` // never traced: the calls the census saw
	TracedCalls uint64   `json:"traced_calls"`
	TotalNs     uint64   `json:"total_ns"`
	TracedNs    uint64   `json:"traced_ns"`
	AvgNs       float64  `json:"avg_ns"`
	P50Ns       float64  `json:"p50_ns"`
	P99Ns       float64  `json:"p99_ns"`
	MaxNs       uint64   `json:"max_ns"`
	Inflight    int64    `json:"inflight"`
	Histogram   []Bucket `json:"histogram"`
	Callers     []Caller `json:"callers"`
}

// Caller is the traced calls of a function made from one Go stack.
type Caller struct {
	CalledFrom string `json:"called_from"`
	Stack      *int   `json:"stack"`
	Calls      uint64 `json:"calls"`
	TotalNs    uint64 `json:"total_ns"`
	Exact      bool   `json:"exact"`
}

// Bucket is one log2 histogram slot: calls lasting [LoNs, HiNs) ns.
type Bucket struct {
	LoNs  uint64 `json:"lo_ns"`
	HiNs  uint64 `json:"hi_ns"`
	Count uint64 `json:"count"`
}

// dropCauses are the keys of "drops", every one of which must be present.
var dropCauses = []string{"stats_map_full", "calls_map_full", "depth_exceeded",
	"unpaired_leave", "stale_frame", "read_failed", "ringbuf_full"}

// Process returns the entry of pid, failing the test if there is none.
func (p *Profile) Process(t *testing.T, pid int) *Process {
	t.Helper()
	for i := range p.Processes {
		if p.Processes[i].Pid == pid {
			return &p.Processes[i]
		}
	}
	t.Fatalf("profile has no process %d (has %d processes)", pid, len(p.Processes))
	return nil
}

// StackOf returns the stack at index i (nil: none), or nil.
func (p *Profile) StackOf(i *int) *Stack {
	if i == nil || *i < 0 || *i >= len(p.Stacks) {
		return nil
	}
	return &p.Stacks[*i]
}

// Func returns the function called name, or nil.
func (p *Process) Func(name string) *Function {
	for i := range p.Functions {
		if p.Functions[i].Name == name {
			return &p.Functions[i]
		}
	}
	return nil
}

// FuncNames lists the names of the reported functions, for messages.
func (p *Process) FuncNames() []string {
	names := make([]string, len(p.Functions))
	for i, f := range p.Functions {
		names[i] = f.Name
	}
	return names
}

// parseProfile checks out against the schema and decodes it.
func parseProfile(t *testing.T, out []byte) *Profile {
	t.Helper()
	var raw map[string]interface{}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("tracer output is not JSON: %v\noutput:\n%s", err, out)
	}
	if errs := checkProfileSchema(raw); len(errs) > 0 {
		t.Fatalf("tracer JSON does not follow the schema:\n  %s\noutput:\n%s", strings.Join(errs, "\n  "), out)
	}
	var p Profile
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("decoding the profile: %v\noutput:\n%s", err, out)
	}
	return &p
}

// fields maps the keys an object must have to their JSON kind: "string",
// "number", "int", "bool", "array", "object", with "|null" when null is allowed.
type fields map[string]string

var (
	profileFields = fields{"cgoscope_version": "string", "time": "number", "duration_s": "number",
		"long_threshold_ns": "int", "drops": "object", "processes": "array", "stacks": "array"}
	processFields = fields{"pid": "int", "nspid": "int", "comm": "string", "exe": "string",
		"go_version": "string", "container_id": "string|null", "placement": "string",
		"probe_cost_ns": "number", "span_floor_ns": "number", "exited": "bool", "calls": "int",
		"inflight": "int", "inflight_peak": "int", "long_calls": "int", "long_calls_unseen": "int", "threads": "object",
		"gomaxprocs": "int|null", "max_threads": "int", "max_threads_assumed": "bool",
		"verdict": "string", "worst_verdict": "string", "worst_reason": "string", "reasons": "array", "blocked": "array", "functions_folded": "int",
		"functions": "array", "exact_calls": "int|null", "exact_calls_partial": "bool", "runtime_view": "bool",
		"sampling_ratio": "number", "probe_overhead": "number", "probe_hits": "int", "sampled": "bool",
		"unattributed_calls": "int", "c_time": "object"}
	threadsFields = fields{"current": "int", "peak": "int", "created": "int", "created_by_c": "int",
		"exited": "int", "exited_by_c": "int", "go": "int|null", "growth_per_s": "number"}
	blockedFields = fields{"tid": "int", "function": "string", "elapsed_ns": "int", "elapsed_lower_bound": "bool",
		"called_from": "string", "stack": "int|null"}
	ctimeFields      = fields{"census_ns": "int", "other_ns": "int", "entries": "array"}
	ctimeEntryFields = fields{"function": "string", "ns": "int", "samples": "int", "called_from": "string",
		"stack": "int|null"}
	stackFields    = fields{"truncated": "bool", "called_from": "string", "frames": "array"}
	frameFields    = fields{"function": "string", "file": "string", "line": "int", "inlined": "bool"}
	functionFields = fields{"name": "string", "addr": "string", "calls": "int", "estimated": "bool",
		"traced_calls": "int", "total_ns": "int", "traced_ns": "int", "callers": "array",
		"avg_ns": "number", "p50_ns": "number", "p99_ns": "number", "max_ns": "int",
		"inflight": "int", "histogram": "array"}
	bucketFields = fields{"lo_ns": "int", "hi_ns": "int", "count": "int"}
)

// checkProfileSchema returns every way raw departs from the documented schema.
func checkProfileSchema(raw map[string]interface{}) []string {
	var errs []string
	check := func(where string, v interface{}, spec fields) map[string]interface{} {
		obj, ok := v.(map[string]interface{})
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: not an object", where))
			return nil
		}
		for key, kind := range spec {
			if err := checkKind(obj, key, kind); err != "" {
				errs = append(errs, where+"."+err)
			}
		}
		return obj
	}
	array := func(v interface{}) []interface{} { a, _ := v.([]interface{}); return a }

	top := check("$", raw, profileFields)
	drops := fields{}
	for _, c := range dropCauses {
		drops[c] = "int"
	}
	check("$.drops", top["drops"], drops)
	for i, pv := range array(top["processes"]) {
		where := fmt.Sprintf("$.processes[%d]", i)
		p := check(where, pv, processFields)
		check(where+".threads", p["threads"], threadsFields)
		ct := check(where+".c_time", p["c_time"], ctimeFields)
		for j, e := range array(ct["entries"]) {
			check(fmt.Sprintf("%s.c_time.entries[%d]", where, j), e, ctimeEntryFields)
		}
		for j, b := range array(p["blocked"]) {
			check(fmt.Sprintf("%s.blocked[%d]", where, j), b, blockedFields)
		}
		for j, fv := range array(p["functions"]) {
			fw := fmt.Sprintf("%s.functions[%d]", where, j)
			f := check(fw, fv, functionFields)
			for k, b := range array(f["histogram"]) {
				check(fmt.Sprintf("%s.histogram[%d]", fw, k), b, bucketFields)
			}
		}
	}
	for i, sv := range array(top["stacks"]) {
		s := check(fmt.Sprintf("$.stacks[%d]", i), sv, stackFields)
		for j, f := range array(s["frames"]) {
			check(fmt.Sprintf("$.stacks[%d].frames[%d]", i, j), f, frameFields)
		}
	}
	return errs
}

// checkKind returns "" if obj[key] exists and has kind, else what is wrong.
func checkKind(obj map[string]interface{}, key, kind string) string {
	v, ok := obj[key]
	if !ok {
		return key + ": missing"
	}
	kinds := strings.Split(kind, "|")
	for _, k := range kinds {
		if hasKind(v, k) {
			return ""
		}
	}
	return fmt.Sprintf("%s: %v is not %s", key, v, kind)
}

func hasKind(v interface{}, kind string) bool {
	switch x := v.(type) {
	case nil:
		return kind == "null"
	case string:
		return kind == "string"
	case bool:
		return kind == "bool"
	case json.Number:
		if kind == "number" {
			return true
		}
		_, err := x.Int64()
		return kind == "int" && err == nil
	case []interface{}:
		return kind == "array"
	case map[string]interface{}:
		return kind == "object"
	}
	return false
}
