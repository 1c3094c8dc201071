package e2e

// Slow and greedy HTTP clients against the agent: slowloris connections
// (one header line every few seconds, never done), slow readers of /metrics
// (a small receive buffer read a little at a time) and a normal scraper,
// which must keep getting /metrics and /healthz in under a second while the
// agent's memory stays bounded.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	hostileConns   = 64               // slowloris connections, and as many slow readers
	hostileFor     = 15 * time.Second // how long the attack lasts
	scrapeBound    = time.Second      // the normal scraper's bound per request
	hostileRSSGrow = 128 << 20        // RSS growth allowed under attack (render budget 64 MiB)
)

// rssBytes is VmRSS of pid.
func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// hostileDial connects to addr from loopback address 127.0.0.ip (the
// agent's per-IP limit is 16: the attackers spread over several sources).
func hostileDial(addr string, ip int) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(ip))}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// slowloris sends a request line and then one header line every 2 s, never
// ending the headers, reconnecting whenever the agent closes it, until stop.
func slowloris(addr string, ip int, stop <-chan struct{}, reconnects *int64, mu *sync.Mutex) {
	for {
		c, err := hostileDial(addr, ip)
		if err == nil {
			_, err = c.Write([]byte("GET /metrics HTTP/1.1\r\nHost: x\r\n"))
		}
		for i := 0; err == nil; i++ {
			select {
			case <-stop:
				c.Close()
				return
			case <-time.After(2 * time.Second):
			}
			_, err = fmt.Fprintf(c, "X-Slow-%d: %d\r\n", i, i)
		}
		if c != nil {
			c.Close()
		}
		mu.Lock()
		*reconnects++
		mu.Unlock()
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// slowReader asks for /metrics with a 4 KiB receive buffer and reads 1 KiB
// every 500 ms, reconnecting when the agent closes it, until stop.
func slowReader(addr string, ip int, stop <-chan struct{}) {
	buf := make([]byte, 1024)
	for {
		c, err := hostileDial(addr, ip)
		if err == nil {
			_ = c.SetReadBuffer(4096)
			_, err = c.Write([]byte("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
		}
		for err == nil {
			select {
			case <-stop:
				c.Close()
				return
			case <-time.After(500 * time.Millisecond):
			}
			_, err = c.Read(buf)
		}
		if c != nil {
			c.Close()
		}
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestAgentSlowClients: 64 slowloris connections and 64 slow readers of
// /metrics for 15 s while a normal scraper gets /metrics and /healthz every
// 200 ms: each answer within 1 s, the agent's RSS growing by at most 128 MiB.
func TestAgentSlowClients(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "manyfuncs")
	data, err := os.ReadFile(workloadBin(t, "manyfuncs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	// 10 processes x 20 functions: a /metrics page of some size to read slowly
	var pids []int
	for i := 0; i < 10; i++ {
		cmd := exec.Command(bin, "-hz", "20")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, cmd.Process.Pid)
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	a := startAgentDefaults(t, "--include", dir+"/*", "--web.render-cache-ttl=1000")
	deadline := time.Now().Add(tracingTimeout)
	var body string
	for {
		var m metrics
		m, body = a.Scrape()
		if m.has(pids[len(pids)-1]) && m.has(pids[0]) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", a.Port)
	pid := a.cmd.Process.Pid
	rss0 := rssBytes(t, pid)
	t.Logf("/metrics: %d bytes; agent RSS before: %.1f MB", len(body), float64(rss0)/1e6)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var reconnects int64
	for i := 0; i < hostileConns; i++ {
		wg.Add(2)
		go func(i int) { defer wg.Done(); slowloris(addr, 2+i%4, stop, &reconnects, &mu) }(i)
		go func(i int) { defer wg.Done(); slowReader(addr, 6+i%4, stop) }(i)
	}
	defer func() { close(stop); wg.Wait() }()

	// a new connection per request, as a Prometheus whose keep-alive connection the agent
	// closed between scrapes: holding one connection open from before the attack would
	// never meet the connection limit
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (time.Duration, error) {
		t0 := time.Now()
		resp, err := client.Get(a.URL + path)
		if err != nil {
			return time.Since(t0), err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil && (resp.StatusCode != 200 || n == 0) {
			err = fmt.Errorf("status %d, %d bytes", resp.StatusCode, n)
		}
		return time.Since(t0), err
	}
	var metricsLat, healthLat []time.Duration
	rssMax := rss0
	for end := time.Now().Add(hostileFor); time.Now().Before(end); {
		took, err := get("/metrics")
		if err != nil || took > scrapeBound {
			t.Errorf("under attack: GET /metrics took %v (%v)", took, err)
		}
		metricsLat = append(metricsLat, took)
		took, err = get("/healthz")
		if err != nil || took > scrapeBound {
			t.Errorf("under attack: GET /healthz took %v (%v)", took, err)
		}
		healthLat = append(healthLat, took)
		if r := rssBytes(t, pid); r > rssMax {
			rssMax = r
		}
		time.Sleep(200 * time.Millisecond)
	}
	m, _ := a.Scrape()
	closed := func(reason string) float64 {
		v, _ := m.value("cgoscope_http_connections_closed_total", map[string]string{"reason": reason})
		return v
	}
	renders, _ := m.value("cgoscope_http_renders_total", nil)
	mu.Lock()
	t.Logf("%d slowloris + %d slow readers for %v: /metrics p50 %v max %v, /healthz p50 %v max %v (%d each)",
		hostileConns, hostileConns, hostileFor, pct(metricsLat, 50), pct(metricsLat, 100),
		pct(healthLat, 50), pct(healthLat, 100), len(metricsLat))
	t.Logf("agent RSS %.1f MB before, %.1f MB at most under attack; closed by the agent: %.0f at the limit, %.0f refused, %.0f past the read deadline, %.0f past the write deadline; slowloris reconnects %d; renders %.0f",
		float64(rss0)/1e6, float64(rssMax)/1e6, closed("limit"), closed("refused"), closed("read_deadline"), closed("write_deadline"), reconnects, renders)
	mu.Unlock()
	if rssMax-rss0 > hostileRSSGrow {
		t.Errorf("agent RSS grew from %.1f MB to %.1f MB under attack (bound +%d MB)", float64(rss0)/1e6, float64(rssMax)/1e6, hostileRSSGrow>>20)
	}
	if closed("limit")+closed("read_deadline") == 0 {
		t.Errorf("no slowloris connection closed by the agent: the attack did not reach it")
	}
}

// pct is the p-th percentile of d (p 100: the maximum), rounded to 0.1 ms.
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return s[i].Round(100 * time.Microsecond)
}
