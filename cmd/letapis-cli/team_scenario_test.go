package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestTeamScenario builds letapis-relay and letapis-cli and runs them as
// separate processes, as two people on one machine would: the operator
// creates a team and serves the relay; an admin founds the team and
// invites a second device; records and attachments move both ways; the
// relay is restarted in the middle, once while a device watches it; a
// client killed in the middle of a large transfer resumes it, sending and
// fetching only the parts that are missing; and a device approved as an
// admin removes the founder.
func TestTeamScenario(t *testing.T) {
	// The operator creates the team while the relay is stopped, then
	// serves it.
	tmp, br := t.TempDir(), startBinaryRelay(t)
	cliBin, relayBin, data, addr, team, token, relay := br.cli, br.relayBin, br.data, br.addr, br.team, br.token, br.proc
	relayURL := "http://" + addr

	a := &cliProcess{t: t, bin: cliBin, vault: filepath.Join(tmp, "a")}
	b := &cliProcess{t: t, bin: cliBin, vault: filepath.Join(tmp, "b")}
	a.ok("", "init")
	b.ok("", "init")

	// Forming the team.
	if got := a.ok("", "team", "create", "--relay", relayURL, "--team", team, "--token", token); got != team {
		t.Fatalf("team create printed %q", got)
	}
	code := a.ok("", "team", "invite")
	safety := b.ok("", "team", "join", code)
	var approvals []approval
	a.okJSON(&approvals, "--yes", "team", "approve")
	if len(approvals) != 1 || approvals[0].SafetyNumber != safety || !approvals[0].Approved {
		t.Fatalf("approve: %+v; the new device showed %q", approvals, safety)
	}
	b.ok("", "sync")

	// Records and attachments both ways.
	person := a.ok("", "person", "add", "--given", "Ігар", "--family", "Лосік", "--status", "convicted")
	photo := writeFile(t, filepath.Join(tmp, "photo.jpg"), bytes.Repeat([]byte("ФОТА-З-ЗАЛЫ-СУДА "), 200_000)) // ~4.4 MiB, two parts
	photoID := a.ok("", "attach", photo, "--about", person)
	a.ok("", "sync")
	b.ok("", "sync")
	b.sameAttachment(photoID, photo)
	if !strings.Contains(b.ok("", "show", person), "family: Лосік") {
		t.Fatal("the person did not reach B")
	}
	scan := writeFile(t, filepath.Join(tmp, "scan.pdf"), bytes.Repeat([]byte("СКАН-ВЫРАКУ "), 250_000)) // ~3.8 MiB
	scanID := b.ok("", "attach", scan, "--about", person)
	note := b.ok("", "note", "add", "--about", person, "--text", "Вырак абскарджаны")
	b.ok("", "sync")

	// The relay restarts; nothing is lost.
	relay.stop()
	relay = startRelayProcess(t, relayBin, data, addr)
	a.ok("", "sync")
	a.sameAttachment(scanID, scan)
	if !strings.Contains(a.ok("", "show", note), "Вырак абскарджаны") {
		t.Fatal("B's note did not reach A after the relay restarted")
	}
	second := a.ok("", "person", "add", "--given", "Марыя", "--family", "Калеснікава")
	a.ok("", "sync")
	b.ok("", "sync")
	if !strings.Contains(b.ok("", "show", second), "Калеснікава") {
		t.Fatal("a record written after the restart did not reach B")
	}

	// A client killed while it sends a large attachment resumes with the
	// parts the relay lacks; one killed while it fetches resumes at the
	// first part it does not have.
	big := make([]byte, 38<<20) // ten parts, the last one shorter
	rng := rand.NewChaCha8([32]byte{7})
	rng.Read(big)
	bigFile := writeFile(t, filepath.Join(tmp, "recording.ogg"), big)
	bigID := a.ok("", "attach", bigFile, "--about", person)

	proxy := newHoldProxy(t)
	proxy.hold(http.MethodPut, 4)
	a.killDuringTransfer(proxy, "sync", "--proxy", proxy.URL)
	if n := proxy.count(http.MethodPut); n != 4 {
		t.Fatalf("the killed sync sent %d parts before the fourth was held", n)
	}
	proxy.reset()
	a.ok("", "sync", "--proxy", proxy.URL)
	if n := proxy.count(http.MethodPut); n != 7 {
		t.Errorf("the sync after the kill sent %d parts; want the 7 the relay lacked", n)
	}

	proxy.reset()
	proxy.hold(http.MethodGet, 4)
	b.killDuringTransfer(proxy, "sync", "--proxy", proxy.URL)
	proxy.reset()
	res := b.run("", "sync", "--proxy", proxy.URL)
	if res.code != 0 || !strings.Contains(res.stderr, "receiving a file: 10/10 parts") || !strings.Contains(res.stderr, "files: 0 sent, 1 fetched") {
		t.Errorf("sync after the kill: %+v", res)
	}
	if n := proxy.count(http.MethodGet); n != 7 {
		t.Errorf("the sync after the kill fetched %d parts; want the 7 missing", n)
	}
	b.sameAttachment(bigID, bigFile)

	// sync --watch: B follows the team through a relay restart, prints
	// what arrives, and stops cleanly on Ctrl-C.
	watch := b.start("sync", "--watch")
	watch.waitFor("synced: up to date")
	relay.stop()
	relay = startRelayProcess(t, relayBin, data, addr)
	third := a.ok("", "note", "add", "--about", person, "--text", "Пасля другога перазапуску")
	a.ok("", "sync")
	watch.waitFor("synced: sent 0, received 1")
	watch.cmd.Process.Signal(os.Interrupt)
	if err := watch.wait(); err != nil {
		t.Errorf("sync --watch after Ctrl-C: %v\n%s", err, watch.output())
	}
	// The restart is shorter than the client's retries: at most a notice
	// and the news that the relay answers again, no failure.
	printed := watch.output()
	if !strings.HasSuffix(printed, "letapis-cli: stopped\n") || strings.Contains(printed, "cannot reach") ||
		strings.Contains(printed, "did not answer") != strings.Contains(printed, "reached the relay again") {
		t.Errorf("sync --watch printed:\n%s", printed)
	}
	if !strings.Contains(b.ok("", "show", third), "Пасля другога перазапуску") {
		t.Error("the note did not reach B while it watched")
	}

	// A third device joins as an admin and removes the founder, whose
	// sync the relay then refuses; the other two go on.
	c := &cliProcess{t: t, bin: cliBin, vault: filepath.Join(tmp, "c")}
	c.ok("", "init")
	c.ok("", "team", "join", a.ok("", "team", "invite"))
	var asAdmin []approval
	a.okJSON(&asAdmin, "--yes", "team", "approve", "--role", "admin")
	if len(asAdmin) != 1 || asAdmin[0].Role != "admin" {
		t.Fatalf("approve --role admin: %+v", asAdmin)
	}
	c.ok("", "sync")
	var founder struct {
		Device string `json:"device"`
	}
	a.okJSON(&founder, "team", "members")
	c.ok("", "--yes", "team", "remove", founder.Device)
	if res := a.run("", "sync"); res.code == 0 || !strings.Contains(res.stderr, "removed from the team") {
		t.Errorf("the removed founder's sync: %+v", res)
	}
	after := c.ok("", "note", "add", "--about", person, "--text", "Пасля выдалення заснавальніка")
	c.ok("", "sync")
	b.ok("", "sync")
	if !strings.Contains(b.ok("", "show", after), "Пасля выдалення заснавальніка") {
		t.Error("a note by the new admin did not reach B after the founder's removal")
	}

	// The relay keeps nothing readable.
	relay.stop()
	needles := []string{"Лосік", "Калеснікава", "Вырак абскарджаны", "ФОТА-З-ЗАЛЫ-СУДА", "СКАН-ВЫРАКУ", "photo.jpg", "recording.ogg", person, note, bigID}
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, _ := os.ReadFile(p)
		for _, n := range needles {
			if bytes.Contains(content, []byte(n)) {
				t.Errorf("relay file %s holds %q", p, n)
			}
		}
		return nil
	})
}

// binaryRelay is a letapis-relay process, built from this tree, serving a
// team created for the test, and the letapis-cli binary built beside it.
type binaryRelay struct {
	cli, relayBin string // the binaries
	data, addr    string // the relay's data directory and listening address
	team, token   string // the team and its one-time admin token
	proc          *relayProcess
}

// startBinaryRelay builds both binaries, creates a team while the relay is
// stopped and serves it on a free loopback port; the test is skipped in
// -short mode and on Windows (it kills processes with POSIX signals).
func startBinaryRelay(t *testing.T) *binaryRelay {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	if runtime.GOOS == "windows" {
		t.Skip("uses POSIX signals")
	}
	b := &binaryRelay{cli: buildBinary(t, "."), relayBin: buildBinary(t, "../letapis-relay"), data: filepath.Join(t.TempDir(), "relay")}
	b.team, b.token = createRelayTeam(t, b.relayBin, b.data)
	b.addr = freeAddr(t)
	b.proc = startRelayProcess(t, b.relayBin, b.data, b.addr)
	return b
}

// createRelayTeam runs letapis-relay team create on the relay data
// directory and returns the team id and the founder's token.
func createRelayTeam(t *testing.T, relayBin, data string) (team, token string) {
	t.Helper()
	out, err := exec.Command(relayBin, "team", "create", "--data", data).Output()
	if err != nil {
		t.Fatalf("letapis-relay team create: %v", err)
	}
	m := regexp.MustCompile(`^team +(\S+)\ntoken +(\S+)\n$`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("letapis-relay team create printed %q", out)
	}
	return m[1], m[2]
}

// cliProcess runs letapis-cli on one vault.
type cliProcess struct {
	t     *testing.T
	bin   string
	vault string
}

func (c *cliProcess) command(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command(c.bin, append([]string{"--work-factor", "10", "--min-free", "1"}, args...)...)
	env := []string{"LETAPIS_VAULT=" + c.vault, "LETAPIS_PASSPHRASE=a long passphrase for the team scenario", testOnlyFlagsEnv + "=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LETAPIS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

func (c *cliProcess) run(stdin string, args ...string) result {
	c.t.Helper()
	cmd := c.command(stdin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("run letapis-cli: %v", err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func (c *cliProcess) ok(stdin string, args ...string) string {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 {
		c.t.Fatalf("letapis-cli %s (vault %s): %v", strings.Join(args, " "), filepath.Base(c.vault), r)
	}
	return strings.TrimSpace(r.stdout)
}

func (c *cliProcess) okJSON(v any, args ...string) {
	c.t.Helper()
	if err := json.Unmarshal([]byte(c.ok("", append([]string{"--json"}, args...)...)), v); err != nil {
		c.t.Fatal(err)
	}
}

// sameAttachment exports an attachment and compares it with the original
// file by SHA-256.
func (c *cliProcess) sameAttachment(id, original string) {
	c.t.Helper()
	out := filepath.Join(c.t.TempDir(), "export")
	c.ok("", "export-attachment", id, "--out", out)
	want, got := fileSum(c.t, original), fileSum(c.t, out)
	if got != want {
		c.t.Fatalf("attachment %s exported from vault %s: SHA-256 %s, want %s", id, filepath.Base(c.vault), got, want)
	}
}

// killDuringTransfer runs letapis-cli with args and kills it (SIGKILL)
// as soon as the proxy holds a transfer.
func (c *cliProcess) killDuringTransfer(p *holdProxy, args ...string) {
	c.t.Helper()
	cmd := c.command("", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-p.held:
	case err := <-done:
		c.t.Fatalf("letapis-cli %s ended before the transfer was held: %v\n%s", strings.Join(args, " "), err, out.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		c.t.Fatalf("letapis-cli %s: no transfer was held\n%s", strings.Join(args, " "), out.String())
	}
	cmd.Process.Kill()
	<-done
}

// watchedProcess is a long-running letapis-cli whose standard error is
// followed line by line.
type watchedProcess struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
	mu    sync.Mutex
	all   strings.Builder
	done  chan struct{}
}

func (c *cliProcess) start(args ...string) *watchedProcess {
	c.t.Helper()
	cmd := c.command("", args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	w := &watchedProcess{t: c.t, cmd: cmd, lines: make(chan string, 100), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			w.mu.Lock()
			w.all.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
			select {
			case w.lines <- sc.Text():
			default:
			}
		}
	}()
	c.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return w
}

// waitFor waits for a line of standard error that contains s.
func (w *watchedProcess) waitFor(s string) {
	w.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l := <-w.lines:
			if strings.Contains(l, s) {
				return
			}
		case <-w.done:
			w.t.Fatalf("letapis-cli ended before printing %q:\n%s", s, w.output())
		case <-deadline:
			w.t.Fatalf("letapis-cli did not print %q:\n%s", s, w.output())
		}
	}
}

func (w *watchedProcess) wait() error {
	<-w.done
	return w.cmd.Wait()
}

func (w *watchedProcess) output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// relayProcess is a running letapis-relay serve.
type relayProcess struct {
	t   *testing.T
	cmd *exec.Cmd
	log bytes.Buffer
}

func startRelayProcess(t *testing.T, bin, data, addr string) *relayProcess {
	t.Helper()
	r := &relayProcess{t: t, cmd: exec.Command(bin, "serve", "--listen", addr, "--data", data)}
	r.cmd.Stderr = &r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
	})
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/v1/info")
		if err == nil {
			resp.Body.Close()
			return r
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("the relay does not answer on %s: %v\n%s", addr, err, r.log.String())
		}
	}
}

// stop ends the relay with SIGTERM, as a service manager does.
func (r *relayProcess) stop() {
	r.t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	if err := r.cmd.Wait(); err != nil {
		r.t.Fatalf("letapis-relay after SIGTERM: %v\n%s", err, r.log.String())
	}
}

// holdProxy is an HTTP proxy between a client and the relay that counts
// the attachment parts going through and can hold one transfer forever,
// so that the client is killed in the middle of a file.
type holdProxy struct {
	URL string

	mu      sync.Mutex
	counts  map[string]int
	holdOn  string // method whose transfer to hold, "" for none
	holdAt  int    // which transfer (1-based) of that method to hold
	held    chan struct{}
	forward http.RoundTripper
}

func newHoldProxy(t *testing.T) *holdProxy {
	p := &holdProxy{forward: &http.Transport{}, counts: map[string]int{}, held: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	p.URL = "http://" + ln.Addr().String()
	return p
}

// hold makes the proxy hold the n-th part transfer of method.
func (p *holdProxy) hold(method string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holdOn, p.holdAt, p.held = method, n, make(chan struct{})
}

// reset clears the counts and the hold.
func (p *holdProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts, p.holdOn = map[string]int{}, ""
}

func (p *holdProxy) count(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[method]
}

// part counts a transfer of an attachment part and reports whether to
// hold it.
func (p *holdProxy) part(method string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[method]++
	if p.holdOn == method && p.counts[method] == p.holdAt {
		close(p.held)
		return true
	}
	return false
}

const partThreshold = 1 << 20 // larger bodies are attachment parts

func (p *holdProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Host == "" {
		http.Error(w, "not a proxy request", http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodPut && r.ContentLength > partThreshold && p.part(http.MethodPut) {
		<-r.Context().Done() // held until the client goes away
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header, out.ContentLength = r.Header.Clone(), r.ContentLength
	resp, err := p.forward.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if r.Method == http.MethodGet && resp.ContentLength > partThreshold && p.part(http.MethodGet) {
		<-r.Context().Done()
		return
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func writeFile(t *testing.T, path string, content []byte) string {
	t.Helper()
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
