package relay

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

// ServeHTTP implements http.Handler: it routes the request, logs one line
// for it and turns a panic into a 500 response that says nothing of it.
//
// The line names the route pattern ("PUT /v1/teams/{team}/blobs/{id}"),
// never the path: team ids, pseudonyms and blob ids stay out of the log,
// as do client addresses, tokens and bodies.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving a request", "route", r.Pattern, "panic", describePanic(v), "stack", string(debug.Stack()))
			if rec.status == 0 {
				wire.WriteError(rec, wire.Errorf(wire.CodeInternal, "internal error; the relay's log has the details"))
			}
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("route", r.Pattern), // set in r by the ServeMux
			slog.Int("status", rec.statusCode()),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("bytes", rec.bytes))
	}()
	s.mux.ServeHTTP(rec, r)
}

// describePanic tells what panicked without repeating a value that might
// hold request data: runtime errors (index out of range, nil dereference)
// say only that; other values are named by type.
func describePanic(v any) string {
	if err, ok := v.(runtime.Error); ok {
		return err.Error()
	}
	return fmt.Sprintf("value of type %T", v)
}

// recorder notes the final status and size of a response (not an interim
// 1xx one such as 102 Processing).
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 && status >= 200 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
