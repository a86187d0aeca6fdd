package main

import (
	"crypto/tls"
	"net/http"
	"os"
	"testing"
	"time"

	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// TestServeTLS serves HTTPS directly from a certificate and key file.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testkit.NewCA(t)
	certFile, keyFile := ca.LeafFiles(t, dir)
	pool := ca.Pool()
	env := append(os.Environ(), "PELOTE_DATABASE="+storetest.DSN(t))
	_, addr, _ := startServe(t, buildPelote(t), dir, env, "--listen", "127.0.0.1:0", "--url", "https://127.0.0.1", "--tls-cert", certFile, "--tls-key", keyFile)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := c.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil || res.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("status %d, TLS %v, HSTS %q", res.StatusCode, res.TLS != nil, res.Header.Get("Strict-Transport-Security"))
	}
	// Old protocol versions are refused.
	old := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get("https://" + addr + "/healthz"); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
}
