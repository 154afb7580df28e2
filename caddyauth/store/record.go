package store

import (
	"encoding/binary"
	"fmt"
)

// A record is how the file store keeps an entry on disk: the expiry as 8 bytes of big-endian
// unix nanoseconds, then the value.

// recordHeader is the length of a record's expiry prefix.
const recordHeader = 8

// encodeRecord returns the on-disk form of e.
func encodeRecord(e entry) []byte {
	rec := make([]byte, recordHeader+len(e.value))
	binary.BigEndian.PutUint64(rec, uint64(e.expires))
	copy(rec[recordHeader:], e.value)
	return rec
}

// recordExpiry returns the expiry of an on-disk record.
func recordExpiry(rec []byte) (int64, error) {
	if len(rec) < recordHeader {
		return 0, fmt.Errorf("corrupt record of %d bytes", len(rec))
	}
	return int64(binary.BigEndian.Uint64(rec)), nil
}
