package identity_test

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"image/png"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"pelote/internal/identity"
	"pelote/internal/secret"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

const totpPassword = "correct horse battery" // mustAccount's password

// totpT0 is the middle of a time step, so that ±10s stay in the same step.
var totpT0 = time.Date(2026, 11, 1, 12, 0, 15, 0, time.UTC)

var recoveryFormat = regexp.MustCompile(`^[abcdefghjkmnpqrstuvwxyz23456789]{5}-[abcdefghjkmnpqrstuvwxyz23456789]{5}$`)

// totpSealer is the production sealer (keys.Sealer("totp")) on a fixed
// master secret.
func totpSealer(t *testing.T, b byte) *secret.Sealer {
	t.Helper()
	k, err := secret.New(bytes.Repeat([]byte{b}, secret.Size))
	if err != nil {
		t.Fatal(err)
	}
	return k.Sealer("totp")
}

// newTOTPStore is newStore with a sealer, the clock at totpT0, and the
// database for direct reads.
func newTOTPStore(t *testing.T) (*identity.Store, *testkit.Clock, *store.DB) {
	t.Helper()
	db := storetest.Open(t, identity.Migrations())
	s := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	s.Seal = totpSealer(t, 3)
	c := testkit.NewClock(totpT0)
	s.Now = c.Now
	return s, c, db
}

// codeAt is what an authenticator app shows at t.
func codeAt(t *testing.T, key string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(key, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wrongCode returns a six-digit code valid in none of the steps around at.
func wrongCode(t *testing.T, key string, at time.Time) string {
	t.Helper()
	valid := map[string]bool{}
	for d := -3; d <= 3; d++ {
		valid[codeAt(t, key, at.Add(time.Duration(d)*30*time.Second))] = true
	}
	for _, c := range []string{"000000", "123456", "999999", "314159", "271828", "555555", "424242", "010101"} {
		if !valid[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// otherChar is a recovery-alphabet character other than b.
func otherChar(b byte) string {
	if b == 'a' {
		return "b"
	}
	return "a"
}

func wantStatus(t *testing.T, s *identity.Store, id int64, want identity.TOTPStatus) {
	t.Helper()
	got, err := s.TOTPStatus(t.Context(), id)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if got != want {
		t.Fatalf("status %+v, want %+v", got, want)
	}
}

// enrol begins and confirms TOTP at the clock's time and returns the key
// and the recovery codes.
func enrol(t *testing.T, s *identity.Store, c *testkit.Clock, id int64) (string, []string) {
	t.Helper()
	e, err := s.BeginTOTP(t.Context(), id, "Pelote", totpPassword)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	codes, err := s.ConfirmTOTP(t.Context(), id, codeAt(t, e.Secret, c.Now()))
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	if len(codes) != identity.RecoveryCodes {
		t.Fatalf("%d recovery codes, want %d", len(codes), identity.RecoveryCodes)
	}
	return e.Secret, codes
}

func TestTOTPBeforeEnrolment(t *testing.T) {
	s, _, _ := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	wantStatus(t, s, a.ID, identity.TOTPStatus{})

	if _, err := s.VerifySecondFactor(ctx, a.ID, "123456"); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("verify before enrolment: %v, want ErrNoTOTP", err)
	}
	if _, err := s.VerifySecondFactor(ctx, a.ID, "abcde-fghjk"); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("recovery code before enrolment: %v, want ErrNoTOTP", err)
	}
	if _, err := s.ConfirmTOTP(ctx, a.ID, "123456"); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("confirm without begin: %v, want ErrNoTOTP", err)
	}
	if _, err := s.RegenerateRecoveryCodes(ctx, a.ID, totpPassword); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("regenerate before enrolment: %v, want ErrNoTOTP", err)
	}
	if err := s.DisableTOTP(ctx, a.ID, totpPassword); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("disable before enrolment: %v, want ErrNoTOTP", err)
	}
	if _, err := s.PendingTOTP(ctx, a.ID, "Pelote"); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("pending before enrolment: %v, want ErrNoTOTP", err)
	}
	if _, err := s.BeginTOTP(ctx, a.ID+1000, "Pelote", totpPassword); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("begin for an unknown account: %v, want ErrNotFound", err)
	}
}

func TestBeginTOTP(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	e, err := s.BeginTOTP(ctx, a.ID, "Pelote Club", totpPassword)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	if err != nil || len(raw) < 16 {
		t.Fatalf("secret %q: %d bytes, %v; want base32 of at least 128 bits", e.Secret, len(raw), err)
	}
	key, err := otp.NewKeyFromURL(e.URL)
	if err != nil {
		t.Fatalf("URL %q: %v", e.URL, err)
	}
	if !strings.HasPrefix(e.URL, "otpauth://totp/") || key.Type() != "totp" {
		t.Errorf("URL %q is not an otpauth://totp URL", e.URL)
	}
	if key.Secret() != e.Secret || key.Issuer() != "Pelote Club" || key.AccountName() != "alice" ||
		key.Period() != 30 || key.Digits() != otp.DigitsSix || key.Algorithm() != otp.AlgorithmSHA1 {
		t.Errorf("URL %q: secret %q issuer %q account %q period %d digits %v algorithm %v",
			e.URL, key.Secret(), key.Issuer(), key.AccountName(), key.Period(), key.Digits(), key.Algorithm())
	}
	img, err := png.Decode(bytes.NewReader(e.PNG))
	if err != nil {
		t.Fatalf("QR code: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 240 || b.Dy() != 240 {
		t.Errorf("QR code is %v, want 240x240", b)
	}
	// Pending only: not enabled yet.
	wantStatus(t, s, a.ID, identity.TOTPStatus{})
	if _, err := s.VerifySecondFactor(ctx, a.ID, codeAt(t, e.Secret, c.Now())); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("verify with a pending seed: %v, want ErrNoTOTP", err)
	}

	// A second BeginTOTP replaces the pending seed: the first one's codes
	// no longer confirm.
	e2, err := s.BeginTOTP(ctx, a.ID, "Pelote Club", totpPassword)
	if err != nil {
		t.Fatal(err)
	}
	if e2.Secret == e.Secret {
		t.Fatal("two enrolments gave the same secret")
	}
	if codeAt(t, e.Secret, c.Now()) != codeAt(t, e2.Secret, c.Now()) {
		if _, err := s.ConfirmTOTP(ctx, a.ID, codeAt(t, e.Secret, c.Now())); !errors.Is(err, identity.ErrBadCode) {
			t.Fatalf("confirm with the replaced seed: %v, want ErrBadCode", err)
		}
	}
	if _, err := s.ConfirmTOTP(ctx, a.ID, codeAt(t, e2.Secret, c.Now())); err != nil {
		t.Fatalf("confirm with the new seed: %v", err)
	}
}

func TestBeginTOTPWithoutSealer(t *testing.T) {
	s, _, db := newTOTPStore(t)
	s.Seal = nil
	a := mustAccount(t, s, "alice", false)
	if _, err := s.BeginTOTP(t.Context(), a.ID, "Pelote", totpPassword); err == nil {
		t.Fatal("BeginTOTP without a sealer succeeded")
	}
	var n int
	if err := db.QueryRow(t.Context(), `SELECT COUNT(*) FROM account_totp`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d account_totp rows (%v), want 0: an unsealed seed must not be stored", n, err)
	}
}

func TestPendingTOTP(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	e, err := s.BeginTOTP(ctx, a.ID, "Pelote", totpPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConfirmTOTP(ctx, a.ID, wrongCode(t, e.Secret, c.Now())); !errors.Is(err, identity.ErrBadCode) {
		t.Fatalf("wrong code: %v, want ErrBadCode", err)
	}
	// The page is shown again with the same seed.
	p, err := s.PendingTOTP(ctx, a.ID, "Pelote")
	if err != nil {
		t.Fatal(err)
	}
	if p.Secret != e.Secret || p.URL != e.URL {
		t.Fatalf("pending enrolment %q %q, want %q %q", p.Secret, p.URL, e.Secret, e.URL)
	}
	if _, err := png.Decode(bytes.NewReader(p.PNG)); err != nil {
		t.Fatalf("QR code: %v", err)
	}
	if _, err := s.PendingTOTP(ctx, a.ID+1000, "Pelote"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("pending for an unknown account: %v, want ErrNotFound", err)
	}
	c.Add(30 * time.Second)
	if _, err := s.ConfirmTOTP(ctx, a.ID, codeAt(t, p.Secret, c.Now())); err != nil {
		t.Fatalf("confirm with the shown-again seed: %v", err)
	}
	if _, err := s.PendingTOTP(ctx, a.ID, "Pelote"); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("pending after confirmation: %v, want ErrNoTOTP", err)
	}
}

func TestConfirmTOTP(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	e, err := s.BeginTOTP(ctx, a.ID, "Pelote", totpPassword)
	if err != nil {
		t.Fatal(err)
	}
	now := c.Now()
	bad := []struct{ name, code string }{
		{"empty", ""},
		{"blank", "      "},
		{"wrong digits", wrongCode(t, e.Secret, now)},
		{"far past", codeAt(t, e.Secret, now.Add(-10*time.Minute))},
		{"two steps ahead", codeAt(t, e.Secret, now.Add(61*time.Second))},
		{"letters", "abcdef"},
		{"too short", codeAt(t, e.Secret, now)[:5]},
		{"too long", codeAt(t, e.Secret, now) + "0"},
		{"overlong", strings.Repeat("7", 1<<16)},
		{"recovery-shaped", "abcde-fghjk"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			codes, err := s.ConfirmTOTP(ctx, a.ID, tc.code)
			if !errors.Is(err, identity.ErrBadCode) {
				t.Fatalf("got %v, want ErrBadCode", err)
			}
			if codes != nil {
				t.Fatalf("refused confirmation returned codes %v", codes)
			}
			wantStatus(t, s, a.ID, identity.TOTPStatus{})
		})
	}

	codes, err := s.ConfirmTOTP(ctx, a.ID, " "+codeAt(t, e.Secret, now)+"\n")
	if err != nil {
		t.Fatalf("confirm with the right code: %v", err)
	}
	if len(codes) != identity.RecoveryCodes || identity.RecoveryCodes != 10 {
		t.Fatalf("%d recovery codes, want 10", len(codes))
	}
	seen := map[string]bool{}
	for _, rc := range codes {
		if !recoveryFormat.MatchString(rc) {
			t.Errorf("recovery code %q has not the format xxxxx-xxxxx", rc)
		}
		if seen[rc] {
			t.Errorf("recovery code %q given twice", rc)
		}
		seen[rc] = true
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 10})

	// The pending seed is spent: confirming again has nothing to confirm.
	if _, err := s.ConfirmTOTP(ctx, a.ID, codeAt(t, e.Secret, now)); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("second confirmation: %v, want ErrNoTOTP", err)
	}
}

func TestVerifySecondFactorTOTP(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	key, _ := enrol(t, s, c, a.ID)
	verify := func(t *testing.T, code string) error {
		t.Helper()
		used, err := s.VerifySecondFactor(ctx, a.ID, code)
		if used {
			t.Errorf("code %q reported as a recovery code", code)
		}
		return err
	}

	// The confirmation code's step is spent already.
	if err := verify(t, codeAt(t, key, c.Now())); !errors.Is(err, identity.ErrBadCode) {
		t.Fatalf("the confirmation code again: %v, want ErrBadCode", err)
	}

	c.Add(30 * time.Second) // step S1
	s1 := codeAt(t, key, c.Now())
	if err := verify(t, s1); err != nil {
		t.Fatalf("current code: %v", err)
	}
	if err := verify(t, s1); !errors.Is(err, identity.ErrBadCode) {
		t.Fatalf("the same code in the same step: %v, want ErrBadCode", err)
	}
	c.Add(10 * time.Second) // still S1
	if err := verify(t, s1); !errors.Is(err, identity.ErrBadCode) {
		t.Fatalf("the same code later in the same step: %v, want ErrBadCode", err)
	}

	c.Add(20 * time.Second) // S2: S1's code is still within the skew, but spent
	if err := verify(t, s1); !errors.Is(err, identity.ErrBadCode) {
		t.Fatalf("replay of the previous step's code: %v, want ErrBadCode", err)
	}
	if err := verify(t, "\t"+codeAt(t, key, c.Now())+" "); err != nil {
		t.Fatalf("next step's code, with spaces around: %v", err)
	}

	// Two steps later, the previous step's code (skew) is accepted once,
	// then the current one, after which the previous one is refused.
	c.Add(60 * time.Second) // S4
	prev, cur := codeAt(t, key, c.Now().Add(-30*time.Second)), codeAt(t, key, c.Now())
	if err := verify(t, prev); err != nil {
		t.Fatalf("previous step's unused code: %v", err)
	}
	if err := verify(t, cur); err != nil {
		t.Fatalf("current code after the previous one: %v", err)
	}
	if err := verify(t, prev); !errors.Is(err, identity.ErrBadCode) {
		t.Fatalf("previous step's code after the current one: %v, want ErrBadCode", err)
	}

	// A code for the next step is accepted (clock skew) and spends the
	// current step too.
	c.Add(30 * time.Second) // S5
	next, cur := codeAt(t, key, c.Now().Add(30*time.Second)), codeAt(t, key, c.Now())
	if err := verify(t, next); err != nil {
		t.Fatalf("next step's code: %v", err)
	}
	if cur != next {
		if err := verify(t, cur); !errors.Is(err, identity.ErrBadCode) {
			t.Fatalf("current code after the next one: %v, want ErrBadCode", err)
		}
	}

	c.Add(5 * time.Minute)
	now := c.Now()
	bad := []struct{ name, code string }{
		{"wrong", wrongCode(t, key, now)},
		{"90s ago", codeAt(t, key, now.Add(-90*time.Second))},
		{"an hour ago", codeAt(t, key, now.Add(-time.Hour))},
		{"90s ahead", codeAt(t, key, now.Add(90*time.Second))},
		{"empty", ""},
		{"blank", " \t\n "},
		{"five digits", "12345"},
		{"seven digits", "1234567"},
		{"current code plus a digit", codeAt(t, key, now) + "1"},
		{"overlong", strings.Repeat("1", 1<<20)},
		{"letters", "abcdef"},
		{"digits and a letter", "12345a"},
		{"inner space", "123 456"},
		{"signed", "+12345"},
		{"fullwidth digits", "１２３４５６"},
		{"NULs", "\x00\x00\x00\x00\x00\x00"},
		{"invalid UTF-8", "\xff\xfe\xfd\xfc\xfb\xfa"},
		{"dashes", "-----------"},
		{"recovery-shaped, unknown", "abcde-fghjk"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if err := verify(t, tc.code); !errors.Is(err, identity.ErrBadCode) {
				t.Fatalf("got %v, want ErrBadCode", err)
			}
		})
	}
	// None of the refusals spent anything.
	if err := verify(t, codeAt(t, key, now)); err != nil {
		t.Fatalf("current code after refusals: %v", err)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 10})
}

func TestVerifySecondFactorPerAccount(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	alice := mustAccount(t, s, "alice", false)
	bob := mustAccount(t, s, "bob", false)
	aliceKey, aliceCodes := enrol(t, s, c, alice.ID)
	bobKey, bobCodes := enrol(t, s, c, bob.ID)
	c.Add(30 * time.Second)

	if codeAt(t, aliceKey, c.Now()) != codeAt(t, bobKey, c.Now()) {
		if _, err := s.VerifySecondFactor(ctx, bob.ID, codeAt(t, aliceKey, c.Now())); !errors.Is(err, identity.ErrBadCode) {
			t.Fatalf("alice's TOTP code for bob: %v, want ErrBadCode", err)
		}
	}
	if _, err := s.VerifySecondFactor(ctx, bob.ID, aliceCodes[0]); !errors.Is(err, identity.ErrBadCode) {
		t.Fatalf("alice's recovery code for bob: %v, want ErrBadCode", err)
	}
	// Using a step on alice's account does not spend it on bob's.
	if _, err := s.VerifySecondFactor(ctx, alice.ID, codeAt(t, aliceKey, c.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifySecondFactor(ctx, bob.ID, codeAt(t, bobKey, c.Now())); err != nil {
		t.Fatalf("bob's code in the step alice used: %v", err)
	}
	if used, err := s.VerifySecondFactor(ctx, bob.ID, bobCodes[0]); err != nil || !used {
		t.Fatalf("bob's recovery code: used %v, %v", used, err)
	}
	wantStatus(t, s, alice.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 10})
	wantStatus(t, s, bob.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 9})
}

// TestVerifySecondFactorConcurrentReplay sends the same code many times at
// once: exactly one may pass.
func TestVerifySecondFactorConcurrentReplay(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	a := mustAccount(t, s, "alice", false)
	key, _ := enrol(t, s, c, a.ID)
	c.Add(30 * time.Second)
	code := codeAt(t, key, c.Now())

	const n = 8
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			_, errs[i] = s.VerifySecondFactor(t.Context(), a.ID, code)
		})
	}
	start.Done()
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, identity.ErrBadCode):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("the same code passed %d times concurrently, want exactly once", ok)
	}
}

func TestRecoveryCodes(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	_, codes := enrol(t, s, c, a.ID)

	// Refused forms spend nothing.
	refused := []struct{ name, code string }{
		{"without the dash", strings.Replace(codes[0], "-", "", 1)},
		{"with a space for the dash", strings.Replace(codes[0], "-", " ", 1)},
		{"with another dash", strings.Replace(codes[0], "-", "_", 1)},
		{"truncated", codes[0][:10]},
		{"one character changed", codes[0][:10] + otherChar(codes[0][10])},
		{"with an inner space", codes[0][:5] + "- " + codes[0][6:]},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			used, err := s.VerifySecondFactor(ctx, a.ID, tc.code)
			if !errors.Is(err, identity.ErrBadCode) || used {
				t.Fatalf("%q: used %v, %v; want ErrBadCode", tc.code, used, err)
			}
		})
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 10})

	// Accepted forms: as shown, upper case, mixed case, spaces around.
	forms := []func(string) string{
		func(s string) string { return s },
		strings.ToUpper,
		func(s string) string { return strings.ToUpper(s[:3]) + s[3:] },
		func(s string) string { return "  " + s + "\n" },
		func(s string) string { return "\t" + strings.ToUpper(s) + " " },
	}
	for i, rc := range codes {
		form := forms[i%len(forms)](rc)
		used, err := s.VerifySecondFactor(ctx, a.ID, form)
		if err != nil || !used {
			t.Fatalf("recovery code %d as %q: used %v, %v", i, form, used, err)
		}
		wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: len(codes) - i - 1})
		for _, again := range []string{rc, strings.ToUpper(rc), form} {
			used, err := s.VerifySecondFactor(ctx, a.ID, again)
			if !errors.Is(err, identity.ErrBadCode) || used {
				t.Fatalf("recovery code %d again as %q: used %v, %v; want ErrBadCode", i, again, used, err)
			}
		}
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 0})
}

func TestRegenerateRecoveryCodes(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	_, old := enrol(t, s, c, a.ID)
	if used, err := s.VerifySecondFactor(ctx, a.ID, old[0]); err != nil || !used {
		t.Fatalf("old code: used %v, %v", used, err)
	}

	for _, pw := range []string{"", "wrong password", strings.ToUpper(totpPassword)} {
		codes, err := s.RegenerateRecoveryCodes(ctx, a.ID, pw)
		if !errors.Is(err, identity.ErrBadCredentials) || codes != nil {
			t.Fatalf("password %q: %v, %v; want ErrBadCredentials", pw, codes, err)
		}
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 9})

	fresh, err := s.RegenerateRecoveryCodes(ctx, a.ID, totpPassword)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != identity.RecoveryCodes {
		t.Fatalf("%d codes, want %d", len(fresh), identity.RecoveryCodes)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 10})
	oldSet := map[string]bool{}
	for _, rc := range old {
		oldSet[rc] = true
	}
	for _, rc := range fresh {
		if oldSet[rc] || !recoveryFormat.MatchString(rc) {
			t.Fatalf("new code %q is an old one or malformed", rc)
		}
	}
	for i, rc := range old[1:] {
		if used, err := s.VerifySecondFactor(ctx, a.ID, rc); !errors.Is(err, identity.ErrBadCode) || used {
			t.Fatalf("old code %d after regeneration: used %v, %v; want ErrBadCode", i+1, used, err)
		}
	}
	if used, err := s.VerifySecondFactor(ctx, a.ID, fresh[3]); err != nil || !used {
		t.Fatalf("new code: used %v, %v", used, err)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 9})
}

func TestDisableTOTP(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	key, codes := enrol(t, s, c, a.ID)

	if err := s.DisableTOTP(ctx, a.ID, "wrong password"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("disable with a wrong password: %v, want ErrBadCredentials", err)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 10})

	if _, err := s.CreateGroup(ctx, "staff", "Staff"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup(ctx, "players", "Players"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, "staff", "alice"); err != nil {
		t.Fatal(err)
	}
	// A group alice is not in does not bind her.
	if err := s.SetGroupRequireTOTP(ctx, "players", true); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 10})

	if err := s.SetGroupRequireTOTP(ctx, "staff", true); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Group(ctx, "staff"); err != nil || !g.RequireTOTP {
		t.Fatalf("group after SetGroupRequireTOTP: %+v, %v", g, err)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, Required: true, RecoveryLeft: 10})
	if err := s.DisableTOTP(ctx, a.ID, totpPassword); !errors.Is(err, identity.ErrTOTPRequired) {
		t.Fatalf("disable while required: %v, want ErrTOTPRequired", err)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, Required: true, RecoveryLeft: 10})

	if err := s.SetGroupRequireTOTP(ctx, "staff", false); err != nil {
		t.Fatal(err)
	}
	if err := s.DisableTOTP(ctx, a.ID, totpPassword); err != nil {
		t.Fatalf("disable: %v", err)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{})
	if err := s.DisableTOTP(ctx, a.ID, totpPassword); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("second disable: %v, want ErrNoTOTP", err)
	}
	c.Add(30 * time.Second)
	if _, err := s.VerifySecondFactor(ctx, a.ID, codeAt(t, key, c.Now())); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("TOTP code after disable: %v, want ErrNoTOTP", err)
	}
	if _, err := s.VerifySecondFactor(ctx, a.ID, codes[0]); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("recovery code after disable: %v, want ErrNoTOTP", err)
	}

	// Leaving the group also lifts the requirement.
	enrol(t, s, c, a.ID)
	if err := s.SetGroupRequireTOTP(ctx, "staff", true); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, "staff", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.DisableTOTP(ctx, a.ID, totpPassword); err != nil {
		t.Fatalf("disable after leaving the group: %v", err)
	}
}

func TestSetGroupRequireTOTP(t *testing.T) {
	s, _, _ := newTOTPStore(t)
	ctx := t.Context()
	if _, err := s.CreateGroup(ctx, "staff", ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		group   string
		require bool
		want    error
	}{
		{"staff", true, nil},
		{"STAFF", false, nil},
		{"nobody", true, store.ErrNotFound},
		{"bad name!", true, identity.ErrInvalid},
		{"", true, identity.ErrInvalid},
	}
	for _, tc := range tests {
		err := s.SetGroupRequireTOTP(ctx, tc.group, tc.require)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("SetGroupRequireTOTP(%q, %v): %v, want %v", tc.group, tc.require, err, tc.want)
		}
		if tc.want == nil {
			if g, err := s.Group(ctx, "staff"); err != nil || g.RequireTOTP != tc.require {
				t.Errorf("after SetGroupRequireTOTP(%q, %v): %+v, %v", tc.group, tc.require, g, err)
			}
		}
	}
}

// TestTOTPRequiredByTwoGroups: an account in two groups that both require
// TOTP is required to use it, like one in a single such group.
func TestTOTPRequiredByTwoGroups(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	enrol(t, s, c, a.ID)
	for _, g := range []string{"staff", "board"} {
		if _, err := s.CreateGroup(ctx, g, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.AddMember(ctx, g, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetGroupRequireTOTP(ctx, g, true); err != nil {
			t.Fatal(err)
		}
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Enabled: true, Required: true, RecoveryLeft: 10})
	if err := s.DisableTOTP(ctx, a.ID, totpPassword); !errors.Is(err, identity.ErrTOTPRequired) {
		t.Fatalf("disable while two groups require TOTP: %v, want ErrTOTPRequired", err)
	}
}

func TestResetTOTP(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	mustAccount(t, s, "admin", true)
	a := mustAccount(t, s, "alice", false)
	b := mustAccount(t, s, "bob", false)
	key, codes := enrol(t, s, c, a.ID)
	enrol(t, s, c, b.ID)

	if err := s.ResetTOTP(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("reset of an unknown account: %v, want ErrNotFound", err)
	}
	if err := s.ResetTOTP(ctx, " Alice "); err != nil {
		t.Fatalf("reset: %v", err)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{})
	wantStatus(t, s, b.ID, identity.TOTPStatus{Enabled: true, RecoveryLeft: 10})
	c.Add(30 * time.Second)
	if _, err := s.VerifySecondFactor(ctx, a.ID, codeAt(t, key, c.Now())); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("old TOTP code after reset: %v, want ErrNoTOTP", err)
	}
	if _, err := s.VerifySecondFactor(ctx, a.ID, codes[0]); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("old recovery code after reset: %v, want ErrNoTOTP", err)
	}
	// Reset also works when a group requires TOTP, and the member enrols
	// again with a new seed.
	if _, err := s.CreateGroup(ctx, "staff", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, "staff", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetGroupRequireTOTP(ctx, "staff", true); err != nil {
		t.Fatal(err)
	}
	key2, _ := enrol(t, s, c, a.ID)
	if key2 == key {
		t.Fatal("re-enrolment gave the old seed")
	}
	if err := s.ResetTOTP(ctx, "alice"); err != nil {
		t.Fatalf("reset while required: %v", err)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Required: true})
	// Resetting an account without TOTP says so.
	if err := s.ResetTOTP(ctx, "alice"); !errors.Is(err, identity.ErrNoTOTP) {
		t.Fatalf("second reset: %v, want ErrNoTOTP", err)
	}
	wantStatus(t, s, a.ID, identity.TOTPStatus{Required: true})
}

func TestTOTPSecretSealedAtRest(t *testing.T) {
	s, c, db := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	b := mustAccount(t, s, "bob", false)
	row := func(id int64) (sealed, pending string) {
		t.Helper()
		if err := db.QueryRow(ctx, `SELECT secret, pending_secret FROM account_totp WHERE account_id = ?`, id).Scan(&sealed, &pending); err != nil {
			t.Fatal(err)
		}
		return sealed, pending
	}
	plainForms := func(key string) []string {
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key)
		if err != nil {
			t.Fatal(err)
		}
		return []string{key, strings.ToLower(key), string(raw)}
	}
	// inClear tells whether stored holds the key, as is or under a
	// reversible encoding.
	inClear := func(stored, key string) bool {
		candidates := []string{stored}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if d, err := enc.DecodeString(stored); err == nil {
				candidates = append(candidates, string(d))
			}
		}
		if d, err := hex.DecodeString(stored); err == nil {
			candidates = append(candidates, string(d))
		}
		for _, c := range candidates {
			for _, p := range plainForms(key) {
				if strings.Contains(c, p) {
					return true
				}
			}
		}
		return false
	}

	e, err := s.BeginTOTP(ctx, a.ID, "Pelote", totpPassword)
	if err != nil {
		t.Fatal(err)
	}
	sealed, pending := row(a.ID)
	if sealed != "" || pending == "" {
		t.Fatalf("after begin: secret %q, pending %q; want only a pending seed", sealed, pending)
	}
	if inClear(pending, e.Secret) {
		t.Fatalf("the pending seed is stored in clear: %q", pending)
	}
	codes, err := s.ConfirmTOTP(ctx, a.ID, codeAt(t, e.Secret, c.Now()))
	if err != nil {
		t.Fatal(err)
	}
	sealed, pending = row(a.ID)
	if sealed == "" || pending != "" {
		t.Fatalf("after confirm: secret %q, pending %q; want only a secret", sealed, pending)
	}
	if inClear(sealed, e.Secret) {
		t.Fatalf("the seed is stored in clear: %q", sealed)
	}
	rows, err := db.Query(ctx, `SELECT code_hash FROM totp_recovery_codes WHERE account_id = ?`, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		for _, rc := range codes {
			if strings.Contains(h, rc) || strings.Contains(h, strings.ReplaceAll(rc, "-", "")) {
				t.Fatalf("recovery code %q stored in clear", rc)
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if n != identity.RecoveryCodes {
		t.Fatalf("%d stored recovery codes, want %d", n, identity.RecoveryCodes)
	}

	// Another master secret cannot open the seed: verification fails with
	// an error, it does not accept.
	c.Add(30 * time.Second)
	code := codeAt(t, e.Secret, c.Now())
	other := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	other.Now, other.Seal = c.Now, totpSealer(t, 4)
	if _, err := other.VerifySecondFactor(ctx, a.ID, code); !errors.Is(err, secret.ErrOpen) {
		t.Fatalf("verify under another master secret: %v, want secret.ErrOpen", err)
	}

	// The sealed seed is bound to its account: copied to bob's row, it
	// does not open there.
	enrol(t, s, c, b.ID)
	if _, err := db.Exec(ctx, `UPDATE account_totp SET secret = ? WHERE account_id = ?`, sealed, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifySecondFactor(ctx, b.ID, code); !errors.Is(err, secret.ErrOpen) {
		t.Fatalf("alice's seed copied to bob: %v, want secret.ErrOpen", err)
	}
	// Alice's own verification was not spent by the failures above.
	if _, err := s.VerifySecondFactor(ctx, a.ID, code); err != nil {
		t.Fatalf("alice's code: %v", err)
	}
}
