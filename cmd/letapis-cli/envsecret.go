package main

import (
	"io"
	"os"
)

// warnEnvSecret warns, once per variable, that the passphrase in the
// environment variable env can be read by other processes, when someone
// is at a terminal and could type it at the prompt instead. Scripts and
// tests, with no terminal, are not warned.
func (a *app) warnEnvSecret(env string) {
	if a.envWarned[env] || !envSecretAtTerminal(a.stdin, a.stderr, termIsTerminal) {
		return
	}
	if a.envWarned == nil {
		a.envWarned = map[string]bool{}
	}
	a.envWarned[env] = true
	a.warnf("%s is set: other programs running as you (and administrators) can read it from this process; unset it and type the passphrase at the prompt", env)
}

// envSecretAtTerminal reports whether standard input or standard error
// is a terminal, as isTerminal says.
func envSecretAtTerminal(stdin io.Reader, stderr io.Writer, isTerminal func(*os.File) bool) bool {
	for _, s := range []any{stdin, stderr} {
		if f, ok := s.(*os.File); ok && isTerminal(f) {
			return true
		}
	}
	return false
}
