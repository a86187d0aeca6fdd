package monitor

import (
	"context"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// dnsTypes are the record types a dns check may ask for.
var dnsTypes = map[string]uint16{
	"A": dns.TypeA, "AAAA": dns.TypeAAAA, "CNAME": dns.TypeCNAME, "MX": dns.TypeMX, "NS": dns.TypeNS,
	"TXT": dns.TypeTXT, "SRV": dns.TypeSRV, "CAA": dns.TypeCAA, "PTR": dns.TypePTR, "SOA": dns.TypeSOA,
}

func (p *Prober) dns(ctx context.Context, s *DNSSpec) Result {
	qtype := dnsTypes[strings.ToUpper(s.Type)]
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(s.Name), qtype)
	m.RecursionDesired = true
	c := &dns.Client{}
	in, _, err := c.ExchangeContext(ctx, m, s.Server)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, s.Server)
	}
	if err != nil {
		return errResult(err)
	}
	if in.Rcode != dns.RcodeSuccess {
		return failed("monitor.reason.dns_rcode", dns.RcodeToString[in.Rcode])
	}
	var got []string
	for _, rr := range in.Answer {
		if rr.Header().Rrtype == qtype {
			got = append(got, rrValues(rr)...)
		}
	}
	if len(got) == 0 {
		return failed("monitor.reason.dns_empty", s.Type, s.Name)
	}
	for _, want := range s.Expect {
		found := false
		for _, g := range got {
			if normDNS(g) == normDNS(want) {
				found = true
				break
			}
		}
		if !found {
			return failed("monitor.reason.dns_missing", want, strings.Join(got, ", "))
		}
	}
	return Result{OK: true}
}

// rrValues are the ways an expected value may name a record's data.
func rrValues(rr dns.RR) []string {
	switch v := rr.(type) {
	case *dns.A:
		return []string{v.A.String()}
	case *dns.AAAA:
		return []string{v.AAAA.String()}
	case *dns.CNAME:
		return []string{v.Target}
	case *dns.MX:
		return []string{v.Mx, strconv.Itoa(int(v.Preference)) + " " + v.Mx}
	case *dns.NS:
		return []string{v.Ns}
	case *dns.TXT:
		return []string{strings.Join(v.Txt, "")}
	case *dns.SRV:
		return []string{v.Target, strconv.Itoa(int(v.Port)) + " " + v.Target}
	case *dns.CAA:
		return []string{v.Value, v.Tag + " " + v.Value}
	case *dns.PTR:
		return []string{v.Ptr}
	case *dns.SOA:
		return []string{v.Ns}
	}
	return []string{strings.TrimPrefix(rr.String(), rr.Header().String())}
}

// normDNS compares names without case or final dot.
func normDNS(s string) string { return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".") }
