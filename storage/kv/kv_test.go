package kv

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestJSONRoundTripAndLogger(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(Logger(log)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type thing struct{ Name string }
	err = db.Update(func(txn *badger.Txn) error { return SetJSON(txn, []byte("k"), thing{"x"}) })
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(txn *badger.Txn) error {
		var got thing
		if found, err := GetJSON(txn, []byte("k"), &got); !found || err != nil || got.Name != "x" {
			t.Errorf("GetJSON = %v, %v, %+v", found, err, got)
		}
		if found, err := GetJSON(txn, []byte("absent"), &got); found || err != nil {
			t.Errorf("GetJSON of an absent key = %v, %v", found, err)
		}
		return nil
	})
	Logger(log).Warningf("value log %d is large\n", 3)
	if !strings.Contains(logs.String(), "badger: value log 3 is large") {
		t.Errorf("warning not routed: %q", logs.String())
	}
}
