package monitor

import (
	"net"
	"testing"
	"time"
)

// FuzzJSONPath feeds arbitrary bodies and paths to the http check's JSON
// reader: an answer or an error, never a panic.
func FuzzJSONPath(f *testing.F) {
	f.Add([]byte(`{"db":{"state":"ok"},"items":[1,{"a":true}]}`), "items.1.a")
	f.Add([]byte(`[[[[1]]]]`), "0.0.0.0")
	f.Add([]byte(`not json`), "a")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		_, _ = jsonPath(body, path)
	})
}

// FuzzStartTLSPrelude plays arbitrary server bytes to each protocol's
// STARTTLS prelude: it fails or succeeds within its deadline, never
// panics and never reads without end.
func FuzzStartTLSPrelude(f *testing.F) {
	f.Add([]byte("220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n"), uint8(0))
	f.Add([]byte("* OK ready\r\na1 OK begin\r\n"), uint8(1))
	f.Add([]byte("+OK\r\n+OK go\r\n"), uint8(2))
	f.Add([]byte("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features><proceed/>"), uint8(3))
	protos := []string{StartTLSSMTP, StartTLSIMAP, StartTLSPOP3, StartTLSXMPP}
	f.Fuzz(func(t *testing.T, server []byte, which uint8) {
		client, srv := net.Pipe()
		defer client.Close()
		go func() {
			// The server writes its bytes, reading whatever comes.
			go func() {
				buf := make([]byte, 512)
				for {
					if _, err := srv.Read(buf); err != nil {
						return
					}
				}
			}()
			srv.Write(server)
			srv.Close()
		}()
		client.SetDeadline(time.Now().Add(2 * time.Second))
		_ = upgrade(client, protos[int(which)%len(protos)], "example.org")
	})
}

// FuzzArchives reads arbitrary tool output as borg's and restic's JSON.
func FuzzArchives(f *testing.F) {
	f.Add([]byte(`{"archives":[{"name":"a","start":"2026-01-01T02:30:00.000000","time":"2026-01-01T02:30:00.000000"}]}`))
	f.Add([]byte(`[{"time":"2026-01-01T02:30:00.123456789+01:00"}]`))
	f.Fuzz(func(t *testing.T, out []byte) {
		_, _ = newestArchive("borg", out)
		_, _ = newestArchive("restic", out)
	})
}
