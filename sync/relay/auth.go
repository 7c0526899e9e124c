package relay

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/letapis/letapis/sync/wire"
)

// call is a request to a team endpoint, once its body is read and, for a
// signed endpoint, its signature verified.
type call struct {
	*http.Request
	team   string
	device Device // the signer; zero on open endpoints
	body   []byte
	sum    *[sha256.Size]byte // the body's SHA-256 once taken (see bodySum)
	ended  []func()           // run when the request ends, answered or refused
}

// bodySum returns the SHA-256 of the body, hashing it the first time:
// the digest and the checks of a blob share one pass.
func (c *call) bodySum() [sha256.Size]byte {
	if c.sum == nil {
		sum := sha256.Sum256(c.body)
		c.sum = &sum
	}
	return *c.sum
}

// handler serves a team endpoint. An error it returns becomes the
// response (see errorFor).
type handler func(w http.ResponseWriter, c *call) error

// access says which devices may call a signed endpoint.
type access int

const (
	member access = iota // any active device
	admin                // active admins only
)

// endpoint adapts a function that returns an error into an http.Handler
// that reports the error to the client.
func (s *Server) endpoint(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// tokenCall serves a team endpoint that carries a one-time token instead
// of a signature: register and join. A client address beyond its limit
// (Options.OpenRate) is refused before anything else, with the time to
// wait in Retry-After.
func (s *Server) tokenCall(h handler) http.Handler {
	return s.endpoint(func(w http.ResponseWriter, r *http.Request) error {
		if ok, wait := s.open.allow(r); !ok {
			w.Header().Set("Retry-After", retryAfter(wait))
			return errRateLimited
		}
		team, err := teamOf(r)
		if err != nil {
			return err
		}
		body, release, err := readBody(w, r, s.opts.MaxMessageSize)
		if err != nil {
			return err
		}
		defer release()
		return h(w, &call{Request: r, team: team, body: body})
	})
}

// signed serves a team endpoint for devices with the given access, whose
// body may be up to limit bytes. Unsigned requests and requests from
// unknown or revoked devices are refused before the body is read. The
// checks run on the body before the signature is verified, in order: a
// blob that is not what its id says is refused as such even when its
// digest says so too. The body is hashed once, for its digest and the
// checks.
func (s *Server) signed(need access, limit int64, h handler, checks ...handler) http.Handler {
	return s.endpoint(func(w http.ResponseWriter, r *http.Request) error {
		team, err := teamOf(r)
		if err != nil {
			return err
		}
		dev, err := s.signer(r, team)
		if err != nil {
			return err
		}
		body, release, err := readBody(w, r, limit)
		if err != nil {
			return err
		}
		defer release()
		c := &call{Request: r, team: team, device: dev, body: body}
		defer func() {
			for _, end := range c.ended {
				end()
			}
		}()
		for _, check := range checks {
			if err := check(w, c); err != nil {
				return err
			}
		}
		key := func(string) (ed25519.PublicKey, error) { return dev.AuthKey, nil }
		if _, err := wire.VerifyRequestSum(r, c.bodySum(), s.opts.Now(), s.store, key); err != nil {
			return err
		}
		switch {
		case dev.Status == StatusPending:
			return errPending
		case need == admin && dev.Role != RoleAdmin:
			return errNotAdmin
		}
		return h(w, c)
	})
}

// signer returns the device a request says it is signed by.
func (s *Server) signer(r *http.Request, team string) (Device, error) {
	pseudonym := r.Header.Get(wire.HeaderDevice)
	if pseudonym == "" || r.Header.Get(wire.HeaderSignature) == "" {
		return Device{}, wire.ErrUnsigned
	}
	if !wire.ValidName(pseudonym) {
		return Device{}, errUnknownDevice
	}
	d, err := s.store.Device(r.Context(), team, pseudonym)
	switch {
	case errors.Is(err, ErrNotFound):
		return Device{}, errUnknownDevice
	case err != nil:
		return Device{}, fmt.Errorf("look up device: %w", err)
	case d.Status == StatusRevoked:
		return Device{}, errDeviceRevoked
	}
	return d, nil
}

func teamOf(r *http.Request) (string, error) {
	team := r.PathValue("team")
	if !wire.ValidName(team) {
		return "", wire.Errorf(wire.CodeBadRequest, "team id must be 26 characters a-z and 2-7")
	}
	return team, nil
}

// readBody reads the request body, refusing one of more than limit bytes.
// Call release when done with the body: it may return the buffer to
// bodyPool.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, release func(), err error) {
	if r.ContentLength > limit {
		return nil, nil, &http.MaxBytesError{Limit: limit}
	}
	// Room for the whole body and the read that meets its end, so that a
	// big blob is not copied while the buffer grows.
	size := max(r.ContentLength, 0) + bytes.MinRead
	var buf *bytes.Buffer
	release = func() {}
	if pooled := size > pooledBody/2 && size <= pooledBody; pooled {
		b, _ := bodyPool.Get().(*[]byte)
		if b == nil {
			b = new(make([]byte, pooledBody))
		}
		buf = bytes.NewBuffer((*b)[:0])
		release = func() { bodyPool.Put(b) }
	} else {
		buf = bytes.NewBuffer(make([]byte, 0, size))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		release()
		return nil, nil, fmt.Errorf("read request body: %w", err)
	}
	return buf.Bytes(), release, nil
}

// pooledBody is the size of the buffers in bodyPool: a whole attachment
// part and the read that meets its end.
const pooledBody = 4<<20 + bytes.MinRead

// bodyPool holds buffers for the bodies of attachment parts, which are
// read whole before the signature is verified, so that a part does not
// cost a new 4 MiB buffer, zeroed, each time. Nothing keeps a body after
// its handler returns: a store writes it to a file or copies it into the
// database before it answers.
var bodyPool sync.Pool
