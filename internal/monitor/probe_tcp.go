package monitor

import (
	"bufio"
	"context"
	"net"
	"strings"
	"time"
)

func (p *Prober) tcp(ctx context.Context, s *TCPSpec) Result {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Address)
	if err != nil {
		return errResult(err)
	}
	defer conn.Close()
	if s.Banner == "" {
		return Result{OK: true}
	}
	setDeadline(ctx, conn)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil && line == "" {
		return errResult(err)
	}
	if !strings.Contains(line, s.Banner) {
		return failed("monitor.reason.banner", strings.TrimSpace(clip(line, 80)), s.Banner)
	}
	return Result{OK: true}
}

// setDeadline bounds a connection's reads and writes by ctx's deadline.
func setDeadline(ctx context.Context, conn net.Conn) {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(DefaultTimeout))
	}
}

// clip shortens s to n bytes at most, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
