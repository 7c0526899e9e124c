package wire

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Code is a machine-readable error code in an error response.
type Code string

// Error codes and the HTTP status each travels with.
const (
	CodeBadRequest      Code = "bad_request"     // 400
	CodeUnauthenticated Code = "unauthenticated" // 401
	CodeForbidden       Code = "forbidden"       // 403: revoked, not admin, not a member
	CodeNotFound        Code = "not_found"       // 404
	CodeConflict        Code = "conflict"        // 409: e.g. team already registered
	CodeTooLarge        Code = "too_large"       // 413
	CodeHashMismatch    Code = "hash_mismatch"   // 422: blob does not hash to its id
	CodeRateLimited     Code = "rate_limited"    // 429
	CodeQuotaExceeded   Code = "quota_exceeded"  // 507
	CodeInternal        Code = "internal"        // 500
	CodeUnavailable     Code = "unavailable"     // 503
)

var statusOf = map[Code]int{
	CodeBadRequest:      http.StatusBadRequest,
	CodeUnauthenticated: http.StatusUnauthorized,
	CodeForbidden:       http.StatusForbidden,
	CodeNotFound:        http.StatusNotFound,
	CodeConflict:        http.StatusConflict,
	CodeTooLarge:        http.StatusRequestEntityTooLarge,
	CodeHashMismatch:    http.StatusUnprocessableEntity,
	CodeRateLimited:     http.StatusTooManyRequests,
	CodeQuotaExceeded:   http.StatusInsufficientStorage,
	CodeInternal:        http.StatusInternalServerError,
	CodeUnavailable:     http.StatusServiceUnavailable,
}

// Error is an error response from the relay.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("relay: %s (%s)", e.Message, e.Code) }

// Status returns the HTTP status the error travels with.
func (e *Error) Status() int {
	if s, ok := statusOf[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WriteError sends e as a JSON error response.
func WriteError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status())
	json.NewEncoder(w).Encode(e)
}

// ReadError turns a non-2xx response into an *Error, reading its body if it
// is one of ours and inventing a code from the status otherwise (a proxy in
// between may answer with its own page).
func ReadError(resp *http.Response) *Error {
	var e Error
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if json.Unmarshal(data, &e) == nil && e.Code != "" {
		return &e
	}
	for code, status := range statusOf {
		if status == resp.StatusCode {
			return &Error{Code: code, Message: http.StatusText(resp.StatusCode)}
		}
	}
	return &Error{Code: CodeInternal, Message: fmt.Sprintf("unexpected HTTP status %d", resp.StatusCode)}
}
