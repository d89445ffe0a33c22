{{/* The OpenShift Route of a component. When its path covers `/metrics` (an empty path covers
     every path), a second Route on the same host sends `/metrics` to the closed Service (see
     _service.tpl): the router picks the longest path. That Route needs the host. */}}
{{- define "meatyapis.component.routeCoversMetrics" -}}
{{- $r := (index .root.Values .component).route -}}
{{- if and $r.enabled (hasPrefix (toString $r.path) (include "meatyapis.metrics.path" .root)) -}}true{{- end -}}
{{- end -}}

{{- define "meatyapis.component.route.spec" -}}
{{- $r := (index .root.Values .component).route -}}
{{- with $r.host }}
host: {{ . | quote }}
{{- end }}
{{- with .path }}
path: {{ . }}
{{- end }}
to:
  kind: Service
  name: {{ .service }}
  weight: 100
port:
  targetPort: http
{{- with $r.tlsTermination }}
tls:
  termination: {{ . }}
  insecureEdgeTerminationPolicy: {{ $r.insecureEdgeTerminationPolicy }}
{{- end }}
wildcardPolicy: None
{{- end -}}

{{- define "meatyapis.component.route" -}}
{{- $v := index .root.Values .component -}}
{{- if $v.route.enabled }}
{{- $r := $v.route }}
{{- $metrics := include "meatyapis.metrics.path" .root }}
{{- if and $r.path (hasPrefix $metrics (toString $r.path)) }}
{{- fail (printf "%s.route.path=%s would route %s, which is never exposed" .component $r.path $metrics) }}
{{- end }}
{{- $covers := include "meatyapis.component.routeCoversMetrics" . }}
{{- if and $covers (not $r.host) }}
{{- fail (printf "%s.route.host is required while %s.route.path (%q) covers %s: the Route that keeps %s closed must share the host" .component .component (toString $r.path) $metrics $metrics) }}
{{- end }}
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" .root "annotations" $r.annotations) }}
spec:
  {{- include "meatyapis.component.route.spec" (dict "root" .root "component" .component "path" $r.path "service" (include "meatyapis.component.fullname" .)) | nindent 2 }}
{{- if $covers }}
---
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: {{ include "meatyapis.component.closedServiceName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" (dict "root" .root "component" .component "job" "closed") | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" .root "annotations" $r.annotations) }}
spec:
  {{- include "meatyapis.component.route.spec" (dict "root" .root "component" .component "path" $metrics "service" (include "meatyapis.component.closedServiceName" .)) | nindent 2 }}
{{- end }}
{{- end }}
{{- end -}}
