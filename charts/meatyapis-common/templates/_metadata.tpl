{{/* Selector labels. Keys: name (app.kubernetes.io/name), component. */}}
{{- define "meatyapis-common.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The labels of every object: the standard ones, app.kubernetes.io/name and component when
     given, and commonLabels (the chart's own labels win). Keys: name, component (optional). */}}
{{- define "meatyapis-common.labels" -}}
{{- $root := .root -}}
{{- $labels := dict
      "helm.sh/chart" (include "meatyapis-common.chart" .)
      "app.kubernetes.io/instance" $root.Release.Name
      "app.kubernetes.io/part-of" "meatyapis"
      "app.kubernetes.io/version" $root.Chart.AppVersion
      "app.kubernetes.io/managed-by" $root.Release.Service -}}
{{- with .name }}{{ $_ := set $labels "app.kubernetes.io/name" . }}{{ end -}}
{{- with .component }}{{ $_ := set $labels "app.kubernetes.io/component" . }}{{ end -}}
{{- toYaml (merge $labels ($root.Values.commonLabels | default dict)) -}}
{{- end -}}

{{/* metadata.annotations, indented for metadata: commonAnnotations merged with the map under
     "annotations" (which wins); nothing when both are empty. Keys: annotations (optional). */}}
{{- define "meatyapis-common.annotations" -}}
{{- $all := merge (dict) (.annotations | default dict) (.root.Values.commonAnnotations | default dict) -}}
{{- with $all }}
  annotations:
    {{- toYaml . | nindent 4 }}
{{- end }}
{{- end -}}
