// chart-render renders a Helm chart as Helm's engine does (Go text/template, sprig, Helm's own functions) and
// decodes every manifest strictly into its Kubernetes API type, so a misspelled or misplaced field fails here
// instead of on a cluster. Helm itself is not packaged by Debian; this is built offline from Debian's Go packages.
//
//	chart-render CHART_DIR [--name RELEASE] [--namespace NS] [-f VALUES.yaml]... [--set k=v]... [--set-json k=JSON]... [--notes]
//
// On success it prints the manifests as `helm template` does (stdout) and exits 0; `--notes` prints the rendered
// NOTES.txt instead. On any error it prints one line per problem, naming the template, the object and the field,
// and exits 1 (2 for bad arguments).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func usage(format string, args ...interface{}) int {
	fmt.Fprintf(os.Stderr, "error: "+format+"\n", args...)
	fmt.Fprintln(os.Stderr, "usage: render.sh CHART_DIR [--name RELEASE] [--namespace NS] [-f VALUES.yaml]... [--set key=value]... [--set-json key=JSON]... [--notes]")
	return 2
}

func run(args []string) int {
	var chartDir string
	release := Release{Name: "release-name", Namespace: "default"}
	type override struct {
		kind, text string
	}
	var overrides []override
	notes := false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		next := func() (string, bool) {
			if i+1 >= len(args) {
				return "", false
			}
			i++
			return args[i], true
		}
		switch arg {
		case "--set", "--set-json", "-f", "--values", "--name", "--namespace":
			value, ok := next()
			if !ok {
				return usage("%s needs a value", arg)
			}
			switch arg {
			case "--name":
				release.Name = value
			case "--namespace":
				release.Namespace = value
			default:
				overrides = append(overrides, override{arg, value})
			}
		case "--notes":
			notes = true
		case "-h", "--help":
			usage("no chart given")
			return 0
		default:
			if strings.HasPrefix(arg, "-") || chartDir != "" {
				return usage("unexpected argument %q", arg)
			}
			chartDir = arg
		}
	}
	if chartDir == "" {
		return usage("no chart directory given")
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "error: "+err.Error())
		return 1
	}
	chart, err := loadChart(chartDir)
	if err != nil {
		return fail(err)
	}
	values, err := readValuesFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return fail(err)
	}
	for _, o := range overrides {
		switch o.kind {
		case "-f", "--values":
			file, err := readValuesFile(o.text)
			if err != nil {
				return fail(err)
			}
			coalesce(values, file)
		default:
			set := map[string]interface{}{}
			if err := applySet(set, o.text, o.kind == "--set-json"); err != nil {
				return usage("%v", err)
			}
			coalesce(values, set)
		}
	}
	rendered, err := render(chart, values, release)
	if err != nil {
		return fail(err)
	}
	notesName := chart.Metadata.Name + "/templates/NOTES.txt"
	if notes {
		fmt.Print(rendered[notesName])
		return 0
	}
	delete(rendered, notesName)
	var order []string
	for name := range rendered {
		order = append(order, name)
	}
	sort.Strings(order)
	manifests, errs := decodeAll(rendered, order)
	if len(errs) == 0 { // a manifest that failed to decode would show up again as a dangling reference
		errs = checkWiring(manifests)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(os.Stderr, "error: "+e.Error())
		}
		fmt.Fprintf(os.Stderr, "%d invalid manifest(s) in %s\n", len(errs), chartDir)
		return 1
	}
	sortForInstall(manifests)
	for _, m := range manifests {
		fmt.Printf("---\n# Source: %s\n%s\n", m.Source, m.Text)
	}
	fmt.Fprintf(os.Stderr, "%d manifests rendered from %s, each decoded strictly into its Kubernetes API type\n", len(manifests), chartDir)
	return 0
}

// checkWiring finds references between the chart's objects that Kubernetes accepts but that cannot work: a
// Service or PodDisruptionBudget selecting no pod of the chart, a Service port aimed at a port no selected pod
// declares, a pod running as a ServiceAccount or a RoleBinding naming a Role the chart does not create.
func checkWiring(manifests []*Manifest) []error {
	type pod struct {
		labels map[string]string
		spec   *corev1.PodSpec
	}
	var pods []pod
	objects := map[string]bool{}
	for _, m := range manifests {
		objects[m.Kind+"/"+m.Name] = true
		switch o := m.Object.(type) {
		case *appsv1.Deployment:
			pods = append(pods, pod{o.Spec.Template.Labels, &o.Spec.Template.Spec})
		case *appsv1.StatefulSet:
			pods = append(pods, pod{o.Spec.Template.Labels, &o.Spec.Template.Spec})
		case *batchv1.Job:
			pods = append(pods, pod{o.Spec.Template.Labels, &o.Spec.Template.Spec})
		case *corev1.Pod:
			pods = append(pods, pod{o.Labels, &o.Spec})
		}
	}
	selected := func(selector labels.Selector) []pod {
		var out []pod
		for _, p := range pods {
			if selector.Matches(labels.Set(p.labels)) {
				out = append(out, p)
			}
		}
		return out
	}
	var errs []error
	for _, m := range manifests {
		switch o := m.Object.(type) {
		case *corev1.Service:
			if len(o.Spec.Selector) == 0 {
				continue
			}
			targets := selected(labels.SelectorFromSet(o.Spec.Selector))
			if len(targets) == 0 {
				errs = append(errs, fmt.Errorf("%s: spec.selector %v selects no pod of the chart", m.describe(), o.Spec.Selector))
				continue
			}
			for i, port := range o.Spec.Ports {
				if port.TargetPort.StrVal == "" {
					continue
				}
				found := false
				for _, t := range targets {
					for _, c := range t.spec.Containers {
						for _, p := range c.Ports {
							found = found || p.Name == port.TargetPort.StrVal
						}
					}
				}
				if !found {
					errs = append(errs, fmt.Errorf("%s: spec.ports[%d].targetPort %q is not a port of the selected pods", m.describe(), i, port.TargetPort.StrVal))
				}
			}
		case *policyv1.PodDisruptionBudget:
			if o.Spec.Selector == nil {
				continue
			}
			selector, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
			if err == nil && len(selected(selector)) == 0 {
				errs = append(errs, fmt.Errorf("%s: spec.selector selects no pod of the chart", m.describe()))
			}
		case *rbacv1.RoleBinding:
			if o.RoleRef.Kind == "Role" && !objects["Role/"+o.RoleRef.Name] {
				errs = append(errs, fmt.Errorf("%s: roleRef.name %q is not a Role of the chart", m.describe(), o.RoleRef.Name))
			}
		}
	}
	for _, m := range manifests {
		var spec *corev1.PodSpec
		switch o := m.Object.(type) {
		case *appsv1.Deployment:
			spec = &o.Spec.Template.Spec
		case *appsv1.StatefulSet:
			spec = &o.Spec.Template.Spec
		case *batchv1.Job:
			spec = &o.Spec.Template.Spec
		case *corev1.Pod:
			spec = &o.Spec
		}
		if spec != nil && spec.ServiceAccountName != "" && !objects["ServiceAccount/"+spec.ServiceAccountName] {
			errs = append(errs, fmt.Errorf("%s: serviceAccountName %q is not a ServiceAccount of the chart", m.describe(), spec.ServiceAccountName))
		}
	}
	return errs
}

// Helm's install order (releaseutil.InstallOrder) for the kinds a chart like this uses; hooks come last.
var installOrder = []string{"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodDisruptionBudget", "ServiceAccount",
	"Secret", "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleBinding", "Role", "RoleBinding", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService"}

func sortForInstall(manifests []*Manifest) {
	rank := func(m *Manifest) int {
		base := 0
		if m.Hook {
			base = 1000
		}
		for i, kind := range installOrder {
			if kind == m.Kind {
				return base + i
			}
		}
		return base + len(installOrder)
	}
	sort.SliceStable(manifests, func(i, j int) bool { return rank(manifests[i]) < rank(manifests[j]) })
}

func sortedCopy(items []string) []string {
	out := append([]string(nil), items...)
	sort.Strings(out)
	return out
}
