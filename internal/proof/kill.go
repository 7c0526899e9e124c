package proof

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

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
