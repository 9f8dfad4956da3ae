package validate

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite kubernetes/prometheusrule.yaml from prometheus/alerts.yaml")

const k8sDir = "../kubernetes"

// kustomization is the part of kustomize's Kustomization these manifests
// use; strict decoding rejects anything else, so a typo fails here.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// manifests decodes every YAML file in deploy/kubernetes strictly into the
// API type its kind names. Unknown fields, wrong types and unknown kinds fail.
type manifests struct {
	kustomization  kustomization
	namespace      corev1.Namespace
	serviceAccount corev1.ServiceAccount
	configMap      corev1.ConfigMap
	secret         corev1.Secret
	deployment     appsv1.Deployment
	service        corev1.Service
	pdb            policyv1.PodDisruptionBudget
	networkPolicy  networkingv1.NetworkPolicy
	serviceMonitor monitoringv1.ServiceMonitor
	prometheusRule monitoringv1.PrometheusRule
	files          map[string]string // file -> kind
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{files: map[string]string{}}
	paths, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests in %s: %v", k8sDir, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("\n---")) {
			t.Errorf("%s: one object per file, please", p)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(b, &tm); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		targets := map[string]any{
			"kustomize.config.k8s.io/v1beta1/Kustomization": &m.kustomization,
			"v1/Namespace":                            &m.namespace,
			"v1/ServiceAccount":                       &m.serviceAccount,
			"v1/ConfigMap":                            &m.configMap,
			"v1/Secret":                               &m.secret,
			"apps/v1/Deployment":                      &m.deployment,
			"v1/Service":                              &m.service,
			"policy/v1/PodDisruptionBudget":           &m.pdb,
			"networking.k8s.io/v1/NetworkPolicy":      &m.networkPolicy,
			"monitoring.coreos.com/v1/ServiceMonitor": &m.serviceMonitor,
			"monitoring.coreos.com/v1/PrometheusRule": &m.prometheusRule,
		}
		key := tm.APIVersion + "/" + tm.Kind
		into, ok := targets[key]
		if !ok {
			t.Errorf("%s: unexpected kind %s", p, key)
			continue
		}
		if err := yaml.UnmarshalStrict(b, into); err != nil {
			t.Errorf("%s (%s): %v", p, key, err)
		}
		m.files[filepath.Base(p)] = tm.Kind
	}
	return m
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	var want []string
	for f := range m.files {
		// The Secret example stays out: applying it would overwrite real tokens.
		if f != "kustomization.yaml" && f != "secret.example.yaml" {
			want = append(want, f)
		}
	}
	slices.Sort(want)
	got := slices.Sorted(slices.Values(m.kustomization.Resources))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kustomization resources (-files +listed):\n%s", diff)
	}
	if m.kustomization.Namespace != m.namespace.Name {
		t.Errorf("kustomization namespace %q, Namespace object %q", m.kustomization.Namespace, m.namespace.Name)
	}
	if m.namespace.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Error("the namespace should enforce the restricted Pod Security Standard")
	}
}

func TestDeployment(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	d := m.deployment
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("selector %v does not match the pod template's labels %v", d.Spec.Selector, d.Spec.Template.Labels)
	}
	pod := d.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
		pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser == 0 {
		t.Error("pod must run as a non-root numeric user")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the app never calls the Kubernetes API: do not mount a service account token")
	}
	if pod.ServiceAccountName != m.serviceAccount.Name {
		t.Errorf("serviceAccountName %q, ServiceAccount %q", pod.ServiceAccountName, m.serviceAccount.Name)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container security context %+v: want no privilege escalation, read-only root, drop ALL", sc)
	}
	for name, p := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != name || p.HTTPGet.Port.String() != "metrics" {
			t.Errorf("probe %s: %+v", name, p)
		}
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("no %s request", r)
		}
		if _, ok := c.Resources.Limits[r]; !ok {
			t.Errorf("no %s limit", r)
		}
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
		if strings.HasPrefix(e.Name, "SLACK_") && strings.HasSuffix(e.Name, "_TOKEN") {
			t.Errorf("%s as an environment variable: mount tokens as files (%s_FILE)", e.Name, e.Name)
		}
	}
	for _, k := range []string{"SLACK_APP_TOKEN_FILE", "SLACK_BOT_TOKEN_FILE", "REDIS_URL", "CLOSEKNIT_CONFIG", "HTTP_ADDR"} {
		if _, ok := env[k]; !ok {
			t.Errorf("env %s not set", k)
		}
	}
	if r := env["REDIS_URL"].ValueFrom; r == nil || r.SecretKeyRef == nil || r.SecretKeyRef.Name != m.secret.Name {
		t.Error("REDIS_URL should come from the closeknit Secret (it may hold a password)")
	} else if _, ok := m.secret.StringData[r.SecretKeyRef.Key]; !ok {
		t.Errorf("REDIS_URL refers to key %q the example Secret lacks", r.SecretKeyRef.Key)
	}
	// Volumes: the token files come from the Secret's keys, the config
	// file from the ConfigMap's key, at the paths the env names.
	mounts := map[string]string{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm.MountPath
		if !vm.ReadOnly {
			t.Errorf("volume %s mounted writable", vm.Name)
		}
	}
	files := map[string]bool{}
	for _, v := range pod.Volumes {
		switch {
		case v.Secret != nil:
			if v.Secret.SecretName != m.secret.Name {
				t.Errorf("volume %s: secret %q, want %q", v.Name, v.Secret.SecretName, m.secret.Name)
			}
			for _, it := range v.Secret.Items {
				if _, ok := m.secret.StringData[it.Key]; !ok {
					t.Errorf("volume %s: key %q not in the example Secret", v.Name, it.Key)
				}
				files[filepath.Join(mounts[v.Name], it.Path)] = true
			}
		case v.ConfigMap != nil:
			if v.ConfigMap.Name != m.configMap.Name {
				t.Errorf("volume %s: configmap %q, want %q", v.Name, v.ConfigMap.Name, m.configMap.Name)
			}
			for k := range m.configMap.Data {
				files[filepath.Join(mounts[v.Name], k)] = true
			}
		}
	}
	for _, k := range []string{"SLACK_APP_TOKEN_FILE", "SLACK_BOT_TOKEN_FILE", "CLOSEKNIT_CONFIG"} {
		if !files[env[k].Value] {
			t.Errorf("%s=%s: no volume provides that file (have %v)", k, env[k].Value, files)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "metrics" || env["HTTP_ADDR"].Value != fmt.Sprintf(":%d", c.Ports[0].ContainerPort) {
		t.Errorf("ports %+v and HTTP_ADDR %q disagree", c.Ports, env["HTTP_ADDR"].Value)
	}
}

func TestServicePDBAndMonitorSelectThePods(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	podLabels := labels.Set(m.deployment.Spec.Template.Labels)
	if !labels.SelectorFromSet(m.service.Spec.Selector).Matches(podLabels) {
		t.Error("Service selector does not match the pods")
	}
	if len(m.service.Spec.Ports) != 1 || m.service.Spec.Ports[0].TargetPort.String() != "metrics" {
		t.Errorf("Service ports %+v: want the container's metrics port", m.service.Spec.Ports)
	}
	if sel, err := metav1.LabelSelectorAsSelector(m.pdb.Spec.Selector); err != nil || !sel.Matches(podLabels) {
		t.Error("PodDisruptionBudget selector does not match the pods")
	}
	if m.pdb.Spec.MinAvailable == nil || m.pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Errorf("PDB minAvailable %v, want 1 (of 2 replicas)", m.pdb.Spec.MinAvailable)
	}
	sm := m.serviceMonitor.Spec
	if sel, err := metav1.LabelSelectorAsSelector(&sm.Selector); err != nil || !sel.Matches(labels.Set(m.service.Labels)) {
		t.Error("ServiceMonitor selector does not match the Service")
	}
	if len(sm.Endpoints) != 1 || sm.Endpoints[0].Port != m.service.Spec.Ports[0].Name {
		t.Errorf("ServiceMonitor endpoints %+v: want the Service's %q port", sm.Endpoints, m.service.Spec.Ports[0].Name)
	}
	// The alerts select job="closeknit": the job label comes from the
	// Service's label named by jobLabel.
	if got := m.service.Labels[sm.JobLabel]; got != "closeknit" {
		t.Errorf("job label would be %q, the alerts expect closeknit", got)
	}
}

func TestNetworkPolicyEgress(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	np := m.networkPolicy.Spec
	if sel, err := metav1.LabelSelectorAsSelector(&np.PodSelector); err != nil || !sel.Matches(labels.Set(m.deployment.Spec.Template.Labels)) {
		t.Error("NetworkPolicy does not select the pods")
	}
	if !slices.Contains(np.PolicyTypes, networkingv1.PolicyTypeEgress) || !slices.Contains(np.PolicyTypes, networkingv1.PolicyTypeIngress) {
		t.Errorf("policyTypes %v: want Ingress and Egress", np.PolicyTypes)
	}
	var ports []string
	for _, r := range np.Egress {
		if len(r.To) == 0 {
			t.Error("an egress rule without a destination allows everywhere")
		}
		for _, p := range r.Ports {
			ports = append(ports, fmt.Sprintf("%s/%s", *p.Protocol, p.Port.String()))
		}
	}
	slices.Sort(ports)
	want := []string{"TCP/26379", "TCP/443", "TCP/53", "TCP/6379", "UDP/53"}
	if diff := cmp.Diff(want, ports); diff != "" {
		t.Errorf("egress ports (-want +got):\n%s", diff)
	}
}

func TestConfigMapHoldsACommunityFile(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	// cmd/closeknit's TestDeployCommunityFilesLoad loads it with serve's own
	// loader; here only that it is there and names a community.
	var f struct {
		Communities []struct {
			ID      string `json:"id"`
			Channel string `json:"channel"`
		} `json:"communities"`
	}
	if err := yaml.Unmarshal([]byte(m.configMap.Data["communities.yaml"]), &f); err != nil || len(f.Communities) == 0 ||
		f.Communities[0].ID == "" || f.Communities[0].Channel == "" {
		t.Fatalf("communities.yaml: %v %+v", err, f)
	}
}

func TestSecretExampleHoldsNoRealToken(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	for k, v := range m.secret.StringData {
		if strings.HasPrefix(v, "xapp-") || strings.HasPrefix(v, "xoxb-") {
			if !strings.HasSuffix(v, "REPLACE-ME") {
				t.Errorf("secret.example.yaml %s looks like a real token", k)
			}
		}
	}
	if len(m.secret.Data) != 0 {
		t.Error("secret.example.yaml: use stringData placeholders, not data")
	}
}

// TestPrometheusRuleMatchesAlerts keeps the operator's PrometheusRule and
// the plain rule file compose loads identical; -update regenerates it.
func TestPrometheusRuleMatchesAlerts(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(b, &spec); err != nil {
		t.Fatalf("alerts.yaml does not decode as PrometheusRule groups: %v", err)
	}
	path := filepath.Join(k8sDir, "prometheusrule.yaml")
	if *update {
		out, err := yaml.Marshal(map[string]any{"groups": spec.Groups})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.WriteString("# Generated from deploy/prometheus/alerts.yaml by\n#   cd deploy/validate && go test -run TestPrometheusRuleMatchesAlerts -update\n# Do not edit: edit alerts.yaml (a test fails while the two differ).\n")
		buf.WriteString("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: closeknit\n  labels:\n    app.kubernetes.io/name: closeknit\n    release: prometheus # the label kube-prometheus-stack selects by default; adjust to yours\nspec:\n")
		for _, line := range strings.SplitAfter(string(out), "\n") {
			if line != "" {
				buf.WriteString("  " + line)
			}
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := loadManifests(t)
	if len(spec.Groups) == 0 {
		t.Fatal("alerts.yaml has no groups")
	}
	if diff := cmp.Diff(spec, m.prometheusRule.Spec); diff != "" {
		t.Errorf("%s differs from alerts.yaml; run go test -update here (-alerts.yaml +PrometheusRule):\n%s", path, diff)
	}
}
