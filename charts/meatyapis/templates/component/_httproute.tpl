{{/*
Gateway API HTTPRoute of a component: a first-class alternative to the Ingress and the
OpenShift Route. `/metrics` is never routed: a rule matching it has no backend, which the
Gateway API answers with 404, and an Exact or longer PathPrefix match takes precedence over
every PathPrefix a user route can have (`/metrics…` paths themselves fail the render).
*/}}

{{- define "meatyapis.component.httproute.validate" -}}
{{- $c := .component -}}
{{- $v := index .root.Values $c -}}
{{- $r := $v.httpRoute -}}
{{- if or $v.ingress.enabled $v.route.enabled -}}
{{- fail (printf "%s.httpRoute.enabled with %s.ingress.enabled or %s.route.enabled: choose one way in" $c $c $c) -}}
{{- end -}}
{{- if not $r.parentRefs -}}
{{- fail (printf "%s.httpRoute.parentRefs needs at least one Gateway, e.g. [{name: public, namespace: gateway-system}]" $c) -}}
{{- end -}}
{{- range $i, $ref := $r.parentRefs -}}
{{- if not (and (kindIs "map" $ref) $ref.name) -}}
{{- fail (printf "%s.httpRoute.parentRefs[%d] needs a name (the Gateway's)" $c $i) -}}
{{- end -}}
{{- end -}}
{{- if not $r.paths -}}
{{- fail (printf "%s.httpRoute.paths needs at least one path match" $c) -}}
{{- end -}}
{{- range $i, $path := $r.paths -}}
{{- if not (and (kindIs "map" $path) (has $path.type (list "PathPrefix" "Exact"))) -}}
{{- fail (printf "%s.httpRoute.paths[%d].type must be \"PathPrefix\" or \"Exact\"" $c $i) -}}
{{- end -}}
{{- if not (hasPrefix "/" (toString $path.value)) -}}
{{- fail (printf "%s.httpRoute.paths[%d].value must start with \"/\", not %q" $c $i (toString $path.value)) -}}
{{- end -}}
{{- if hasPrefix (include "meatyapis.metrics.path" $.root) $path.value -}}
{{- fail (printf "%s.httpRoute.paths[%d].value=%s would route %s, which is never exposed" $c $i $path.value (include "meatyapis.metrics.path" $.root)) -}}
{{- end -}}
{{- end -}}
{{- range $key := list "request" "backendRequest" -}}
{{- $d := toString (index $r.timeouts $key) -}}
{{- if and $d (not (regexMatch "^([0-9]{1,5}(h|m|s|ms)){1,4}$" $d)) -}}
{{- fail (printf "%s.httpRoute.timeouts.%s=%q is not a Gateway API duration such as 30s or 1m30s" $c $key $d) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "meatyapis.component.httproute" -}}
{{- $v := index .root.Values .component -}}
{{- if $v.httpRoute.enabled }}
{{- include "meatyapis.component.httproute.validate" . }}
{{- $r := $v.httpRoute }}
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
    {{- with $r.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- include "meatyapis-common.annotations" (dict "root" .root "annotations" $r.annotations) }}
spec:
  parentRefs:
    {{- toYaml $r.parentRefs | nindent 4 }}
  {{- with $r.hostnames }}
  hostnames:
    {{- range . }}
    - {{ . | quote }}
    {{- end }}
  {{- end }}
  rules:
    # no backend: the gateway answers 404, the metrics stay inside the cluster
    - matches:
        - path:
            type: PathPrefix
            value: {{ include "meatyapis.metrics.path" .root }}
    - matches:
        {{- range $r.paths }}
        - path:
            type: {{ .type }}
            value: {{ .value | quote }}
        {{- end }}
      backendRefs:
        - name: {{ include "meatyapis.component.fullname" . }}
          port: {{ $v.service.port }}
      {{- if or $r.timeouts.request $r.timeouts.backendRequest }}
      timeouts:
        {{- with $r.timeouts.request }}
        request: {{ . }}
        {{- end }}
        {{- with $r.timeouts.backendRequest }}
        backendRequest: {{ . }}
        {{- end }}
      {{- end }}
{{- end }}
{{- end -}}
