package storage

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/storage/record"
)

// saverEnv names the vault directory when this test binary runs as the
// child process of TestKill9LosesNoSavedRecord.
const saverEnv = "LETAPIS_TEST_SAVER_VAULT"

// TestSaverChild is not a test on its own: run as a child process, it saves
// notes in a loop and prints "id text" for each save that returned.
func TestSaverChild(t *testing.T) {
	dir := os.Getenv(saverEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestKill9LosesNoSavedRecord")
	}
	v, err := Open(dir, testPassphrase, testOptions)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	for i := 0; ; i++ {
		text := fmt.Sprintf("save %d of pid %d", i, os.Getpid())
		r, err := v.Add(&record.Note{Text: text})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		// Written only after Add returned: the save is reported done.
		fmt.Fprintf(os.Stdout, "%s %s\n", r.ID, text)
	}
}

// TestKill9LosesNoSavedRecord kills a process that is saving records with
// SIGKILL at different moments and checks that every save it reported is
// there after reopening.
func TestKill9LosesNoSavedRecord(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	cycles := 3
	if testing.Short() {
		cycles = 1
	}
	v := newVault(t)
	dir := v.Dir()
	v.Close()
	reported := map[string]string{}
	for c := range cycles {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSaverChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), saverEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it save a few records, then kill it at a moment that varies
		// from cycle to cycle.
		deadline := time.After(time.Duration(150+97*c) * time.Millisecond)
		saved := 0
	read:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("child ended on its own: %s", stderr.String())
				}
				id, text, _ := strings.Cut(line, " ")
				reported[id] = text
				saved++
			case <-deadline:
				if saved > 0 {
					break read
				}
				deadline = time.After(50 * time.Millisecond)
			}
		}
		cmd.Process.Kill() // SIGKILL
		for line := range lines {
			id, text, _ := strings.Cut(line, " ")
			reported[id] = text
		}
		cmd.Wait()
	}

	w, err := Open(dir, testPassphrase, testOptions)
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer w.Close()
	lost := 0
	for id, text := range reported {
		r, err := w.Get(id)
		if err != nil {
			lost++
			continue
		}
		b, err := r.Decode()
		if err != nil || b.(*record.Note).Text != text {
			t.Errorf("record %s reads %v, %v; want %q", id, b, err, text)
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d reported saves lost after kill -9", lost, len(reported))
	}
	t.Logf("%d saves over %d kills, none lost", len(reported), cycles)
}
