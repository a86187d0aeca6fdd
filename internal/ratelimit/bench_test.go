package ratelimit_test

import (
	"strconv"
	"testing"
	"time"

	"pelote/internal/ratelimit"
	"pelote/internal/store/storetest"
)

// limiters are the two ways a node counts: alone in memory, or with the
// other nodes in the database (PostgreSQL when PELOTE_TEST_POSTGRES is
// set, else SQLite).
func limiters(b *testing.B) []struct {
	name   string
	limits *ratelimit.Limits
} {
	db := storetest.Open(b, ratelimit.Migrations())
	return []struct {
		name   string
		limits *ratelimit.Limits
	}{{"memory", nil}, {"database-" + storetest.Engine(), ratelimit.Shared(db, nil)}}
}

// BenchmarkLoginCheck is what a failed login costs one limiter: the check
// before the password, then the failure recorded. A web login does it for
// the account and for the client address.
func BenchmarkLoginCheck(b *testing.B) {
	for _, tc := range limiters(b) {
		b.Run(tc.name, func(b *testing.B) {
			// A limit never reached, over many accounts, as under a
			// guessing flood spread over names.
			f := tc.limits.Failures("login-account", 1<<30, time.Hour, time.Now)
			i := 0
			for b.Loop() {
				i++
				key := "account" + strconv.Itoa(i%10_000)
				if blocked, _ := f.Blocked(key); blocked {
					b.Fatal("blocked")
				}
				f.Fail(key)
			}
		})
	}
}

// BenchmarkTokenBucket is the token endpoint's limiter for one client
// asking within its rate: at 20 requests a second a node takes one token
// per database round trip, at 1,000 a batch of 50.
func BenchmarkTokenBucket(b *testing.B) {
	for _, tc := range limiters(b) {
		for _, rate := range []int{20, 1000} {
			b.Run(tc.name+"-rate-"+strconv.Itoa(rate), func(b *testing.B) {
				// The clock moves a request's worth each request, so the
				// bucket never runs dry and no request waits.
				now := time.Unix(1_000_000, 0)
				bk := tc.limits.Buckets("oidc-token", rate, func() time.Time { return now })
				step := time.Second / time.Duration(rate)
				for b.Loop() {
					now = now.Add(step)
					if ok, _ := bk.Allow(b.Name()); !ok {
						b.Fatal("refused")
					}
				}
			})
		}
	}
}
