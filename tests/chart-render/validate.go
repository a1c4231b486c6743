package main

import (
	"fmt"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Manifest is one rendered YAML document and where it came from.
type Manifest struct {
	Source string // template name, e.g. orchestrator/templates/workers.yaml
	Text   string
	Kind   string
	Name   string
	Object interface{} // the typed k8s.io/api object, or map[string]interface{} for CRDs
	Hook   bool
}

func (m *Manifest) describe() string { return fmt.Sprintf("%s: %s %q", m.Source, m.Kind, m.Name) }

// kinds maps apiVersion/kind to a constructor of its k8s.io/api type; kinds not here are refused, except the
// custom resources in customKinds, which are checked as unstructured objects.
var kinds = map[string]func() interface{}{
	"apps/v1/Deployment":                       func() interface{} { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet":                      func() interface{} { return &appsv1.StatefulSet{} },
	"v1/Service":                               func() interface{} { return &corev1.Service{} },
	"v1/ConfigMap":                             func() interface{} { return &corev1.ConfigMap{} },
	"v1/Secret":                                func() interface{} { return &corev1.Secret{} },
	"v1/PersistentVolumeClaim":                 func() interface{} { return &corev1.PersistentVolumeClaim{} },
	"v1/ServiceAccount":                        func() interface{} { return &corev1.ServiceAccount{} },
	"v1/Pod":                                   func() interface{} { return &corev1.Pod{} },
	"policy/v1/PodDisruptionBudget":            func() interface{} { return &policyv1.PodDisruptionBudget{} },
	"rbac.authorization.k8s.io/v1/Role":        func() interface{} { return &rbacv1.Role{} },
	"rbac.authorization.k8s.io/v1/RoleBinding": func() interface{} { return &rbacv1.RoleBinding{} },
	"batch/v1/Job":                             func() interface{} { return &batchv1.Job{} },
}

var customKinds = map[string]bool{"monitoring.coreos.com/v1/ServiceMonitor": true, "monitoring.coreos.com/v1/PodMonitor": true}

// Helm's own manifest separator (releaseutil.SplitManifests).
var separator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// decodeAll splits each rendered template into documents and decodes every one strictly into its API type.
// Errors name the template, the object and the field.
func decodeAll(rendered map[string]string, order []string) ([]*Manifest, []error) {
	var manifests []*Manifest
	var errs []error
	for _, source := range order {
		for _, text := range separator.Split(rendered[source], -1) {
			if strings.TrimSpace(text) == "" {
				continue
			}
			m, err := decode(source, text)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if m != nil {
				manifests = append(manifests, m)
			}
		}
	}
	return manifests, errs
}

func decode(source, text string) (*Manifest, error) {
	m := &Manifest{Source: source, Text: strings.TrimSpace(text)}
	data, err := yaml.YAMLToJSONStrict([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %v\n%s", source, err, numbered(text))
	}
	if string(data) == "null" {
		return nil, nil // comments only
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name        string            `json:"name"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not a Kubernetes object: %v", source, err)
	}
	m.Kind, m.Name = head.Kind, head.Metadata.Name
	_, m.Hook = head.Metadata.Annotations["helm.sh/hook"]
	gvk := head.APIVersion + "/" + head.Kind
	if newObject, ok := kinds[gvk]; ok {
		m.Object = newObject()
	} else if customKinds[gvk] {
		m.Object = &map[string]interface{}{}
	} else {
		return nil, fmt.Errorf("%s: apiVersion %q kind %q is not a type this checker knows (known: %s)", m.describe(), head.APIVersion, head.Kind, knownKinds())
	}
	strict, err := kjson.UnmarshalStrict(data, m.Object, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", m.describe(), err)
	}
	if len(strict) > 0 {
		var fields []string
		for _, e := range strict {
			fields = append(fields, e.Error())
		}
		return nil, fmt.Errorf("%s: %s", m.describe(), strings.Join(fields, "; "))
	}
	if customKinds[gvk] {
		if err := checkUnstructured(m); err != nil {
			return nil, err
		}
	}
	if problems := checkObject(m); len(problems) > 0 {
		var lines []string
		for _, p := range problems {
			lines = append(lines, p.Error())
		}
		return nil, fmt.Errorf("%s: %s", m.describe(), strings.Join(lines, "; "))
	}
	return m, nil
}

// checkUnstructured decodes a custom resource's metadata strictly and requires an object spec.
func checkUnstructured(m *Manifest) error {
	object := *m.Object.(*map[string]interface{})
	for key := range object {
		if key != "apiVersion" && key != "kind" && key != "metadata" && key != "spec" {
			return fmt.Errorf("%s: unknown field %q", m.describe(), key)
		}
	}
	raw, _ := yaml.Marshal(object["metadata"])
	data, _ := yaml.YAMLToJSON(raw)
	var meta metav1.ObjectMeta
	if strict, err := kjson.UnmarshalStrict(data, &meta, kjson.DisallowUnknownFields); err != nil || len(strict) > 0 {
		return fmt.Errorf("%s: metadata: %v%v", m.describe(), err, strict)
	}
	if _, ok := object["spec"].(map[string]interface{}); !ok {
		return fmt.Errorf("%s: spec must be an object", m.describe())
	}
	return nil
}

// checkObject applies the API server's rules that a type alone does not carry: valid names and labels, workload
// selectors that match their own pod template, mounts of declared volumes, limits not below requests.
func checkObject(m *Manifest) field.ErrorList {
	var errs field.ErrorList
	meta := objectMeta(m.Object)
	if meta != nil {
		errs = append(errs, checkName(m.Kind, meta.Name)...)
		errs = append(errs, metavalidation.ValidateLabels(meta.Labels, field.NewPath("metadata", "labels"))...)
	}
	switch o := m.Object.(type) {
	case *appsv1.Deployment:
		errs = append(errs, checkSelector(o.Spec.Selector, o.Spec.Template.Labels, field.NewPath("spec", "selector"))...)
		errs = append(errs, checkPodSpec(&o.Spec.Template.Spec, field.NewPath("spec", "template", "spec"))...)
	case *appsv1.StatefulSet:
		errs = append(errs, checkSelector(o.Spec.Selector, o.Spec.Template.Labels, field.NewPath("spec", "selector"))...)
		errs = append(errs, checkPodSpec(&o.Spec.Template.Spec, field.NewPath("spec", "template", "spec"))...)
	case *batchv1.Job:
		if o.Spec.Selector != nil {
			errs = append(errs, checkSelector(o.Spec.Selector, o.Spec.Template.Labels, field.NewPath("spec", "selector"))...)
		}
		errs = append(errs, checkPodSpec(&o.Spec.Template.Spec, field.NewPath("spec", "template", "spec"))...)
		if p := o.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever && p != corev1.RestartPolicyOnFailure {
			errs = append(errs, field.NotSupported(field.NewPath("spec", "template", "spec", "restartPolicy"), p, []string{"Never", "OnFailure"}))
		}
	case *corev1.Pod:
		errs = append(errs, checkPodSpec(&o.Spec, field.NewPath("spec"))...)
	case *policyv1.PodDisruptionBudget:
		if (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
			errs = append(errs, field.Invalid(field.NewPath("spec"), "", "exactly one of minAvailable and maxUnavailable must be set"))
		}
		if o.Spec.Selector == nil {
			errs = append(errs, field.Required(field.NewPath("spec", "selector"), ""))
		}
	case *corev1.Service:
		for i, port := range o.Spec.Ports {
			if port.Name != "" {
				for _, msg := range validation.IsValidPortName(port.Name) {
					errs = append(errs, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("name"), port.Name, msg))
				}
			}
		}
	}
	return errs
}

func objectMeta(object interface{}) *metav1.ObjectMeta {
	if accessor, ok := object.(interface{ GetObjectMeta() metav1.Object }); ok {
		if meta, ok := accessor.GetObjectMeta().(*metav1.ObjectMeta); ok {
			return meta
		}
	}
	return nil
}

func checkName(kind, name string) field.ErrorList {
	path := field.NewPath("metadata", "name")
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	var msgs []string
	if kind == "Service" {
		msgs = validation.IsDNS1035Label(name)
	} else {
		msgs = validation.IsDNS1123Subdomain(name)
	}
	var errs field.ErrorList
	for _, msg := range msgs {
		errs = append(errs, field.Invalid(path, name, msg))
	}
	return errs
}

func checkSelector(selector *metav1.LabelSelector, podLabels map[string]string, path *field.Path) field.ErrorList {
	if selector == nil {
		return field.ErrorList{field.Required(path, "")}
	}
	parsed, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return field.ErrorList{field.Invalid(path, selector, err.Error())}
	}
	if parsed.Empty() || !parsed.Matches(labels.Set(podLabels)) {
		return field.ErrorList{field.Invalid(path, selector.MatchLabels, "`selector` does not match template `labels`")}
	}
	return nil
}

func checkPodSpec(spec *corev1.PodSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	volumes := map[string]bool{}
	for i, v := range spec.Volumes {
		if volumes[v.Name] {
			errs = append(errs, field.Duplicate(path.Child("volumes").Index(i).Child("name"), v.Name))
		}
		volumes[v.Name] = true
	}
	if len(spec.Containers) == 0 {
		errs = append(errs, field.Required(path.Child("containers"), ""))
	}
	check := func(containers []corev1.Container, list string) {
		for i, c := range containers {
			at := path.Child(list).Index(i)
			for _, msg := range validation.IsDNS1123Label(c.Name) {
				errs = append(errs, field.Invalid(at.Child("name"), c.Name, msg))
			}
			if c.Image == "" {
				errs = append(errs, field.Required(at.Child("image"), ""))
			}
			for j, p := range c.Ports {
				if p.Name != "" {
					for _, msg := range validation.IsValidPortName(p.Name) {
						errs = append(errs, field.Invalid(at.Child("ports").Index(j).Child("name"), p.Name, msg))
					}
				}
				for _, msg := range validation.IsValidPortNum(int(p.ContainerPort)) {
					errs = append(errs, field.Invalid(at.Child("ports").Index(j).Child("containerPort"), p.ContainerPort, msg))
				}
			}
			for j, mount := range c.VolumeMounts {
				if !volumes[mount.Name] {
					errs = append(errs, field.NotFound(at.Child("volumeMounts").Index(j).Child("name"), mount.Name))
				}
			}
			for resource, limit := range c.Resources.Limits {
				if request, ok := c.Resources.Requests[resource]; ok && request.Cmp(limit) > 0 {
					errs = append(errs, field.Invalid(at.Child("resources", "requests").Key(string(resource)), request.String(), "must be less than or equal to "+string(resource)+" limit "+limit.String()))
				}
			}
			for j, env := range c.Env {
				if env.Value != "" && env.ValueFrom != nil {
					errs = append(errs, field.Invalid(at.Child("env").Index(j).Child("valueFrom"), "", "may not be specified when `value` is not empty"))
				}
			}
		}
	}
	check(spec.InitContainers, "initContainers")
	check(spec.Containers, "containers")
	return errs
}

func knownKinds() string {
	var names []string
	for gvk := range kinds {
		names = append(names, gvk)
	}
	for gvk := range customKinds {
		names = append(names, gvk)
	}
	return strings.Join(sortedCopy(names), ", ")
}

func numbered(text string) string {
	var out strings.Builder
	for i, line := range strings.Split(text, "\n") {
		fmt.Fprintf(&out, "%4d | %s\n", i+1, line)
	}
	return out.String()
}
