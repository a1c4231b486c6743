{{/* Names and labels shared by every object of the chart. */}}

{{/* The chart's name, or nameOverride. */}}
{{- define "orchestrator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's base name for its objects: fullnameOverride, else the release name when it already contains the chart
name, else RELEASE-orchestrator. Each object appends its component (63 characters at most, DNS limits).
*/}}
{{- define "orchestrator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "orchestrator.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* CHART-VERSION for the helm.sh/chart label. */}}
{{- define "orchestrator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that pick a component's pods; never change them on upgrade (selectors are immutable). Takes (list $ "component"). */}}
{{- define "orchestrator.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "orchestrator.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* Every object's labels: the selector labels plus version, chart and manager. Takes (list $ "component"). */}}
{{- define "orchestrator.labels" -}}
{{- $root := index . 0 -}}
{{ include "orchestrator.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: {{ include "orchestrator.name" $root }}
helm.sh/chart: {{ include "orchestrator.chart" $root }}
{{- end }}

{{- define "orchestrator.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}

{{- define "orchestrator.coordinatorAddress" -}}
{{ include "orchestrator.fullname" . }}-coordinator
{{- end }}

{{/* Name of the Secret holding the cluster token, empty when the cluster runs without one. */}}
{{- define "orchestrator.tokenSecret" -}}
{{- if .Values.security.clusterToken.existingSecret }}
{{- .Values.security.clusterToken.existingSecret }}
{{- else if .Values.security.clusterToken.value }}
{{- include "orchestrator.fullname" . }}-cluster-token
{{- end }}
{{- end }}

{{/* ORCHESTRATOR_CLUSTER_TOKEN (from the Secret, never a plain value) and the TLS file paths, for every process that talks gRPC. */}}
{{- define "orchestrator.securityEnv" -}}
{{- with include "orchestrator.tokenSecret" . }}
- name: ORCHESTRATOR_CLUSTER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.security.clusterToken.key }}
{{- end }}
{{- if .Values.security.tls.enabled }}
- { name: ORCHESTRATOR_TLS_CERT, value: /etc/orchestrator/tls/tls.crt }
- { name: ORCHESTRATOR_TLS_KEY, value: /etc/orchestrator/tls/tls.key }
- { name: ORCHESTRATOR_TLS_CA, value: /etc/orchestrator/tls/ca.crt }
{{- end }}
{{- end }}

{{- define "orchestrator.tlsMount" -}}
{{- if .Values.security.tls.enabled }}
- { name: tls, mountPath: /etc/orchestrator/tls, readOnly: true }
{{- end }}
{{- end }}

{{- define "orchestrator.tlsVolume" -}}
{{- if .Values.security.tls.enabled }}
- name: tls
  secret:
    secretName: {{ .Values.security.tls.secretName | default (printf "%s-tls" (include "orchestrator.fullname" .)) }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{- define "orchestrator.sharedClaim" -}}
{{ .Values.persistence.existingClaim | default (printf "%s-shared" (include "orchestrator.fullname" .)) }}
{{- end }}

{{/* The pod-level security context of the Orchestrator image (its non-root app user). */}}
{{- define "orchestrator.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsUser }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile: { type: RuntimeDefault }
{{- end }}

{{- define "orchestrator.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: { drop: ["ALL"] }
{{- end }}
