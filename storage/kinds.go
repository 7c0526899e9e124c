package storage

import "slices"

// System revision kinds, beside the record kinds of package record.
const (
	kindRoster   = "roster"
	kindKey      = "key"
	kindAudience = "audience"
)

// systemKinds lists every system kind this build knows: receive accepts
// no other kind outside package record's, and each of these may change
// the roster or the audience keys. A new system kind is added here.
var systemKinds = []string{kindRoster, kindKey, kindAudience}

// isSystemKind reports whether kind is one of systemKinds.
func isSystemKind(kind string) bool { return slices.Contains(systemKinds, kind) }
