package main

import (
	"net"
	"net/netip"
	"sync"
)

// limitListener caps the connections a listener has open: at most total
// at once (Accept waits for one to close, as netutil.LimitListener does)
// and at most perAddr from one client address (0: no cap), an IPv6
// address counting by its /64; a connection beyond that is closed as soon
// as it is accepted. Addresses are kept in memory only while their
// connections are open.
type limitListener struct {
	net.Listener
	slots   chan struct{}
	perAddr int

	mu    sync.Mutex
	open  map[netip.Addr]int
	close sync.Once
	done  chan struct{}
}

func newLimitListener(ln net.Listener, total, perAddr int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, total), perAddr: perAddr,
		open: map[netip.Addr]int{}, done: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection from an address
// under its cap.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
		c, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			return nil, err
		}
		addr := connAddr(c)
		if !l.take(addr) {
			c.Close()
			<-l.slots
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.give(addr); <-l.slots }}, nil
	}
}

// Close closes the listener and ends an Accept waiting for a slot.
func (l *limitListener) Close() error {
	l.close.Do(func() { close(l.done) })
	return l.Listener.Close()
}

func (l *limitListener) take(a netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perAddr > 0 && l.open[a] >= l.perAddr {
		return false
	}
	l.open[a]++
	return true
}

func (l *limitListener) give(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a]--; l.open[a] <= 0 {
		delete(l.open, a)
	}
}

// connAddr is the client address of c, an IPv6 address cut to its /64.
func connAddr(c net.Conn) netip.Addr {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	a := ap.Addr().Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// limitedConn gives its slot back when closed, once.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
