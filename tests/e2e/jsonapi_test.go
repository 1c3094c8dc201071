package e2e

// The agent's JSON API against its written schema (docs/schema/*.json,
// checked by python3-jsonschema): /api/v1/processes (compact, ?pretty=1,
// ?pid=, gzip), /api/v1/processes/PID, /api/v1/alerts, and HEAD /metrics.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validateScript checks the JSON on stdin against the draft-07 schema in argv[1].
const validateScript = `import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
errs = sorted(jsonschema.Draft7Validator(schema).iter_errors(json.load(sys.stdin)), key=str)
for e in errs[:20]:
    print("$" + "".join("[%r]" % p for p in e.absolute_path), e.message[:300])
sys.exit(1 if errs else 0)
`

// checkSchema fails the test unless doc follows docs/schema/name.
func checkSchema(t *testing.T, name string, doc []byte) {
	t.Helper()
	py := requireCommand(t, "python3", "validates the JSON API against docs/schema")
	if err := exec.Command(py, "-c", "import jsonschema").Run(); err != nil {
		t.Skipf("SKIPPED: python3-jsonschema is not installed (scripts/deps.sh installs it)")
	}
	cmd := exec.Command(py, "-c", validateScript, filepath.Join("..", "..", "docs", "schema", name))
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s: the document departs from the schema (%v):\n%s", name, err, out)
	}
}

// rawGet fetches path with the given Accept-Encoding (no transparent gzip)
// and method, returning the response with its body read.
func rawGet(t *testing.T, a *Agent, method, path, encoding string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, a.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, body
}

func TestAgentJSONAPI(t *testing.T) {
	dir := privateWorkloads(t)
	a := startAgent(t, "--include", dir+"/*")
	w, _ := startTraced(t, a, "cold", "cgoload", "-hot", "500")
	w.Start()
	w.WaitTruth(truthTimeout)
	pid := itoa(w.Pid)

	status, body, ctype := a.Get("/api/v1/processes")
	if status != 200 || ctype != "application/json" {
		t.Fatalf("GET /api/v1/processes: %d %q", status, ctype)
	}
	if strings.Contains(body, "\n") || strings.Contains(body, `": `) {
		t.Errorf("/api/v1/processes is not compact: %.200s", body)
	}
	checkSchema(t, "processes.schema.json", []byte(body))
	if p := parseProfile(t, []byte(body)); p.Process(t, w.Pid).Calls == 0 {
		t.Errorf("PID %s: no calls in /api/v1/processes", pid)
	}

	status, pretty, _ := a.Get("/api/v1/processes?pretty=1")
	if status != 200 || !strings.Contains(pretty, "\n  \"processes\": [") {
		t.Errorf("?pretty=1: status %d, not indented: %.200s", status, pretty)
	}
	checkSchema(t, "processes.schema.json", []byte(pretty))

	for _, path := range []string{"/api/v1/processes?pid=" + pid, "/api/v1/processes/" + pid} {
		status, one, _ := a.Get(path)
		if status != 200 {
			t.Fatalf("GET %s: status %d", path, status)
		}
		checkSchema(t, "processes.schema.json", []byte(one))
		p := parseProfile(t, []byte(one))
		if len(p.Processes) != 1 || p.Processes[0].Pid != w.Pid {
			t.Errorf("GET %s: %d processes, want exactly PID %s", path, len(p.Processes), pid)
		}
	}
	if status, one, _ := a.Get("/api/v1/processes?pid=999999999"); status != 200 || len(parseProfile(t, []byte(one)).Processes) != 0 {
		t.Errorf("?pid= of no traced process: status %d, want 200 and no processes", status)
	}
	for path, want := range map[string]int{"/api/v1/processes/999999999": 404, "/api/v1/processes/abc": 404,
		"/api/v1/processes?pid=abc": 400} {
		if status, _, _ := a.Get(path); status != want {
			t.Errorf("GET %s: status %d, want %d", path, status, want)
		}
	}

	resp, gz := rawGet(t, a, "GET", "/api/v1/processes", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Accept-Encoding: gzip: Content-Encoding %q, Vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	} else {
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("gzip'd /api/v1/processes: %v", err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("gzip'd /api/v1/processes: %v", err)
		}
		checkSchema(t, "processes.schema.json", plain)
		t.Logf("/api/v1/processes: %d bytes compact, %d pretty, %d gzip'd", len(body), len(pretty), len(gz))
	}
	resp, mz := rawGet(t, a, "GET", "/metrics", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || len(mz) < 2 || mz[0] != 0x1f || mz[1] != 0x8b {
		t.Errorf("/metrics with Accept-Encoding: gzip: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	if resp, _ := rawGet(t, a, "GET", "/metrics", "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}

	status, alerts, _ := a.Get("/api/v1/alerts")
	if status != 200 {
		t.Fatalf("GET /api/v1/alerts: status %d", status)
	}
	checkSchema(t, "alerts.schema.json", []byte(alerts))
	var doc map[string]interface{}
	if err := json.Unmarshal([]byte(alerts), &doc); err != nil {
		t.Fatal(err)
	}

	// HEAD: the headers of GET /metrics, no body and no render
	m, _ := a.Scrape()
	before, _ := m.value("cgoscope_http_renders_total", nil)
	for i := 0; i < 5; i++ {
		resp, b := rawGet(t, a, "HEAD", "/metrics", "")
		if resp.StatusCode != 200 || len(b) != 0 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Errorf("HEAD /metrics: %d, %d body bytes, %q", resp.StatusCode, len(b), resp.Header.Get("Content-Type"))
		}
	}
	m, _ = a.Scrape()
	if after, _ := m.value("cgoscope_http_renders_total", nil); after != before+1 {
		t.Errorf("renders %v before 5 HEADs and a GET, %v after: HEAD rendered", before, after)
	}
	if v, ok := m.value("cgoscope_http_requests_total", map[string]string{"handler": "/metrics", "code": "200"}); !ok || v < 7 {
		t.Errorf("cgoscope_http_requests_total{handler=/metrics,code=200} = %v (%v), want >= 7", v, ok)
	}
	for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"} {
		if v, ok := m.value(name, nil); !ok || v <= 0 {
			t.Errorf("%s = %v (%v), want > 0", name, v, ok)
		}
	}
}
