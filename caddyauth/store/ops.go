package store

import "time"

// The Store operations, written once over an index and shared by Memory and File.

// set stores a copy of value under key until now + ttl.
func (ix *index) set(key string, value []byte, ttl time.Duration) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkTTL(ttl); err != nil {
		return err
	}
	// Copy before locking; a nil value is stored as an empty one.
	owned := append(make([]byte, 0, len(value)), value...)
	return ix.mutate(key, func(_ entry, _ bool, now int64) (entry, action, error) {
		return entry{value: owned, expires: deadline(now, ttl)}, putEntry, nil
	})
}

// del removes key; removing an absent or expired key does nothing.
func (ix *index) del(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	return ix.mutate(key, func(_ entry, found bool, _ int64) (entry, action, error) {
		if !found {
			return entry{}, keepAsIs, nil
		}
		return entry{}, dropEntry, nil
	})
}

// take removes key and returns its value; of concurrent callers only one finds it.
func (ix *index) take(key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	var taken []byte
	err := ix.mutate(key, func(cur entry, found bool, _ int64) (entry, action, error) {
		if !found {
			return entry{}, keepAsIs, ErrNotFound
		}
		taken = cur.value
		return entry{}, dropEntry, nil
	})
	if err != nil {
		return nil, err
	}
	return taken, nil
}

// incr adds one to the counter under key, starting a fixed window when there is none.
func (ix *index) incr(key string, window time.Duration) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	if err := checkTTL(window); err != nil {
		return 0, err
	}
	var count int64
	err := ix.mutate(key, func(cur entry, found bool, now int64) (entry, action, error) {
		next, n, err := nextCount(cur, found, now, window)
		count = n
		return next, putEntry, err
	})
	if err != nil {
		return 0, err
	}
	return count, nil
}
