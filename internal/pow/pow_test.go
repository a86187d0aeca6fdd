package pow

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pelote/internal/store"
	"pelote/internal/store/storetest"
)

func newPuzzles(t *testing.T, bits int) (*Puzzles, *time.Time) {
	t.Helper()
	db := storetest.Open(t, store.Own(), Migrations())
	now := time.Unix(1_800_000_000, 0)
	p := New(db, []byte("0123456789abcdef0123456789abcdef"), bits)
	p.Now = func() time.Time { return now }
	return p, &now
}

func TestRedeem(t *testing.T) {
	p, now := newPuzzles(t, 10)
	c := p.Issue()
	if c.Bits != 10 {
		t.Fatalf("bits %d", c.Bits)
	}
	good := Solve(c)
	if LeadingZeros(c.Token, good) < 10 {
		t.Fatalf("Solve gave %s, which does not solve it", good)
	}
	wrong := ""
	for i := 0; ; i++ {
		if s := strconv.Itoa(i); LeadingZeros(c.Token, s) < 10 {
			wrong = s
			break
		}
	}
	other := New(p.db, []byte("another key, another hoster....."), 10)
	forged := other.Issue()
	body, _, _ := strings.Cut(c.Token, ".")
	_, mac, _ := strings.Cut(forged.Token, ".")

	for _, tc := range []struct {
		name, token, solution string
		want                  error
	}{
		{"wrong counter", c.Token, wrong, ErrWork},
		{"empty", c.Token, "", ErrWork},
		{"not a number", c.Token, "12a", ErrWork},
		{"signed elsewhere", forged.Token, Solve(forged), ErrWork},
		{"spliced signature", body + "." + mac, good, ErrWork},
		{"garbage", "%%%.!!!", good, ErrWork},
		{"too long", c.Token, strings.Repeat("1", 21), ErrWork},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := p.Redeem(t.Context(), tc.token, tc.solution); !errors.Is(err, tc.want) || !errors.Is(err, ErrRefused) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if err := p.Redeem(t.Context(), c.Token, good); err != nil {
		t.Fatalf("good solution refused: %v", err)
	}
	if err := p.Redeem(t.Context(), c.Token, good); !errors.Is(err, ErrSpent) {
		t.Fatalf("second use: %v", err)
	}

	late := p.Issue()
	*now = now.Add(p.TTL)
	if err := p.Redeem(t.Context(), late.Token, Solve(late)); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	// Once expired, spent challenges are forgotten: they fail as expired.
	if n, err := p.Purge(t.Context()); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if err := p.Redeem(t.Context(), c.Token, good); !errors.Is(err, ErrExpired) {
		t.Fatalf("after purge: %v", err)
	}
}

// Requests racing with one solution: exactly one passes.
func TestRedeemRace(t *testing.T) {
	p, _ := newPuzzles(t, 4)
	c := p.Issue()
	sol := Solve(c)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- p.Redeem(t.Context(), c.Token, sol) })
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrSpent):
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d requests passed, want 1", ok)
	}
}

// The difficulty is signed into the challenge: lowering it in the page
// does not help.
func TestBitsAreSigned(t *testing.T) {
	p, _ := newPuzzles(t, 12)
	c := p.Issue()
	p.Bits = 1
	weak := ""
	for i := 0; ; i++ {
		if s := strconv.Itoa(i); LeadingZeros(c.Token, s) >= 1 && LeadingZeros(c.Token, s) < 12 {
			weak = s
			break
		}
	}
	if _, _, err := p.Check(c.Token, weak); !errors.Is(err, ErrWork) {
		t.Fatalf("a solution to fewer bits passed: %v", err)
	}
}

func BenchmarkCheck(b *testing.B) {
	p := New(nil, []byte("0123456789abcdef0123456789abcdef"), 16)
	c := p.Issue()
	sol := Solve(c)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.Check(c.Token, sol); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSolve is the work a client does at the default difficulty, in
// Go; a browser's script is several times slower.
func BenchmarkSolve(b *testing.B) {
	p := New(nil, []byte("0123456789abcdef0123456789abcdef"), DefaultBits)
	for b.Loop() {
		Solve(p.Issue())
	}
}

// BenchmarkRedeem is the server's whole cost for one form: the check and
// the row that spends the challenge.
func BenchmarkRedeem(b *testing.B) {
	db := storetest.Open(b, store.Own(), Migrations())
	p := New(db, []byte("0123456789abcdef0123456789abcdef"), 4)
	type pair struct{ token, sol string }
	var pairs []pair
	for range b.N {
		c := p.Issue()
		pairs = append(pairs, pair{c.Token, Solve(c)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := p.Redeem(b.Context(), pairs[i].token, pairs[i].sol); err != nil {
			b.Fatal(err)
		}
	}
}
