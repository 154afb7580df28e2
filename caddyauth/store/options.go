package store

import "time"

// defaultSweepInterval is how often expired entries are removed when Options leaves it unset.
const defaultSweepInterval = time.Minute

// Options configures the memory and file stores. The zero value is ready to use.
type Options struct {
	// Now returns the current time; expiry is judged against it on every read. Default:
	// time.Now. Tests inject a fake clock here.
	Now func() time.Time
	// SweepInterval is how often a background goroutine removes expired entries (they are
	// invisible to readers as soon as they expire, whatever this interval). Values <= 0 mean
	// the default, one minute.
	SweepInterval time.Duration
}

// withDefaults returns opts with its unset fields filled in.
func (opts Options) withDefaults() Options {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = defaultSweepInterval
	}
	return opts
}
