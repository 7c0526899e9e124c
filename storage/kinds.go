package storage

import "slices"

// System revision kinds, beside the record kinds of package record.
const (
	kindRoster    = "roster"
	kindKey       = "key"
	kindAudience  = "audience"
	kindTeamConf  = "teamconf"  // team settings: the deletion hold (deletionhold.go)
	kindRestore   = "restore"   // an admin's restore of a record pending deletion
	kindHeartbeat = "heartbeat" // what a device holds and has verified of the log (heartbeat.go)
)

// systemKinds lists every system kind this build knows: receive accepts
// no other kind outside package record's. A new system kind is added here.
var systemKinds = []string{kindRoster, kindKey, kindAudience, kindTeamConf, kindRestore, kindHeartbeat}

// isSystemKind reports whether kind is one of systemKinds.
func isSystemKind(kind string) bool { return slices.Contains(systemKinds, kind) }

// changesRoster reports whether a revision of kind may change the team's
// members, its audiences or the keys the vault holds: a roster entry, a
// key grant or an audience record.
func changesRoster(kind string) bool {
	return kind == kindRoster || kind == kindKey || kind == kindAudience
}
