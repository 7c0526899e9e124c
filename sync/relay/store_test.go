package relay

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

func TestBadgerStore(t *testing.T) {
	testStore(t, func(t *testing.T) Store { return openBadger(t, t.TempDir(), nil) })
}

// testStore is the conformance suite that every Store implementation
// passes. newStore returns an empty store, closed when the test ends.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	key := func() ed25519.PublicKey { pub, _, _ := ed25519.GenerateKey(rand.Reader); return pub }
	applicant := func(at time.Time) wire.Applicant {
		return wire.Applicant{Pseudonym: newName(), AuthKey: key(), Device: key(), Recipient: "age1x", Requested: at}
	}
	wantErr := func(t *testing.T, what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("%s: got %v, want %v", what, err, want)
		}
	}
	wantDevice := func(t *testing.T, s Store, team, pseudonym string, role Role, status Status) Device {
		t.Helper()
		d, err := s.Device(ctx, team, pseudonym)
		if err != nil || d.Role != role || d.Status != status || d.Pseudonym != pseudonym {
			t.Fatalf("device: %+v, %v; want %s %s", d, err, role, status)
		}
		return d
	}
	// newTeam returns a store with a team and its admin.
	newTeam := func(t *testing.T) (s Store, team, admin string) {
		s, team, admin = newStore(t), newName(), newName()
		token := HashToken(newToken())
		if err := s.CreateTeam(ctx, team, token); err != nil {
			t.Fatal(err)
		}
		if err := s.RegisterAdmin(ctx, team, admin, key(), token); err != nil {
			t.Fatal(err)
		}
		return s, team, admin
	}
	put := func(t *testing.T, s Store, team string, data []byte) string {
		t.Helper()
		id := blobIDOf(data)
		if _, err := s.PutBlob(ctx, team, id, data, 0); err != nil {
			t.Fatal(err)
		}
		return id
	}

	t.Run("create a team and register its admin", func(t *testing.T) {
		s, team := newStore(t), newName()
		token, adminKey := HashToken(newToken()), key()
		wantErr(t, "register in an unknown team", s.RegisterAdmin(ctx, team, newName(), adminKey, token), ErrBadToken)
		wantErr(t, "create", s.CreateTeam(ctx, team, token), nil)
		wantErr(t, "create again", s.CreateTeam(ctx, team, token), ErrExists)
		wantErr(t, "wrong token", s.RegisterAdmin(ctx, team, newName(), adminKey, HashToken(newToken())), ErrBadToken)

		admin := newName()
		wantErr(t, "register", s.RegisterAdmin(ctx, team, admin, adminKey, token), nil)
		d := wantDevice(t, s, team, admin, RoleAdmin, StatusActive)
		if !d.AuthKey.Equal(adminKey) {
			t.Fatal("auth key not kept")
		}
		wantErr(t, "the same device again", s.RegisterAdmin(ctx, team, admin, adminKey, token), nil)
		wantErr(t, "the same pseudonym, another key", s.RegisterAdmin(ctx, team, admin, key(), token), ErrExists)
		wantErr(t, "another device", s.RegisterAdmin(ctx, team, newName(), adminKey, token), ErrExists)
		_, err := s.Device(ctx, team, newName())
		wantErr(t, "unknown device", err, ErrNotFound)
		_, err = s.Device(ctx, newName(), admin)
		wantErr(t, "device in another team", err, ErrNotFound)
	})

	t.Run("invites and joins", func(t *testing.T) {
		s, team, admin := newTeam(t)
		token := HashToken(newToken())
		if err := s.CreateInvite(ctx, team, token, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		first, second := applicant(now.Add(2*time.Second)), applicant(now)
		wantErr(t, "unknown token", s.Join(ctx, team, HashToken(newToken()), first, now), ErrBadToken)
		taken := applicant(now)
		taken.Pseudonym = admin
		wantErr(t, "a pseudonym already in the team", s.Join(ctx, team, token, taken, now), ErrExists)
		wantErr(t, "join", s.Join(ctx, team, token, first, now), nil)
		wantDevice(t, s, team, first.Pseudonym, RoleMember, StatusPending)
		wantErr(t, "the same join again", s.Join(ctx, team, token, first, now), nil)
		wantErr(t, "the token once more", s.Join(ctx, team, token, second, now), ErrBadToken)
		other := first
		other.AuthKey = key()
		wantErr(t, "the same pseudonym with another key", s.Join(ctx, team, token, other, now), ErrBadToken)
		wantErr(t, "the token in another team", s.Join(ctx, newName(), token, second, now), ErrBadToken)

		token2 := HashToken(newToken())
		if err := s.CreateInvite(ctx, team, token2, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "join at expiry", s.Join(ctx, team, token2, second, now.Add(time.Minute)), ErrBadToken)
		wantErr(t, "join before expiry", s.Join(ctx, team, token2, second, now.Add(time.Minute-time.Second)), nil)

		joins, err := s.PendingJoins(ctx, team)
		if err != nil || len(joins) != 2 {
			t.Fatalf("pending joins: %v, %v", joins, err)
		}
		for i, want := range []wire.Applicant{second, first} { // oldest first
			got := joins[i]
			if got.Pseudonym != want.Pseudonym || !got.AuthKey.Equal(want.AuthKey) || !got.Device.Equal(want.Device) ||
				got.Recipient != want.Recipient || !got.Requested.Equal(want.Requested) {
				t.Errorf("join %d: %+v, want %+v", i, got, want)
			}
		}

		wantErr(t, "approve", s.Approve(ctx, team, first.Pseudonym, RoleMember), nil)
		d := wantDevice(t, s, team, first.Pseudonym, RoleMember, StatusActive)
		if !d.AuthKey.Equal(first.AuthKey) {
			t.Fatal("auth key lost on approval")
		}
		wantErr(t, "approve again", s.Approve(ctx, team, first.Pseudonym, RoleMember), nil)
		wantErr(t, "approve again as admin", s.Approve(ctx, team, first.Pseudonym, RoleAdmin), nil)
		wantDevice(t, s, team, first.Pseudonym, RoleAdmin, StatusActive)
		wantErr(t, "approve the admin as member", s.Approve(ctx, team, first.Pseudonym, RoleMember), nil)
		wantDevice(t, s, team, first.Pseudonym, RoleAdmin, StatusActive) // never made a member again
		wantErr(t, "approve an unknown device", s.Approve(ctx, team, newName(), RoleMember), ErrNotFound)
		wantErr(t, "join retried after approval", s.Join(ctx, team, token, first, now), nil)
		joins, _ = s.PendingJoins(ctx, team)
		if len(joins) != 1 || joins[0].Pseudonym != second.Pseudonym {
			t.Fatalf("pending after approval: %+v", joins)
		}
	})

	t.Run("revoke", func(t *testing.T) {
		s, team, admin := newTeam(t)
		token := HashToken(newToken())
		member, pending := applicant(now), applicant(now)
		for _, a := range []wire.Applicant{member, pending} {
			tok := HashToken(newToken())
			if a.Pseudonym == member.Pseudonym {
				tok = token
			}
			if err := s.CreateInvite(ctx, team, tok, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := s.Join(ctx, team, tok, a, now); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Approve(ctx, team, member.Pseudonym, RoleMember); err != nil {
			t.Fatal(err)
		}

		wantErr(t, "revoke the last admin", s.Revoke(ctx, team, admin), ErrLastAdmin)
		wantDevice(t, s, team, admin, RoleAdmin, StatusActive)
		wantErr(t, "revoke a member", s.Revoke(ctx, team, member.Pseudonym), nil)
		if d := wantDevice(t, s, team, member.Pseudonym, "", StatusRevoked); d.AuthKey != nil {
			t.Error("a revoked device keeps its auth key")
		}
		wantErr(t, "revoke again", s.Revoke(ctx, team, member.Pseudonym), nil)
		wantErr(t, "approve a revoked device", s.Approve(ctx, team, member.Pseudonym, RoleMember), ErrRevoked)
		wantErr(t, "join retried after revocation", s.Join(ctx, team, token, member, now), ErrBadToken)
		wantErr(t, "refuse a join", s.Revoke(ctx, team, pending.Pseudonym), nil)
		wantDevice(t, s, team, pending.Pseudonym, "", StatusRevoked)
		if joins, _ := s.PendingJoins(ctx, team); len(joins) != 0 {
			t.Errorf("refused join still pending: %+v", joins)
		}
		wantErr(t, "revoke an unknown device", s.Revoke(ctx, team, newName()), ErrNotFound)
	})

	// join adds a pending device to the team and returns it.
	join := func(t *testing.T, s Store, team string) wire.Applicant {
		t.Helper()
		tok, a := HashToken(newToken()), applicant(now)
		if err := s.CreateInvite(ctx, team, tok, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Join(ctx, team, tok, a, now); err != nil {
			t.Fatal(err)
		}
		return a
	}

	t.Run("admins approve admins, and any admin revokes any other", func(t *testing.T) {
		s, team, founder := newTeam(t)
		second, third := join(t, s, team), join(t, s, team)
		wantErr(t, "approve as admin", s.Approve(ctx, team, second.Pseudonym, RoleAdmin), nil)
		d := wantDevice(t, s, team, second.Pseudonym, RoleAdmin, StatusActive)
		if !d.AuthKey.Equal(second.AuthKey) {
			t.Fatal("auth key lost on approval as admin")
		}
		wantErr(t, "approve a member", s.Approve(ctx, team, third.Pseudonym, RoleMember), nil)
		wantErr(t, "revoke the founder, another admin being active", s.Revoke(ctx, team, founder), nil)
		wantDevice(t, s, team, founder, "", StatusRevoked)
		wantErr(t, "revoke the one admin left", s.Revoke(ctx, team, second.Pseudonym), ErrLastAdmin)
		wantDevice(t, s, team, second.Pseudonym, RoleAdmin, StatusActive)
		wantErr(t, "revoke a member", s.Revoke(ctx, team, third.Pseudonym), nil)
	})

	t.Run("recover a team whose admins are lost", func(t *testing.T) {
		s, team, admin := newTeam(t)
		member, pending, gone := join(t, s, team), join(t, s, team), join(t, s, team)
		for _, a := range []wire.Applicant{member, gone} {
			if err := s.Approve(ctx, team, a.Pseudonym, RoleMember); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Revoke(ctx, team, gone.Pseudonym); err != nil {
			t.Fatal(err)
		}
		token := HashToken(newToken())
		wantErr(t, "recover an unknown team", s.RecoverTeam(ctx, newName(), token), ErrNotFound)
		wantErr(t, "recover", s.RecoverTeam(ctx, team, token), nil)
		wantErr(t, "a new device with the recovery token", s.RegisterAdmin(ctx, team, newName(), key(), token), ErrNotActiveDevice)
		wantErr(t, "a pending device", s.RegisterAdmin(ctx, team, pending.Pseudonym, pending.AuthKey, token), ErrNotActiveDevice)
		wantErr(t, "a revoked device", s.RegisterAdmin(ctx, team, gone.Pseudonym, gone.AuthKey, token), ErrNotActiveDevice)
		wantErr(t, "a member with another auth key", s.RegisterAdmin(ctx, team, member.Pseudonym, key(), token), ErrNotActiveDevice)
		wantErr(t, "another token", s.RegisterAdmin(ctx, team, member.Pseudonym, member.AuthKey, HashToken(newToken())), ErrBadToken)
		wantErr(t, "the member", s.RegisterAdmin(ctx, team, member.Pseudonym, member.AuthKey, token), nil)
		wantDevice(t, s, team, member.Pseudonym, RoleAdmin, StatusActive)
		wantErr(t, "the member again", s.RegisterAdmin(ctx, team, member.Pseudonym, member.AuthKey, token), nil)
		wantErr(t, "the old admin with the used token", s.RegisterAdmin(ctx, team, admin, key(), token), ErrExists)
		wantErr(t, "the recovered admin revokes the lost one", s.Revoke(ctx, team, admin), nil)
		wantDevice(t, s, team, admin, "", StatusRevoked)
		wantDevice(t, s, team, pending.Pseudonym, RoleMember, StatusPending)
	})

	t.Run("blobs", func(t *testing.T) {
		s, team, _ := newTeam(t)
		data := []byte("0123456789")
		id := blobIDOf(data)
		for i, wantCreated := range []bool{true, false} {
			created, err := s.PutBlob(ctx, team, id, data, 0)
			if err != nil || created != wantCreated {
				t.Fatalf("put %d: created %v, %v", i, created, err)
			}
		}
		if u, err := s.Usage(ctx, team); u != 10 || err != nil {
			t.Fatalf("usage %d, %v; want 10", u, err)
		}
		empty := put(t, s, team, nil)
		absent := blobIDOf([]byte("absent"))
		missing, err := s.MissingBlobs(ctx, team, []string{id, absent, empty, absent})
		if err != nil || !slices.Equal(missing, []string{absent}) {
			t.Fatalf("missing: %v, %v", missing, err)
		}
		if missing, _ := s.MissingBlobs(ctx, newName(), []string{id}); len(missing) != 1 {
			t.Fatal("another team sees the blob")
		}

		blob, err := s.OpenBlob(ctx, team, id)
		if err != nil {
			t.Fatal(err)
		}
		defer blob.Close()
		if n, err := blob.Seek(0, io.SeekEnd); n != 10 || err != nil {
			t.Fatalf("size %d, %v", n, err)
		}
		blob.Seek(4, io.SeekStart)
		if rest, err := io.ReadAll(blob); string(rest) != "456789" || err != nil {
			t.Fatalf("read from 4: %q, %v", rest, err)
		}
		_, err = s.OpenBlob(ctx, team, absent)
		wantErr(t, "open an unknown blob", err, ErrNotFound)
		_, err = s.OpenBlob(ctx, newName(), id)
		wantErr(t, "open another team's blob", err, ErrNotFound)
	})

	t.Run("quota", func(t *testing.T) {
		s, team, _ := newTeam(t)
		const quota = 1000
		full := randomBytes(600)
		if _, err := s.PutBlob(ctx, team, blobIDOf(full), full, quota); err != nil {
			t.Fatal(err)
		}
		over := randomBytes(401)
		_, err := s.PutBlob(ctx, team, blobIDOf(over), over, quota)
		wantErr(t, "beyond the quota", err, ErrQuotaExceeded)
		if missing, _ := s.MissingBlobs(ctx, team, []string{blobIDOf(over)}); len(missing) != 1 {
			t.Fatal("a refused blob was stored")
		}
		exact := randomBytes(400)
		if created, err := s.PutBlob(ctx, team, blobIDOf(exact), exact, quota); !created || err != nil {
			t.Fatalf("up to the quota: %v, %v", created, err)
		}
		if created, err := s.PutBlob(ctx, team, blobIDOf(full), full, quota); created || err != nil {
			t.Fatalf("a stored blob again, at the quota: %v, %v", created, err)
		}
		if u, _ := s.Usage(ctx, team); u != quota {
			t.Fatalf("usage %d, want %d", u, quota)
		}
	})

	t.Run("concurrent puts respect the quota", func(t *testing.T) {
		s, team, _ := newTeam(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		created := 0
		for range 20 {
			wg.Go(func() {
				data := randomBytes(100)
				ok, err := s.PutBlob(ctx, team, blobIDOf(data), data, 1000)
				if err != nil && !errors.Is(err, ErrQuotaExceeded) {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					created++
				}
			})
		}
		wg.Wait()
		if u, _ := s.Usage(ctx, team); created != 10 || u != 1000 {
			t.Fatalf("%d blobs stored, usage %d; want 10 and 1000", created, u)
		}
	})

	t.Run("log", func(t *testing.T) {
		s, team, _ := newTeam(t)
		entries, head, err := readLog(s, ctx, team, 0, 10)
		if len(entries) != 0 || head != 0 || err != nil {
			t.Fatalf("empty log: %v, %d, %v", entries, head, err)
		}
		a, b, c := put(t, s, team, []byte("a")), put(t, s, team, []byte("bb")), put(t, s, team, []byte("ccc"))
		absent1, absent2 := blobIDOf([]byte("x")), blobIDOf([]byte("y"))
		_, err = s.Append(ctx, team, []string{a, absent1, absent2, absent1})
		var missing *MissingBlobsError
		if !errors.As(err, &missing) || missing.Missing != 2 {
			t.Fatalf("append of absent blobs: %v", err)
		}
		if _, head, _ := readLog(s, ctx, team, 0, 10); head != 0 {
			t.Fatal("a failed append changed the log")
		}

		want := []wire.Entry{{Seq: 1, ID: a, Size: 1}, {Seq: 2, ID: b, Size: 2}, {Seq: 3, ID: c, Size: 3}}
		if got, err := s.Append(ctx, team, []string{a, b}); !slices.Equal(got, want[:2]) || err != nil {
			t.Fatalf("append: %v, %v", got, err)
		}
		if got, err := s.Append(ctx, team, []string{b, c, a, c}); !slices.Equal(got, want) || err != nil {
			t.Fatalf("append with ids already in the log: %v, %v", got, err)
		}
		for _, tc := range []struct {
			since uint64
			limit int
			want  []wire.Entry
		}{
			{0, 10, want}, {0, 1, want[:1]}, {1, 1, want[1:2]}, {1, 5, want[1:]}, {3, 5, nil}, {99, 5, nil},
		} {
			got, head, err := readLog(s, ctx, team, tc.since, tc.limit)
			if !slices.Equal(got, tc.want) || head != 3 || err != nil {
				t.Errorf("since %d limit %d: %v head %d, %v; want %v head 3", tc.since, tc.limit, got, head, err, tc.want)
			}
		}

		team2 := newName()
		d := put(t, s, team2, []byte("d"))
		if got, _ := s.Append(ctx, team2, []string{d}); len(got) != 1 || got[0].Seq != 1 {
			t.Fatalf("another team's log starts at %v", got)
		}
	})

	t.Run("concurrent appends are gapless", func(t *testing.T) {
		s, team, _ := newTeam(t)
		const writers, each = 20, 10
		blobs := make([][]string, writers)
		for w := range blobs {
			for range each {
				blobs[w] = append(blobs[w], put(t, s, team, randomBytes(32)))
			}
		}
		absent := blobIDOf([]byte("never stored"))
		var mu sync.Mutex
		var seqs []uint64
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i, id := range blobs[w] {
					got, err := s.Append(ctx, team, []string{id})
					if err != nil || len(got) != 1 {
						t.Errorf("append: %v, %v", got, err)
						return
					}
					mu.Lock()
					seqs = append(seqs, got[0].Seq)
					mu.Unlock()
					if i%3 == 0 { // failures in the same batches must not disturb the others
						if _, err := s.Append(ctx, team, []string{id, absent}); err == nil {
							t.Error("append of an absent blob succeeded")
						}
					}
				}
			})
		}
		wg.Wait()
		slices.Sort(seqs)
		for i, seq := range seqs {
			if seq != uint64(i+1) {
				t.Fatalf("sequence numbers %v are not 1..%d", seqs, writers*each)
			}
		}
		if _, head, _ := readLog(s, ctx, team, 0, 1); head != writers*each {
			t.Fatalf("head %d, want %d", head, writers*each)
		}
	})

	t.Run("nonces", func(t *testing.T) {
		s := newStore(t)
		p, later := newName(), time.Now().Add(time.Minute)
		for i, tc := range []struct {
			pseudonym, nonce string
			want             bool
		}{
			{p, "nonce-1", false}, {p, "nonce-1", true}, {p, "nonce-2", false}, {newName(), "nonce-1", false},
		} {
			if got := s.Seen(tc.pseudonym, tc.nonce, later); got != tc.want {
				t.Errorf("%d: Seen = %v, want %v", i, got, tc.want)
			}
		}
		s.Seen(p, "expired", time.Now().Add(-time.Second))
		if s.Seen(p, "expired", later) {
			t.Error("an expired nonce is still remembered")
		}

		var wg sync.WaitGroup
		var mu sync.Mutex
		fresh := 0
		for range 10 {
			wg.Go(func() {
				if !s.Seen(p, "raced", later) {
					mu.Lock()
					fresh++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if fresh != 1 {
			t.Fatalf("%d concurrent uses of one nonce were accepted", fresh)
		}
	})
}

func TestBadgerStoreSurvivesReopening(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := OpenBadgerStore(dir, BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	team, _, err := NewTeam(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	big := randomBytes(1 << 20) // in the value log
	id := blobIDOf(big)
	if _, err := s.PutBlob(ctx, team, id, big, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, team, []string{id}); err != nil {
		t.Fatal(err)
	}
	s.Seen("p", "n", time.Now().Add(time.Minute))
	if _, err := OpenBadgerStore(dir, BadgerOptions{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openBadger(t, dir, nil)
	entries, head, err := readLog(s, ctx, team, 0, 10)
	if err != nil || head != 1 || len(entries) != 1 || entries[0].ID != id || entries[0].Size != 1<<20 {
		t.Fatalf("log after reopening: %v head %d, %v", entries, head, err)
	}
	blob, err := s.OpenBlob(ctx, team, id)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(blob); blobIDOf(got) != id {
		t.Fatal("blob changed across reopening")
	}
	if !s.Seen("p", "n", time.Now().Add(time.Minute)) {
		t.Fatal("nonce forgotten across reopening: a restart would allow replays")
	}
}

// Attachment parts are files beside the database: one that a crash left
// before its blob was recorded is removed when the store opens, and one
// over the quota is not written at all.
func TestBadgerStoreBlobFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openBadger(t, dir, nil)
	team, _, err := NewTeam(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	part := randomBytes(4 << 20)
	id := blobIDOf(part)
	if created, err := s.PutBlob(ctx, team, id, part, 0); err != nil || !created {
		t.Fatalf("put a part: %v, %v", created, err)
	}
	over := randomBytes(fileBlobSize)
	if _, err := s.PutBlob(ctx, team, blobIDOf(over), over, int64(len(part))+1); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("a part over the quota: %v, want ErrQuotaExceeded", err)
	}
	if entries, _ := os.ReadDir(s.files.dir); len(entries) != 1 {
		t.Fatalf("%d blob files, want the one part's", len(entries))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// What a crash leaves: a file half written, and a whole one whose
	// blob was never recorded.
	files := filepath.Join(dir, "files")
	stray := []string{tmpPrefix + "123", team + "." + blobIDOf([]byte("never recorded"))}
	for _, name := range stray {
		if err := os.WriteFile(filepath.Join(files, name), []byte("ciphertext"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s = openBadger(t, dir, nil)
	for _, name := range stray {
		if _, err := os.Stat(filepath.Join(files, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stray file %s after reopening: %v", name, err)
		}
	}
	blob, err := s.OpenBlob(ctx, team, id)
	if err != nil {
		t.Fatal(err)
	}
	defer blob.Close()
	if got, err := io.ReadAll(blob); err != nil || !bytes.Equal(got, part) {
		t.Fatalf("the part after reopening: %d bytes, %v", len(got), err)
	}
	if u, err := s.Usage(ctx, team); err != nil || u != int64(len(part)) {
		t.Fatalf("usage %d, %v", u, err)
	}
}

// readLog is Store.ReadLog without the chain hashes.
func readLog(s Store, ctx context.Context, team string, since uint64, limit int) ([]wire.Entry, uint64, error) {
	lr, err := s.ReadLog(ctx, team, since, limit)
	return lr.Entries, lr.Head, err
}
