package main

import (
	"path/filepath"
	"testing"
)

func TestVaultDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		flag, goos string
		env        map[string]string
		want       string
	}{
		{"/x/flag", "linux", map[string]string{"LETAPIS_VAULT": "/x/env"}, "/x/flag"},
		{"", "linux", map[string]string{"LETAPIS_VAULT": "/x/env", "HOME": "/h"}, "/x/env"},
		{"", "linux", map[string]string{"HOME": "/h"}, "/h/.local/share/letapis/vault"},
		{"", "linux", map[string]string{"HOME": "/h", "XDG_DATA_HOME": "/d"}, "/d/letapis/vault"},
		{"", "darwin", map[string]string{"HOME": "/h"}, "/h/Library/Application Support/Letapis/vault"},
	}
	for _, c := range cases {
		got, err := vaultDir(c.flag, c.goos, env(c.env))
		if err != nil || got != filepath.FromSlash(c.want) {
			t.Errorf("vaultDir(%q, %s, %v) = %q, %v; want %q", c.flag, c.goos, c.env, got, err, c.want)
		}
	}
	if _, err := vaultDir("", "linux", env(nil)); err == nil {
		t.Error("vaultDir with no HOME: no error")
	}
}
