package wire

import (
	"bufio"
	"bytes"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
)

func searchBytes(tb testing.TB) []byte {
	f, err := goldap.CompileFilter("(&(objectClass=inetOrgPerson)(uid=user00042))")
	if err != nil {
		tb.Fatal(err)
	}
	env := ber.NewSequence("")
	env.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(7), ""))
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, TagSearchRequest, nil, "")
	req.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "ou=people,dc=example,dc=org", ""))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(2), ""))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(0), ""))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), ""))
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), ""))
	req.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""))
	req.AppendChild(f)
	attrs := ber.NewSequence("")
	for _, a := range []string{"uid", "cn", "mail"} {
		attrs.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a, ""))
	}
	req.AppendChild(attrs)
	env.AppendChild(req)
	return env.Bytes()
}

func BenchmarkRead(b *testing.B) {
	msg := searchBytes(b)
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bufio.NewReader(bytes.NewReader(msg)))
		if _, err := r.Read(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEntry(b *testing.B) {
	dn := Octets("uid=user00042,ou=people,dc=example,dc=org")
	var attrs []byte
	attrs = append(attrs, Attribute("uid", []string{"user00042"})...)
	attrs = append(attrs, Attribute("cn", []string{"User 42"})...)
	attrs = append(attrs, Attribute("mail", []string{"user00042@example.org"})...)
	op := SearchEntry(dn, attrs)
	var out bytes.Buffer
	w := NewWriter(&out, 16<<10)
	b.ReportAllocs()
	for b.Loop() {
		w.Entry(7, op)
		if out.Len() > 1<<20 {
			out.Reset()
		}
	}
}
