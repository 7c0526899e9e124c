package storage

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// keySettings holds this device's own settings; see DeviceSettings.
const keySettings = "local/settings"

// DeviceSettings are settings of this device that belong in the vault
// rather than in the operating system's preferences, because they say
// something about the person (a proxy for Tor does). They are stored inside
// the encrypted store and never synced: they are not records, have no
// revisions and never enter the outbox.
type DeviceSettings struct {
	// Proxy is the proxy the sync engine reaches the relay through, e.g.
	// socks5://127.0.0.1:9050 for Tor; empty for a direct connection.
	// The vault stores it as given; the sync client checks it.
	Proxy string `json:"proxy,omitempty"`
}

// Settings returns this device's settings; the zero value if none were
// saved.
func (v *Vault) Settings() (*DeviceSettings, error) {
	var s DeviceSettings
	err := v.view(func(txn *badger.Txn) error {
		_, err := getJSON(txn, []byte(keySettings), &s)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read device settings: %w", err)
	}
	return &s, nil
}

// SetSettings saves this device's settings, replacing the saved ones.
func (v *Vault) SetSettings(s *DeviceSettings) error {
	return v.update("save device settings", func(txn *badger.Txn) error {
		return setJSON(txn, []byte(keySettings), s)
	})
}
