package openid

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// The token endpoint through the provider's handler, without a socket:
// bench/oidc.sh measures it over HTTP against a running server.

type benchWorld struct {
	f             *fixture
	h             http.Handler
	machine, app  string
	machineSecret string
	appSecret     string
}

func newBenchWorld(b *testing.B, alg string) *benchWorld {
	b.Helper()
	f := newFixture(b)
	ctx := b.Context()
	// Real time: op stamps tokens with the wall clock.
	f.st.Now, f.ids.Now = timeNow, timeNow
	// The fixture's keys were made at its fixed clock, which real time
	// leaves behind: a month later they are retired.
	if err := f.st.MaintainKeys(ctx); err != nil {
		b.Fatal(err)
	}
	p, err := NewProvider(f.st, "http://id.example.org", 1_000_000, f.st.log)
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Register(mux)
	w := &benchWorld{f: f, h: mux, machine: "machine", app: "app"}
	_, w.machineSecret, err = f.st.CreateClient(ctx, Client{ID: "machine", Service: "cloud", GrantTypes: []string{GrantClientCredentials}, SigningAlg: alg})
	if err != nil {
		b.Fatal(err)
	}
	_, w.appSecret, err = f.st.CreateClient(ctx, Client{ID: "app", Service: "cloud", RedirectURIs: []string{"https://app.example.org/cb"}, SigningAlg: alg, FirstParty: true})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

func (w *benchWorld) token(b *testing.B, id, secret string, form url.Values) map[string]any {
	req := httptest.NewRequest(http.MethodPost, "http://id.example.org/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	var out map[string]any
	json.Unmarshal(rec.Body.Bytes(), &out)
	return out
}

// code makes a completed request and its code, as the login pages would.
func (w *benchWorld) code(b *testing.B, ctx context.Context) string {
	req, err := w.f.st.CreateAuthRequest(withBrowser(ctx, "test browser"), &oidc.AuthRequest{ClientID: "app", RedirectURI: "https://app.example.org/cb",
		ResponseType: oidc.ResponseTypeCode, Scopes: []string{"openid", "profile", "offline_access"}}, "")
	if err != nil {
		b.Fatal(err)
	}
	if err := w.f.st.Complete(ctx, req.GetID(), Completion{AccountID: w.f.account.ID, ProfileID: w.f.profile.ID, AuthTime: timeNow(), AMR: []string{"pwd"}}); err != nil {
		b.Fatal(err)
	}
	code := randomID(24)
	if err := w.f.st.SaveAuthCode(ctx, req.GetID(), code); err != nil {
		b.Fatal(err)
	}
	return code
}

func benchClientCredentials(b *testing.B, alg string) {
	w := newBenchWorld(b, alg)
	form := url.Values{"grant_type": {"client_credentials"}}
	b.ResetTimer()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.token(b, w.machine, w.machineSecret, form)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grants/s")
}

func benchRefresh(b *testing.B, alg string) {
	w := newBenchWorld(b, alg)
	ctx := b.Context()
	b.ResetTimer()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		out := w.token(b, w.app, w.appSecret, url.Values{"grant_type": {"authorization_code"}, "code": {w.code(b, ctx)}, "redirect_uri": {"https://app.example.org/cb"}})
		rt := out["refresh_token"].(string)
		for pb.Next() {
			out := w.token(b, w.app, w.appSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
			rt = out["refresh_token"].(string)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grants/s")
}

func BenchmarkClientCredentialsRS256(b *testing.B) { benchClientCredentials(b, "RS256") }
func BenchmarkClientCredentialsEdDSA(b *testing.B) { benchClientCredentials(b, "EdDSA") }
func BenchmarkRefreshRS256(b *testing.B)           { benchRefresh(b, "RS256") }
func BenchmarkRefreshEdDSA(b *testing.B)           { benchRefresh(b, "EdDSA") }

func BenchmarkCodeExchangeRS256(b *testing.B) {
	w := newBenchWorld(b, "RS256")
	ctx := b.Context()
	codes := make(chan string, b.N)
	for range b.N {
		codes <- w.code(b, ctx)
	}
	close(codes)
	b.ResetTimer()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.token(b, w.app, w.appSecret, url.Values{"grant_type": {"authorization_code"}, "code": {<-codes}, "redirect_uri": {"https://app.example.org/cb"}})
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grants/s")
}

// BenchmarkSignRS256 is the limit the grants above compare to.
func BenchmarkSignRS256(b *testing.B) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	payload := []byte(`{"iss":"http://id.example.org","sub":"Xq3k9dP2mS8vT1wZ4yB6nA","aud":["app"],"exp":1900000000,"iat":1800000000}`)
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := signer.Sign(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signs/s")
}
