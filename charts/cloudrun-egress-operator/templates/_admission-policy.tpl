{{/* Helpers of admission-policy.yaml. */}}

{{- define "cloudrun-egress-operator.admissionPolicy.name" -}}
{{ .Release.Name }}-egress-policy
{{- end }}

{{- define "cloudrun-egress-operator.admissionPolicy.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: admission-policy
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/*
CEL that resolves one EgressPolicy setting for the job's namespace: a list holding the value of
the first layer (the namespace's entry, then defaults) that sets it, or an empty list when no
layer does. Validations read it with all(), which is true on an empty list: unset allows all.
Argument: the setting's path in EgressRules, e.g. "connectors.allowCreate".
*/}}
{{- define "cloudrun-egress-operator.admissionPolicy.setting" -}}
{{- $segments := splitList "." . -}}
{{- $checks := list -}}
{{- range $i, $segment := $segments -}}
{{- $checks = append $checks (printf "has(l.%s)" (join "." (slice $segments 0 (add1 $i)))) -}}
{{- end -}}
{{- $set := join " && " $checks -}}
variables.layers.exists(l, {{ $set }}) ? [variables.layers.filter(l, {{ $set }})[0].{{ . }}] : []
{{- end }}

{{/*
CEL that joins a list of strings with ", " ("none" when it is empty). Standard CEL has no join(), so the chart spells it
out for as many items as an EgressPolicy list may hold (EgressRules.MAX_VALUES).
Argument: a CEL expression of a list of strings.
*/}}
{{- define "cloudrun-egress-operator.admissionPolicy.join" -}}
{{- $list := . -}}
{{- $terms := list (printf "%s[0]" $list) -}}
{{- range $i := untilStep 1 32 1 -}}
{{- $terms = append $terms (printf "(size(%s) > %d ? ', ' + %s[%d] : '')" $list $i $list $i) -}}
{{- end -}}
(size({{ $list }}) == 0 ? 'none' : {{ join " + " $terms }})
{{- end }}

{{/* CEL for the start of every denial: which EgressPolicy, which rule, which namespace. */}}
{{- define "cloudrun-egress-operator.admissionPolicy.denial" -}}
'EgressPolicy ' + params.metadata.name + ', rule {{ . }} (namespace ' + variables.jobNamespace + '): '
{{- end }}
