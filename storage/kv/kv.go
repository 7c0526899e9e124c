// Package kv holds the small Badger helpers that the vault and the relay's
// store share: JSON values, a logger that routes Badger's messages to
// log/slog, and the clean-up of empty logs left by a killed process.
package kv

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// GetJSON reads the value of k and decodes it into v; found is false, with
// no error, when k is absent.
func GetJSON(txn *badger.Txn, k []byte, v any) (found bool, err error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

// SetJSON encodes v and sets it as the value of k.
func SetJSON(txn *badger.Txn, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(k, b)
}

// Logger returns a badger.Logger that writes to l: errors and warnings as
// such, Badger's chatty information as debug. Badger logs file names and
// sizes, never keys or values.
func Logger(l *slog.Logger) badger.Logger { return logger{l} }

type logger struct{ l *slog.Logger }

func (b logger) Errorf(f string, a ...any)   { b.l.Error(message(f, a)) }
func (b logger) Warningf(f string, a ...any) { b.l.Warn(message(f, a)) }
func (b logger) Infof(f string, a ...any)    { b.l.Debug(message(f, a)) }
func (b logger) Debugf(f string, a ...any)   { b.l.Debug(message(f, a)) }

func message(f string, a []any) string {
	return "badger: " + strings.TrimSpace(fmt.Sprintf(f, a...))
}
