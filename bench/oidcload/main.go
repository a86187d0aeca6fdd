// Command oidcload measures the token endpoint of a running Pelote: grants
// per second for client credentials, refresh and code exchange, with N
// concurrent HTTP clients, and the raw signing rate of the same algorithm
// measured in this process: the limit of an endpoint that signs one token
// per grant. bench/oidc.sh starts Pelote and runs it.
package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

var (
	issuer   = flag.String("issuer", "", "Pelote's URL")
	conc     = flag.Int("c", 8, "concurrent HTTP clients")
	duration = flag.Duration("d", 5*time.Second, "duration of each measure")
	signOnly = flag.String("sign", "", "only print the raw signing rate of RS256, ES256 or EdDSA")
	user     = flag.String("user", "bench", "member to sign in for refresh and code measures")
	password = flag.String("password", "", "that member's password")
	credDir  = flag.String("creds", "", "directory of `pelote client add --json` outputs")
	codes    = flag.Int("codes", 2000, "codes prepared for the exchange measure (a few seconds of exchanges, as long as the other measures)")
	only     = flag.String("only", "", "run only the measures whose name contains this (to profile one)")
)

// runs says whether the measure called name is wanted.
func runs(name string) bool { return strings.Contains(name, *only) }

func main() {
	flag.Parse()
	if *signOnly != "" {
		fmt.Printf("%.1f\n", signRate(*signOnly, *duration))
		return
	}
	creds := map[string][2]string{}
	for _, name := range []string{"machine-RS256", "machine-EdDSA", "app-RS256", "app-EdDSA"} {
		b, err := os.ReadFile(filepath.Join(*credDir, name+".json"))
		if err != nil {
			log.Fatal(err)
		}
		var c struct {
			ID     string `json:"client_id"`
			Secret string `json:"client_secret"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		creds[name] = [2]string{c.ID, c.Secret}
	}
	for _, alg := range []string{"RS256", "EdDSA"} {
		if !runs("client_credentials " + alg) {
			continue
		}
		m := creds["machine-"+alg]
		rate := measure(func(c *http.Client) error {
			return tokenRequest(c, m[0], m[1], url.Values{"grant_type": {"client_credentials"}}, nil)
		})
		fmt.Printf("client_credentials %s: %.1f grants/s\n", alg, rate)
	}
	for _, alg := range []string{"RS256", "EdDSA"} {
		if !runs("refresh " + alg) {
			continue
		}
		app := creds["app-"+alg]
		// One refresh chain per HTTP client: each refresh rotates its token.
		chains := make(chan string, *conc)
		for range *conc {
			chains <- firstRefreshToken(app[0], app[1])
		}
		rate := measure(func(c *http.Client) error {
			rt := <-chains
			var out struct {
				RefreshToken string `json:"refresh_token"`
			}
			err := tokenRequest(c, app[0], app[1], url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, &out)
			if err == nil {
				rt = out.RefreshToken
			}
			chains <- rt
			return err
		})
		fmt.Printf("refresh %s: %.1f grants/s\n", alg, rate)
	}
	if !runs("code exchange RS256") {
		return
	}
	app := creds["app-RS256"]
	prepared := make(chan string, *codes)
	b := newBrowser()
	for range *codes {
		prepared <- b.code(app[0])
	}
	close(prepared)
	start := time.Now()
	var n, failed atomic.Int64
	var wg sync.WaitGroup
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := httpClient()
			for code := range prepared {
				err := tokenRequest(c, app[0], app[1], url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}, nil)
				if err != nil {
					failed.Add(1)
					log.Printf("exchange: %v", err)
					continue
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("code exchange RS256: %.1f grants/s (%d codes, %d failed)\n", float64(n.Load())/time.Since(start).Seconds(), *codes, failed.Load())
}

const redirectURI = "http://127.0.0.1:9/callback"

func httpClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

// measure runs f from conc clients for the duration; grants per second.
func measure(f func(*http.Client) error) float64 {
	var n, failed atomic.Int64
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	start := time.Now()
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := httpClient()
			for time.Now().Before(deadline) {
				if err := f(c); err != nil {
					if failed.Add(1) < 5 {
						log.Print(err)
					}
					continue
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		log.Printf("%d requests failed", failed.Load())
	}
	return float64(n.Load()) / time.Since(start).Seconds()
}

func tokenRequest(c *http.Client, id, secret string, form url.Values, into any) error {
	req, _ := http.NewRequest(http.MethodPost, *issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("token: %d %s", res.StatusCode, body)
	}
	if into != nil {
		return json.Unmarshal(body, into)
	}
	return nil
}

// browser signs the bench member in once and then collects codes.
type browser struct{ c *http.Client }

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{c: &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), redirectURI) {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
	res, err := b.c.PostForm(*issuer+"/login", url.Values{"username": {*user}, "password": {*password}})
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	return b
}

func (b *browser) code(client string) string {
	q := url.Values{"client_id": {client}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "scope": {"openid profile offline_access"}, "state": {"s"}}
	res, err := b.c.Get(*issuer + "/authorize?" + q.Encode())
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	loc, err := res.Location()
	if err != nil || loc.Query().Get("code") == "" {
		log.Fatalf("no code (is the client first-party and the member's profile there?): %d %s", res.StatusCode, body)
	}
	return loc.Query().Get("code")
}

func firstRefreshToken(id, secret string) string {
	code := newBrowser().code(id)
	var out struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := tokenRequest(httpClient(), id, secret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}, &out); err != nil {
		log.Fatal(err)
	}
	if out.RefreshToken == "" {
		log.Fatal(errors.New("no refresh token"))
	}
	return out.RefreshToken
}

// signRate signs ID-token-sized claims for the duration, on all the
// CPUs this process may use.
func signRate(alg string, d time.Duration) float64 {
	var key any
	switch alg {
	case "RS256":
		key, _ = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, key, _ = ed25519.GenerateKey(rand.Reader)
	default:
		log.Fatalf("unknown algorithm %s", alg)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		log.Fatal(err)
	}
	claims := []byte(`{"iss":"https://id.example.org","sub":"Xq3k9dP2mS8vT1wZ4yB6nA","aud":["notes"],"exp":1900000000,"iat":1800000000,` +
		`"auth_time":1800000000,"nonce":"n0nce","at_hash":"aBcDeFgHiJkLmNoP","azp":"notes","sid":"0123456789abcdef0123456789abcdef",` +
		`"preferred_username":"alice-work","name":"Alice Martin","email":"alice@example.org","email_verified":true,"locale":"fr","groups":["staff"]}`)
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range max(1, runtimeProcs()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, err := signer.Sign(claims); err != nil {
					log.Fatal(err)
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}
