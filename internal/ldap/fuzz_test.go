package ldap_test

import (
	"net"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"

	"pelote/internal/ldap"
)

// FuzzMessages feeds arbitrary bytes to a running server's message reader
// (package wire and the handlers behind it): whatever arrives, the server
// answers or closes that connection, and keeps serving the others.
func FuzzMessages(f *testing.F) {
	for _, seed := range [][]byte{
		{0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00}, // anonymous bind
		{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff},                                                 // a 2 GiB length
		{0x30, 0x05, 0x02, 0x01, 0x02, 0x42, 0x00},                                           // unbind
		[]byte("\x30\x25\x02\x01\x02\x63\x20\x04\x00\x0a\x01\x00\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00\x87\x0bobjectClass\x30\x00"),
	} {
		f.Add(seed)
	}
	// A search whose filter is an extensible match with :dn:, which once
	// closed the connection before any handler ran.
	f.Add(searchPacket(f, "(ou:dn:=people)"))
	f.Add(searchPacket(f, "(&(uid:dn:caseExactMatch:=alice)(!(:dn:1.2.3:=x)))"))
	w := newWorld(f, ldap.Config{})
	f.Fuzz(func(t *testing.T, in []byte) {
		conn, err := net.Dial("tcp", w.addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(in)
		conn.(*net.TCPConn).CloseWrite()
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 4096)
		for {
			if _, err := conn.Read(buf); err != nil {
				break
			}
		}
		conn.Close()
		c, err := goldap.DialURL("ldap://" + w.addr)
		if err != nil {
			t.Fatalf("server gone after %x: %v", in, err)
		}
		defer c.Close()
		if _, err := search(c, "", goldap.ScopeBaseObject, "(objectClass=*)"); err != nil {
			t.Fatalf("server broken after %x: %v", in, err)
		}
	})
}

// searchPacket encodes a whole-subtree search of the root with filter.
func searchPacket(t testing.TB, filter string) []byte {
	t.Helper()
	fp, err := goldap.CompileFilter(filter)
	if err != nil {
		t.Fatal(err)
	}
	env := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	env.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(1), ""))
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, goldap.ApplicationSearchRequest, nil, "")
	req.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "dc=example,dc=org", ""))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(2), ""))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(0), ""))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), ""))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), ""))
	req.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""))
	req.AppendChild(fp)
	req.AppendChild(ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, ""))
	env.AppendChild(req)
	return env.Bytes()
}
