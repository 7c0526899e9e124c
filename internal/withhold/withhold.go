// Package withhold is a withholding relay for tests: the real relay
// handler behind a proxy on 127.0.0.1 that holds the relay's key, as a
// relay's operator does, and shows chosen devices another log than the
// real one: with entries left out (a gap), or a fork, consistent and
// signed, without them. Every request still goes to the real relay, which
// checks its signature and long-polls; for the devices given a view, the
// proxy then answers log reads, and the receipts of their appends, from
// that view of the real log.
package withhold

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/letapis/letapis/sync/relay"
	"github.com/letapis/letapis/sync/wire"
)

// View is what a withholding relay shows one device of its log.
type View struct {
	// Hide is the blob ids left out of the log.
	Hide map[string]bool
	// Fork renumbers and re-chains what is left, and signs it: a history
	// consistent in itself, different from the real one. Without it, the
	// entries left out are a gap in the real numbering.
	Fork bool
	// RealReceipts leaves the receipts of the device's appends as the
	// real relay gave them; otherwise, in a fork, they are renumbered to
	// the fork and signed, as a forking relay would do.
	RealReceipts bool
}

// Relay is the proxy.
type Relay struct {
	// URL is where the devices reach it.
	URL   string
	srv   *httptest.Server
	store relay.Store
	key   ed25519.PrivateKey
	next  http.Handler
	mu    sync.Mutex
	// views holds the view of each device (by pseudonym) that is not
	// shown the real log.
	views map[string]View
}

// New starts a withholding proxy on 127.0.0.1 in front of the relay at
// target, which keeps its log in store and signs with key. It shows every
// device the real log until Show is called. Close it when done.
func New(target string, store relay.Store, key ed25519.PrivateKey) (*Relay, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	r := &Relay{store: store, key: key, next: httputil.NewSingleHostReverseProxy(u), views: map[string]View{}}
	r.srv = httptest.NewServer(r)
	r.URL = r.srv.URL
	return r, nil
}

// Close stops the proxy.
func (w *Relay) Close() { w.srv.Close() }

// Show makes the proxy show the device with pseudonym the view v.
func (w *Relay) Show(pseudonym string, v View) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.views[pseudonym] = v
}

func (w *Relay) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	w.mu.Lock()
	v, ok := w.views[req.Header.Get(wire.HeaderDevice)]
	w.mu.Unlock()
	team, isLog := strings.CutSuffix(strings.TrimPrefix(req.URL.Path, "/v1/teams/"), "/log")
	appending := req.Method == http.MethodPost && v.Fork && !v.RealReceipts
	if !ok || !isLog || (req.Method != http.MethodGet && !appending) {
		w.next.ServeHTTP(rw, req)
		return
	}
	rec := httptest.NewRecorder()
	w.next.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		for k, vs := range rec.Header() {
			rw.Header()[k] = vs
		}
		rw.WriteHeader(rec.Code)
		rw.Write(rec.Body.Bytes())
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	if appending {
		json.NewEncoder(rw).Encode(w.receipt(team, v, rec.Body.Bytes()))
		return
	}
	since, _ := strconv.ParseUint(req.URL.Query().Get("since"), 10, 64)
	limit, err := strconv.Atoi(req.URL.Query().Get("limit"))
	if err != nil || limit <= 0 {
		limit = wire.MaxIDs
	}
	json.NewEncoder(rw).Encode(w.page(team, v, since, limit))
}

// receipt renumbers the real relay's answer to an append to the fork v
// and signs it.
func (w *Relay) receipt(team string, v View, real []byte) *wire.Appended {
	var res wire.Appended
	json.Unmarshal(real, &res)
	view := w.page(team, v, 0, wire.MaxIDs).Entries
	for i, e := range res.Entries {
		for _, f := range view {
			if f.ID == e.ID {
				res.Entries[i].Seq = f.Seq
			}
		}
	}
	slices.SortFunc(res.Entries, func(a, b wire.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	res.Receipt = ed25519.Sign(w.key, wire.ReceiptMessage(team, res.Entries))
	return &res
}

// page makes the page of view v of team's log after since, signed with
// the relay's key.
func (w *Relay) page(team string, v View, since uint64, limit int) *wire.Page {
	real, _ := w.Log(team, 0) // a log that cannot be read shows as empty
	// The chain of the real log, and the view's entries.
	var shown []wire.Entry
	chain := map[uint64][]byte{0: wire.GenesisHash}
	hash := wire.GenesisHash
	for _, e := range real {
		if !v.Fork {
			hash = wire.ChainHash(hash, e.Seq, e.ID)
			chain[e.Seq] = hash
		}
		if v.Hide[e.ID] {
			continue
		}
		if v.Fork {
			e.Seq = uint64(len(shown) + 1)
			hash = wire.ChainHash(hash, e.Seq, e.ID)
			chain[e.Seq] = hash
		}
		shown = append(shown, e)
	}
	p := &wire.Page{Entries: []wire.Entry{}}
	if n := len(shown); n > 0 {
		p.Head = shown[n-1].Seq
	}
	if !v.Fork && len(real) > 0 {
		p.Head = real[len(real)-1].Seq
	}
	for _, e := range shown {
		if e.Seq > since && len(p.Entries) < limit {
			p.Entries = append(p.Entries, e)
		}
	}
	p.Prev = chain[since]
	end := p.End(since)
	p.Hash = chain[end.Seq]
	if p.Hash == nil {
		p.Hash = p.Prev
	}
	if p.Hash != nil {
		p.Sig = ed25519.Sign(w.key, wire.HeadMessage(team, wire.Point{Seq: end.Seq, Hash: p.Hash}))
	}
	return p
}

// Log returns the entries of team's real log after seq.
func (w *Relay) Log(team string, after uint64) ([]wire.Entry, error) {
	var es []wire.Entry
	for {
		lr, err := w.store.ReadLog(context.Background(), team, after, wire.MaxIDs)
		if err != nil || len(lr.Entries) == 0 {
			return es, err
		}
		es = append(es, lr.Entries...)
		after = lr.Entries[len(lr.Entries)-1].Seq
	}
}

// Head returns the sequence number of the last entry of team's real log.
func (w *Relay) Head(team string) (uint64, error) {
	lr, err := w.store.ReadLog(context.Background(), team, 0, 1)
	return lr.Head, err
}
