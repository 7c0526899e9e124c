package proof

import (
	"bufio"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// KillCycles runs the test named child of the running test binary
// cycles times in a child process with env added and kills it with
// SIGKILL at a random moment: in one cycle of four within 400 ms of its
// start (while it opens its vault), otherwise within late of its first
// line of output. The child prints "id text" for each record it saved,
// and exits with status 3 when its vault does not open. KillCycles
// returns the texts of the saved records by id, and how many children
// could not open their vault.
func KillCycles(t *testing.T, child string, cycles int, late time.Duration, env ...string) (saved map[string]string, failedOpens int) {
	t.Helper()
	saved = map[string]string{}
	dice := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for c := range cycles {
		after := time.Duration(dice.Int64N(int64(late)))
		early := c%4 == 3
		if early {
			after = time.Duration(dice.Int64N(int64(400 * time.Millisecond)))
		}
		lines, status := KillChild(t, child, early, after, env...)
		for _, line := range lines {
			id, text, _ := strings.Cut(line, " ")
			saved[id] = text
		}
		if status == 3 {
			failedOpens++
		}
	}
	return saved, failedOpens
}

// KillChild runs the test named child of the running test binary in a
// child process with env added, kills it with SIGKILL after the given
// time from its start (early) or from its first line of output, and
// returns the lines it printed and its exit status (-1 when it was
// killed).
func KillChild(t *testing.T, child string, early bool, after time.Duration, env ...string) ([]string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := func() { cmd.Process.Kill() } // SIGKILL
	var timer *time.Timer
	if early {
		timer = time.AfterFunc(after, kill)
	}
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if timer == nil {
			timer = time.AfterFunc(after, kill)
		}
		lines = append(lines, sc.Text())
	}
	if timer != nil {
		timer.Stop()
	}
	err = cmd.Wait()
	status := cmd.ProcessState.ExitCode()
	if status > 0 {
		t.Logf("the child %s ended on its own (%v): %s", child, err, stderr.String())
	}
	return lines, status
}
