package storage

import (
	"bytes"
	"strings"
)

// Key grants are padded so that their size does not tell the team's size
// or an audience's: a grant is one envelope per member, and without padding
// a new member's grant grows with the roster it carries (about 2 KiB per
// member, for the hybrid recipient) and a restricted audience's with its
// member list. Every grant that carries the roster is padded to the
// rosterGrantBucket envelope bucket, every other one (a new epoch of the
// team's key or of a restricted audience) to grantBucket, a bucket
// ordinary records fill too. A roster of more than about 120 members, or a
// restricted audience of more than about 100 members with ten key epochs,
// does not fit and takes the next bucket up: the size then tells that the
// team or audience is that large.
const (
	grantBucket       = 8 << 10
	rosterGrantBucket = 256 << 10
)

// grantMargin is room left in the bucket for the revision around the
// grant's body (ids, author key, times: under 500 bytes) and the envelope's
// framing and signature.
const grantMargin = 2 << 10

// padded returns data, the JSON of g, with a "pad" field of zeros that
// brings the envelope that carries it to g's bucket. Receivers ignore the
// field (a grant is decoded without DisallowUnknownFields, by every
// version). A grant already too large is returned as it is.
func (g keyGrant) padded(data []byte) []byte {
	bucket := grantBucket
	if len(g.Roster) > 0 {
		bucket = rosterGrantBucket
	}
	const field = `,"pad":""`
	fill := bucket - grantMargin - len(data) - len(field)
	if fill <= 0 || !bytes.HasSuffix(data, []byte("}")) {
		return data
	}
	out := make([]byte, 0, bucket-grantMargin)
	out = append(out, data[:len(data)-1]...)
	out = append(out, `,"pad":"`...)
	out = append(out, strings.Repeat("0", fill)...)
	return append(out, `"}`...)
}
