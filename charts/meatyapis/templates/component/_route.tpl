{{- define "meatyapis.component.route" -}}
{{- $v := index .root.Values .component -}}
{{- if $v.route.enabled }}
{{- $r := $v.route }}
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" .root "annotations" $r.annotations) }}
spec:
  {{- with $r.host }}
  host: {{ . | quote }}
  {{- end }}
  {{- with $r.path }}
  path: {{ . }}
  {{- end }}
  to:
    kind: Service
    name: {{ include "meatyapis.component.fullname" . }}
    weight: 100
  port:
    targetPort: http
  {{- with $r.tlsTermination }}
  tls:
    termination: {{ . }}
    insecureEdgeTerminationPolicy: {{ $r.insecureEdgeTerminationPolicy }}
  {{- end }}
  wildcardPolicy: None
{{- end }}
{{- end -}}
