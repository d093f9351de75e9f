package operations

import (
	"errors"
	"regexp"
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	re := regexp.MustCompile(`^op_(data_load|training|backtesting|dummy)_\d{8}_\d{6}_[0-9a-f]{8}$`)
	// The timestamp is the UTC one, whatever the zone of now.
	now := time.Date(2026, 1, 1, 23, 30, 0, 0, time.FixedZone("X", -2*3600))
	// 10k ids in one second share 32 random bits: a collision has a 1.2%
	// chance (birthday bound), three or more 3e-7. A broken generator
	// collides almost always.
	seen := make(map[string]bool)
	collisions := 0
	for i := range 10000 {
		typ := []Type{TypeDataLoad, TypeTraining, TypeBacktesting, TypeDummy}[i%4]
		id := NewID(typ, now)
		if !re.MatchString(id) {
			t.Fatalf("id %q does not match %s", id, re)
		}
		if want := "op_" + string(typ) + "_20260102_013000_"; id[:len(want)] != want {
			t.Fatalf("id %q, want prefix %q", id, want)
		}
		if seen[id[len(id)-8:]] {
			collisions++
		}
		seen[id[len(id)-8:]] = true
		if err := validID(id); err != nil {
			t.Fatalf("store rejects generated id: %v", err)
		}
	}
	if collisions > 2 {
		t.Fatalf("%d collisions among 10000 ids", collisions)
	}
}

func TestCheckTransition(t *testing.T) {
	allowed := map[Status][]Status{
		StatusPending:   {StatusPending, StatusRunning, StatusFailed, StatusCancelled},
		StatusRunning:   {StatusRunning, StatusCompleted, StatusFailed, StatusCancelled, StatusPending},
		StatusCompleted: {StatusCompleted},
		StatusFailed:    {StatusFailed},
		StatusCancelled: {StatusCancelled},
	}
	for _, from := range allStatuses {
		for _, to := range allStatuses {
			want := false
			for _, a := range allowed[from] {
				want = want || a == to
			}
			err := CheckTransition(from, to)
			if want && err != nil {
				t.Errorf("%s → %s: %v, want allowed", from, to, err)
			}
			if !want && !errors.Is(err, ErrTransition) {
				t.Errorf("%s → %s: %v, want ErrTransition", from, to, err)
			}
		}
	}
	for _, s := range allStatuses {
		if s.Terminal() != (len(allowed[s]) == 1) {
			t.Errorf("%s.Terminal() = %v", s, s.Terminal())
		}
	}
}
