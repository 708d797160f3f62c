package conformance

import (
	"encoding/binary"
	"fmt"
	"io"
)

// MaxFrame is the largest frame a reader accepts: a length above it is taken
// as garbage rather than as a reason to allocate.
const MaxFrame = 1 << 30

// ReadFrame reads one length-prefixed frame. It returns io.EOF only when the
// stream ends cleanly before a frame starts.
func ReadFrame(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("truncated frame header")
		}
		return nil, err
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if n > MaxFrame {
		return nil, fmt.Errorf("frame length %d exceeds the limit of %d bytes", n, MaxFrame)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("truncated frame: want %d bytes: %w", n, err)
	}
	return buf, nil
}

// AppendFrame appends msg with its length prefix to dst.
func AppendFrame(dst, msg []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(msg)))
	return append(dst, msg...)
}
