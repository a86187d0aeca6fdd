package wire

import (
	"bufio"
	"bytes"
	"io"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// Result codes (RFC 4511 appendix A) the directory answers with.
const (
	Success                      = 0
	OperationsError              = 1
	ProtocolError                = 2
	TimeLimitExceeded            = 3
	SizeLimitExceeded            = 4
	AuthMethodNotSupported       = 7
	UnavailableCriticalExtension = 12
	ConfidentialityRequired      = 13
	NoSuchObject                 = 32
	InvalidDNSyntax              = 34
	InvalidCredentials           = 49
	InsufficientAccessRights     = 50
	Unavailable                  = 52
	UnwillingToPerform           = 53
)

// Result is an LDAPResult: a code, the matched DN and a message.
type Result struct {
	Code    int64
	Message string
}

// Writer buffers the responses of a connection; Flush sends them in one
// write when they fit its buffer.
type Writer struct {
	w *bufio.Writer
	// id and idEnc are the last message ID answered and its encoding,
	// which every entry of a search repeats.
	id    int64
	idEnc []byte
}

// NewWriter writes to w through a buffer of size bytes.
func NewWriter(w io.Writer, size int) *Writer { return &Writer{w: bufio.NewWriterSize(w, size)} }

// Flush writes what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }

func (w *Writer) message(id int64, op *ber.Packet, controls *ber.Packet) error {
	if controls == nil {
		return w.encoded(id, op.Bytes())
	}
	env := ber.NewSequence("")
	env.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	env.AppendChild(op)
	env.AppendChild(controls)
	_, err := w.w.Write(env.Bytes())
	return err
}

// encoded writes an LDAPMessage around an encoded protocolOp.
func (w *Writer) encoded(id int64, op []byte) error {
	if w.idEnc == nil || w.id != id {
		w.id, w.idEnc = id, ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "").Bytes()
	}
	env := ber.NewSequence("")
	env.Data.Grow(len(w.idEnc) + len(op))
	// Whole BER elements, as AppendChild writes them.
	env.Data.Write(w.idEnc)
	env.Data.Write(op)
	_, err := w.w.Write(env.Bytes())
	return err
}

// result builds an LDAPResult-shaped response of the given tag.
func result(tag ber.Tag, r Result) *ber.Packet {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, tag, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, r.Code, ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, r.Message, ""))
	return op
}

// Result writes an LDAPResult-shaped response: tag is the response's
// (BindResponse, AddResponse, SearchResultDone...).
func (w *Writer) Result(id int64, tag ber.Tag, r Result) error {
	return w.message(id, result(tag, r), nil)
}

// SearchDone writes a SearchResultDone, with the paged results control
// when paging is not nil.
func (w *Writer) SearchDone(id int64, r Result, paging *Paging) error {
	var controls *ber.Packet
	if paging != nil {
		value := ber.NewSequence("")
		value.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, paging.Size, ""))
		value.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(paging.Cookie), ""))
		ctl := ber.NewSequence("")
		ctl.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, OIDPagedResults, ""))
		ctl.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(value.Bytes()), ""))
		controls = ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
		controls.AppendChild(ctl)
	}
	return w.message(id, result(TagSearchResultDone, r), controls)
}

// Extended writes an ExtendedResponse; name and value are left out when
// empty.
func (w *Writer) Extended(id int64, r Result, name string, value []byte) error {
	op := result(TagExtendedResponse, r)
	if name != "" {
		op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 10, name, ""))
	}
	if value != nil {
		op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 11, string(value), ""))
	}
	return w.message(id, op, nil)
}

// Disconnect writes the Notice of Disconnection (RFC 4511 section
// 4.4.1): an unsolicited ExtendedResponse with messageID 0.
func (w *Writer) Disconnect(r Result) error {
	return w.Extended(0, r, OIDDisconnect, nil)
}

// Attribute encodes a PartialAttribute (type and values), for an entry to
// keep and send as it is; with no values it is the form typesOnly asks.
func Attribute(name string, values []string) []byte {
	a := ber.NewSequence("")
	a.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, name, ""))
	set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "")
	for _, v := range values {
		set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v, ""))
	}
	a.AppendChild(set)
	return a.Bytes()
}

// Octets encodes an OCTET STRING, such as an entry's DN kept encoded.
func Octets(s string) []byte {
	return ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, s, "").Bytes()
}

// SearchEntry encodes a SearchResultEntry's protocolOp from its DN
// (Octets) and attributes (Attribute encodings back to back), for Entry
// to send, as often as the entry is answered the same way.
func SearchEntry(dn []byte, attrs []byte) []byte {
	// dn and attrs are whole BER elements, as AppendChild would write
	// them; the list's buffer is attrs itself, which Bytes only reads.
	list := ber.NewSequence("")
	list.Data = bytes.NewBuffer(attrs)
	listEnc := list.Bytes()
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, TagSearchResultEntry, nil, "")
	op.Data.Grow(len(dn) + len(listEnc))
	op.Data.Write(dn)
	op.Data.Write(listEnc)
	return op.Bytes()
}

// Entry writes a SearchResultEntry whose protocolOp SearchEntry encoded.
func (w *Writer) Entry(id int64, op []byte) error {
	return w.encoded(id, op)
}
