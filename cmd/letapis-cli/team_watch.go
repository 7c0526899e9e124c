package main

import (
	"fmt"
	"strings"

	"github.com/letapis/letapis/storage"
)

// relayWarnings prints what the other devices' heartbeats show of a relay
// that hides or rewrites records (storage.Vault.Watch): each warning once
// while it lasts, and in watch mode as a "warning" line. It returns the
// warnings. It runs with w.mu held (from event) or after the single pass.
func (w *watcher) relayWarnings() ([]storage.Warning, error) {
	rep, err := w.v.Watch()
	if err != nil {
		return nil, err
	}
	var texts []string
	for _, warn := range rep.Warnings {
		texts = append(texts, warn.String())
	}
	joined := strings.Join(texts, "\n")
	changed := joined != w.warnings
	w.warnings = joined
	if changed {
		for _, text := range texts {
			w.emit(watchLine{Event: "warning", Error: text}, "warning: "+text)
		}
	}
	return rep.Warnings, nil
}

// warningsError is the failure of a sync whose pass succeeded but whose
// heartbeats show a relay that may hide or rewrite records.
func warningsError(ws []storage.Warning) error {
	return fmt.Errorf("synced, but the relay may be hiding or rewriting records (%d %s above): compare with the other devices in person, and tell the relay's operator",
		len(ws), plural(len(ws), "warning", "warnings"))
}
