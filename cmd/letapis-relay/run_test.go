package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

func TestCommandLine(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, exitUsage, "", "no command given"},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"help"}, exitOK, "letapis-relay team create --data DIR", ""},
		{[]string{"version"}, exitOK, "protocol v1", ""},
		{[]string{"serve", "-h"}, exitOK, "Usage:", ""},
		{[]string{"serve"}, exitUsage, "", "serve needs --data DIR"},
		{[]string{"serve", "--data", data, "--tls-cert", "c.pem"}, exitUsage, "", "--tls-cert and --tls-key go together"},
		{[]string{"serve", "--data", data, "--quota-bytes", "-1"}, exitUsage, "", "--quota-bytes"},
		{[]string{"serve", "--data", data, "--tls-cert", "nope.pem", "--tls-key", "nope.pem"}, exitError, "", "load the TLS certificate"},
		{[]string{"serve", "--data", data, "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{[]string{"serve", "--nope"}, exitUsage, "", "flag provided but not defined"},
		{[]string{"team"}, exitUsage, "", "'team' needs a subcommand"},
		{[]string{"team", "create"}, exitUsage, "", "team create needs --data DIR"},
		{[]string{"team", "recover", "--data", data}, exitUsage, "", "team recover needs --data DIR and --team ID"},
		{[]string{"team", "recover", "--data", data, "--team", "Nope"}, exitUsage, "", "a team id is 26 characters"},
		{[]string{"team", "recover", "--data", data, "--team", strings.Repeat("a", 26)}, exitError, "", "this relay has no team"},
		{[]string{"serve", "--data", data, "--open-rate", "0"}, exitUsage, "", "--open-rate"},
		{[]string{"serve", "--data", data, "--max-conns", "0"}, exitUsage, "", "--max-conns"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestTeamRecover: recover prints a new token for an existing team, and
// says what the token does and does not do.
func TestTeamRecover(t *testing.T) {
	data := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"team", "create", "--data", data}, &stdout, &stderr); code != exitOK {
		t.Fatalf("team create: %d %s", code, stderr.String())
	}
	var team, token string
	if _, err := fmt.Sscanf(stdout.String(), "team %s\ntoken %s\n", &team, &token); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(t.Context(), []string{"team", "recover", "--data", data, "--team", team}, &stdout, &stderr); code != exitOK {
		t.Fatalf("team recover: %d %s", code, stderr.String())
	}
	var recovery string
	if _, err := fmt.Sscanf(stdout.String(), "token %s\n", &recovery); err != nil || recovery == token || len(recovery) < 40 {
		t.Fatalf("team recover printed %q: %v", stdout.String(), err)
	}
	if !strings.Contains(stderr.String(), "still in the team") || !strings.Contains(stderr.String(), "not of the team's signed roster") {
		t.Fatalf("team recover does not say what the token does: %q", stderr.String())
	}
}

func TestRelayKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.key")
	log := slog.New(slog.DiscardHandler)
	key, err := loadOrCreateKey(path, log)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	again, err := loadOrCreateKey(path, log)
	if err != nil || !again.Equal(key) {
		t.Fatalf("reloaded key differs: %v", err)
	}
	os.WriteFile(path, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
	if _, err := loadOrCreateKey(path, log); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged key: %v", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8443": true, "[::1]:8443": true, "0.0.0.0:8443": false, "192.0.2.1:80": false, "[::]:80": false,
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if isLoopback(a) != want {
			t.Errorf("%s: loopback %v", addr, !want)
		}
	}
}

// TestServe builds the real binary, creates a team while the relay is
// stopped, serves on a free loopback port, registers the team's admin,
// and stops the relay with SIGTERM while a long-poll is waiting: the poll
// is answered and the relay exits 0, keeping its key for the next start.
func TestServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	dir := t.TempDir()
	bin, data := filepath.Join(dir, "letapis-relay"), filepath.Join(dir, "data")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	out, err := exec.Command(bin, "team", "create", "--data", data).Output()
	if err != nil {
		t.Fatalf("team create: %v", err)
	}
	var team, token string
	if _, err := fmt.Sscanf(string(out), "team %s\ntoken %s\n", &team, &token); err != nil || !wire.ValidName(team) {
		t.Fatalf("team create printed %q: %v", out, err)
	}

	srv := startRelay(t, bin, data)
	if info := srv.info(t); !info.RelayKey.Equal(srv.key) {
		t.Fatalf("info %+v does not match the logged relay key", info)
	}

	cmd := exec.Command(bin, "team", "create", "--data", data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "in use by another process") {
		t.Fatalf("team create while serving: %v, %q", err, stderr.String())
	}

	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	pseudonym := strings.Repeat("a", 26)
	reg, _ := json.Marshal(wire.Register{Token: token, Pseudonym: pseudonym, AuthKey: pub})
	resp, err := http.Post(srv.url+"/v1/teams/"+team+"/register", "application/json", bytes.NewReader(reg))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %v %v", resp.Status, err)
	}
	resp.Body.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.url+"/v1/teams/"+team+"/log?wait=30", nil)
	req.Header.Set(wire.HeaderDigest, wire.Digest(nil))
	wire.SignRequest(req, pseudonym, key, time.Now())
	polled := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			polled <- 0
			return
		}
		resp.Body.Close()
		polled <- resp.StatusCode
	}()
	time.Sleep(300 * time.Millisecond) // the poll is waiting

	start := time.Now()
	if code := srv.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, srv.logs.String())
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	if status := <-polled; status != http.StatusOK {
		t.Errorf("the long-poll got %d during shutdown", status)
	}
	for _, s := range []string{team, pseudonym, token} {
		if strings.Contains(srv.logs.String(), s) {
			t.Errorf("the log names %q", s)
		}
	}

	again := startRelay(t, bin, data)
	if !again.key.Equal(srv.key) {
		t.Fatal("the relay key changed across restarts")
	}
	again.stop(t)
}

// runningRelay is a letapis-relay serve process.
type runningRelay struct {
	cmd  *exec.Cmd
	url  string
	key  ed25519.PublicKey
	logs *bytes.Buffer // standard error, complete once stopped
	done chan struct{}
}

// startRelay starts serve on a free loopback port and waits for it to
// log its address.
func startRelay(t *testing.T, bin, data string) *runningRelay {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data", data)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &runningRelay{cmd: cmd, logs: &bytes.Buffer{}, done: make(chan struct{})}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-r.done
	})
	listening := make(chan struct{})
	go func() {
		defer close(r.done)
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			r.logs.Write(append(lines.Bytes(), '\n'))
			var line struct {
				Msg, Addr string
				RelayKey  []byte `json:"relay_key"`
			}
			if json.Unmarshal(lines.Bytes(), &line) == nil && line.Msg == "relay listening" {
				r.url, r.key = "http://"+line.Addr, line.RelayKey
				close(listening)
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case <-listening:
	case <-r.done:
		cmd.Wait()
		t.Fatalf("serve exited before listening:\n%s", r.logs)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start listening in 10 s")
	}
	return r
}

func (r *runningRelay) info(t *testing.T) wire.Info {
	t.Helper()
	resp, err := http.Get(r.url + "/v1/info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info wire.Info
	if err := wire.Decode(resp.Body, &info); err != nil {
		t.Fatal(err)
	}
	return info
}

// stop sends SIGTERM and returns the exit code.
func (r *runningRelay) stop(t *testing.T) int {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-r.done
	r.cmd.Wait()
	return r.cmd.ProcessState.ExitCode()
}

// TestServeTLS runs serve in this process with a self-signed certificate:
// it logs the certificate's pin, answers over TLS and stops when its
// context ends.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	cert, certFile, keyFile := writeTestCertificate(t, dir)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data", filepath.Join(dir, "data"),
			"--tls-cert", certFile, "--tls-key", keyFile}, io.Discard, &stderr)
	}()

	var addr, pin string
	for deadline := time.Now().Add(10 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", stderr.String())
		}
		for line := range strings.Lines(stderr.String()) {
			var l struct {
				Msg, Addr string
				TLSPin    string `json:"tls_pin"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "relay listening" {
				addr, pin = l.Addr, l.TLSPin
			}
		}
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	if pin != hex.EncodeToString(sum[:]) {
		t.Errorf("logged pin %q, want the certificate's", pin)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := client.Get("https://" + addr + "/v1/info")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/info over TLS: %v", err)
	}
	resp.Body.Close()
	client.CloseIdleConnections()

	cancel()
	if code := <-exit; code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "plain HTTP") {
		t.Error("warned of plain HTTP while serving TLS")
	}
}

// writeTestCertificate writes a self-signed certificate for 127.0.0.1 and
// its key, and returns the certificate and the two files.
func writeTestCertificate(t *testing.T, dir string) (cert *x509.Certificate, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "relay.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certFile, keyFile
}

// syncBuffer is a buffer that serve writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
