package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// lockTimeout is how long OpenFile waits for another process to release the file.
const lockTimeout = time.Second

// sweepChunk is the most expired records the sweeper deletes in one transaction.
const sweepChunk = 10000

var (
	// entriesBucket holds the records, one per key.
	entriesBucket = []byte("entries")
	// metaBucket holds the format version under versionKey.
	metaBucket = []byte("meta")
	versionKey = []byte("version")
	// formatVersion is the version of the record format written by this package.
	formatVersion = []byte("1")
)

// File is a durable Store in one bbolt file. Every write is on disk (fsynced) before it
// returns and before readers can see it; concurrent writers share fsyncs. Every live entry
// is also held in memory, so Get never touches the disk and does not allocate. Expired
// entries are invisible at once and deleted from memory and disk by a background sweeper
// that Close stops. One process at a time can open a file.
type File struct {
	path      string
	db        *bolt.DB
	ix        index
	committer *committer
	sweeper   *sweeper
	closed    atomic.Bool
}

// OpenFile opens the store file at path, creating it (mode 0600) and its parent
// directories (mode 0700) when missing, and loads its live entries into memory; expired
// ones are deleted. It fails, naming path, when the file is not a store file or another
// process holds it open.
func OpenFile(path string, opts Options) (*File, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("opening store file %q: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        lockTimeout,
		FreelistType:   bolt.FreelistMapType,
		NoFreelistSync: true,
	})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("opening store file %q: in use by another process or store (still locked after %v)", path, lockTimeout)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, fmt.Errorf("opening store file %q: not a bbolt database: %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("opening store file %q: %w", path, err)
	}
	f := &File{path: path, db: db}
	f.ix.init(opts.Now, f.persist)
	if err := f.load(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening store file %q: %w", path, err)
	}
	f.committer = startCommitter(db, entriesBucket)
	f.sweeper = startSweeper(opts.SweepInterval, f.sweep)
	return f, nil
}

// Get returns the value under key, or ErrNotFound, from memory. The slice is the store's
// own: do not modify it.
func (f *File) Get(_ context.Context, key string) ([]byte, error) { return f.ix.get(key) }

// Set stores a copy of value under key for ttl.
func (f *File) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	return f.ix.set(key, value, ttl)
}

// Delete removes key; removing an absent key is not an error.
func (f *File) Delete(_ context.Context, key string) error { return f.ix.del(key) }

// Take removes key and returns its value; of concurrent callers only one gets it.
func (f *File) Take(_ context.Context, key string) ([]byte, error) { return f.ix.take(key) }

// Incr adds 1 to the counter under key and returns it; a new counter expires after window.
func (f *File) Incr(_ context.Context, key string, window time.Duration) (int64, error) {
	return f.ix.incr(key, window)
}

// Close waits for the writes in progress, stops the background goroutines and closes the
// file. Later calls return ErrClosed.
func (f *File) Close() error {
	if !f.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	f.sweeper.halt()
	f.ix.close()
	f.committer.halt()
	if err := f.db.Close(); err != nil {
		return fmt.Errorf("closing store file %q: %w", f.path, err)
	}
	return nil
}

// persist writes a change to disk; the index calls it before the change becomes visible.
func (f *File) persist(key string, next entry, act action) error {
	var rec []byte
	if act == putEntry {
		rec = encodeRecord(next)
	}
	if err := f.committer.write(key, rec); err != nil {
		return fmt.Errorf("writing store file %q: %w", f.path, err)
	}
	return nil
}

// load checks the file's format, fills the index with the live records and deletes the
// expired ones.
func (f *File) load() error {
	now := f.ix.nowNanos()
	return f.db.Update(func(tx *bolt.Tx) error {
		if err := checkVersion(tx); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(entriesBucket)
		if err != nil {
			return err
		}
		var expired [][]byte
		err = b.ForEach(func(k, rec []byte) error {
			expires, err := recordExpiry(rec)
			if err != nil {
				return err
			}
			if expires <= now {
				expired = append(expired, bytes.Clone(k))
				return nil
			}
			f.ix.load(string(k), entry{value: bytes.Clone(rec[recordHeader:]), expires: expires})
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range expired {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkVersion records the format version in a new file and rejects files written in
// another format.
func checkVersion(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return err
	}
	switch v := meta.Get(versionKey); {
	case v == nil:
		return meta.Put(versionKey, formatVersion)
	case !bytes.Equal(v, formatVersion):
		return fmt.Errorf("unsupported format version %q (want %q)", v, formatVersion)
	}
	return nil
}

// sweep removes the expired entries from memory, then from disk. A record that was written
// again since it was swept from memory is live on disk and is kept. If the disk delete
// fails, the expired records stay on disk until the next open, which deletes them.
func (f *File) sweep() {
	now := f.ix.nowNanos()
	var expired []string
	f.ix.sweep(now, func(key string) { expired = append(expired, key) })
	for len(expired) > 0 {
		chunk := expired[:min(len(expired), sweepChunk)]
		expired = expired[len(chunk):]
		_ = f.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(entriesBucket)
			for _, key := range chunk {
				expires, err := recordExpiry(b.Get([]byte(key)))
				if err == nil && expires <= now {
					if err := b.Delete([]byte(key)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
}

// Interface guards
var _ Store = (*File)(nil)
