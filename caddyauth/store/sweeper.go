package store

import "time"

// sweeper runs a function at a fixed interval on its own goroutine until stopped.
type sweeper struct {
	stop chan struct{}
	done chan struct{}
}

// startSweeper calls sweep every interval until halt is called.
func startSweeper(interval time.Duration, sweep func()) *sweeper {
	s := &sweeper{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				sweep()
			case <-s.stop:
				return
			}
		}
	}()
	return s
}

// halt stops the sweeper and waits for a sweep in progress to finish. Call it once.
func (s *sweeper) halt() {
	close(s.stop)
	<-s.done
}
