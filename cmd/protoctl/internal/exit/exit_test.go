package exit

import (
	"errors"
	"fmt"
	"testing"
)

func TestCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     error
		want    int
		wantMsg string
	}{
		{name: "nil", err: nil, want: 0},
		{name: "plain", err: errors.New("boom"), want: 1, wantMsg: "boom"},
		{name: "findings", err: &Error{Code: Findings}, want: 100, wantMsg: "findings were printed"},
		{name: "wrapped", err: fmt.Errorf("breaking: %w", &Error{Code: 3, Err: errors.New("x")}), want: 3, wantMsg: "breaking: x"},
		{name: "other code", err: &Error{Code: 7}, want: 7, wantMsg: "exit status 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Code(tt.err); got != tt.want {
				t.Errorf("Code(%v) = %d, want %d", tt.err, got, tt.want)
			}
			if tt.err != nil && tt.err.Error() != tt.wantMsg {
				t.Errorf("message = %q, want %q", tt.err.Error(), tt.wantMsg)
			}
		})
	}
	inner := errors.New("inner")
	if !errors.Is(&Error{Code: 1, Err: inner}, inner) {
		t.Error("Error does not unwrap to Err")
	}
}
