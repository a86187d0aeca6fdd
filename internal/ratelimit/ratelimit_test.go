package ratelimit

import (
	"strconv"
	"testing"
	"time"
)

func TestFailures(t *testing.T) {
	now := time.Unix(0, 0)
	f := NewFailures(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if b, _ := f.Blocked("a"); b {
			t.Fatalf("blocked after %d failures", i)
		}
		f.Fail("a")
	}
	b, left := f.Blocked("a")
	if !b || left != time.Minute {
		t.Fatalf("after 3 failures: blocked=%v left=%v", b, left)
	}
	if b, _ := f.Blocked("b"); b {
		t.Fatal("other key blocked")
	}
	now = now.Add(time.Minute)
	if b, _ := f.Blocked("a"); b {
		t.Fatal("still blocked after the window")
	}
	f.Fail("a")
	f.Reset("a")
	if b, _ := f.Blocked("a"); b {
		t.Fatal("blocked after reset")
	}
}

func TestBoundedMemory(t *testing.T) {
	now := time.Unix(0, 0)
	f := NewFailures(1, time.Hour, func() time.Time { return now })
	for i := range maxKeys + 10 {
		f.Fail(strconv.Itoa(i))
	}
	if len(f.keys) > maxKeys {
		t.Fatalf("%d keys kept, bound is %d", len(f.keys), maxKeys)
	}
	if b, _ := f.Blocked(strconv.Itoa(maxKeys + 9)); !b {
		t.Fatal("the newest key must still be counted")
	}
}

func TestBuckets(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBuckets(10, func() time.Time { return now })
	for i := 0; i < 20; i++ {
		if ok, _ := b.Allow("c"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := b.Allow("c")
	if ok || wait <= 0 || wait > 100*time.Millisecond {
		t.Fatalf("past the burst: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := b.Allow("other"); !ok {
		t.Fatal("keys must not share a bucket")
	}
	now = now.Add(time.Second)
	for i := 0; i < 10; i++ {
		if ok, _ := b.Allow("c"); !ok {
			t.Fatalf("refill: request %d refused", i)
		}
	}
	if ok, _ := b.Allow("c"); ok {
		t.Fatal("refill gave more than the rate")
	}
}
