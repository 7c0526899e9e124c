package storage

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestResolveDir(t *testing.T) {
	tests := []struct {
		flag, goos string
		env        map[string]string
		want       string // "" means an error
	}{
		{"/x/flag", "linux", map[string]string{"LETAPIS_VAULT": "/x/env"}, "/x/flag"},
		{"", "linux", map[string]string{"LETAPIS_VAULT": "/x/env", "HOME": "/h"}, "/x/env"},
		{"", "linux", map[string]string{"HOME": "/home/a"}, "/home/a/.local/share/letapis/vault"},
		{"", "linux", map[string]string{"HOME": "/home/a", "XDG_DATA_HOME": "/data"}, "/data/letapis/vault"},
		{"", "linux", map[string]string{"HOME": "/home/a", "XDG_DATA_HOME": "relative"}, "/home/a/.local/share/letapis/vault"},
		{"", "freebsd", map[string]string{"HOME": "/home/a"}, "/home/a/.local/share/letapis/vault"},
		{"", "darwin", map[string]string{"HOME": "/Users/a"}, "/Users/a/Library/Application Support/Letapis/vault"},
		{"", "windows", map[string]string{"LOCALAPPDATA": `C:\Users\a\AppData\Local`}, "windows"},
		{"", "linux", map[string]string{}, ""},
	}
	for _, tt := range tests {
		got, err := ResolveDir(tt.flag, tt.goos, func(k string) string { return tt.env[k] })
		want := filepath.FromSlash(tt.want)
		if tt.want == "windows" {
			want, _ = filepath.Abs(filepath.Join(tt.env["LOCALAPPDATA"], "Letapis", "vault"))
			if runtime.GOOS != "windows" {
				want = ""
				if got == "" || err != nil {
					t.Errorf("windows: %q, %v", got, err)
				}
				continue
			}
		}
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%s %v: got %q, want an error", tt.goos, tt.env, got)
		case tt.want != "" && (err != nil || got != want):
			t.Errorf("%q %s %v: got %q, %v; want %q", tt.flag, tt.goos, tt.env, got, err, want)
		}
	}
}
