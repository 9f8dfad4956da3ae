package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// payloadDir holds the Slack payload samples (testdata/README.md).
const payloadDir = "testdata"

// fakeTB records Errorf calls so that a test can check the emulator fails
// loudly without failing itself; everything else goes to the real test.
type fakeTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *fakeTB) errors() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.errs...)
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newAPI returns a slack-go client pointed at srv.
func newAPI(srv *Server) *slack.Client {
	return slack.New(srv.BotToken,
		slack.OptionAppLevelToken(srv.AppToken),
		slack.OptionAPIURL(srv.APIURL()))
}

// runSocketMode runs slack-go's Socket Mode client against srv and calls
// handle for every event it emits, until the test ends.
func runSocketMode(t *testing.T, srv *Server, handle func(*socketmode.Client, socketmode.Event)) {
	t.Helper()
	client := socketmode.New(newAPI(srv))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { client.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				handle(client, evt)
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// dialRaw connects a plain gorilla client the way our own Socket Mode client
// does: apps.connections.open, then dial the returned URL. It reads the
// hello frame before returning.
func dialRaw(t testing.TB, srv *Server) *websocket.Conn {
	t.Helper()
	ws := dialNoHello(t, srv)
	var hello struct {
		Type string `json:"type"`
	}
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		t.Fatalf("first frame: %v, type %q; want hello", err, hello.Type)
	}
	return ws
}

// dialNoHello is dialRaw without reading the first frame.
func dialNoHello(t testing.TB, srv *Server) *websocket.Conn {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.APIURL()+"apps.connections.open", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.AppToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var open struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
		URL   string `json:"url"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&open); err != nil || !open.OK {
		t.Fatalf("apps.connections.open: %v %q", err, open.Error)
	}
	ws, _, err := websocket.DefaultDialer.Dial(open.URL, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", open.URL, err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// ackAll reads frames from ws and acks every envelope until the
// connection closes.
func ackAll(ws *websocket.Conn) {
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		id, _, err := parseAck(msg) // any frame with an envelope_id
		if err != nil {
			continue
		}
		if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"`+id+`"}`)); err != nil {
			return
		}
	}
}

// sampleEnvelopes returns the envelope samples (not the ack samples) keyed by
// file name.
func sampleEnvelopes(t *testing.T) map[string][]byte {
	t.Helper()
	var files []string
	for _, pattern := range []string{"events_api.*.json", "slash_commands*.json", "interactive.*.json"} {
		m, err := filepath.Glob(filepath.Join(payloadDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	out := make(map[string][]byte)
	for _, f := range files {
		if strings.Contains(filepath.Base(f), "ack") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	if len(out) < 20 {
		t.Fatalf("found only %d payload samples in %s", len(out), payloadDir)
	}
	return out
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(payloadDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
