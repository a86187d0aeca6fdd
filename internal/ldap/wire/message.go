package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// MaxMessage bounds one LDAP message: requests here are a few hundred
// bytes (a filter naming 500 groups is 33 KB), and the BER reader would
// otherwise allocate what a length claims.
const MaxMessage = 256 << 10

// MaxNesting bounds how deeply BER elements nest in one message. The BER
// reader copies each element into its parent, so a message costs its size
// times its depth: 72 leaves room for the deepest filter the directory
// refuses with a message (twice its 32 levels) and bounds that cost.
const MaxNesting = 72

func init() {
	// The BER reader's limits are global to the process; the go-ldap
	// client (tests, monitor probes) reads through them too, and answers
	// are far below both.
	ber.MaxPacketLengthBytes = MaxMessage
	ber.MaxNestingDepth = MaxNesting
}

// Protocol operation tags (RFC 4511 section 4.2 and after), in the
// APPLICATION class.
const (
	TagBindRequest       ber.Tag = 0
	TagBindResponse      ber.Tag = 1
	TagUnbindRequest     ber.Tag = 2
	TagSearchRequest     ber.Tag = 3
	TagSearchResultEntry ber.Tag = 4
	TagSearchResultDone  ber.Tag = 5
	TagModifyRequest     ber.Tag = 6
	TagModifyResponse    ber.Tag = 7
	TagAddRequest        ber.Tag = 8
	TagAddResponse       ber.Tag = 9
	TagDelRequest        ber.Tag = 10
	TagDelResponse       ber.Tag = 11
	TagModifyDNRequest   ber.Tag = 12
	TagModifyDNResponse  ber.Tag = 13
	TagCompareRequest    ber.Tag = 14
	TagCompareResponse   ber.Tag = 15
	TagAbandonRequest    ber.Tag = 16
	TagExtendedRequest   ber.Tag = 23
	TagExtendedResponse  ber.Tag = 24
)

// Filter choices (RFC 4511 section 4.5.1), CONTEXT class.
const (
	FilterAnd             ber.Tag = 0
	FilterOr              ber.Tag = 1
	FilterNot             ber.Tag = 2
	FilterEqualityMatch   ber.Tag = 3
	FilterSubstrings      ber.Tag = 4
	FilterGreaterOrEqual  ber.Tag = 5
	FilterLessOrEqual     ber.Tag = 6
	FilterPresent         ber.Tag = 7
	FilterApproxMatch     ber.Tag = 8
	FilterExtensibleMatch ber.Tag = 9
)

// Substring parts, CONTEXT class inside SubstringFilter.substrings.
const (
	SubstringInitial ber.Tag = 0
	SubstringAny     ber.Tag = 1
	SubstringFinal   ber.Tag = 2
)

// MatchingRuleAssertion's fields, CONTEXT class.
const (
	MatchingRule ber.Tag = 1
	MatchingType ber.Tag = 2
	MatchValue   ber.Tag = 3
	DNAttributes ber.Tag = 4
)

// Extended operations and controls this directory knows.
const (
	OIDStartTLS     = "1.3.6.1.4.1.1466.20037"
	OIDWhoAmI       = "1.3.6.1.4.1.4203.1.11.3"
	OIDDisconnect   = "1.3.6.1.4.1.1466.20036"
	OIDPagedResults = "1.2.840.113556.1.4.319"
)

// Scope is a search's SearchRequest.scope.
type Scope int64

// The scopes of RFC 4511 section 4.5.1.2.
const (
	ScopeBase        Scope = 0
	ScopeSingleLevel Scope = 1
	ScopeSubtree     Scope = 2
)

// ErrMalformed: a message does not decode as LDAP. The session ends.
var ErrMalformed = errors.New("ldap: malformed message")

// Message is one request.
type Message struct {
	ID int64
	// Op is *BindRequest, *SearchRequest, *ExtendedRequest,
	// *UnbindRequest, *AbandonRequest, or *OtherRequest.
	Op       any
	Controls []Control
}

// Control is one control of a request (RFC 4511 section 4.1.11).
type Control struct {
	OID      string
	Critical bool
	Value    []byte // nil when absent
}

// BindRequest is a simple bind; a SASL bind has SASL set and no password.
type BindRequest struct {
	Version  int64
	Name     string
	Password []byte
	SASL     bool
}

// SearchRequest is RFC 4511 section 4.5.1.
type SearchRequest struct {
	Base      string
	Scope     Scope
	SizeLimit int64
	TimeLimit int64
	TypesOnly bool
	// Filter is the filter's BER element, checked only to be one
	// element of the CONTEXT class: the directory compiles it.
	Filter     *ber.Packet
	Attributes []string
}

// ExtendedRequest is RFC 4511 section 4.12.
type ExtendedRequest struct {
	Name  string
	Value []byte // nil when absent
}

// UnbindRequest ends the session.
type UnbindRequest struct{}

// AbandonRequest names a message to abandon.
type AbandonRequest struct{ ID int64 }

// OtherRequest is a request this directory refuses (add, modify,
// delete, modify DN, compare); Tag says which, so that the refusal has
// the right response type.
type OtherRequest struct{ Tag ber.Tag }

// Reader reads messages from a connection.
type Reader struct{ r *bufio.Reader }

// NewReader reads from r, which should be buffered: the BER reader reads
// one byte at a time.
func NewReader(r *bufio.Reader) *Reader { return &Reader{r: r} }

// Buffered is how many bytes were read from the connection and not yet
// decoded.
func (r *Reader) Buffered() int { return r.r.Buffered() }

// Read reads and decodes the next message. io.EOF means the client closed
// the connection between messages; an error wrapping ErrMalformed means
// the message did not decode; other errors come from the connection.
func (r *Reader) Read() (*Message, error) {
	if _, err := r.r.Peek(1); err != nil {
		return nil, err
	}
	p, err := ber.ReadPacket(r.r)
	if err != nil {
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return Decode(p)
}

// Decode maps a BER element onto an LDAPMessage.
func Decode(p *ber.Packet) (m *Message, err error) {
	if !is(p, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) || len(p.Children) < 2 || len(p.Children) > 3 {
		return nil, malformed("not an LDAPMessage")
	}
	id, ok := integer(p.Children[0], ber.TagInteger)
	if !ok || id < 0 || id > math.MaxInt32 {
		return nil, malformed("bad messageID")
	}
	m = &Message{ID: id}
	op := p.Children[1]
	if op.ClassType != ber.ClassApplication {
		return nil, malformed("protocolOp is not in the application class")
	}
	switch op.Tag {
	case TagBindRequest:
		m.Op, err = decodeBind(op)
	case TagSearchRequest:
		m.Op, err = decodeSearch(op)
	case TagExtendedRequest:
		m.Op, err = decodeExtended(op)
	case TagUnbindRequest:
		if op.TagType != ber.TypePrimitive {
			err = malformed("bad UnbindRequest")
		}
		m.Op = &UnbindRequest{}
	case TagAbandonRequest:
		a, ok := integer(op, op.Tag)
		if !ok {
			err = malformed("bad AbandonRequest")
		}
		m.Op = &AbandonRequest{ID: a}
	case TagModifyRequest, TagAddRequest, TagDelRequest, TagModifyDNRequest, TagCompareRequest:
		m.Op = &OtherRequest{Tag: op.Tag}
	default:
		return nil, malformed(fmt.Sprintf("unknown protocolOp %d", op.Tag))
	}
	if err != nil {
		return nil, err
	}
	if len(p.Children) == 3 {
		if m.Controls, err = decodeControls(p.Children[2]); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func malformed(why string) error { return fmt.Errorf("%w: %s", ErrMalformed, why) }

// is tells whether p is an element of that class, type and tag.
func is(p *ber.Packet, class ber.Class, typ ber.Type, tag ber.Tag) bool {
	return p != nil && p.ClassType == class && p.TagType == typ && p.Tag == tag
}

// content is a primitive element's bytes, whatever its class.
func content(p *ber.Packet) []byte {
	if p.Data == nil {
		return nil
	}
	return p.Data.Bytes()
}

// octets reads a primitive OCTET STRING of the universal class.
func octets(p *ber.Packet) (string, bool) {
	if !is(p, ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString) {
		return "", false
	}
	return string(content(p)), true
}

// integer reads a primitive INTEGER or ENUMERATED (tag), or an
// APPLICATION-class one such as AbandonRequest.
func integer(p *ber.Packet, tag ber.Tag) (int64, bool) {
	if p == nil || p.TagType != ber.TypePrimitive || p.Tag != tag {
		return 0, false
	}
	c := content(p)
	if len(c) == 0 || len(c) > 8 {
		return 0, false
	}
	v, err := ber.ParseInt64(c)
	return v, err == nil
}

// boolean reads a primitive BOOLEAN of the universal class.
func boolean(p *ber.Packet) (bool, bool) {
	if !is(p, ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean) {
		return false, false
	}
	c := content(p)
	return len(c) == 1 && c[0] != 0, len(c) == 1
}

// BindRequest ::= [APPLICATION 0] SEQUENCE { version INTEGER (1..127),
// name LDAPDN, authentication AuthenticationChoice }
func decodeBind(op *ber.Packet) (*BindRequest, error) {
	if op.TagType != ber.TypeConstructed || len(op.Children) != 3 {
		return nil, malformed("bad BindRequest")
	}
	version, ok1 := integer(op.Children[0], ber.TagInteger)
	name, ok2 := octets(op.Children[1])
	auth := op.Children[2]
	if !ok1 || !ok2 || auth.ClassType != ber.ClassContext {
		return nil, malformed("bad BindRequest")
	}
	b := &BindRequest{Version: version, Name: name}
	switch {
	case auth.Tag == 0 && auth.TagType == ber.TypePrimitive:
		b.Password = append([]byte{}, content(auth)...)
	case auth.Tag == 3 && auth.TagType == ber.TypeConstructed:
		b.SASL = true
	default:
		return nil, malformed("bad authentication choice")
	}
	return b, nil
}

// SearchRequest ::= [APPLICATION 3] SEQUENCE { baseObject LDAPDN, scope
// ENUMERATED, derefAliases ENUMERATED, sizeLimit INTEGER, timeLimit
// INTEGER, typesOnly BOOLEAN, filter Filter, attributes AttributeSelection }
func decodeSearch(op *ber.Packet) (*SearchRequest, error) {
	if op.TagType != ber.TypeConstructed || len(op.Children) != 8 {
		return nil, malformed("bad SearchRequest")
	}
	c := op.Children
	base, ok := octets(c[0])
	scope, ok1 := integer(c[1], ber.TagEnumerated)
	_, ok2 := integer(c[2], ber.TagEnumerated)
	size, ok3 := integer(c[3], ber.TagInteger)
	limit, ok4 := integer(c[4], ber.TagInteger)
	types, ok5 := boolean(c[5])
	if !ok || !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || size < 0 || limit < 0 ||
		c[1].ClassType != ber.ClassUniversal || c[2].ClassType != ber.ClassUniversal ||
		c[3].ClassType != ber.ClassUniversal || c[4].ClassType != ber.ClassUniversal {
		return nil, malformed("bad SearchRequest")
	}
	if c[6].ClassType != ber.ClassContext {
		return nil, malformed("bad search filter")
	}
	if !is(c[7], ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) {
		return nil, malformed("bad attribute selection")
	}
	s := &SearchRequest{Base: base, Scope: Scope(scope), SizeLimit: size, TimeLimit: limit, TypesOnly: types, Filter: c[6]}
	for _, a := range c[7].Children {
		name, ok := octets(a)
		if !ok {
			return nil, malformed("bad attribute selection")
		}
		s.Attributes = append(s.Attributes, name)
	}
	return s, nil
}

// ExtendedRequest ::= [APPLICATION 23] SEQUENCE { requestName [0]
// LDAPOID, requestValue [1] OCTET STRING OPTIONAL }
func decodeExtended(op *ber.Packet) (*ExtendedRequest, error) {
	if op.TagType != ber.TypeConstructed || len(op.Children) < 1 || len(op.Children) > 2 {
		return nil, malformed("bad ExtendedRequest")
	}
	name := op.Children[0]
	if !is(name, ber.ClassContext, ber.TypePrimitive, 0) {
		return nil, malformed("bad ExtendedRequest name")
	}
	e := &ExtendedRequest{Name: string(content(name))}
	if len(op.Children) == 2 {
		v := op.Children[1]
		if !is(v, ber.ClassContext, ber.TypePrimitive, 1) {
			return nil, malformed("bad ExtendedRequest value")
		}
		e.Value = append([]byte{}, content(v)...)
	}
	return e, nil
}

// Controls ::= [0] SEQUENCE OF control Control; Control ::= SEQUENCE {
// controlType LDAPOID, criticality BOOLEAN DEFAULT FALSE, controlValue
// OCTET STRING OPTIONAL }
func decodeControls(p *ber.Packet) ([]Control, error) {
	if !is(p, ber.ClassContext, ber.TypeConstructed, 0) {
		return nil, malformed("bad controls")
	}
	out := make([]Control, 0, len(p.Children))
	for _, c := range p.Children {
		if !is(c, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) || len(c.Children) < 1 || len(c.Children) > 3 {
			return nil, malformed("bad control")
		}
		oid, ok := octets(c.Children[0])
		if !ok {
			return nil, malformed("bad control type")
		}
		ctl := Control{OID: oid}
		rest := c.Children[1:]
		if len(rest) > 0 && rest[0].Tag == ber.TagBoolean {
			if ctl.Critical, ok = boolean(rest[0]); !ok {
				return nil, malformed("bad control criticality")
			}
			rest = rest[1:]
		}
		if len(rest) > 0 {
			v, ok := octets(rest[0])
			if !ok || len(rest) > 1 {
				return nil, malformed("bad control value")
			}
			ctl.Value = []byte(v)
		}
		out = append(out, ctl)
	}
	return out, nil
}

// Paging is the paged results control's value (RFC 2696): realSearchControlValue
// ::= SEQUENCE { size INTEGER (0..maxInt), cookie OCTET STRING }.
type Paging struct {
	Size   int64
	Cookie []byte
}

// DecodePaging reads a paged results control's value.
func DecodePaging(value []byte) (Paging, error) {
	p, err := ber.DecodePacketErr(value)
	if err != nil || !is(p, ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence) || len(p.Children) != 2 {
		return Paging{}, malformed("bad paged results control")
	}
	size, ok := integer(p.Children[0], ber.TagInteger)
	cookie, ok2 := octets(p.Children[1])
	if !ok || !ok2 || size < 0 || p.Children[0].ClassType != ber.ClassUniversal {
		return Paging{}, malformed("bad paged results control")
	}
	return Paging{Size: size, Cookie: []byte(cookie)}, nil
}
