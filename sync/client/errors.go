package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"

	"github.com/letapis/letapis/sync/wire"
)

// Errors returned by Client methods. Callers test with errors.Is; the
// returned errors wrap these with details, and when the relay answered
// with an error they also wrap its *wire.Error (use errors.As).
var (
	// ErrUnreachable means no usable answer came from the relay: the
	// connection failed, stalled or broke off, or the relay (or a proxy)
	// kept answering 408, 429 or 5xx through every retry. Trying again
	// later may work.
	ErrUnreachable = errors.New("cannot reach the relay")
	// ErrCertificate means the relay's TLS certificate was refused: it does
	// not match the pin or, without a pin, it is not trusted. Never
	// retried: it may be an attack.
	ErrCertificate = errors.New("the relay's certificate was refused")
	// ErrUnauthenticated means the relay did not accept the request's
	// signature (401): the device is not registered with the team, or its
	// clock is far off.
	ErrUnauthenticated = errors.New("the relay does not recognise this device; check that it was admitted to the team and that its clock is right")
	// ErrForbidden means the relay refused this device (403): it was
	// removed from the team, is not approved yet, or is not an admin.
	ErrForbidden = errors.New("the relay refused this device")
	// ErrNotFound means the relay does not have what was asked for (404).
	ErrNotFound = errors.New("the relay does not have it")
	// ErrConflict means the request conflicts with what the relay holds
	// (409), such as registering a team that already has an admin.
	ErrConflict = errors.New("the relay already holds something different")
	// ErrQuotaExceeded means the team's space on the relay is used up (507).
	ErrQuotaExceeded = errors.New("the team's space on the relay is full")
	// ErrRejected means the relay refused the request as invalid (400,
	// 413, 422 and other 4xx): a blob that does not hash to its id, one
	// too large, an invite token already used.
	ErrRejected = errors.New("the relay rejected the request")
	// ErrProtocol means the relay's answer cannot be accepted: malformed,
	// not what was asked for, a receipt that does not verify, a changed
	// relay key, a log that went backwards. The relay or something between
	// is broken or lying.
	ErrProtocol = errors.New("the relay's answer is not acceptable")
	// ErrTampered means the relay's log contradicts what this device
	// verified before or itself: entries missing from a page (a gap), a
	// history that differs from the one seen, entries that do not hash
	// to the head the relay signed. The relay, or something between, may
	// be hiding or rewriting the team's records.
	ErrTampered = errors.New("the relay's log has been tampered with")
)

// relayError makes the error for a non-2xx answer, which the caller
// closes.
func relayError(resp *http.Response) error {
	return fmt.Errorf("%w: %w", kindOfStatus(resp.StatusCode), wire.ReadError(resp))
}

// kindOfStatus returns the sentinel error for a non-2xx status.
func kindOfStatus(status int) error {
	switch {
	case retryableStatus(status):
		return ErrUnreachable
	case status == http.StatusUnauthorized:
		return ErrUnauthenticated
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusInsufficientStorage:
		return ErrQuotaExceeded
	case status >= 400 && status < 500:
		return ErrRejected
	}
	return ErrProtocol // 1xx, 3xx, and 5xx that no relay sends
}

// explain turns the error of a failed exchange into one for the caller:
// without the URL that net/http puts in its errors (it names the team and
// blob ids), and wrapping ErrUnreachable, or ErrCertificate for the
// relay's certificate, unless it is already ours or the caller's
// cancellation.
func explain(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	op, _ := errors.AsType[*net.OpError](err)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, ErrCertificate), errors.Is(err, ErrProtocol):
		return err
	case op != nil && op.Op == "proxyconnect": // even the proxy's certificate
		return fmt.Errorf("%w: the proxy failed: %w", ErrUnreachable, err)
	case isCertificateError(err):
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, err)
}

// isCertificateError reports whether err is a failed verification of a
// TLS certificate, by the system's authorities or by the pin.
func isCertificateError(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	return errors.Is(err, ErrCertificate) || errors.As(err, &verify) ||
		errors.As(err, &authority) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// reason names what went wrong in an attempt for the log, in fixed words
// that cannot carry an address, id or other data.
func reason(resp *http.Response, err error) string {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case err == nil && resp != nil:
		return "HTTP status " + strconv.Itoa(resp.StatusCode)
	case errors.Is(err, errStalled):
		return "stalled"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	case isCertificateError(err):
		return "certificate refused"
	case errors.As(err, &dns):
		return "name not resolved"
	case errors.As(err, &op) && op.Op == "proxyconnect":
		return "proxy failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed early"
	case errors.As(err, &op) && op.Timeout():
		return "timeout"
	}
	return "network error"
}
