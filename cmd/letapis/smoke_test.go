package main

import (
	"bufio"
	"context"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmokeUnderXvfb builds the real desktop binary, starts it on a new
// vault under a virtual X server, waits until its window has drawn, and
// takes a screenshot of the screen. It needs Xvfb and ImageMagick's import
// (make deps-gui-test installs both; make test does so first) and is
// skipped, saying why, where they are missing.
func TestSmokeUnderXvfb(t *testing.T) {
	for _, tool := range []string{"Xvfb", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (run `make deps-gui-test`): cannot start the real window", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "letapis")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the desktop app: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	display := startXvfb(ctx, t)

	home := filepath.Join(dir, "home")
	app := exec.CommandContext(ctx, bin, "--vault", filepath.Join(dir, "vault"))
	// A home of its own, so that Fyne's preferences and caches stay in
	// the test's directory.
	app.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	var stderr strings.Builder
	app.Stderr = &stderr
	if err := app.Start(); err != nil {
		t.Fatalf("start the desktop app: %v", err)
	}
	started := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	defer func() {
		_ = app.Process.Kill()
		<-exited
	}()

	shot := filepath.Join(dir, "shot.png")
	for {
		if colours := screenshot(ctx, t, display, shot); colours >= 8 {
			t.Logf("window drawn %.1f s after start (%d colours on screen)", time.Since(started).Seconds(), colours)
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the app ended (%v) before it drew its window; its stderr:\n%s", err, stderr.String())
		case <-ctx.Done():
			t.Fatalf("the app did not draw its window in time; its stderr:\n%s", stderr.String())
		case <-time.After(250 * time.Millisecond):
		}
	}
	if os.Getenv("LETAPIS_SMOKE_SHOT") != "" {
		// For a person to look at: copy the screenshot where asked.
		b, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(os.Getenv("LETAPIS_SMOKE_SHOT"), b, 0o644)
		}
		if err != nil {
			t.Errorf("keep the screenshot: %v", err)
		}
	}
}

// startXvfb starts a virtual X server on a free display and returns its
// name (":N"). The server is stopped when the test ends.
func startXvfb(ctx context.Context, t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.CommandContext(ctx, "Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		_ = x.Process.Kill()
		_ = x.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb did not say which display it took: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}

// screenshot captures the whole screen of display into path and returns
// how many different colours it has (an empty X screen has one).
func screenshot(ctx context.Context, t *testing.T, display, path string) int {
	t.Helper()
	cmd := exec.CommandContext(ctx, "import", "-display", display, "-window", "root", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("screenshot: %v %s", err, out)
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("read screenshot: %v", err)
	}
	colours := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
			if len(colours) >= 64 {
				return len(colours)
			}
		}
	}
	return len(colours)
}
