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

// TestFloodKeepsLiveCounters: a flood of failures under new names, more
// than the table holds, neither frees blocked keys nor forgets counting
// ones.
func TestFloodKeepsLiveCounters(t *testing.T) {
	now := time.Unix(0, 0)
	f := NewFailures(3, time.Hour, func() time.Time { return now })
	const victims = 50
	for v := range victims {
		key := "victim" + strconv.Itoa(v)
		for range 3 {
			f.Fail(key)
		}
		f.Fail("counting" + strconv.Itoa(v))
		f.Fail("counting" + strconv.Itoa(v))
	}
	now = now.Add(time.Minute)
	for i := range 3 * maxKeys {
		f.Fail("flood" + strconv.Itoa(i))
	}
	if len(f.keys) > maxKeys {
		t.Fatalf("%d keys kept, bound is %d", len(f.keys), maxKeys)
	}
	for v := range victims {
		if b, _ := f.Blocked("victim" + strconv.Itoa(v)); !b {
			t.Fatalf("victim %d unblocked by the flood", v)
		}
		key := "counting" + strconv.Itoa(v)
		f.Fail(key)
		if b, _ := f.Blocked(key); !b {
			t.Fatalf("counting key %d forgot its failures in the flood", v)
		}
	}
	// Names new to a full table share one counter: the flood blocked it.
	if b, _ := f.Blocked("newcomer"); !b {
		t.Fatal("a new name escapes counting while the table is full")
	}
	// Once the windows end, the table frees itself.
	now = now.Add(time.Hour)
	if b, _ := f.Blocked("newcomer"); b {
		t.Fatal("still blocked after the window")
	}
	f.Fail("newcomer")
	if _, ok := f.keys["newcomer"]; !ok {
		t.Fatal("expired windows were not dropped for a new name")
	}
}

// TestBucketFloodKeepsEmptyBuckets: a flood of new clients does not
// refill a client that used its burst.
func TestBucketFloodKeepsEmptyBuckets(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBuckets(1, func() time.Time { return now })
	for range 2 {
		b.Allow("victim")
	}
	if ok, _ := b.Allow("victim"); ok {
		t.Fatal("burst not spent")
	}
	for i := range maxKeys + 10 {
		b.Allow("flood" + strconv.Itoa(i))
	}
	if len(b.keys) > maxKeys {
		t.Fatalf("%d buckets kept, bound is %d", len(b.keys), maxKeys)
	}
	if ok, _ := b.Allow("victim"); ok {
		t.Fatal("the flood refilled the victim's bucket")
	}
	// Once the flood's buckets are full again, they make room.
	now = now.Add(3 * time.Second)
	b.Allow("late")
	if _, ok := b.keys["late"]; !ok || len(b.keys) > 2 {
		t.Fatalf("refilled buckets kept: %d", len(b.keys))
	}
}

// TestResetsKeepTheQueueBounded: keys reset while older windows live
// leave queue entries; they are bounded too.
func TestResetsKeepTheQueueBounded(t *testing.T) {
	now := time.Unix(0, 0)
	f := NewFailures(3, time.Hour, func() time.Time { return now })
	f.Fail("old")
	for i := range 3 * maxKeys {
		key := strconv.Itoa(i % 1000)
		f.Fail(key)
		f.Reset(key)
	}
	if n := len(f.order) - f.head; n > 2*maxKeys+1 {
		t.Fatalf("%d queue entries for %d keys", n, len(f.keys))
	}
	if b, _ := f.Blocked("old"); b {
		t.Fatal("one failure blocks")
	}
	f.Fail("old")
	f.Fail("old")
	if b, _ := f.Blocked("old"); !b {
		t.Fatal("the queue rebuild lost a counter")
	}
}
