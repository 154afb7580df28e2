package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// valueCases check that what is stored is what is read back.
var valueCases = []testCase{
	{"SetGet", func(t *testing.T, s store.Store, _ *Clock) {
		set(t, s, "session:a", []byte("alice"), time.Hour)
		wantValue(t, s, "session:a", []byte("alice"))
	}},
	{"GetMissing", func(t *testing.T, s store.Store, _ *Clock) {
		wantNotFound(t, s, "session:none")
	}},
	{"SetCopiesValue", func(t *testing.T, s store.Store, _ *Clock) {
		v := []byte("alice")
		set(t, s, "k", v, time.Hour)
		copy(v, "mally")
		wantValue(t, s, "k", []byte("alice"))
	}},
	{"ReturnedValueStable", func(t *testing.T, s store.Store, _ *Clock) {
		ctx := context.Background()
		set(t, s, "k", []byte("first"), time.Hour)
		got, err := s.Get(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		set(t, s, "k", []byte("other"), time.Hour)
		if err := s.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if string(got) != "first" {
			t.Fatalf("value returned by Get changed to %q by later writes", got)
		}
	}},
	{"Overwrite", func(t *testing.T, s store.Store, _ *Clock) {
		set(t, s, "k", []byte("one"), time.Hour)
		set(t, s, "k", []byte("two"), time.Hour)
		wantValue(t, s, "k", []byte("two"))
	}},
	{"Delete", func(t *testing.T, s store.Store, _ *Clock) {
		set(t, s, "k", []byte("v"), time.Hour)
		set(t, s, "other", []byte("w"), time.Hour)
		if err := s.Delete(context.Background(), "k"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantNotFound(t, s, "k")
		wantValue(t, s, "other", []byte("w"))
	}},
	{"DeleteAbsent", func(t *testing.T, s store.Store, _ *Clock) {
		if err := s.Delete(context.Background(), "never-set"); err != nil {
			t.Fatalf("Delete of an absent key: %v, want nil", err)
		}
	}},
	{"BinaryValue", func(t *testing.T, s store.Store, _ *Clock) {
		v := []byte{0, 1, 0, 0xff, 0, '\n', 0}
		set(t, s, "bin", v, time.Hour)
		wantValue(t, s, "bin", v)
	}},
	{"EmptyValue", func(t *testing.T, s store.Store, _ *Clock) {
		set(t, s, "empty", []byte{}, time.Hour)
		set(t, s, "nil", nil, time.Hour)
		wantValue(t, s, "empty", []byte{})
		wantValue(t, s, "nil", []byte{})
	}},
	{"LongKey", func(t *testing.T, s store.Store, _ *Clock) {
		long := strings.Repeat("k", 1024)
		set(t, s, long, []byte("v"), time.Hour)
		wantValue(t, s, long, []byte("v"))
		wantNotFound(t, s, long[:1023])
	}},
	{"ManyKeys", func(t *testing.T, s store.Store, _ *Clock) {
		const n, workers = 10000, 16
		key := func(i int) string { return fmt.Sprintf("many:%d", i) }
		val := func(i int) []byte { return fmt.Appendf(nil, "value-%d", i) }
		errs := make(chan error, workers)
		together(workers, func(w int) {
			for i := w; i < n; i += workers {
				if err := s.Set(context.Background(), key(i), val(i), time.Hour); err != nil {
					errs <- err
					return
				}
			}
		})
		close(errs)
		for err := range errs {
			t.Fatalf("Set: %v", err)
		}
		for i := range n {
			got, err := s.Get(context.Background(), key(i))
			if err != nil || !bytes.Equal(got, val(i)) {
				t.Fatalf("Get(%q) = %q, %v; want %q", key(i), got, err, val(i))
			}
		}
	}},
	{"InvalidArguments", func(t *testing.T, s store.Store, _ *Clock) {
		ctx := context.Background()
		calls := []struct {
			name string
			err  error
		}{
			{"Set with empty key", s.Set(ctx, "", []byte("v"), time.Hour)},
			{"Set with zero ttl", s.Set(ctx, "k", []byte("v"), 0)},
			{"Set with negative ttl", s.Set(ctx, "k", []byte("v"), -time.Second)},
			{"Incr with zero window", incrErr(s.Incr(ctx, "c", 0))},
		}
		for _, c := range calls {
			if c.err == nil || errors.Is(c.err, store.ErrNotFound) {
				t.Errorf("%s: err = %v, want a rejection", c.name, c.err)
			}
		}
		wantNotFound(t, s, "k")
		wantNotFound(t, s, "c")
	}},
}

// incrErr drops Incr's count.
func incrErr(_ int64, err error) error { return err }
