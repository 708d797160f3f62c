package conformance

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFrameRoundTrip(t *testing.T) {
	t.Parallel()
	var stream []byte
	msgs := [][]byte{{}, []byte("a"), bytes.Repeat([]byte("xyz"), 1000)}
	for _, m := range msgs {
		stream = AppendFrame(stream, m)
	}
	r := bytes.NewReader(stream)
	for i, want := range msgs {
		got, err := ReadFrame(r)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("frame %d (-want +got):\n%s", i, diff)
		}
	}
	if _, err := ReadFrame(r); err != io.EOF {
		t.Errorf("after the last frame: got %v, want io.EOF", err)
	}
}

func TestFrameErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, input, want string
	}{
		{"truncated header", "\x01\x00", "truncated frame header"},
		{"truncated body", "\x05\x00\x00\x00ab", "truncated frame: want 5 bytes"},
		{"oversized", "\xff\xff\xff\x7fgarbage", "exceeds the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadFrame(strings.NewReader(tc.input))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadFrame(%q) = %v, want an error containing %q", tc.input, err, tc.want)
			}
		})
	}
}
