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
// its full size and ErrFrameTooBig; a read error is returned. Every frame
// stays as read after later reads through the same scratch buffer: the
// envelope decoded from a frame points into it.
func TestReadFrame(t *testing.T) {
	const max = 5000
	readers := []func(io.Reader) io.Reader{
		func(r io.Reader) io.Reader { return r }, iotest.OneByteReader, iotest.HalfReader,
	}
	var scratch []byte // shared by every read, as by a connection's
	for k, size := range []int{0, 1, 1008, 2048, 2049, max, max + 1, 3 * max} {
		msg := strings.Repeat(string(rune('a'+k)), size)
		for j, wrap := range readers {
			frame, n, err := readFrame(wrap(strings.NewReader(msg)), max, &scratch)
			switch {
			case n != int64(size):
				t.Errorf("%d bytes, reader %d: size %d", size, j, n)
			case size <= max && (err != nil || string(frame) != msg):
				t.Errorf("%d bytes, reader %d: %d bytes back, %v; want the message", size, j, len(frame), err)
			case size > max && (!errors.Is(err, ErrFrameTooBig) || !bytes.Equal(frame, []byte(msg[:4096]))):
				t.Errorf("%d bytes, reader %d: %d bytes back, %v; want its first 4096 and ErrFrameTooBig", size, j, len(frame), err)
			}
		}
	}
	// Frames are read into the same buffer: the envelopes are decoded
	// where they lie, and the buffer allocated once per connection.
	first, _, _ := readFrame(strings.NewReader("first"), max, &scratch)
	second, _, _ := readFrame(strings.NewReader("2nd"), max, &scratch)
	if &first[0] != &second[0] {
		t.Errorf("two small frames read into different buffers")
	}
	boom := errors.New("connection reset")
	if _, _, err := readFrame(iotest.DataErrReader(iotest.ErrReader(boom)), max, &scratch); !errors.Is(err, boom) {
		t.Errorf("a failing read: %v, want %v", err, boom)
	}
}
