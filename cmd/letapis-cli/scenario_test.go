package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestScenario builds letapis-cli without cgo and walks through what a
// fieldworker does, as separate processes: create a vault, document a
// person, record a testimony from standard input, attach a file, seal,
// read everything back, export the attachment, delete, wipe. Along the way
// it checks that nothing readable reaches the vault directory.
func TestScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmp := t.TempDir()
	bin := buildBinary(t, ".")

	vault := filepath.Join(tmp, "vault")
	const pass = "a long passphrase for the scenario"
	env := []string{"LETAPIS_VAULT=" + vault, "LETAPIS_PASSPHRASE=" + pass, testOnlyFlagsEnv + "=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LETAPIS_") {
			env = append(env, kv)
		}
	}
	type result struct {
		stdout, stderr string
		code           int
	}
	cli := func(stdin string, extraEnv []string, args ...string) result {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--work-factor", "10", "--min-free", "1"}, args...)...)
		cmd.Env = append(append([]string{}, env...), extraEnv...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("run letapis-cli: %v", err)
		}
		return result{out.String(), errb.String(), code}
	}
	ok := func(stdin string, args ...string) string {
		t.Helper()
		r := cli(stdin, nil, args...)
		if r.code != 0 {
			t.Fatalf("letapis-cli %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	failWith := func(code int, want string, extraEnv []string, args ...string) {
		t.Helper()
		r := cli("", extraEnv, args...)
		if r.code != code || r.stderr != want+"\n" || r.stdout != "" {
			t.Errorf("letapis-cli %s: exit %d, stderr %q; want exit %d, %q", strings.Join(args, " "), r.code, r.stderr, code, want)
		}
	}

	if r := cli("", nil, "init"); r.code != 0 || !strings.Contains(r.stderr, "letapis-cli: created a vault in "+vault) || r.stdout != "" {
		t.Fatalf("init: %+v", r)
	}

	person := ok("", "person", "add", "--given", "Алесь", "--family", "Бяляцкі", "--script", "be-cyrl",
		"--also", "Ales||Bialiatski|passport", "--status", "convicted")
	text := "Мы сядзелі ў адной камеры ў СІЗА-1.\nЁн амаль не атрымліваў лістоў.\n"
	testimony := ok(text, "testimony", "add", "--interviewee", "Сукамернік", "--relation", "cellmate",
		"--about", person[:6], "--consent", "legal", "--violation", "incommunicado", "--text-file", "-")

	content := []byte(strings.Repeat("AUDIO-ЗАПІС-", 50000))
	src := filepath.Join(tmp, "interview.ogg")
	if err := os.WriteFile(src, content, 0o600); err != nil {
		t.Fatal(err)
	}
	attachment := ok("", "attach", src, "--about", person)
	if got := ok("", "testimony", "edit", testimony, "--attachment", attachment[:8]); got != testimony {
		t.Errorf("testimony edit printed %q", got)
	}

	// Sealing needs a confirmation, which a pipe cannot give.
	failWith(1, "letapis-cli: refusing to seal testimony "+testimony+" without confirmation: pass --yes", nil, "testimony", "seal", testimony)
	if got := ok("", "testimony", "seal", "--yes", testimony); got != testimony {
		t.Errorf("seal printed %q", got)
	}

	list := ok("", "list")
	for _, want := range []string{"Алесь Бяляцкі", "sealed", "Сукамернік", "interview.ogg", testimony[:idWidth]} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	if n := strings.Count(list, "\n"); n != 3 {
		t.Errorf("list has %d rows:\n%s", n, list)
	}

	show := ok("", "show", person)
	if !strings.Contains(show, "family: Бяляцкі") || !strings.Contains(show, "family: Bialiatski") {
		t.Errorf("show person:\n%s", show)
	}
	var rec struct {
		Sealed   bool            `json:"sealed"`
		SealHash string          `json:"seal_hash"`
		Body     json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal([]byte(ok("", "--json", "show", testimony)), &rec); err != nil {
		t.Fatal(err)
	}
	var tb struct {
		Text        string   `json:"text"`
		Attachments []string `json:"attachments"`
	}
	json.Unmarshal(rec.Body, &tb)
	if !rec.Sealed || len(rec.SealHash) != 64 || tb.Text != text || len(tb.Attachments) != 1 || tb.Attachments[0] != attachment {
		t.Errorf("show --json testimony: %+v %+v", rec, tb)
	}

	history := ok("", "history", testimony)
	if lines := strings.Split(history, "\n"); len(lines) != 4 || !strings.Contains(lines[3], " seal ") || !strings.Contains(lines[2], "changed attachments") {
		t.Errorf("history:\n%s", history)
	}

	exported := filepath.Join(tmp, "exported.ogg")
	r := cli("", nil, "export-attachment", attachment, "--out", exported)
	if r.code != 0 || !strings.Contains(r.stderr, "letapis-cli: warning: writing a decrypted copy of interview.ogg") {
		t.Errorf("export-attachment: %+v", r)
	}
	if got, err := os.ReadFile(exported); err != nil || !bytes.Equal(got, content) {
		t.Errorf("exported copy differs: %v", err)
	}

	// Nothing readable in the vault directory.
	needles := [][]byte{[]byte("Бяляцкі"), []byte("Bialiatski"), []byte("Сукамернік"), []byte("СІЗА-1"), []byte("AUDIO-ЗАПІС"), []byte("interview.ogg")}
	scanVault := func() {
		t.Helper()
		filepath.WalkDir(vault, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Error(err)
				return nil
			}
			for _, n := range needles {
				if bytes.Contains(data, n) {
					t.Errorf("%s holds %q in clear", path, n)
				}
			}
			return nil
		})
	}
	scanVault()

	failWith(1, "letapis-cli: wrong passphrase for the vault in "+vault, []string{"LETAPIS_PASSPHRASE=wrong"}, "list")
	failWith(2, "letapis-cli: unknown flag --colour (see 'letapis-cli help list')", nil, "list", "--colour")
	failWith(2, `letapis-cli: unknown command "lsit" (see 'letapis-cli help')`, nil, "lsit")

	if got := ok("", "delete", "--yes", person); got != person {
		t.Errorf("delete printed %q", got)
	}
	if show := ok("", "show", person); !strings.Contains(show, "deleted:    yes") || strings.Contains(show, "Бяляцкі") {
		t.Errorf("show after delete:\n%s", show)
	}
	scanVault()

	if r := cli("", []string{"LETAPIS_PASSPHRASE="}, "wipe", "--yes"); r.code != 0 || r.stderr != "letapis-cli: wiped the vault in "+vault+"\n" {
		t.Errorf("wipe: %+v", r)
	}
	if _, err := os.Stat(vault); !os.IsNotExist(err) {
		t.Errorf("vault directory still there after wipe: %v", err)
	}
	failWith(1, "letapis-cli: no vault in "+vault+": create one with 'letapis-cli init', or choose another with --vault DIR or LETAPIS_VAULT", nil, "list")
}

// Binaries built for the tests, once per run of the test binary.
var (
	binMu    sync.Mutex
	binDir   string
	binBuilt = map[string]string{}
)

// buildBinary builds the command in package directory pkg without cgo,
// once, and returns the executable's path.
func buildBinary(t *testing.T, pkg string) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if bin, ok := binBuilt[pkg]; ok {
		return bin
	}
	if binDir == "" {
		dir, err := os.MkdirTemp("", "letapis-cli-test-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = dir
	}
	name, _ := filepath.Abs(pkg)
	bin := filepath.Join(binDir, filepath.Base(name))
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	gotool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gotool); err != nil {
		gotool = "go"
	}
	build := exec.Command(gotool, "build", "-o", bin, pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	binBuilt[pkg] = bin
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
