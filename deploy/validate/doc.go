// Package validate holds the tests that check deploy/: every Kubernetes
// manifest decodes strictly into the Kubernetes API types (and the Prometheus
// Operator's for ServiceMonitor and PrometheusRule), the compose file loads
// with the compose-spec loader, the PrometheusRule carries exactly the rules
// of prometheus/alerts.yaml, and the Grafana dashboard and the alerts only
// use metrics closeknit exports.
//
// It is a module of its own so that k8s.io/api, the operator's types and
// compose-go, which only these tests need, stay out of the app's go.mod and
// its binary. Run it from this directory: go test ./...
package validate
