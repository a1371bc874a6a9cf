{{/* Names and labels of the operator's objects. */}}

{{- define "cloudrun-egress-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else -}}
{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end -}}
{{- end }}

{{- define "cloudrun-egress-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "cloudrun-egress-operator.labels" -}}
{{ include "cloudrun-egress-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "cloudrun-egress-operator.serviceAccountName" -}}
{{ .Values.serviceAccount.name | default (include "cloudrun-egress-operator.fullname" .) }}
{{- end }}

{{/* The Google service account Workload Identity maps the pods to: a full email, or a name in gcp.project; empty when neither is set. */}}
{{- define "cloudrun-egress-operator.gcpServiceAccount" -}}
{{- with .Values.gcp -}}
{{- if contains "@" .serviceAccount -}}
{{ .serviceAccount }}
{{- else if and .serviceAccount .project -}}
{{ printf "%s@%s.iam.gserviceaccount.com" .serviceAccount .project }}
{{- end -}}
{{- end -}}
{{- end }}

{{/*
What the operator does with the Kubernetes API outside leader election, and nothing more: watch
its resources (list, watch), add and remove its finalizer (patch, and get to retry a patch that
met a concurrent write), write their status (update), and record events (create).
OperatorRbacTest holds these to the calls the real operator makes.
*/}}
{{- define "cloudrun-egress-operator.rbac.rules" -}}
- apiGroups: [egress.cloudrun.dev]
  resources: [cloudrunegressjobs]
  verbs: [get, list, watch, patch]
- apiGroups: [egress.cloudrun.dev]
  resources: [cloudrunegressjobs/status]
  verbs: [update]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- end }}
