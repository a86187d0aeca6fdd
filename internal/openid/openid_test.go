package openid

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"pelote/internal/identity"
	"pelote/internal/secret"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

type fixture struct {
	st      *Store
	ids     *identity.Store
	clock   *testkit.Clock
	account identity.Account
	profile identity.Profile
	other   identity.Profile
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := t.Context()
	db := storetest.Open(t, store.Own(), identity.Migrations(), Migrations())
	ids := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	keys, _ := secret.New(bytes.Repeat([]byte{3}, secret.Size))
	c := testkit.NewClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
	st := NewStore(db, ids, keys, testkit.Quiet)
	st.Now, ids.Now = c.Now, c.Now
	a, err := ids.CreateAccount(ctx, identity.NewAccount{Username: "alice", Email: "alice@example.org", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ids.CreateService(ctx, identity.Service{Name: "cloud", ProfileQuota: 2, ExtraProfiles: identity.RefuseExtra}); err != nil {
		t.Fatal(err)
	}
	p1, err := ids.AddProfile(ctx, "alice", "cloud", "alice", identity.ByAdmin(true))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ids.AddProfile(ctx, "alice", "cloud", "alice-work", identity.ByAdmin(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MaintainKeys(ctx); err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, ids: ids, clock: c, account: a, profile: p1, other: p2}
}

func TestClientValidation(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	good := Client{ID: "notes", Service: "cloud", RedirectURIs: []string{"https://notes.example.org/cb"}}
	c, secretValue, err := f.st.CreateClient(ctx, good)
	if err != nil || secretValue == "" || c.SigningAlg != "RS256" || c.AccessTokenType != "opaque" {
		t.Fatalf("create: %+v %q %v", c, secretValue, err)
	}
	tests := []struct {
		name string
		c    Client
		want error
	}{
		{"duplicate", good, store.ErrConflict},
		{"fragment", Client{ID: "a1", Service: "cloud", RedirectURIs: []string{"https://x.example/cb#frag"}}, identity.ErrInvalid},
		{"relative", Client{ID: "a2", Service: "cloud", RedirectURIs: []string{"/cb"}}, identity.ErrInvalid},
		{"custom scheme for a confidential client", Client{ID: "a3", Service: "cloud", RedirectURIs: []string{"org.example:/cb"}}, identity.ErrInvalid},
		{"no redirect", Client{ID: "a4", Service: "cloud"}, identity.ErrInvalid},
		{"bad alg", Client{ID: "a5", Service: "cloud", RedirectURIs: []string{"https://x.example/cb"}, SigningAlg: "HS256"}, identity.ErrInvalid},
		{"public machine", Client{ID: "a6", Service: "cloud", Public: true, GrantTypes: []string{GrantClientCredentials}}, identity.ErrInvalid},
		{"unknown service", Client{ID: "a7", Service: "nope", RedirectURIs: []string{"https://x.example/cb"}}, store.ErrNotFound},
		{"unknown group", Client{ID: "a8", Service: "cloud", RedirectURIs: []string{"https://x.example/cb"}, Groups: []string{"ghosts"}}, store.ErrNotFound},
		{"bad id", Client{ID: "Not An Id!", Service: "cloud", RedirectURIs: []string{"https://x.example/cb"}}, identity.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := f.st.CreateClient(ctx, tt.c); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := f.st.authenticate(ctx, "notes", secretValue); err != nil {
		t.Fatalf("right secret refused: %v", err)
	}
	for _, bad := range []string{"", "wrong", secretValue + "x"} {
		if _, err := f.st.authenticate(ctx, "notes", bad); !errors.Is(err, errBadClient) {
			t.Errorf("secret %q: %v", bad, err)
		}
	}
	rotated, err := f.st.RotateSecret(ctx, "notes")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.authenticate(ctx, "notes", secretValue); err == nil {
		t.Error("old secret works after rotation")
	}
	if _, err := f.st.authenticate(ctx, "notes", rotated); err != nil {
		t.Error("new secret refused")
	}
	var stored string
	f.st.db.QueryRow(ctx, `SELECT secret_hash FROM oidc_clients WHERE id = 'notes'`).Scan(&stored)
	if strings.Contains(stored, rotated) {
		t.Error("secret stored in clear")
	}
}

// flow runs a request to the point where the code is exchanged.
func (f *fixture) flow(t *testing.T, client string, profile int64, scopes ...string) (*AuthRequest, string) {
	t.Helper()
	ctx := t.Context()
	req, err := f.st.CreateAuthRequest(withBrowser(ctx, "test browser"), &oidc.AuthRequest{ClientID: client, RedirectURI: "https://notes.example.org/cb",
		ResponseType: oidc.ResponseTypeCode, Scopes: scopes, CodeChallenge: "abc", CodeChallengeMethod: oidc.CodeChallengeMethodS256}, "")
	if err != nil {
		t.Fatal(err)
	}
	id := req.GetID()
	if err := f.st.Complete(ctx, id, Completion{AccountID: f.account.ID, ProfileID: profile, AuthTime: f.clock.Now(), AMR: []string{"pwd"}}); err != nil {
		t.Fatal(err)
	}
	code := "code-" + id
	if err := f.st.SaveAuthCode(ctx, id, code); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SaveAuthCode(ctx, id, "second"); err == nil {
		t.Fatal("a request gave two codes")
	}
	a, err := f.st.AuthRequestByCode(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	return a.(*AuthRequest), code
}

func TestCodeSingleUseAndExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.st.CreateClient(ctx, Client{ID: "notes", Service: "cloud", RedirectURIs: []string{"https://notes.example.org/cb"}})

	a, code := f.flow(t, "notes", f.profile.ID, "openid", "offline_access")
	if a.Subject == "" {
		t.Fatal("no subject")
	}
	access, refresh, _, err := f.st.CreateAccessAndRefreshTokens(ctx, a, "")
	if err != nil || refresh == "" {
		t.Fatal(err)
	}
	if err := f.st.DeleteAuthRequest(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.accessToken(ctx, access); err != nil {
		t.Fatalf("fresh access token: %v", err)
	}
	// The code again: refused, and what it issued is revoked.
	if _, err := f.st.AuthRequestByCode(ctx, code); err == nil {
		t.Fatal("code accepted twice")
	}
	if _, err := f.st.accessToken(ctx, access); !errors.Is(err, errTokenInvalid) {
		t.Fatalf("token of a reused code: %v", err)
	}
	if _, err := f.st.TokenRequestByRefreshToken(ctx, refresh); err == nil {
		t.Fatal("refresh token of a reused code works")
	}

	// Two exchanges that both read the code before either spent it: the
	// second finds the grant of the first and revokes it.
	raced, _ := f.flow(t, "notes", f.profile.ID, "openid", "offline_access")
	firstAccess, _, _, err := f.st.CreateAccessAndRefreshTokens(ctx, raced, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := f.st.CreateAccessAndRefreshTokens(ctx, raced, ""); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("racing exchange: %v", err)
	}
	if _, err := f.st.accessToken(ctx, firstAccess); !errors.Is(err, errTokenInvalid) {
		t.Fatalf("token of a raced code: %v", err)
	}

	// An expired code.
	_, code2 := f.flow(t, "notes", f.profile.ID, "openid")
	f.clock.Add(f.st.Life.Code + time.Second)
	if _, err := f.st.AuthRequestByCode(ctx, code2); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired code: %v", err)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.st.CreateClient(ctx, Client{ID: "notes", Service: "cloud", RedirectURIs: []string{"https://notes.example.org/cb"}})
	a, _ := f.flow(t, "notes", f.other.ID, "openid", "offline_access")
	_, rt1, _, err := f.st.CreateAccessAndRefreshTokens(ctx, a, "")
	if err != nil {
		t.Fatal(err)
	}
	req, err := f.st.TokenRequestByRefreshToken(ctx, rt1)
	if err != nil {
		t.Fatal(err)
	}
	if req.GetSubject() != a.Subject {
		t.Fatalf("refresh subject %q, want the profile's %q", req.GetSubject(), a.Subject)
	}
	access2, rt2, _, err := f.st.CreateAccessAndRefreshTokens(ctx, req, rt1)
	if err != nil || rt2 == rt1 {
		t.Fatalf("rotation: %v", err)
	}
	if _, err := f.st.TokenRequestByRefreshToken(ctx, rt1); err == nil {
		t.Fatal("spent refresh token accepted")
	}
	for _, tok := range []string{rt2} {
		if _, err := f.st.TokenRequestByRefreshToken(ctx, tok); err == nil {
			t.Fatal("grant survived a reused refresh token")
		}
	}
	if _, err := f.st.accessToken(ctx, access2); err == nil {
		t.Fatal("access token survived the grant's revocation")
	}
}

func TestDisabledAccountTokensStop(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.st.CreateClient(ctx, Client{ID: "notes", Service: "cloud", RedirectURIs: []string{"https://notes.example.org/cb"}})
	a, _ := f.flow(t, "notes", f.profile.ID, "openid", "offline_access")
	access, refresh, _, err := f.st.CreateAccessAndRefreshTokens(ctx, a, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ids.SetState(ctx, "alice", identity.Disabled); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.accessToken(ctx, access); err == nil {
		t.Error("access token of a disabled account works")
	}
	if _, err := f.st.TokenRequestByRefreshToken(ctx, refresh); err == nil {
		t.Error("refresh token of a disabled account works")
	}
}

func TestKeyRotationSchedule(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	first, err := f.st.signing.signer(ctx, "RS256")
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range Algorithms {
		if _, err := f.st.signing.signer(ctx, alg); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
	published := func() map[string]bool {
		f.st.signing.forget()
		keys, err := f.st.KeySet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, k := range keys {
			m[k.ID()] = true
		}
		return m
	}
	// Within the lead: the successor is published but does not sign yet.
	f.clock.Add(f.st.Life.KeyRotation - f.st.publishLead() + time.Hour)
	if err := f.st.MaintainKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if len(published()) != 6 {
		t.Fatalf("want 3 current and 3 successor keys published, got %d", len(published()))
	}
	if k, _ := f.st.signing.signer(ctx, "RS256"); k.ID() != first.ID() {
		t.Fatal("the successor signs before its time")
	}
	// Past the rotation: the successor signs, the old key is still published.
	f.clock.Add(f.st.publishLead())
	f.st.MaintainKeys(ctx)
	f.st.signing.forget()
	next, _ := f.st.signing.signer(ctx, "RS256")
	if next.ID() == first.ID() || !published()[first.ID()] {
		t.Fatal("rotation: the new key must sign and the old one stay published")
	}
	// Once the old key's tokens have expired it is gone.
	f.clock.Add(f.st.keyGrace() + time.Minute)
	f.st.MaintainKeys(ctx)
	if published()[first.ID()] {
		t.Fatal("retired key still published after its grace")
	}
	// Keys are sealed: the database holds no private key in clear, and
	// another master secret cannot open them.
	var sealed string
	f.st.db.QueryRow(ctx, `SELECT sealed FROM oidc_keys LIMIT 1`).Scan(&sealed)
	if strings.Contains(sealed, "PRIVATE") {
		t.Fatal("private key in clear")
	}
	other, _ := secret.New(bytes.Repeat([]byte{9}, secret.Size))
	f.st.keys = other
	if _, err := f.st.loadKeys(ctx); !errors.Is(err, secret.ErrOpen) {
		t.Fatalf("keys opened with another master secret: %v", err)
	}
}

func TestSubjectsArePerProfile(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.st.CreateClient(ctx, Client{ID: "notes", Service: "cloud", RedirectURIs: []string{"https://notes.example.org/cb"}})
	a1, _ := f.flow(t, "notes", f.profile.ID, "openid")
	a2, _ := f.flow(t, "notes", f.other.ID, "openid")
	a3, _ := f.flow(t, "notes", f.profile.ID, "openid")
	if a1.Subject == a2.Subject || a1.Subject != a3.Subject || strings.Contains(a1.Subject, ":") {
		t.Fatalf("subjects %q %q %q", a1.Subject, a2.Subject, a3.Subject)
	}
}

func TestPKCERequiredForPublicClients(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.st.CreateClient(ctx, Client{ID: "app", Service: "cloud", Public: true, RedirectURIs: []string{"http://127.0.0.1/cb"}})
	_, err := f.st.CreateAuthRequest(withBrowser(ctx, "test browser"), &oidc.AuthRequest{ClientID: "app", RedirectURI: "http://127.0.0.1/cb", ResponseType: oidc.ResponseTypeCode, Scopes: []string{"openid"}}, "")
	var oe *oidc.Error
	if !errors.As(err, &oe) || oe.ErrorType != oidc.InvalidRequest {
		t.Fatalf("no PKCE: %v", err)
	}
	_, err = f.st.CreateAuthRequest(withBrowser(ctx, "test browser"), &oidc.AuthRequest{ClientID: "app", RedirectURI: "http://127.0.0.1/cb", ResponseType: oidc.ResponseTypeCode,
		Scopes: []string{"openid"}, CodeChallenge: "x", CodeChallengeMethod: oidc.CodeChallengeMethodPlain}, "")
	if !errors.As(err, &oe) {
		t.Fatalf("plain PKCE accepted: %v", err)
	}
}

var _ = context.Background

// In a provider request a grant's writes run after the store returned the
// tokens (they are signed meanwhile): a refresh token or a code spent by
// two requests at the same moment is refused when the second one waits
// for its writes, with invalid_grant, and the grant is revoked.
func TestGrantWritesAfterReturn(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.st.CreateClient(ctx, Client{ID: "notes", Service: "cloud", RedirectURIs: []string{"https://notes.example.org/cb"}})
	refused := func(t *testing.T, err error, what string) {
		t.Helper()
		var oe *oidc.Error
		if !errors.As(err, &oe) || oe.ErrorType != oidc.InvalidGrant || !strings.Contains(oe.Description, what) {
			t.Fatalf("second request's writes: %v, want invalid_grant about %q", err, what)
		}
	}

	t.Run("refresh", func(t *testing.T) {
		a, _ := f.flow(t, "notes", f.profile.ID, "openid", "offline_access")
		_, rt, _, err := f.st.CreateAccessAndRefreshTokens(ctx, a, "")
		if err != nil {
			t.Fatal(err)
		}
		req, err := f.st.TokenRequestByRefreshToken(ctx, rt)
		if err != nil {
			t.Fatal(err)
		}
		first, second := WithRequestState(ctx), WithRequestState(ctx)
		access, _, _, err := f.st.CreateAccessAndRefreshTokens(first, req, rt)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := f.st.CreateAccessAndRefreshTokens(second, req, rt); err != nil {
			t.Fatalf("the second request is told only when it waits: %v", err)
		}
		if err := stateOf(first).waitDurable(); err != nil {
			t.Fatalf("first request's writes: %v", err)
		}
		refused(t, stateOf(second).waitDurable(), "refresh token already used")
		if _, err := f.st.accessToken(ctx, access); !errors.Is(err, errTokenInvalid) {
			t.Fatalf("the first request's token survived: %v", err)
		}
	})

	t.Run("code", func(t *testing.T) {
		a, _ := f.flow(t, "notes", f.profile.ID, "openid", "offline_access")
		first, second := WithRequestState(ctx), WithRequestState(ctx)
		access, _, _, err := f.st.CreateAccessAndRefreshTokens(first, a, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := f.st.CreateAccessAndRefreshTokens(second, a, ""); err != nil {
			t.Fatal(err)
		}
		if err := stateOf(first).waitDurable(); err != nil {
			t.Fatal(err)
		}
		refused(t, stateOf(second).waitDurable(), "code already used")
		if _, err := f.st.accessToken(ctx, access); !errors.Is(err, errTokenInvalid) {
			t.Fatalf("the first exchange's token survived: %v", err)
		}
	})
}
