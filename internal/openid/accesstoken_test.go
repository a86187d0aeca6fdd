package openid

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"pelote/internal/store"
)

func TestAccessTokensWithoutRows(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.st.CreateClient(ctx, Client{ID: "notes", Service: "cloud", RedirectURIs: []string{"https://notes.example.org/cb"}})
	f.st.CreateClient(ctx, Client{ID: "other", Service: "cloud", RedirectURIs: []string{"https://notes.example.org/cb"}})
	a, _ := f.flow(t, "notes", f.profile.ID, "openid", "profile", "offline_access")
	access1, rt, _, err := f.st.CreateAccessAndRefreshTokens(ctx, a, "")
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := f.st.db.QueryRow(ctx, `SELECT COUNT(*) FROM oidc_tokens WHERE kind = 'access'`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("access token rows: %d %v", rows, err)
	}
	r, err := f.st.accessToken(ctx, access1)
	if err != nil || r.clientID != "notes" || r.subject != a.Subject || strings.Join(r.scopes, " ") != "openid profile offline_access" {
		t.Fatalf("access token: %+v %v", r, err)
	}
	req, err := f.st.TokenRequestByRefreshToken(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}
	access2, _, _, err := f.st.CreateAccessAndRefreshTokens(ctx, req, rt)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a changed id is refused", func(t *testing.T) {
		parts := strings.Split(access1, ".")
		flipped := "0"
		if strings.HasSuffix(access1, "0") {
			flipped = "1"
		}
		for i, forged := range []string{
			strings.Replace(access1, "."+parts[1]+".", ".1.", 1),          // another grant
			strings.Replace(access1, "."+parts[2]+".", ".9999999999.", 1), // a later expiry
			access1[:len(access1)-1] + flipped,                            // the MAC
			strings.TrimSuffix(access1, "."+parts[5]),                     // no MAC
		} {
			if _, err := f.st.accessToken(ctx, forged); !errors.Is(err, errTokenInvalid) {
				t.Errorf("forgery %d (%q) accepted: %v", i, forged, err)
			}
		}
	})

	t.Run("an expired token is refused", func(t *testing.T) {
		f.clock.Add(f.st.Life.AccessToken + time.Second)
		defer f.clock.Add(-f.st.Life.AccessToken - time.Second)
		if _, err := f.st.accessToken(ctx, access2); !errors.Is(err, errTokenInvalid) {
			t.Fatalf("expired token: %v", err)
		}
	})

	t.Run("revoking one token leaves the grant", func(t *testing.T) {
		if oe := f.st.RevokeToken(ctx, access1, a.Subject, "other"); oe == nil || oe.ErrorType != oidc.UnauthorizedClient {
			t.Fatalf("another client revoked the token: %v", oe)
		}
		if oe := f.st.RevokeToken(ctx, access1, a.Subject, "notes"); oe != nil {
			t.Fatal(oe)
		}
		if _, err := f.st.accessToken(ctx, access1); !errors.Is(err, errTokenInvalid) {
			t.Fatalf("revoked token works: %v", err)
		}
		if _, err := f.st.accessToken(ctx, access2); err != nil {
			t.Fatalf("the grant's other token stopped: %v", err)
		}
		if oe := f.st.RevokeToken(ctx, access1, a.Subject, "notes"); oe != nil {
			t.Fatalf("revoking twice: %v", oe)
		}
	})

	t.Run("a token issued with a row still works", func(t *testing.T) {
		legacy := randomID(16)
		if err := f.st.db.InTx(ctx, func(tx *store.Tx) error {
			return f.st.insertToken(ctx, tx, legacy, r.grantID, "access", "", []string{"openid"}, f.clock.Now().Add(time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		if got, err := f.st.accessToken(ctx, legacy); err != nil || got.grantID != r.grantID {
			t.Fatalf("legacy token: %+v %v", got, err)
		}
		if oe := f.st.RevokeToken(ctx, legacy, a.Subject, "notes"); oe != nil {
			t.Fatal(oe)
		}
		if _, err := f.st.accessToken(ctx, legacy); !errors.Is(err, errTokenInvalid) {
			t.Fatalf("revoked legacy token works: %v", err)
		}
	})

	t.Run("revoking the grant ends its tokens", func(t *testing.T) {
		if err := f.st.revokeGrant(ctx, r.grantID, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.accessToken(ctx, access2); !errors.Is(err, errTokenInvalid) {
			t.Fatalf("token of a revoked grant: %v", err)
		}
	})
}
