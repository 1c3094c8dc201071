package e2e

// --web.config.file: TLS with a minimum version and client certificates,
// basic_auth_users with bcrypt hashes, reloaded on SIGHUP (a bad file keeps
// the old settings).

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bcryptHash is a bcrypt hash of pass (python3's crypt, i.e. libxcrypt), cost 4.
func bcryptHash(t *testing.T, pass string) string {
	t.Helper()
	py := requireCommand(t, "python3", "makes bcrypt hashes")
	out, err := exec.Command(py, "-W", "ignore", "-c",
		"import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))", pass).Output()
	if err != nil || !strings.HasPrefix(string(out), "$2") {
		t.Skipf("SKIPPED: cannot make a bcrypt hash with python3 crypt: %v %s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// makePKI writes ca.pem, server.pem/server.key (localhost, 127.0.0.1) and
// client.pem/client.key signed by that CA, and other.pem/other.key
// self-signed, into dir.
func makePKI(t *testing.T, dir string) {
	t.Helper()
	ossl := requireCommand(t, "openssl", "makes test certificates")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(ossl, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ec := []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"}
	run(append([]string{"req", "-x509", "-days", "1", "-subj", "/CN=test CA", "-keyout", "ca.key", "-out", "ca.pem"}, ec...)...)
	if err := os.WriteFile(filepath.Join(dir, "san.ext"), []byte("subjectAltName=DNS:localhost,IP:127.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"server", "client"} {
		run(append([]string{"req", "-new", "-subj", "/CN=" + name, "-keyout", name + ".key", "-out", name + ".csr"}, ec...)...)
		run("x509", "-req", "-in", name+".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
			"-days", "1", "-extfile", "san.ext", "-out", name+".pem")
	}
	run(append([]string{"req", "-x509", "-days", "1", "-subj", "/CN=other", "-keyout", "other.key", "-out", "other.pem"}, ec...)...)
}

func TestAgentWebConfig(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	makePKI(t, dir)
	alice, bob := bcryptHash(t, "alice-pw"), bcryptHash(t, "bob-pw")
	cfg := filepath.Join(dir, "web.yml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tlsPart := "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  min_version: TLS12\n"
	write(tlsPart + "basic_auth_users:\n  alice: " + alice + "\n")
	a := startAgentArgs(t, []string{"--web.config.file", cfg, "--include", "/nonexistent/*"})
	url := fmt.Sprintf("https://127.0.0.1:%d", a.Port)

	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := func(cert string, maxVersion uint16) *http.Client {
		conf := &tls.Config{RootCAs: pool, MaxVersion: maxVersion}
		if cert != "" {
			c, err := tls.LoadX509KeyPair(filepath.Join(dir, cert+".pem"), filepath.Join(dir, cert+".key"))
			if err != nil {
				t.Fatal(err)
			}
			conf.Certificates = []tls.Certificate{c}
		}
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: conf}}
	}
	// status of GET path as user:pass ("" for none) with client certificate cert; -1 on a TLS or transport error
	status := func(c *http.Client, path, user, pass string) int {
		req, _ := http.NewRequest("GET", url+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := c.Do(req)
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	waitStatus := func(c *http.Client, path, user, pass string, want int, what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		got := status(c, path, user, pass)
		for got != want && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			got = status(c, path, user, pass)
		}
		if got != want {
			t.Fatalf("%s: GET %s as %q: status %d, want %d\nagent stderr:\n%s", what, path, user, got, want, a.stderr)
		}
	}
	plain := client("", 0)
	waitStatus(plain, "/metrics", "alice", "alice-pw", 200, "bcrypt user")
	waitStatus(plain, "/metrics", "alice", "wrong", 401, "wrong password")
	waitStatus(plain, "/metrics", "", "", 401, "no credentials")
	waitStatus(plain, "/healthz", "", "", 200, "/healthz needs no credentials")
	waitStatus(client("", tls.VersionTLS11), "/healthz", "", "", -1, "TLS 1.1 under min_version TLS12")

	// SIGHUP: bob instead of alice
	write(tlsPart + "basic_auth_users:\n  bob: " + bob + "\n")
	a.signal(syscall.SIGHUP)
	waitStatus(plain, "/metrics", "alice", "alice-pw", 401, "alice after the reload")
	waitStatus(plain, "/metrics", "bob", "bob-pw", 200, "bob after the reload")

	// a bad file: logged, the old settings stay
	write(tlsPart + "basic_auth_users:\n  bob: [\n")
	a.signal(syscall.SIGHUP)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(a.stderr.String(), "web config not reloaded") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(a.stderr.String(), "web config not reloaded") {
		t.Errorf("a bad web config on SIGHUP was not reported:\n%s", a.stderr)
	}
	waitStatus(plain, "/metrics", "bob", "bob-pw", 200, "bob after a bad reload")

	// client certificates, required and verified against the CA (TLS restarts on the same port)
	write(tlsPart + "  client_ca_file: ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n" +
		"basic_auth_users:\n  bob: " + bob + "\n")
	a.signal(syscall.SIGHUP)
	waitStatus(client("client", 0), "/metrics", "bob", "bob-pw", 200, "a client certificate of the CA")
	none, other := status(plain, "/metrics", "bob", "bob-pw"), status(client("other", 0), "/metrics", "bob", "bob-pw")
	t.Logf("RequireAndVerifyClientCert: no certificate -> %d, another CA's -> %d (-1: handshake refused)", none, other)
	if none != 403 && none != -1 {
		t.Errorf("no client certificate: status %d, want 403 or a refused handshake", none)
	}
	if other != 403 && other != -1 {
		t.Errorf("a client certificate of another CA: status %d, want 403 or a refused handshake", other)
	}
	a.Stop()
}
