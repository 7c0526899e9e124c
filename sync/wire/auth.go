package wire

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request signature headers. Content-Digest follows RFC 9530.
const (
	HeaderDevice    = "Letapis-Device"
	HeaderCreated   = "Letapis-Created"
	HeaderNonce     = "Letapis-Nonce"
	HeaderSignature = "Letapis-Signature"
	HeaderDigest    = "Content-Digest"
)

// MaxClockSkew is how far a request's creation time may be from the
// relay's clock, either way.
const MaxClockSkew = 5 * time.Minute

const signingContext = "letapis-request/v1\n"

// Errors from VerifyRequest. The relay maps them to 401 responses.
var (
	ErrUnsigned     = errors.New("request is not signed")
	ErrBadSignature = errors.New("request signature is not valid")
	ErrStale        = errors.New("request signature is too old or from the future; check the device clock")
	ErrReplayed     = errors.New("request was already seen (replay)")
	ErrBadDigest    = errors.New("request body does not match its digest")
)

// Digest returns the Content-Digest header value for body.
func Digest(body []byte) string { return DigestOf(sha256.Sum256(body)) }

// DigestOf returns the Content-Digest header value for a body whose
// SHA-256 is sum, for a caller that already has it (a blob's id is its
// SHA-256), so that a large body is hashed once.
func DigestOf(sum [sha256.Size]byte) string {
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// SignRequest sets the signature headers on req for a body whose digest
// header is already set (see Digest). It may be called again, as before
// every retry, to refresh the time, nonce and signature.
func SignRequest(req *http.Request, pseudonym string, key ed25519.PrivateKey, now time.Time) {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	req.Header.Set(HeaderDevice, pseudonym)
	req.Header.Set(HeaderCreated, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderNonce, base64.RawURLEncoding.EncodeToString(nonce[:]))
	sig := ed25519.Sign(key, signatureBase(req))
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
}

// signatureBase is what a request signature covers: method, path and
// query, body digest, creation time, nonce and pseudonym. The host is left
// out so that a relay behind a proxy or onion address verifies the same.
func signatureBase(req *http.Request) []byte {
	var b strings.Builder
	b.WriteString(signingContext)
	for _, s := range []string{
		req.Method,
		req.URL.RequestURI(),
		req.Header.Get(HeaderDigest),
		req.Header.Get(HeaderCreated),
		req.Header.Get(HeaderNonce),
		req.Header.Get(HeaderDevice),
	} {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// NonceStore remembers nonces for replay detection.
type NonceStore interface {
	// Seen records nonce for pseudonym until expiry and reports whether it
	// had been recorded before.
	Seen(pseudonym, nonce string, expiry time.Time) bool
}

// VerifyRequest checks a signed request whose body has been read into
// body: the digest matches the body, the time is within MaxClockSkew of
// now, the nonce is fresh and the signature verifies with the key that
// lookup returns for the pseudonym. It returns the pseudonym.
func VerifyRequest(req *http.Request, body []byte, now time.Time, nonces NonceStore, lookup func(pseudonym string) (ed25519.PublicKey, error)) (string, error) {
	return VerifyRequestSum(req, sha256.Sum256(body), now, nonces, lookup)
}

// VerifyRequestSum is VerifyRequest for a body whose SHA-256 the caller
// has taken, to use it for more than the digest without hashing the body
// twice.
func VerifyRequestSum(req *http.Request, sum [sha256.Size]byte, now time.Time, nonces NonceStore, lookup func(pseudonym string) (ed25519.PublicKey, error)) (string, error) {
	pseudonym := req.Header.Get(HeaderDevice)
	sigText := req.Header.Get(HeaderSignature)
	if pseudonym == "" || sigText == "" {
		return "", ErrUnsigned
	}
	if req.Header.Get(HeaderDigest) != DigestOf(sum) {
		return "", ErrBadDigest
	}
	created, err := strconv.ParseInt(req.Header.Get(HeaderCreated), 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: creation time is not a number", ErrBadSignature)
	}
	if skew := now.Sub(time.Unix(created, 0)); skew > MaxClockSkew || skew < -MaxClockSkew {
		return "", ErrStale
	}
	nonce := req.Header.Get(HeaderNonce)
	if n, err := base64.RawURLEncoding.DecodeString(nonce); err != nil || len(n) != 16 {
		return "", fmt.Errorf("%w: nonce is malformed", ErrBadSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return "", fmt.Errorf("%w: signature is malformed", ErrBadSignature)
	}
	key, err := lookup(pseudonym)
	if err != nil {
		return "", err
	}
	if !ed25519.Verify(key, signatureBase(req), sig) {
		return "", ErrBadSignature
	}
	// Only a verified request may claim a nonce, so that nobody can burn
	// the nonces of others.
	if nonces.Seen(pseudonym, nonce, time.Unix(created, 0).Add(MaxClockSkew)) {
		return "", ErrReplayed
	}
	return pseudonym, nil
}
