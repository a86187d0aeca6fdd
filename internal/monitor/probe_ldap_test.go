package monitor

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"pelote/internal/identity"
	"pelote/internal/ldap"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// TestLDAPStartTLS checks the certificate of Pelote's own LDAP listener
// through StartTLS, with the go-ldap client.
func TestLDAPStartTLS(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t, identity.Migrations(), ldap.Migrations())
	ids := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	tree, err := ldap.NewTree("dc=example,dc=org")
	if err != nil {
		t.Fatal(err)
	}
	log := testkit.Quiet
	dir, err := ldap.NewDirectory(ctx, tree, ids, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	ca := testkit.NewCA(t)
	srv, err := ldap.NewServer(ldap.Config{Tree: tree, TLS: &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, 20*24*time.Hour)}}},
		dir, ids, ldap.NewBindUsers(db, ids.Hasher()), log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	go srv.Serve(addr)
	t.Cleanup(func() { srv.Stop() })
	for deadline := time.Now().Add(5 * time.Second); !srv.Ready(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("ldap server did not start")
		}
	}
	p := NewProber(nil)
	spec := TLSSpec{Address: addr, StartTLS: StartTLSLDAP, RootCAs: ca.PEM, WarnDays: 30}
	r := run(t, p, Check{Name: "ldap-cert", Kind: KindTLS, TLS: &spec})
	wantFail(t, r, "monitor.reason.cert_expiring")
	if r.Args[0] != "19" {
		t.Fatalf("days %v", r.Args)
	}
	spec.WarnDays = 14
	wantOK(t, run(t, p, Check{Name: "ldap-cert", Kind: KindTLS, TLS: &spec}))
}
