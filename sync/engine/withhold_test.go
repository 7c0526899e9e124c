package engine

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
	gosync "sync"
	"testing"

	"github.com/letapis/letapis/sync/wire"
)

// A withholding relay for the tests: the real relay handler, on
// 127.0.0.1, behind a proxy that holds the relay's key, as a relay's
// operator does. Every request goes to the real relay (which checks its
// signature and long-polls); for the devices given a view, the proxy then
// answers log reads from that view of the real log instead.

// logView is what a withholding relay shows one device of its log.
type logView struct {
	// hide is the blob ids left out of the log.
	hide map[string]bool
	// fork renumbers and re-chains what is left, and signs it: a history
	// consistent in itself, different from the real one. Without it, the
	// entries left out are a gap in the real numbering.
	fork bool
	// realReceipts leaves the receipts of the device's appends as the
	// real relay gave them; otherwise, in a fork, they are renumbered to
	// the fork and signed, as a forking relay would do.
	realReceipts bool
}

// withholder is the proxy.
type withholder struct {
	r    *testRelay
	next http.Handler
	mu   gosync.Mutex
	// views holds the view of each device (by pseudonym) that is not
	// shown the real log.
	views map[string]logView
}

// startWithholder puts a withholding proxy in front of r, showing every
// device the real log until show is called. It returns the proxy and a
// view of r whose URL is the proxy's.
func startWithholder(t *testing.T, r *testRelay) (*withholder, *testRelay) {
	t.Helper()
	target, err := url.Parse(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	w := &withholder{r: r, next: httputil.NewSingleHostReverseProxy(target), views: map[string]logView{}}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	via := *r
	via.URL = srv.URL
	return w, &via
}

// show makes the proxy show the device with pseudonym the view v.
func (w *withholder) show(pseudonym string, v logView) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.views[pseudonym] = v
}

func (w *withholder) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	w.mu.Lock()
	v, ok := w.views[req.Header.Get(wire.HeaderDevice)]
	w.mu.Unlock()
	team, isLog := strings.CutSuffix(strings.TrimPrefix(req.URL.Path, "/v1/teams/"), "/log")
	appending := req.Method == http.MethodPost && v.fork && !v.realReceipts
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
func (w *withholder) receipt(team string, v logView, real []byte) *wire.Appended {
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
	res.Receipt = ed25519.Sign(w.r.key, wire.ReceiptMessage(team, res.Entries))
	return &res
}

// page makes the page of view v of team's log after since, signed with
// the relay's key.
func (w *withholder) page(team string, v logView, since uint64, limit int) *wire.Page {
	var real []wire.Entry
	for s := uint64(0); ; {
		lr, err := w.r.store.ReadLog(context.Background(), team, s, wire.MaxIDs)
		if err != nil || len(lr.Entries) == 0 {
			break
		}
		real = append(real, lr.Entries...)
		s = lr.Entries[len(lr.Entries)-1].Seq
	}
	// The chain of the real log, and the view's entries.
	var shown []wire.Entry
	chain := map[uint64][]byte{0: wire.GenesisHash}
	hash := wire.GenesisHash
	for _, e := range real {
		if !v.fork {
			hash = wire.ChainHash(hash, e.Seq, e.ID)
			chain[e.Seq] = hash
		}
		if v.hide[e.ID] {
			continue
		}
		if v.fork {
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
	if !v.fork && len(real) > 0 {
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
		p.Sig = ed25519.Sign(w.r.key, wire.HeadMessage(team, wire.Point{Seq: end.Seq, Hash: p.Hash}))
	}
	return p
}

// entriesAfter returns the ids of team's log entries after seq.
func entriesAfter(t *testing.T, r *testRelay, team string, seq uint64) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, e := range relayLog(t, r, team) {
		if e.Seq > seq {
			ids[e.ID] = true
		}
	}
	return ids
}

// logHead returns the sequence number of the last entry of team's log.
func logHead(t *testing.T, r *testRelay, team string) uint64 {
	t.Helper()
	lr, err := r.store.ReadLog(context.Background(), team, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return lr.Head
}
