package slackapp

import "errors"

// DecodeForBench exposes the hot-path decoding to the external benchmarks.
func DecodeForBench(frame []byte) error {
	env, err := parseEnvelope(frame)
	if err != nil {
		return err
	}
	if ev := parseEvent(env.Payload); ev.EventID == "" || ev.User == "" {
		return errors.New("decode: missing fields")
	}
	return nil
}
