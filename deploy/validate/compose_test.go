package validate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
)

// loadCompose does what an operator does: copy .env.example to .env, then
// load compose.yaml with the compose-spec loader (schema-validated, so an
// unknown key or a wrong type fails) under the given profile.
func loadCompose(t *testing.T, profile string) *types.Project {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("..")); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join(dir, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), example, 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir), cli.WithEnvFiles(filepath.Join(dir, ".env")), cli.WithDotEnv, cli.WithProfiles([]string{profile}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml (profile %s): %v", profile, err)
	}
	return p
}

func TestComposeProfiles(t *testing.T) {
	t.Parallel()
	for profile, want := range map[string][]string{
		"slack":   {"closeknit", "grafana", "prometheus", "redis"},
		"sandbox": {"closeknit-sandbox", "grafana", "prometheus", "redis"},
	} {
		p := loadCompose(t, profile)
		if diff := cmp.Diff(want, p.ServiceNames()); diff != "" {
			t.Errorf("profile %s services (-want +got):\n%s", profile, diff)
		}
		if p.Name != "closeknit" {
			t.Errorf("project name %q", p.Name)
		}
	}
}

func TestComposeServices(t *testing.T) {
	t.Parallel()
	p := loadCompose(t, "slack")
	app, err := p.GetService("closeknit")
	if err != nil {
		t.Fatal(err)
	}
	if !app.ReadOnly || !slices.Equal(app.CapDrop, []string{"ALL"}) || !slices.Contains(app.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("closeknit: read_only %v cap_drop %v security_opt %v", app.ReadOnly, app.CapDrop, app.SecurityOpt)
	}
	if app.Build == nil || app.Build.Dockerfile != "deploy/Dockerfile" {
		t.Errorf("closeknit builds from %+v", app.Build)
	}
	if _, err := os.Stat(filepath.Join("..", "..", "deploy", "Dockerfile")); err != nil {
		t.Error(err)
	}
	env := app.Environment
	for k, want := range map[string]string{"REDIS_URL": "redis://redis:6379/0", "HTTP_ADDR": ":9090", "SLACK_APP_TOKEN": "xapp-REPLACE-ME"} {
		if v := env[k]; v == nil || *v != want {
			t.Errorf("closeknit env %s = %v, want %q", k, v, want)
		}
	}
	if d, ok := app.DependsOn["redis"]; !ok || d.Condition != types.ServiceConditionHealthy {
		t.Errorf("closeknit should wait for a healthy redis: %+v", app.DependsOn)
	}

	redis, _ := p.GetService("redis")
	cmd := strings.Join(redis.Command, " ")
	if !strings.Contains(cmd, "--appendonly yes") {
		t.Errorf("redis command %q: want AOF persistence", cmd)
	}
	if !mountsAt(redis, "/data") || redis.HealthCheck == nil {
		t.Error("redis: want a volume at /data and a healthcheck")
	}
	prom, _ := p.GetService("prometheus")
	if !mountsAt(prom, "/etc/prometheus/alerts.yaml") || !mountsAt(prom, "/etc/prometheus/prometheus.yml") {
		t.Error("prometheus: want prometheus.yml and alerts.yaml mounted")
	}
	graf, _ := p.GetService("grafana")
	if !mountsAt(graf, "/etc/grafana/provisioning") || !mountsAt(graf, "/var/lib/grafana/dashboards") {
		t.Error("grafana: want provisioning and dashboards mounted")
	}
	// Every bind mount's source exists in the repository.
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				rel, _ := filepath.Rel(p.WorkingDir, v.Source)
				if _, err := os.Stat(filepath.Join("..", rel)); err != nil {
					t.Errorf("%s mounts %s, which does not exist", s.Name, rel)
				}
			}
		}
	}
}

// The sandbox answers to the same name on the network, so prometheus.yml's
// one scrape target serves both profiles.
func TestComposeSandboxIsScrapedAsCloseknit(t *testing.T) {
	t.Parallel()
	p := loadCompose(t, "sandbox")
	sb, err := p.GetService("closeknit-sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if n := sb.Networks["default"]; n == nil || !slices.Contains(n.Aliases, "closeknit") {
		t.Errorf("closeknit-sandbox networks %+v: want alias closeknit", sb.Networks)
	}
	if !slices.Contains(sb.Command, "--keep-running") || !slices.Contains(sb.Command, ":9090") {
		t.Errorf("closeknit-sandbox command %v", sb.Command)
	}
	b, err := os.ReadFile("../prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"closeknit:9090"`) {
		t.Error("prometheus.yml does not scrape closeknit:9090")
	}
}

func mountsAt(s types.ServiceConfig, target string) bool {
	for _, v := range s.Volumes {
		if v.Target == target {
			return true
		}
	}
	return false
}
