package main

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// serveConns accepts connections on ln and holds them open until the
// client closes them; accepted counts them.
func serveConns(t *testing.T, ln net.Listener) *atomic.Int32 {
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return &accepted
}

// dialFrom connects to addr from the loopback address ip.
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// stillOpen reports whether the server keeps c open (a read times out)
// rather than closing it (a read ends).
func stillOpen(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// TestConnectionsPerAddressAreCapped: over loopback, a third connection
// from 127.0.0.1 is closed at once while 127.0.0.2 still connects; once
// one of the first two closes, 127.0.0.1 connects again.
func TestConnectionsPerAddressAreCapped(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveConns(t, newLimitListener(tcp, 100, 2))
	addr := tcp.Addr().String()
	first, second := dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.1", addr)
	if !stillOpen(first) || !stillOpen(second) {
		t.Fatal("connections under the cap were closed")
	}
	if stillOpen(dialFrom(t, "127.0.0.1", addr)) {
		t.Fatal("a third connection from one address stayed open")
	}
	if !stillOpen(dialFrom(t, "127.0.0.2", addr)) {
		t.Fatal("another address was refused")
	}
	first.Close()
	time.Sleep(50 * time.Millisecond) // the server sees the close
	if !stillOpen(dialFrom(t, "127.0.0.1", addr)) {
		t.Fatal("the address was refused after one of its connections closed")
	}
}

// TestConnectionsInAllAreCapped: beyond the total, a connection waits to
// be accepted until another closes.
func TestConnectionsInAllAreCapped(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := serveConns(t, newLimitListener(tcp, 2, 0))
	addr := tcp.Addr().String()
	first := dialFrom(t, "127.0.0.1", addr)
	dialFrom(t, "127.0.0.2", addr)
	dialFrom(t, "127.0.0.3", addr)
	time.Sleep(200 * time.Millisecond)
	if n := accepted.Load(); n != 2 {
		t.Fatalf("%d connections accepted, want 2", n)
	}
	first.Close()
	deadline := time.Now().Add(5 * time.Second)
	for accepted.Load() != 3 {
		if time.Now().After(deadline) {
			t.Fatal("the waiting connection was not accepted after one closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
