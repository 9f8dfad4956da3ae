//go:build tools

package main

import (
	_ "github.com/alicebob/miniredis/v2"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/gorilla/websocket"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/slack-go/slack"
	_ "github.com/tidwall/gjson"
	_ "go.yaml.in/yaml/v3"
)
