package store

import (
	bolt "go.etcd.io/bbolt"
)

// commitReq asks the committer to write one record (or delete the key when record is nil).
type commitReq struct {
	key    string
	record []byte
	done   chan error
}

// committer is the file store's single writer. It commits every request that is waiting
// when it starts a transaction in that one transaction (group commit): each caller waits for
// the fsync of its own write, and concurrent writers share fsyncs instead of queueing for
// one each. Unlike bbolt's DB.Batch it never waits for more callers to arrive.
type committer struct {
	db     *bolt.DB
	bucket []byte
	reqs   chan *commitReq
	stop   chan struct{}
	done   chan struct{}
}

// startCommitter starts the writer goroutine for bucket in db. Call halt to stop it.
func startCommitter(db *bolt.DB, bucket []byte) *committer {
	c := &committer{
		db:     db,
		bucket: bucket,
		reqs:   make(chan *commitReq),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go c.run()
	return c
}

// write puts record under key (or deletes key when record is nil) and returns once the
// change is on disk.
func (c *committer) write(key string, record []byte) error {
	r := &commitReq{key: key, record: record, done: make(chan error, 1)}
	c.reqs <- r
	return <-r.done
}

// halt stops the writer once no write is in flight. The caller guarantees that no write
// starts after halt is called.
func (c *committer) halt() {
	close(c.stop)
	<-c.done
}

// run is the writer loop.
func (c *committer) run() {
	defer close(c.done)
	var batch []*commitReq
	for {
		select {
		case r := <-c.reqs:
			batch = append(batch[:0], r)
		case <-c.stop:
			return
		}
	drain:
		for {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		c.commit(batch)
		clear(batch)
	}
}

// commit writes batch in one transaction. If that fails, it retries each request alone so
// that one bad request fails only its own caller.
func (c *committer) commit(batch []*commitReq) {
	err := c.db.Update(func(tx *bolt.Tx) error { return c.apply(tx, batch...) })
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	for _, r := range batch {
		r.done <- c.db.Update(func(tx *bolt.Tx) error { return c.apply(tx, r) })
	}
}

// apply performs reqs in tx.
func (c *committer) apply(tx *bolt.Tx, reqs ...*commitReq) error {
	b := tx.Bucket(c.bucket)
	for _, r := range reqs {
		var err error
		if r.record == nil {
			err = b.Delete([]byte(r.key))
		} else {
			err = b.Put([]byte(r.key), r.record)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
