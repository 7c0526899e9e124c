package relay

import (
	"errors"
	"net/http"

	"github.com/letapis/letapis/sync/wire"
)

// Refusals of the authentication layer.
var (
	errUnknownDevice = errors.New("this device is not registered with the team")
	errDeviceRevoked = errors.New("this device was removed from the team")
	errPending       = errors.New("waiting for an admin to approve this device")
	errNotAdmin      = errors.New("only a team admin may do this")
)

// errorFor translates an error into the response a client gets: the one
// place where errors meet wire codes and HTTP statuses. It returns nil for
// an error it does not know: an internal one, of which the client learns
// nothing.
func errorFor(err error) *wire.Error {
	var (
		we      *wire.Error
		tooBig  *http.MaxBytesError
		missing *MissingBlobsError
		code    wire.Code
	)
	switch {
	case errors.As(err, &we):
		return we
	case errors.As(err, &tooBig):
		return wire.Errorf(wire.CodeTooLarge, "the request body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, wire.ErrUnsigned), errors.Is(err, wire.ErrBadSignature),
		errors.Is(err, wire.ErrStale), errors.Is(err, wire.ErrReplayed),
		errors.Is(err, wire.ErrBadDigest), errors.Is(err, errUnknownDevice):
		code = wire.CodeUnauthenticated
	case errors.Is(err, errDeviceRevoked), errors.Is(err, errPending),
		errors.Is(err, errNotAdmin), errors.Is(err, ErrBadToken):
		code = wire.CodeForbidden
	case errors.Is(err, ErrNotFound):
		code = wire.CodeNotFound
	case errors.Is(err, ErrExists), errors.Is(err, ErrRevoked),
		errors.Is(err, ErrLastAdmin), errors.Is(err, ErrNotActiveDevice), errors.As(err, &missing):
		code = wire.CodeConflict
	case errors.Is(err, ErrQuotaExceeded):
		code = wire.CodeQuotaExceeded
	case errors.Is(err, errRateLimited):
		code = wire.CodeRateLimited
	case errors.Is(err, wire.ErrMalformed):
		code = wire.CodeBadRequest
	default:
		return nil
	}
	return &wire.Error{Code: code, Message: err.Error()}
}

// writeError sends the response for err, logging internal errors (which
// name no team, device or blob).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := errorFor(err)
	if e == nil {
		s.log.Error("request failed", "route", r.Pattern, "err", err)
		e = wire.Errorf(wire.CodeInternal, "internal error; the relay's log has the details")
	}
	wire.WriteError(w, e)
}
