package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
)

func envelope(id int64, op *ber.Packet, controls ...*ber.Packet) []byte {
	env := ber.NewSequence("")
	env.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	env.AppendChild(op)
	if len(controls) > 0 {
		list := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
		for _, c := range controls {
			list.AppendChild(c)
		}
		env.AppendChild(list)
	}
	return env.Bytes()
}

func octetString(s string) *ber.Packet {
	return ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, s, "")
}

func simpleBind(name, password string) *ber.Packet {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, TagBindRequest, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(3), ""))
	op.AppendChild(octetString(name))
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, password, ""))
	return op
}

func read(t *testing.T, b []byte) (*Message, error) {
	t.Helper()
	return NewReader(bufio.NewReader(bytes.NewReader(b))).Read()
}

func TestDecodeRequests(t *testing.T) {
	m, err := read(t, envelope(5, simpleBind("uid=alice,ou=people,dc=example,dc=org", "secret")))
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := m.Op.(*BindRequest); !ok || m.ID != 5 || b.Version != 3 || b.Name != "uid=alice,ou=people,dc=example,dc=org" || string(b.Password) != "secret" || b.SASL {
		t.Errorf("bind: %+v %+v", m, m.Op)
	}

	m, err = read(t, searchBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := m.Op.(*SearchRequest)
	if !ok || m.ID != 7 || s.Base != "ou=people,dc=example,dc=org" || s.Scope != ScopeSubtree || s.Filter == nil ||
		s.Filter.Tag != FilterAnd || !slices.Equal(s.Attributes, []string{"uid", "cn", "mail"}) {
		t.Errorf("search: %+v", s)
	}

	paging := ber.NewSequence("")
	paging.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(50), ""))
	paging.AppendChild(octetString("next"))
	ctl := ber.NewSequence("")
	ctl.AppendChild(octetString(OIDPagedResults))
	ctl.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, true, ""))
	ctl.AppendChild(octetString(string(paging.Bytes())))
	ext := ber.Encode(ber.ClassApplication, ber.TypeConstructed, TagExtendedRequest, nil, "")
	ext.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, OIDWhoAmI, ""))
	m, err = read(t, envelope(9, ext, ctl))
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := m.Op.(*ExtendedRequest); !ok || e.Name != OIDWhoAmI || e.Value != nil || len(m.Controls) != 1 || !m.Controls[0].Critical {
		t.Fatalf("extended: %+v %+v", m.Op, m.Controls)
	}
	if p, err := DecodePaging(m.Controls[0].Value); err != nil || p.Size != 50 || string(p.Cookie) != "next" {
		t.Errorf("paging: %+v %v", p, err)
	}

	unbind := ber.Encode(ber.ClassApplication, ber.TypePrimitive, TagUnbindRequest, nil, "")
	if m, err := read(t, envelope(10, unbind)); err != nil || !isUnbind(m.Op) {
		t.Errorf("unbind: %+v %v", m, err)
	}
	abandon := ber.NewInteger(ber.ClassApplication, ber.TypePrimitive, TagAbandonRequest, int64(4), "")
	if m, err := read(t, envelope(11, abandon)); err != nil || m.Op.(*AbandonRequest).ID != 4 {
		t.Errorf("abandon: %+v %v", m, err)
	}
	add := ber.Encode(ber.ClassApplication, ber.TypeConstructed, TagAddRequest, nil, "")
	add.AppendChild(octetString("uid=eve,dc=example,dc=org"))
	if m, err := read(t, envelope(12, add)); err != nil || m.Op.(*OtherRequest).Tag != TagAddRequest {
		t.Errorf("add: %+v %v", m, err)
	}
	// Several messages on one stream, as a client pipelines them.
	stream := append(envelope(1, simpleBind("", "")), searchBytes(t)...)
	r := NewReader(bufio.NewReader(bytes.NewReader(stream)))
	for _, want := range []int64{1, 7} {
		if m, err := r.Read(); err != nil || m.ID != want {
			t.Fatalf("pipelined message %d: %+v %v", want, m, err)
		}
	}
	if _, err := r.Read(); !errors.Is(err, io.EOF) {
		t.Errorf("end of stream: %v", err)
	}
}

func isUnbind(op any) bool { _, ok := op.(*UnbindRequest); return ok }

func TestDecodeMalformed(t *testing.T) {
	badSearch := ber.Encode(ber.ClassApplication, ber.TypeConstructed, TagSearchRequest, nil, "")
	badSearch.AppendChild(octetString("dc=example,dc=org"))
	notContext := ber.Encode(ber.ClassApplication, ber.TypeConstructed, TagSearchRequest, nil, "")
	for _, c := range []*ber.Packet{octetString(""),
		ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(2), ""),
		ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(0), ""),
		ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), ""),
		ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), ""),
		ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""),
		octetString("(uid=alice)"), // a filter must be a CONTEXT choice
		ber.NewSequence(""),
	} {
		notContext.AppendChild(c)
	}
	sasl := ber.Encode(ber.ClassApplication, ber.TypeConstructed, TagBindRequest, nil, "")
	sasl.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(3), ""))
	sasl.AppendChild(octetString(""))
	sasl.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 9, "x", ""))
	badControl := ber.NewSequence("")
	badControl.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(1), ""))
	for name, in := range map[string][]byte{
		"not a sequence":       octetString("hello").Bytes(),
		"negative message id":  envelope(-1, simpleBind("", "")),
		"universal op":         envelope(1, octetString("x")),
		"unknown op":           envelope(1, ber.Encode(ber.ClassApplication, ber.TypeConstructed, 30, nil, "")),
		"response as request":  envelope(1, ber.Encode(ber.ClassApplication, ber.TypeConstructed, TagBindResponse, nil, "")),
		"short search":         envelope(1, badSearch),
		"filter not a choice":  envelope(1, notContext),
		"unknown auth choice":  envelope(1, sasl),
		"control without type": envelope(1, simpleBind("", ""), badControl),
	} {
		if m, err := read(t, in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %+v, %v; want ErrMalformed", name, m, err)
		}
	}
	// Cut short: the connection ended mid-message, not a malformed one.
	whole := searchBytes(t)
	if _, err := read(t, whole[:len(whole)-3]); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v", err)
	}
}

// TestResponsesReadByGoLDAP: what the writer encodes, go-ldap's client
// decoding reads back.
func TestResponsesReadByGoLDAP(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, 64)
	dn := Octets("uid=alice,ou=people,dc=example,dc=org")
	attrs := append(Attribute("uid", []string{"alice"}), Attribute("memberOf", []string{"cn=a,dc=org", "cn=b,dc=org"})...)
	w.Entry(3, SearchEntry(dn, attrs))
	w.SearchDone(3, Result{Code: SizeLimitExceeded, Message: "too many"}, &Paging{Cookie: []byte("c1")})
	w.Extended(4, Result{Code: Success}, "", []byte("dn:uid=alice"))
	w.Disconnect(Result{Code: ProtocolError, Message: "bye"})
	w.Flush()

	r := bytes.NewReader(out.Bytes())
	p, err := ber.ReadPacket(r)
	if err != nil {
		t.Fatal(err)
	}
	e := goldap.NewEntry("", nil)
	if p.Children[1].Tag != TagSearchResultEntry {
		t.Fatalf("entry tag %d", p.Children[1].Tag)
	}
	e.DN = p.Children[1].Children[0].Value.(string)
	for _, a := range p.Children[1].Children[1].Children {
		var vals []string
		for _, v := range a.Children[1].Children {
			vals = append(vals, v.Value.(string))
		}
		e.Attributes = append(e.Attributes, goldap.NewEntryAttribute(a.Children[0].Value.(string), vals))
	}
	if e.DN != "uid=alice,ou=people,dc=example,dc=org" || e.GetAttributeValue("uid") != "alice" || len(e.GetAttributeValues("memberOf")) != 2 {
		t.Errorf("entry: %+v", e)
	}
	p, _ = ber.ReadPacket(r)
	if err := goldap.GetLDAPError(p); !goldap.IsErrorWithCode(err, SizeLimitExceeded) {
		t.Errorf("search done: %v", err)
	}
	ctl, err := goldap.DecodeControl(p.Children[2].Children[0])
	if paging, ok := ctl.(*goldap.ControlPaging); err != nil || !ok || string(paging.Cookie) != "c1" {
		t.Errorf("paging control: %+v %v", ctl, err)
	}
	p, _ = ber.ReadPacket(r)
	if v := p.Children[1].Children[3]; v.Tag != 11 || v.Data.String() != "dn:uid=alice" {
		t.Errorf("extended value: %+v", v)
	}
	p, _ = ber.ReadPacket(r)
	if id := p.Children[0].Value.(int64); id != 0 || p.Children[1].Children[3].Data.String() != OIDDisconnect {
		t.Errorf("notice of disconnection: %d", id)
	}
}

// FuzzRead: whatever the bytes, reading a message returns a message or an
// error, never a panic, and a search's filter is a CONTEXT element.
func FuzzRead(f *testing.F) {
	f.Add(searchBytes(f))
	f.Add(envelope(1, simpleBind("uid=a,dc=org", "pw")))
	f.Add([]byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff})
	f.Add(envelope(2, ber.NewInteger(ber.ClassApplication, ber.TypePrimitive, TagAbandonRequest, int64(1), "")))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bufio.NewReader(bytes.NewReader(in)))
		for range 4 {
			m, err := r.Read()
			if err != nil {
				return
			}
			if s, ok := m.Op.(*SearchRequest); ok && (s.Filter == nil || s.Filter.ClassType != ber.ClassContext) {
				t.Fatalf("search without a filter element: %+v", s)
			}
			for _, c := range m.Controls {
				if c.OID == OIDPagedResults {
					DecodePaging(c.Value)
				}
			}
		}
	})
}
