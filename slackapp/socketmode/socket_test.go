package socketmode

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadFrame: a message up to max bytes comes back whole, however the
// reader hands it over; one over max comes back as its first 4 KB with
// its full size and ErrFrameTooBig; a read error is returned.
func TestReadFrame(t *testing.T) {
	const max = 5000
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"halves":   iotest.HalfReader,
	}
	for _, size := range []int{0, 1, 1008, 2048, 2049, max, max + 1, 3 * max} {
		msg := strings.Repeat("x", size)
		for name, wrap := range readers {
			frame, n, err := readFrame(wrap(strings.NewReader(msg)), max)
			switch {
			case n != int64(size):
				t.Errorf("%d bytes, %s: size %d", size, name, n)
			case size <= max && (err != nil || string(frame) != msg):
				t.Errorf("%d bytes, %s: %d bytes back, %v; want the message", size, name, len(frame), err)
			case size > max && (!errors.Is(err, ErrFrameTooBig) || !bytes.Equal(frame, []byte(msg[:4096]))):
				t.Errorf("%d bytes, %s: %d bytes back, %v; want its first 4096 and ErrFrameTooBig", size, name, len(frame), err)
			}
		}
	}
	boom := errors.New("connection reset")
	if _, _, err := readFrame(iotest.DataErrReader(iotest.ErrReader(boom)), max); !errors.Is(err, boom) {
		t.Errorf("a failing read: %v, want %v", err, boom)
	}
}
