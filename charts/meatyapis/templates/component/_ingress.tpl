{{/* The Ingress of a component. `/metrics` goes to the closed Service (see _service.tpl): as
     the longer Prefix it wins over the component's path, whatever the controller. */}}
{{- define "meatyapis.component.ingress" -}}
{{- $v := index .root.Values .component -}}
{{- if $v.ingress.enabled }}
{{- $i := $v.ingress }}
{{- $metrics := include "meatyapis.metrics.path" .root }}
{{- if hasPrefix $metrics (toString $i.path) }}
{{- fail (printf "%s.ingress.path=%s would route %s, which is never exposed" .component $i.path $metrics) }}
{{- end }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" .root "annotations" $i.annotations) }}
spec:
  {{- with $i.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if $i.tls }}
  tls:
    - hosts:
        - {{ $i.hostname | quote }}
      secretName: {{ default (printf "%s-tls" $i.hostname) $i.tlsSecretName }}
  {{- end }}
  rules:
    - host: {{ $i.hostname | quote }}
      http:
        paths:
          - path: {{ $i.path }}
            pathType: {{ $i.pathType }}
            backend:
              service:
                name: {{ include "meatyapis.component.fullname" . }}
                port:
                  name: http
          - path: {{ $metrics }}
            pathType: Prefix
            backend:
              service:
                name: {{ include "meatyapis.component.closedServiceName" . }}
                port:
                  name: http
{{- end }}
{{- end -}}
