package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

// Chart is what a chart's templates see: its Chart.yaml (as .Chart), its files, values and templates.
type Chart struct {
	Dir       string
	Metadata  ChartMetadata
	Files     Files
	Templates map[string]string // "CHART/templates/x.yaml" -> source, as Helm names them
}

// ChartMetadata holds the Chart.yaml fields templates read, under the names Helm gives them (.Chart.Name ...).
type ChartMetadata struct {
	APIVersion  string            `json:"apiVersion"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	AppVersion  string            `json:"appVersion"`
	Description string            `json:"description"`
	Type        string            `json:"type"`
	KubeVersion string            `json:"kubeVersion"`
	Home        string            `json:"home"`
	Icon        string            `json:"icon"`
	Deprecated  bool              `json:"deprecated"`
	Keywords    []string          `json:"keywords"`
	Sources     []string          `json:"sources"`
	Annotations map[string]string `json:"annotations"`
}

// Files is .Files: every chart file outside templates/ and the chart's own metadata, with Helm's accessors.
type Files map[string][]byte

func (f Files) GetBytes(name string) []byte { return f[name] }
func (f Files) Get(name string) string      { return string(f[name]) }

// Glob keeps the files matching a path.Match pattern.
func (f Files) Glob(pattern string) Files {
	out := Files{}
	for name, data := range f {
		if ok, _ := path.Match(pattern, name); ok {
			out[name] = data
		}
	}
	return out
}

func (f Files) Lines(name string) []string {
	text := strings.TrimSuffix(f.Get(name), "\n")
	if text == "" {
		return []string{}
	}
	return strings.Split(text, "\n")
}

// AsConfig renders the files as the data of a ConfigMap (base name -> content).
func (f Files) AsConfig() string {
	data := map[string]string{}
	for name, content := range f {
		data[path.Base(name)] = string(content)
	}
	return toYAML(data)
}

// AsSecrets renders the files as the data of a Secret (base name -> base64 content).
func (f Files) AsSecrets() string {
	data := map[string]string{}
	for name, content := range f {
		data[path.Base(name)] = base64.StdEncoding.EncodeToString(content)
	}
	return toYAML(data)
}

// VersionSet is .Capabilities.APIVersions.
type VersionSet []string

func (v VersionSet) Has(apiVersion string) bool {
	for _, have := range v {
		if have == apiVersion {
			return true
		}
	}
	return false
}

// Capabilities is what Helm reports for a cluster it has not asked: its default Kubernetes version and API groups.
type Capabilities struct {
	KubeVersion struct{ Version, Major, Minor, GitVersion string }
	APIVersions VersionSet
	HelmVersion struct{ Version, GitCommit, GoVersion string }
}

func defaultCapabilities() Capabilities {
	var c Capabilities
	c.KubeVersion.Version, c.KubeVersion.Major, c.KubeVersion.Minor, c.KubeVersion.GitVersion = "v1.30.0", "1", "30", "v1.30.0"
	c.HelmVersion.Version = "v3.15.0"
	c.APIVersions = VersionSet{"v1", "apps/v1", "batch/v1", "policy/v1", "rbac.authorization.k8s.io/v1", "networking.k8s.io/v1",
		"autoscaling/v2", "storage.k8s.io/v1", "apiextensions.k8s.io/v1", "apps/v1/Deployment", "apps/v1/StatefulSet",
		"v1/Service", "v1/ConfigMap", "v1/Secret", "v1/Pod", "batch/v1/Job", "policy/v1/PodDisruptionBudget"}
	return c
}

// loadChart reads Chart.yaml, the templates and the other files of the chart in dir.
func loadChart(dir string) (*Chart, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a chart: %v", dir, err)
	}
	chart := &Chart{Dir: dir, Files: Files{}, Templates: map[string]string{}}
	if err := yaml.UnmarshalStrict(raw, &chart.Metadata); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, "Chart.yaml"), err)
	}
	if chart.Metadata.APIVersion != "v2" || chart.Metadata.Name == "" || chart.Metadata.Version == "" {
		return nil, fmt.Errorf("%s: apiVersion v2, name and version are required", filepath.Join(dir, "Chart.yaml"))
	}
	err = filepath.Walk(dir, func(file string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, file)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(rel, "templates/"):
			chart.Templates[chart.Metadata.Name+"/"+rel] = string(data)
		case strings.HasPrefix(rel, "charts/"):
			return fmt.Errorf("%s: subcharts are not supported by this renderer", rel)
		case rel == "Chart.yaml" || rel == "values.yaml" || rel == "values.schema.json" || rel == "Chart.lock" || rel == ".helmignore":
		default:
			chart.Files[rel] = data
		}
		return nil
	})
	return chart, err
}

// Release is .Release as `helm install NAME --namespace NS` sets it.
type Release struct {
	Name, Namespace string
}

// render executes every template as Helm's engine does and returns each non-partial template's output by name.
// Templates are parsed into one set (so `define`s in `_*.tpl` reach every file), missing keys render as empty,
// and `include`, `tpl`, `required`, `lookup` and the YAML/JSON helpers are Helm's.
func render(chart *Chart, values map[string]interface{}, release Release) (map[string]string, error) {
	top := map[string]interface{}{
		"Values":       values,
		"Chart":        chart.Metadata,
		"Files":        chart.Files,
		"Capabilities": defaultCapabilities(),
		"Release": map[string]interface{}{
			"Name": release.Name, "Namespace": release.Namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
	}
	root := template.New("gotpl").Option("missingkey=zero")
	depth := map[string]int{}
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env") // Helm removes these so a render never depends on the machine it runs on
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["mustToYaml"] = func(v interface{}) (string, error) {
		out, err := yaml.Marshal(v)
		return strings.TrimSuffix(string(out), "\n"), err
	}
	funcs["fromYaml"] = func(text string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(text), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["fromYamlArray"] = func(text string) []interface{} {
		var a []interface{}
		if err := yaml.Unmarshal([]byte(text), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	funcs["toJson"] = func(v interface{}) string { out, _ := json.Marshal(v); return string(out) }
	funcs["mustToJson"] = func(v interface{}) (string, error) { out, err := json.Marshal(v); return string(out), err }
	funcs["fromJson"] = func(text string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["fromJsonArray"] = func(text string) []interface{} {
		var a []interface{}
		if err := json.Unmarshal([]byte(text), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	funcs["required"] = func(message string, value interface{}) (interface{}, error) {
		if value == nil {
			return nil, errors.New(message)
		}
		if s, ok := value.(string); ok && s == "" {
			return nil, errors.New(message)
		}
		return value, nil
	}
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil // as `helm template`: no cluster to ask
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if depth[name] > 1000 {
			return "", fmt.Errorf("include %q: nested too deeply (recursive template?)", name)
		}
		depth[name]++
		defer func() { depth[name]-- }()
		var out strings.Builder
		err := root.ExecuteTemplate(&out, name, data)
		return out.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := root.Clone()
		if err != nil {
			return "", err
		}
		parsed, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("tpl: %v", err)
		}
		var out strings.Builder
		if err := parsed.Execute(&out, data); err != nil {
			return "", fmt.Errorf("tpl: %v", err)
		}
		return strings.ReplaceAll(out.String(), "<no value>", ""), nil
	}
	root.Funcs(funcs)

	names := make([]string, 0, len(chart.Templates))
	for name := range chart.Templates {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := root.New(name).Parse(chart.Templates[name]); err != nil {
			return nil, err
		}
	}
	rendered := map[string]string{}
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		top["Template"] = map[string]interface{}{"Name": name, "BasePath": chart.Metadata.Name + "/templates"}
		var out strings.Builder
		if err := root.ExecuteTemplate(&out, name, top); err != nil {
			return nil, err
		}
		rendered[name] = strings.ReplaceAll(out.String(), "<no value>", "")
	}
	return rendered, nil
}

func toYAML(v interface{}) string {
	out, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}
