package storage

import (
	"testing"

	"github.com/letapis/letapis/storage/record"
)

func TestDeviceSettingsStayLocalAndEncrypted(t *testing.T) {
	v := newVault(t)
	if s, err := v.Settings(); err != nil || *s != (DeviceSettings{}) {
		t.Fatalf("settings of a new vault = %+v, %v; want the zero value", s, err)
	}
	if _, err := v.CreateTeam("tdkx4u6y2qbxmd3oq5vhnvbjza", "https://relay.example.org", ""); err != nil {
		t.Fatal(err)
	}
	queued, err := v.OutboxLen()
	if err != nil {
		t.Fatal(err)
	}
	const proxy = "socks5://127.0.0.1:9050"
	if err := v.SetSettings(&DeviceSettings{Proxy: proxy}); err != nil {
		t.Fatal(err)
	}
	if n, _ := v.OutboxLen(); n != queued {
		t.Errorf("saving settings queued %d envelopes for the team", n-queued)
	}

	// A purge (after a delete) copies them into the new generation, and
	// they are there after the next unlock.
	r := mustAdd(t, v, &record.Note{Text: "to be deleted"})
	if err := v.Delete(r.ID); err != nil {
		t.Fatal(err)
	}
	v = reopen(t, v)
	s, err := v.Settings()
	if err != nil || s.Proxy != proxy {
		t.Fatalf("settings after purge and reopen = %+v, %v", s, err)
	}
	if err := v.SetSettings(&DeviceSettings{}); err != nil {
		t.Fatal(err)
	}
	if s, _ := v.Settings(); s.Proxy != "" {
		t.Errorf("proxy not cleared: %q", s.Proxy)
	}
	if err := v.SetSettings(&DeviceSettings{Proxy: proxy}); err != nil {
		t.Fatal(err)
	}
	dir := v.Dir()
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	scanForPlaintext(t, dir, proxy, "127.0.0.1:9050")
	if _, err := v.Settings(); err == nil {
		t.Error("settings readable from a locked vault")
	}
}
